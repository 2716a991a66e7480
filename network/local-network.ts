/**
 * The local geth Clique network as an API: generate it in a folder, start and stop (or kill) its
 * nodes, read each node's head, peers and signers, cut and restore peer links, cast Clique votes, and
 * wait for conditions. The command line (`npm run network`) and the network tests both use it.
 *
 * Folder layout:
 *   network.json        the description (spec.ts)
 *   genesis.json        the Clique genesis every node was initialised with
 *   accounts.json       the funded deployer and relayer senders, with private keys (mode 0600)
 *   <node>/config.toml  ports, HTTP modules, static peers
 *   <node>/keystore/, <node>/password.txt   a signer's sealing key
 *   <node>/geth/        the chain database and nodekey; <node>/geth.log, geth.pid, geth.ipc
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { getAddress, isAddress } from "ethers";
import { cliqueGenesis, sortSigners } from "./clique-genesis.js";
import { NetworkError } from "./errors.js";
import { GETH_BINARY } from "./geth-install.js";
import { HTTP_MODULES, NET_RESTRICT, gethConfigToml, staticPeers } from "./geth-config.js";
import { launchGeth, logTail, runningPid, stopGeth } from "./geth-process.js";
import { newKey, writeKeystore, writeNodeKey, type GeneratedKey } from "./keys.js";
import { HttpNodeRpc, IpcNodeRpc, type NodeRpc } from "./node-rpc.js";
import { assertPortFree, freePorts } from "./ports.js";
import { SPEC_FILE, readSpec, writeSpec, type NetworkSpec, type NodeRole, type NodeSpec } from "./spec.js";
import { waitFor, type WaitOptions } from "./wait.js";

const run = promisify(execFile);

export const DEFAULTS = {
  signers: 4,
  observers: 1,
  chainId: 31338,
  period: 1,
  gasLimit: 30_000_000,
  senders: 3,
} as const;
export const LIMITS = { signers: [1, 16], observers: [0, 16], senders: [1, 32], chainId: [1, 2 ** 32 - 1] } as const;
/** What each funded account gets: plenty for any test or demo at near-zero fees. */
export const FUNDING = 10n ** 24n;
const PORTS_PER_NODE = 3;

export interface CreateOptions {
  signers?: number;
  observers?: number;
  chainId?: number;
  /** Ports from here upwards, three a node (p2p, http, authrpc); default: free ones. */
  basePort?: number;
  /** How many relayer sender accounts to generate and fund. */
  senders?: number;
  /** More addresses to fund. */
  fund?: string[];
  gethBinary?: string;
}

export interface FundedAccounts {
  deployer: GeneratedKey;
  senders: GeneratedKey[];
}

export interface Head {
  number: number;
  hash: string;
}

export interface NodeStatus {
  name: string;
  role: NodeRole;
  running: boolean;
  pid?: number;
  url: string;
  head?: Head;
  peers?: string[];
  signers?: string[];
  error?: string;
}

function whole(name: string, value: number | undefined, fallback: number, [min, max]: readonly [number, number]): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new NetworkError("BAD_ARGUMENT", `${name}: got '${value}', expected a whole number ${min}–${max}`);
  return v;
}

const nodeName = (role: NodeRole, i: number) => `${role}-${i}`;

/** Generates a network in `dir` (which must hold none yet) and initialises every node's database. */
export async function createNetwork(dir: string, options: CreateOptions = {}): Promise<LocalNetwork> {
  const signers = whole("signers", options.signers, DEFAULTS.signers, LIMITS.signers);
  const observers = whole("observers", options.observers, DEFAULTS.observers, LIMITS.observers);
  const senders = whole("senders", options.senders, DEFAULTS.senders, LIMITS.senders);
  const chainId = whole("chain id", options.chainId, DEFAULTS.chainId, LIMITS.chainId);
  const total = signers + observers;
  if (options.basePort !== undefined) whole("base port", options.basePort, 0, [1024, 65535 - total * PORTS_PER_NODE]);
  for (const a of options.fund ?? []) if (!isAddress(a)) throw new NetworkError("BAD_ARGUMENT", `fund: '${a}' is not a 0x-prefixed 20-byte address`);
  const geth = options.gethBinary ?? GETH_BINARY;
  if (!existsSync(geth)) throw new NetworkError("BAD_NETWORK", `no geth at ${geth}: run 'npm run network -- install' first`);

  dir = path.resolve(dir);
  if (existsSync(path.join(dir, SPEC_FILE))) {
    throw new NetworkError("BAD_ARGUMENT", `${dir} already holds a network (${SPEC_FILE}); stop it and remove the folder, or choose another --dir`);
  }
  if (existsSync(dir) && (await readdir(dir)).length > 0) throw new NetworkError("BAD_ARGUMENT", `${dir} is not empty; choose an empty or new folder`);
  await mkdir(dir, { recursive: true });

  const ports =
    options.basePort !== undefined
      ? Array.from({ length: total * PORTS_PER_NODE }, (_, i) => options.basePort! + i)
      : await freePorts(total * PORTS_PER_NODE);
  const roles: NodeRole[] = [...Array(signers).fill("signer"), ...Array(observers).fill("observer")];
  const signerKeys: GeneratedKey[] = [];
  const nodes: NodeSpec[] = [];
  for (const [i, role] of roles.entries()) {
    const name = nodeName(role, role === "signer" ? i + 1 : i - signers + 1);
    const nodeDir = path.join(dir, name);
    await mkdir(nodeDir, { recursive: true, mode: 0o700 });
    const [p2p, http, authrpc] = ports.slice(i * PORTS_PER_NODE, (i + 1) * PORTS_PER_NODE);
    const { enode } = await writeNodeKey(nodeDir, p2p);
    let address: string | undefined;
    if (role === "signer") {
      const key = newKey();
      await writeKeystore(nodeDir, key);
      signerKeys.push(key);
      address = key.address;
    }
    nodes.push({ name, role, address, enode, ports: { p2p, http, authrpc } });
  }

  const accounts: FundedAccounts = { deployer: newKey(), senders: Array.from({ length: senders }, newKey) };
  const funded = [accounts.deployer.address, ...accounts.senders.map((k) => k.address), ...(options.fund ?? []).map((a) => getAddress(a))];
  const spec: NetworkSpec = {
    format: 1,
    client: "geth",
    chainId,
    period: DEFAULTS.period,
    gasLimit: DEFAULTS.gasLimit,
    genesisSigners: sortSigners(signerKeys.map((k) => k.address)),
    nodes,
    funded: [...new Set(funded)],
    createdAt: new Date().toISOString(),
  };
  const genesis = cliqueGenesis({
    chainId,
    period: spec.period,
    gasLimit: spec.gasLimit,
    signers: spec.genesisSigners,
    alloc: Object.fromEntries(spec.funded.map((a) => [a, FUNDING])),
  });
  await writeFile(path.join(dir, "genesis.json"), JSON.stringify(genesis, null, 2) + "\n");
  await writeFile(path.join(dir, "accounts.json"), JSON.stringify(accounts, null, 2) + "\n", { mode: 0o600 });
  await writeSpec(dir, spec);
  const network = new LocalNetwork(dir, spec, geth);
  for (const node of nodes) await network.initNode(node);
  return network;
}

export class LocalNetwork {
  /** Opens the network generated in `dir`. */
  static async open(dir: string, options: { gethBinary?: string } = {}): Promise<LocalNetwork> {
    dir = path.resolve(dir);
    return new LocalNetwork(dir, await readSpec(dir), options.gethBinary ?? GETH_BINARY);
  }

  constructor(
    readonly dir: string,
    private specValue: NetworkSpec,
    readonly gethBinary: string,
  ) {}

  get spec(): NetworkSpec {
    return this.specValue;
  }

  get genesisFile(): string {
    return path.join(this.dir, "genesis.json");
  }

  get accountsFile(): string {
    return path.join(this.dir, "accounts.json");
  }

  async accounts(): Promise<FundedAccounts> {
    return JSON.parse(await readFile(this.accountsFile, "utf8")) as FundedAccounts;
  }

  nodes(role?: NodeRole): NodeSpec[] {
    return this.spec.nodes.filter((n) => role === undefined || n.role === role);
  }

  node(name: string): NodeSpec {
    const node = this.spec.nodes.find((n) => n.name === name);
    if (!node) throw new NetworkError("BAD_ARGUMENT", `no node '${name}' in ${this.dir}; nodes: ${this.spec.nodes.map((n) => n.name).join(", ")}`);
    return node;
  }

  nodeDir(name: string): string {
    return path.join(this.dir, this.node(name).name);
  }

  /** The node's HTTP JSON-RPC endpoint on 127.0.0.1. */
  url(name: string): string {
    return `http://127.0.0.1:${this.node(name).ports.http}`;
  }

  /** JSON-RPC with every module the tool needs: HTTP for a signer, IPC for an observer. */
  rpc(name: string): NodeRpc {
    const node = this.node(name);
    return node.role === "signer" ? new HttpNodeRpc(this.url(name)) : new IpcNodeRpc(path.join(this.nodeDir(name), "geth.ipc"));
  }

  /** Writes the node's config.toml and initialises its database from the genesis. */
  async initNode(node: NodeSpec): Promise<void> {
    const dataDir = path.join(this.dir, node.name);
    await writeFile(path.join(dataDir, "config.toml"), gethConfigToml(this.spec, node));
    try {
      await run(this.gethBinary, ["--datadir", dataDir, "init", this.genesisFile]);
    } catch (err) {
      throw new NetworkError("NODE_FAILED", `geth init of ${node.name} failed: ${(err as { stderr?: string }).stderr?.trim().split("\n").slice(-3).join(" | ") ?? err}`, { cause: err });
    }
  }

  private launchArgs(node: NodeSpec): string[] {
    const dataDir = path.join(this.dir, node.name);
    const args = ["--config", path.join(dataDir, "config.toml"), "--netrestrict", NET_RESTRICT, "--nat", "none", "--cache", "128", "--verbosity", "3"];
    if (node.role === "signer") {
      args.push("--mine", "--unlock", node.address!, "--password", path.join(dataDir, "password.txt"), "--allow-insecure-unlock");
    }
    return args;
  }

  async pid(name: string): Promise<number | undefined> {
    return runningPid(this.nodeDir(name));
  }

  async isRunning(name: string): Promise<boolean> {
    return (await this.pid(name)) !== undefined;
  }

  /**
   * Starts one node and waits until it answers JSON-RPC. `detach`: the node outlives this process
   * (the command line); otherwise it is killed if this process exits without stopping it.
   */
  async start(name: string, options: { detach?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const node = this.node(name);
    const dataDir = this.nodeDir(name);
    for (const [what, port] of Object.entries(node.ports)) await assertPortFree(port, `${name} (${what})`);
    const pid = await launchGeth({ binary: this.gethBinary, dataDir, args: this.launchArgs(node) }, { keepAfterExit: options.detach });
    await waitFor(
      `${name} answering JSON-RPC`,
      async () => {
        if ((await runningPid(dataDir)) !== pid) throw new NetworkError("NODE_EXITED", `${name} exited while starting:\n${logTail(dataDir)}`);
        await this.rpc(name).call("eth_blockNumber", [], 2_000);
        return true;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100, failFast: (err) => err instanceof NetworkError && err.code === "NODE_EXITED" },
    ).catch((err) => {
      if (err instanceof NetworkError && err.code === "TIMEOUT") throw new NetworkError("NODE_FAILED", `${err.message}\n${logTail(dataDir)}`, { cause: err });
      throw err;
    });
  }

  /** Stops one node gracefully (SIGTERM: geth writes its state and exits). */
  async stop(name: string): Promise<number | undefined> {
    return stopGeth(this.nodeDir(name));
  }

  /** Kills one node with SIGKILL, as a crash or a power cut would. */
  async kill(name: string): Promise<number | undefined> {
    return stopGeth(this.nodeDir(name), { hard: true });
  }

  async restart(name: string): Promise<void> {
    await this.stop(name);
    await this.start(name);
  }

  /** Starts every node that is not running, then waits until they are peered and blocks are sealed. */
  async startAll(options: { detach?: boolean; progress?: (m: string) => void; timeoutMs?: number } = {}): Promise<void> {
    const progress = options.progress ?? (() => undefined);
    for (const node of this.spec.nodes) {
      if (await this.isRunning(node.name)) {
        progress(`${node.name} is already running`);
        continue;
      }
      progress(`starting ${node.name} (${node.role}) on ${this.url(node.name)}`);
      await this.start(node.name, { detach: options.detach });
    }
    progress("waiting for every node to connect to all the others");
    await this.waitForFullMesh(options);
    progress("waiting for blocks to be sealed");
    const from = Math.max(...(await Promise.all(this.spec.nodes.map(async (n) => (await this.head(n.name)).number))));
    await this.waitForHead(from + 2, options);
  }

  /** Stops every running node; returns the names of those stopped. */
  async stopAll(): Promise<string[]> {
    const stopped = await Promise.all(this.spec.nodes.map(async (n) => ((await this.stop(n.name)) === undefined ? undefined : n.name)));
    return stopped.filter((n): n is string => n !== undefined);
  }

  async head(name: string): Promise<Head> {
    const block = await this.rpc(name).call<{ number: string; hash: string }>("eth_getBlockByNumber", ["latest", false]);
    return { number: Number(block.number), hash: block.hash };
  }

  /** The hash of the node's block at `number`, or undefined when it has none there. */
  async blockHash(name: string, number: number): Promise<string | undefined> {
    const block = await this.rpc(name).call<{ hash: string } | null>("eth_getBlockByNumber", ["0x" + number.toString(16), false]);
    return block?.hash;
  }

  /** The signer that sealed the node's block at `number`. */
  async sealer(name: string, number: number): Promise<string> {
    return getAddress(await this.rpc(name).call<string>("clique_getSigner", ["0x" + number.toString(16)]));
  }

  /** The names of the nodes this node is connected to (a peer outside the network is shown by its enode). */
  async peers(name: string): Promise<string[]> {
    const peers = await this.rpc(name).call<Array<{ enode: string }>>("admin_peers");
    const key = (enode: string) => enode.split("@")[0];
    return peers.map((p) => this.spec.nodes.find((n) => key(n.enode) === key(p.enode))?.name ?? p.enode).sort();
  }

  /** The Clique signers at the node's head. */
  async signers(name: string): Promise<string[]> {
    return (await this.rpc(name).call<string[]>("clique_getSigners")).map((a) => getAddress(a));
  }

  async status(): Promise<NodeStatus[]> {
    return Promise.all(
      this.spec.nodes.map(async (n): Promise<NodeStatus> => {
        const pid = await this.pid(n.name);
        const status: NodeStatus = { name: n.name, role: n.role, running: pid !== undefined, pid, url: this.url(n.name) };
        if (pid === undefined) return status;
        try {
          [status.head, status.peers, status.signers] = await Promise.all([this.head(n.name), this.peers(n.name), this.signers(n.name)]);
        } catch (err) {
          status.error = (err as Error).message;
        }
        return status;
      }),
    );
  }

  /**
   * Cuts the link between two nodes: each forgets the other as a static peer and disconnects. One
   * side after the other: the first to drop the link is redialled by the second, which then cannot
   * dial it again for 35 s (geth's dial history); the first dialled no one, so it restores the link at
   * once when healed.
   */
  async disconnect(a: string, b: string): Promise<void> {
    await this.rpc(a).call("admin_removePeer", [this.node(b).enode]);
    await this.rpc(b).call("admin_removePeer", [this.node(a).enode]);
  }

  /** Restores the link between two nodes: each adds the other as a static peer again. */
  async connect(a: string, b: string): Promise<void> {
    await Promise.all([this.rpc(a).call("admin_addPeer", [this.node(b).enode]), this.rpc(b).call("admin_addPeer", [this.node(a).enode])]);
  }

  /**
   * Splits the network: every link between nodes of different groups is cut (nodes in no group keep
   * theirs). Waits until no node has a peer in another group, cutting again any link redialled meanwhile.
   */
  async partition(groups: string[][], options: WaitOptions = {}): Promise<void> {
    const groupOf = new Map(groups.flatMap((g, i) => g.map((n) => [this.node(n).name, i] as const)));
    const cuts: Array<[string, string]> = [];
    for (const [a, ga] of groupOf) for (const [b, gb] of groupOf) if (a < b && ga !== gb) cuts.push([a, b]);
    await Promise.all(cuts.map(([a, b]) => this.disconnect(a, b)));
    let crossing: string[] = [];
    await waitFor(
      `partition into ${groups.map((g) => `{${g.join(", ")}}`).join(" ")}`,
      async () => {
        crossing = [];
        const again: Array<[string, string]> = [];
        for (const [name, g] of groupOf) {
          for (const p of await this.peers(name)) {
            if (groupOf.has(p) && groupOf.get(p) !== g) {
              crossing.push(`${name}–${p}`);
              again.push([name, p]);
            }
          }
        }
        // A link dropped by one side can be redialled by the other before that side has forgotten the
        // first as a static peer; once both have, cutting it again is final.
        await Promise.all(again.map(([a, b]) => this.disconnect(a, b)));
        return crossing.length === 0;
      },
      options,
    ).catch((err) => {
      throw new NetworkError("TIMEOUT", `${(err as Error).message}; still connected: ${crossing.join(", ")}`, { cause: err });
    });
  }

  /** Restores every link between running nodes and waits until each is connected to all the others. */
  async heal(options: WaitOptions = {}): Promise<void> {
    const running = await this.runningNames();
    const pairs = running.flatMap((a) => running.filter((b) => a < b).map((b) => [a, b] as const));
    await Promise.all(pairs.map(([a, b]) => this.connect(a, b)));
    await this.waitForFullMesh(options);
  }

  private async runningNames(): Promise<string[]> {
    const names = await Promise.all(this.spec.nodes.map(async (n) => ((await this.isRunning(n.name)) ? n.name : undefined)));
    return names.filter((n): n is string => n !== undefined);
  }

  /** Waits until every running node is connected to every other running node. */
  async waitForFullMesh(options: WaitOptions = {}): Promise<void> {
    let missing: string[] = [];
    await waitFor(
      "every running node connected to all the others",
      async () => {
        const running = await this.runningNames();
        missing = [];
        for (const name of running) {
          const peers = await this.peers(name);
          for (const other of running) if (other !== name && !peers.includes(other)) missing.push(`${name}→${other}`);
        }
        return missing.length === 0;
      },
      { timeoutMs: 60_000, ...options },
    ).catch((err) => {
      throw new NetworkError("TIMEOUT", `${(err as Error).message}; not connected: ${missing.join(", ")}`, { cause: err });
    });
  }

  /** Waits until every running node (or those named) has a head at `number` or above; returns their heads. */
  async waitForHead(number: number, options: WaitOptions & { nodes?: string[] } = {}): Promise<Map<string, Head>> {
    return waitFor(
      `${options.nodes?.join(", ") ?? "every running node"} at block ${number}`,
      async () => {
        const names = options.nodes ?? (await this.runningNames());
        const heads = new Map(await Promise.all(names.map(async (n) => [n, await this.head(n)] as const)));
        return [...heads.values()].every((h) => h.number >= number) ? heads : undefined;
      },
      { timeoutMs: 60_000, ...options },
    );
  }

  /**
   * A Clique vote from every running signer: add `address` as a signer (`auth`) or remove it. Each
   * signer puts its vote into the blocks it seals until the change takes a majority.
   */
  async propose(address: string, auth: boolean): Promise<string[]> {
    if (!isAddress(address)) throw new NetworkError("BAD_ARGUMENT", `'${address}' is not a 0x-prefixed 20-byte address`);
    const voters: string[] = [];
    for (const signer of this.nodes("signer")) {
      if (!(await this.isRunning(signer.name))) continue;
      await this.rpc(signer.name).call("clique_propose", [getAddress(address), auth]);
      voters.push(signer.name);
    }
    if (voters.length === 0) throw new NetworkError("NODE_FAILED", "no signer is running to vote");
    return voters;
  }

  /** Withdraws every running signer's pending vote on `address` (once the change is applied, a stale vote could later undo it). */
  async discard(address: string): Promise<void> {
    for (const signer of this.nodes("signer")) {
      if (await this.isRunning(signer.name)) await this.rpc(signer.name).call("clique_discard", [getAddress(address)]);
    }
  }

  /** Waits until `name` sees `address` among the signers (`present`) or not, at its head. */
  async waitForSigner(name: string, address: string, present: boolean, options: WaitOptions = {}): Promise<string[]> {
    const wanted = getAddress(address);
    return waitFor(
      `${wanted} ${present ? "added to" : "removed from"} the signers at ${name}`,
      async () => {
        const signers = await this.signers(name);
        return signers.includes(wanted) === present ? signers : undefined;
      },
      { timeoutMs: 60_000, ...options },
    );
  }

  /**
   * Adds a node to the network: keys, ports, folder and database; every other node's config lists it
   * as a static peer from now on, and running ones are told at once when it starts (`start`). A new
   * signer seals only once the signers have voted it in.
   */
  async addNode(role: NodeRole, options: { start?: boolean } = {}): Promise<NodeSpec> {
    const index = this.nodes(role).length + 1;
    const name = nodeName(role, index);
    const nodeDir = path.join(this.dir, name);
    await mkdir(nodeDir, { recursive: true, mode: 0o700 });
    const [p2p, http, authrpc] = await freePorts(PORTS_PER_NODE);
    const { enode } = await writeNodeKey(nodeDir, p2p);
    let address: string | undefined;
    if (role === "signer") {
      const key = newKey();
      await writeKeystore(nodeDir, key);
      address = key.address;
    }
    const node: NodeSpec = { name, role, address, enode, ports: { p2p, http, authrpc } };
    this.specValue = { ...this.spec, nodes: [...this.spec.nodes, node] };
    await writeSpec(this.dir, this.spec);
    for (const other of this.spec.nodes) {
      if (other.name !== name) await writeFile(path.join(this.dir, other.name, "config.toml"), gethConfigToml(this.spec, other));
    }
    await this.initNode(node);
    if (options.start) {
      await this.start(name);
      for (const other of await this.runningNames()) if (other !== name) await this.connect(other, name);
    }
    return node;
  }

  /** What each node's HTTP endpoint serves, for the operator's summary. */
  modules(name: string): string[] {
    return HTTP_MODULES[this.node(name).role];
  }

  /** The static peers written in the node's config. */
  staticPeers(name: string): string[] {
    return staticPeers(this.spec, this.node(name));
  }
}
