/**
 * `npm run network -- <command>`: the operator's commands over the network API. Arguments are checked
 * before anything is touched; a wrong one is a message naming it and exit code 2, a node or toolchain
 * that fails is exit code 1.
 */
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { getAddress, isAddress } from "ethers";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { generateBesuNetwork, BESU_DEFAULTS } from "./besu/generate.js";
import { NetworkError } from "./errors.js";
import { GETH_VERSION, installGeth } from "./geth-install.js";
import { DEFAULTS, LIMITS, LocalNetwork, createNetwork } from "./local-network.js";

export const USAGE = `usage: npm run network -- <command> [options]

  install [--force]              build geth ${GETH_VERSION} into .tools/bin (needs Go ≥ 1.23)
  init [--dir D] [--signers N] [--observers M] [--chain-id ID] [--base-port P] [--senders K] [--fund 0x…,0x…]
                                 generate a local Clique network (default ${DEFAULTS.signers} signers, ${DEFAULTS.observers} observer, in data/network)
  init --client besu [--dir D] [--validators N] [--observers M] [--chain-id ID] [--hosts ip,ip,…] [--accounts 0x…,0x…]
                                 generate the production files of a Besu QBFT network (default in data/besu)
  up [--dir D]                   start every node; returns once blocks are sealed and peers connected
  down [--dir D]                 stop every node of the network
  status [--dir D] [--json]      head, peers and signers of each node
  propose <address> add|remove [--dir D]
                                 a Clique vote from each signer to add or remove a signer`;

const started = Date.now();
export const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);

const bad = (message: string) => new NetworkError("BAD_ARGUMENT", message);

function wholeOption(name: string, raw: string | undefined, [min, max]: readonly [number, number]): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw bad(`--${name}: got '${raw}', expected a whole number ${min}–${max}`);
  return Number(raw);
}

function addressList(name: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const a of list) if (!isAddress(a)) throw bad(`--${name}: '${a}' is not a 0x-prefixed 20-byte address`);
  return list.map((a) => getAddress(a));
}

function parse(args: string[], options: NonNullable<ParseArgsConfig["options"]>, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (parsed.positionals.length > positionals) throw bad(`unexpected argument '${parsed.positionals[positionals]}'`);
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

const dirOf = (values: Record<string, unknown>, fallback: string) => path.resolve(PROJECT_ROOT, (values.dir as string | undefined) ?? fallback);
const DEFAULT_DIR = "data/network";
const DEFAULT_BESU_DIR = "data/besu";
const shortHash = (h: string) => `${h.slice(0, 10)}…${h.slice(-4)}`;

async function install(args: string[]) {
  const { values } = parse(args, { force: { type: "boolean" } });
  const result = await installGeth({ force: values.force === true, log: step });
  step(result.built ? `built geth ${result.version} in ${result.seconds.toFixed(0)} s: ${result.binary}` : `geth ${result.version} is already installed: ${result.binary}`);
}

async function init(args: string[]) {
  const { values } = parse(args, {
    client: { type: "string" },
    dir: { type: "string" },
    signers: { type: "string" },
    validators: { type: "string" },
    observers: { type: "string" },
    "chain-id": { type: "string" },
    "base-port": { type: "string" },
    senders: { type: "string" },
    fund: { type: "string" },
    hosts: { type: "string" },
    accounts: { type: "string" },
  });
  const client = (values.client as string | undefined) ?? "geth";
  const chainId = wholeOption("chain-id", values["chain-id"] as string | undefined, LIMITS.chainId);
  const observers = wholeOption("observers", values.observers as string | undefined, LIMITS.observers);
  if (client === "besu") {
    for (const geth of ["signers", "base-port", "senders", "fund"]) if (values[geth] !== undefined) throw bad(`--${geth} is for the geth network; a Besu network takes --validators, --hosts and --accounts`);
    const dir = dirOf(values, DEFAULT_BESU_DIR);
    const validators = wholeOption("validators", values.validators as string | undefined, BESU_DEFAULTS.validatorRange);
    const hosts = values.hosts === undefined ? undefined : (values.hosts as string).split(",").map((h) => h.trim());
    const result = await generateBesuNetwork(dir, { validators, observers, chainId, hosts, accounts: addressList("accounts", values.accounts as string | undefined) });
    step(`generated a Besu QBFT network of ${result.validators.length} validators and ${result.observers.length} observers in ${dir}`);
    for (const file of result.files) console.log(`  ${path.relative(dir, file)}`);
    console.log(`Read network/README.md ("The production network") before using them.`);
    return;
  }
  if (client !== "geth") throw bad(`--client: got '${client}', expected geth or besu`);
  for (const besu of ["validators", "hosts", "accounts"]) if (values[besu] !== undefined) throw bad(`--${besu} is for a Besu network (--client besu)`);
  const dir = dirOf(values, DEFAULT_DIR);
  const options = {
    signers: wholeOption("signers", values.signers as string | undefined, LIMITS.signers),
    observers,
    chainId,
    basePort: wholeOption("base-port", values["base-port"] as string | undefined, [1024, 65535]),
    senders: wholeOption("senders", values.senders as string | undefined, LIMITS.senders),
    fund: addressList("fund", values.fund as string | undefined),
  };
  await installGeth({ log: step });
  step(`generating the network in ${dir}`);
  const network = await createNetwork(dir, options);
  const { spec } = network;
  step(`chain id ${spec.chainId}, ${network.nodes("signer").length} signers, ${network.nodes("observer").length} observers, one block every ${spec.period} s, gas limit ${spec.gasLimit}`);
  for (const n of spec.nodes) step(`  ${n.name.padEnd(11)} ${n.role.padEnd(8)} p2p ${n.ports.p2p}, http ${n.ports.http}${n.address ? `, signs as ${n.address}` : ""}`);
  step(`funded: ${spec.funded.join(", ")} (keys in ${network.accountsFile})`);
  console.log(`Start it with: npm run network -- up${values.dir ? ` --dir ${values.dir}` : ""}`);
}

async function up(args: string[]) {
  const { values } = parse(args, { dir: { type: "string" } });
  const network = await LocalNetwork.open(dirOf(values, DEFAULT_DIR));
  const result = await installGeth({ log: step });
  if (result.built) step(`built geth ${result.version}`);
  await network.startAll({ detach: true, progress: step });
  const heads = await Promise.all(network.spec.nodes.map((n) => network.head(n.name)));
  const head = heads.reduce((a, b) => (b.number > a.number ? b : a));
  console.log(`
The local network is running (chain id ${network.spec.chainId}, head #${head.number}).
${network.spec.nodes
  .map((n) => `  ${n.name.padEnd(11)} ${network.url(n.name).padEnd(24)} ${n.role === "signer" ? `signer ${n.address}   (${network.modules(n.name).join(",")})` : `observer, public JSON-RPC (${network.modules(n.name).join(",")})`}`)
  .join("\n")}
  Genesis            ${network.genesisFile}
  Funded accounts    ${network.accountsFile}   (deployer and relayer senders, private keys)
  Logs               ${path.join(network.dir, "<node>", "geth.log")}
Stop it with: npm run network -- down${values.dir ? ` --dir ${values.dir}` : ""}`);
}

async function down(args: string[]) {
  const { values } = parse(args, { dir: { type: "string" } });
  const network = await LocalNetwork.open(dirOf(values, DEFAULT_DIR));
  step("stopping every node");
  const stopped = await network.stopAll();
  step(stopped.length ? `stopped ${stopped.join(", ")}` : "no node was running");
}

async function status(args: string[]) {
  const { values } = parse(args, { dir: { type: "string" }, json: { type: "boolean" } });
  const network = await LocalNetwork.open(dirOf(values, DEFAULT_DIR));
  const nodes = await network.status();
  if (values.json) {
    console.log(JSON.stringify(nodes, null, 2));
    return;
  }
  const nameOf = new Map(network.spec.nodes.filter((n) => n.address).map((n) => [n.address!, n.name]));
  console.log(`chain id ${network.spec.chainId}, ${network.dir}`);
  for (const n of nodes) {
    if (!n.running) {
      console.log(`  ${n.name.padEnd(11)} ${n.role.padEnd(8)} stopped`);
      continue;
    }
    if (n.error) {
      console.log(`  ${n.name.padEnd(11)} ${n.role.padEnd(8)} running (pid ${n.pid}), not answering: ${n.error}`);
      continue;
    }
    const signers = n.signers!.map((s) => nameOf.get(s) ?? s).join(" ");
    console.log(`  ${n.name.padEnd(11)} ${n.role.padEnd(8)} #${String(n.head!.number).padEnd(7)} ${shortHash(n.head!.hash)}  peers ${n.peers!.length} (${n.peers!.join(" ")})  signers ${n.signers!.length} (${signers})  ${n.url}`);
  }
}

async function propose(args: string[]) {
  const { values, positionals } = parse(args, { dir: { type: "string" } }, 2);
  const [address, action] = positionals;
  if (address === undefined || action === undefined) throw bad("expected <address> add|remove");
  if (!isAddress(address)) throw bad(`'${address}' is not a 0x-prefixed 20-byte address`);
  if (action !== "add" && action !== "remove") throw bad(`got '${action}', expected add or remove`);
  const network = await LocalNetwork.open(dirOf(values, DEFAULT_DIR));
  const auth = action === "add";
  const target = getAddress(address);
  const voters = await network.propose(target, auth);
  step(`${voters.join(", ")} voted to ${action} ${target}; waiting until a majority has sealed it`);
  const signers = await network.waitForSigner(voters[0], target, auth, { timeoutMs: 120_000 });
  await network.discard(target);
  step(`${target} ${auth ? "is now a signer" : "is no longer a signer"}; ${signers.length} signers: ${signers.join(", ")}`);
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { install, init, up, down, status, propose };

/** Runs one command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || command === "--help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    console.error(`unknown command '${command}'; expected one of ${Object.keys(COMMANDS).join(", ")}\n\n${USAGE}`);
    return 2;
  }
  try {
    await run(args);
    return 0;
  } catch (err) {
    if (err instanceof NetworkError) {
      console.error(`network ${command}: ${err.message}`);
      return err.code === "BAD_ARGUMENT" || err.code === "BAD_NETWORK" ? 2 : 1;
    }
    console.error(`network ${command} failed: ${(err as Error).stack ?? err}`);
    return 1;
  }
}
