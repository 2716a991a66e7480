/**
 * `npm start`: runs all of Digital Home on one machine.
 *
 *  1. the chain: the embedded chain (Hardhat's simulated network as a JSON-RPC node on 127.0.0.1, one
 *     block a second), or with `--network local` the local geth network (4 Clique signers and an
 *     observer, network/README.md), created on the first start and resumed on every other;
 *  2. the contracts, deployed with demo parameters (minutes instead of days): deployments/localhost.json,
 *     or deployments/local.json once for the local network;
 *  3. the relayer and the custodial wallet, each from its own configuration (on the local network
 *     against the signers);
 *  4. the embedded query node indexing the subgraph and serving GraphQL (on the local network from the
 *     observer);
 *  5. the notifier sending its notices into a local mail capture that prints each e-mail, and the
 *     document store;
 *  6. the registrar (the buildings' registers) and the keeper (closes meetings, files their protocols);
 *  7. the demo (dev/seed.ts): two buildings imported from dev/demo/*.csv through the registrar, with joint
 *     owners and heirs, owners and organisations with custodial wallets, the agendas' notices, wordings and
 *     an attachment in the document store, a finished annual meeting with a representative's ballot and a
 *     paper decision that the keeper finalizes and files the protocol of, an open meeting an owner
 *     announced gas-free through custody and the relayer, and a poll (on the local network seeded once,
 *     on its first start);
 *  8. the web page.
 *
 * The embedded chain is a fresh demo every start (a new chain; the services' databases go to
 * data/demo/, replaced). The local network keeps everything in data/local/ (DH_LOCAL_DIR): the nodes'
 * chain, the services' databases and cursors, and the secrets generated on the first start
 * (dev/local-state.ts); Ctrl-C stops every process this started, the nodes too.
 *
 * Environment: DH_RPC_PORT (8545, embedded chain only), DH_WEB_PORT (8080), DH_GRAPHQL_PORT (8000),
 * DH_RELAYER_PORT (8547), DH_CUSTODY_PORT (8548), DH_NOTIFIER_PORT (8549), DH_REGISTRAR_PORT (8550),
 * DH_DOCUMENTS_PORT (8551), DH_KEEPER_PORT (8552), DH_MAIL_PORT (a free one), DH_BLOCK_TIME_MS (1000,
 * embedded chain only); a port in use is replaced by a free one. On the first start of the local
 * network, DH_MIN_NOTICE, DH_MIN_WINDOW and DH_MAX_WINDOW (seconds) and DH_MAX_OPEN_PER_INITIATOR set
 * the deployment's parameters (default 10 s, 60 s, 60 days and 3 open meetings per initiator and
 * building).
 */
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { JsonRpcProvider, Wallet } from "ethers";
import { startLocalChain, type LocalChain } from "../dev/chain.js";
import { deployDigitalHome } from "../dev/deploy.js";
import { LocalFolder, newSecrets, type LocalSecrets } from "../dev/local-state.js";
import { PROJECT_ROOT, contractSources, writeDeployment, type Deployment } from "#lib/deployment.js";
import { seedDemo, type SeedOptions, type SeedResult } from "../dev/seed.js";
import { DEMO_AUDIENCES, choosePort, startDemoDocuments, startDemoKeeper, startDemoRegistrar, waitForProtocol, type DemoDocuments, type DemoRegistrar } from "../dev/services.js";
import type { Keeper } from "../keeper/src/service.js";
import { operatorRecordPath } from "#lib/protocol/operator-record.js";
import { startWebServer, type WebServer } from "../web/src/server.js";
import { AppError, ConfigError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { loadConfig as loadRelayerConfig } from "../relayer/src/config.js";
import { startRelayer, type RunningRelayer } from "../relayer/src/service.js";
import { loadConfig as loadCustodyConfig } from "../custody/src/config.js";
import { startCustody, type RunningCustody } from "../custody/src/service.js";
import { QueryNode } from "../query-node/src/query-node.js";
import {
  loadConfig as loadNotifierConfig,
  startMailCapture,
  startNotifier,
  type MailCapture,
  type RunningNotifier,
} from "../notifier/src/index.js";
import { cliqueConfirmations } from "../network/finality.js";
import { NetworkError } from "../network/errors.js";
import { installGeth } from "../network/geth-install.js";
import { GethProvider } from "../network/geth-provider.js";
import { LocalNetwork, createNetwork } from "../network/local-network.js";
import { waitFor } from "../network/wait.js";

const DEMO_PARAMETERS = { minNotice: 120, minWindow: 300, maxWindow: 7 * 24 * 3600, maxOpenPerInitiator: 3 };
/** The local network runs on a real clock: a short notice and window, so the first start seeds the demo in about two minutes. */
const LOCAL_PARAMETERS = { minNotice: 10, minWindow: 60, maxWindow: 60 * 24 * 3600, maxOpenPerInitiator: 3 };
const SUBGRAPH_NAME = "digital-home";
// Hardhat's well-known development accounts (mnemonic "test test … junk"): #0 deploys and is the
// registrar's chain key, #1 is the keeper's, #2–#4 send the relayer's batches.
const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30faae0a1",
];

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    console.error(`${name}: got '${raw}', expected a port number 0–65535`);
    process.exit(2);
  }
  return Number(raw);
}

function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 10 * 365 * 24 * 3600) throw new ConfigError([`${name}: got '${raw}', expected a whole number of seconds`]);
  return Number(raw);
}

function envCount(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new ConfigError([`${name}: got '${raw}', expected a whole number 1–${max}`]);
  return Number(raw);
}

function chosenNetwork(): "embedded" | "local" {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { network: { type: "string" } }, strict: true, allowPositionals: false }));
  } catch (err) {
    console.error(`npm start: ${(err as Error).message}\nusage: npm start [-- --network local]`);
    process.exit(2);
  }
  const network = values.network ?? "embedded";
  if (network !== "embedded" && network !== "local") {
    console.error(`npm start: --network: got '${network}', expected local (the local geth network) or embedded (the default)`);
    process.exit(2);
  }
  return network;
}

/** Tries the preferred port, then a free one. */
async function onPort<T>(preferred: number, label: string, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(preferred);
  } catch (err) {
    if (preferred === 0 || !/EADDRINUSE|address already in use/i.test(String((err as Error).message) + String((err as { code?: string }).code))) throw err;
    step(`${label}: port ${preferred} is taken, using a free one`);
    return start(0);
  }
}

const started = Date.now();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);

/** The services the seed works through. */
type SeedServices = Pick<SeedOptions, "custodyUrl" | "relayerUrl" | "registrarUrl" | "registrarApiToken" | "documentsUrl" | "documentsToken">;

/** What the services run against: the chain, the contracts on it, and where their data and secrets are. */
interface Chain {
  /** For the banner. */
  description: string;
  /** The node the relayer sends to; custody's; the one the query node, the notifier and the public read. */
  relayerRpc: string;
  custodyRpc: string;
  publicRpc: string;
  chainId: number;
  dataDir: string;
  deployment: Deployment;
  deploymentFile: string;
  senderKeys: string[];
  /**
   * The services' keys and tokens (dev/local-state.ts names them): made afresh for the embedded demo,
   * kept in the folder on the local network. A service added to the start takes its own from here.
   */
  secrets: LocalSecrets;
  /** Blocks the relayer, the query node and the notifier wait before they treat a block as final. */
  confirmations: number;
  /** The demo as seeded before (the local network), or how to seed it now. */
  seeded?: SeedResult;
  seed(services: SeedServices): Promise<SeedResult>;
  /** The chain key of the registrar service (an account with REGISTRAR_ROLE) and the keeper's (funded: it sends finalize). */
  registrarKey: string;
  keeperKey: string;
  /** Lines for the banner about the chain itself. */
  bannerLines: string[];
  stop(): Promise<void>;
}

const mode = chosenNetwork();
let chain: Chain | undefined;
let embedded: LocalChain | undefined;
let localNetworkDir: string | undefined;
let relayer: RunningRelayer | undefined;
let custody: RunningCustody | undefined;
let queryNode: QueryNode | undefined;
let web: WebServer | undefined;
let mail: MailCapture | undefined;
let notifier: RunningNotifier | undefined;
let documents: DemoDocuments | undefined;
let registrar: DemoRegistrar | undefined;
let keeper: Keeper | undefined;
let bannerShown = false;
let stopping = false;

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping…");
  await web?.close().catch(() => undefined);
  await keeper?.stop().catch(() => undefined);
  await registrar?.running.stop().catch(() => undefined);
  await notifier?.stop().catch(() => undefined);
  await mail?.stop().catch(() => undefined);
  await documents?.running.stop().catch(() => undefined);
  await custody?.stop().catch(() => undefined);
  await relayer?.stop().catch(() => undefined);
  await queryNode?.close().catch(() => undefined);
  await embedded?.close().catch(() => undefined);
  if (localNetworkDir !== undefined && existsSync(path.join(localNetworkDir, "network.json"))) {
    // Read the folder again: a node may have been added to the network (a signer voted in) since it started.
    const network = await LocalNetwork.open(localNetworkDir).catch(() => undefined);
    const nodes = await network?.stopAll().catch((err: Error) => {
      console.error(`stopping the nodes failed: ${err.message}`);
      return [];
    });
    if (nodes?.length) console.log(`stopped the nodes ${nodes.join(", ")}.`);
  }
  console.log("stopped.");
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

async function embeddedChain(): Promise<Chain> {
  const dataDir = path.join(PROJECT_ROOT, "data", "demo");
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });

  const blockTimeMs = Number(process.env.DH_BLOCK_TIME_MS ?? 1000);
  if (!Number.isInteger(blockTimeMs) || blockTimeMs < 0 || blockTimeMs > 60_000) throw new ConfigError([`DH_BLOCK_TIME_MS: got '${process.env.DH_BLOCK_TIME_MS}', expected 0–60000`]);
  step(`starting the embedded chain (one block every ${blockTimeMs} ms)`);
  embedded = await onPort(envPort("DH_RPC_PORT", 8545), "chain", (port) => startLocalChain({ port, blockTimeMs }));
  const url = embedded.url;
  const provider = new JsonRpcProvider(url, undefined, { pollingInterval: 250, cacheTimeout: -1 });
  const deployer = new Wallet(DEV_KEYS[0], provider);

  step("deploying the forwarder, LegalRules, BuildingRegistry and MeetingHall with demo parameters");
  const deployment = await deployDigitalHome(deployer, { network: "localhost", parameters: DEMO_PARAMETERS });
  const deploymentFile = await writeDeployment(deployment);
  // every secret lasts this one start
  const secrets = newSecrets();
  return {
    description: "a fresh demo",
    relayerRpc: url,
    custodyRpc: url,
    publicRpc: url,
    chainId: deployment.chainId,
    dataDir,
    deployment,
    deploymentFile,
    senderKeys: DEV_KEYS.slice(2),
    secrets,
    confirmations: 0,
    seed: (services) =>
      seedDemo({ rpcUrl: url, deployment, registrar: deployer, registrarToken: secrets.registrarToken, ...services, progress: (m) => step(`  ${m}`) }),
    registrarKey: DEV_KEYS[0],
    keeperKey: DEV_KEYS[1],
    bannerLines: [`  JSON-RPC           ${url}   (chain id ${deployment.chainId})`],
    stop: async () => provider.destroy(),
  };
}

/**
 * The local geth network: made in the folder on the first start (the network tool's defaults: 4
 * signers, 1 observer; the deployer and the relayer's senders funded in the genesis, the management
 * organisation too), its nodes started (and stopped by Ctrl-C), and the contracts deployed once.
 */
async function localChain(): Promise<Chain> {
  const folder = await LocalFolder.open(path.resolve(PROJECT_ROOT, process.env.DH_LOCAL_DIR || path.join("data", "local")));
  await folder.lock();
  localNetworkDir = folder.networkDir;
  if (folder.state.seed?.status === "started") {
    throw new AppError(
      "seed_interrupted",
      `the demo seed of the first start in ${folder.dir} was interrupted, so its chain holds half a demo: remove ${folder.dir} to start over (the record ${localRecordFile(folder.dir)} is rewritten then)`,
    );
  }
  const secrets = await folder.secrets();
  const keeperAddress = new Wallet(secrets.keeperKey).address;
  const geth = await installGeth({ log: (m) => step(`  ${m}`) });
  if (geth.built) step(`built geth ${geth.version} in ${geth.seconds.toFixed(0)} s`);

  let network: LocalNetwork;
  if (!folder.state.networkCreated) {
    if (folder.deployment) throw new AppError("local_state_invalid", `${folder.dir}/state.json records a deployment but no network: remove ${folder.dir} to start over`);
    // A network folder left by a first start that stopped while making it holds no chain yet.
    await rm(folder.networkDir, { recursive: true, force: true });
    step(`creating the local network in ${folder.networkDir} (4 signers, 1 observer, one block a second)`);
    network = await createNetwork(folder.networkDir, { fund: [keeperAddress] });
    await folder.update({ networkCreated: true });
  } else {
    network = await LocalNetwork.open(folder.networkDir);
  }
  const resumed = folder.deployment !== undefined;
  step(resumed ? "starting the nodes of the local network (the chain resumes where it stopped)" : "starting the nodes of the local network");
  await network.startAll({ progress: (m) => step(`  ${m}`) });

  const signers = network.nodes("signer").map((n) => n.name);
  const [relayerNode, custodyNode] = [signers[0]!, signers[1] ?? signers[0]!];
  const observer = network.nodes("observer")[0]?.name ?? relayerNode;
  const signerCount = (await network.signers(relayerNode)).length;
  const confirmations = cliqueConfirmations(signerCount);
  const accounts = await network.accounts();
  const chainId = network.spec.chainId;
  const provider = new GethProvider(network.url(relayerNode), chainId, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  const deployer = new Wallet(accounts.deployer.privateKey, provider);

  let deployment = folder.deployment;
  if (deployment === undefined) {
    const parameters = {
      minNotice: envSeconds("DH_MIN_NOTICE", LOCAL_PARAMETERS.minNotice),
      minWindow: envSeconds("DH_MIN_WINDOW", LOCAL_PARAMETERS.minWindow),
      maxWindow: envSeconds("DH_MAX_WINDOW", LOCAL_PARAMETERS.maxWindow),
      maxOpenPerInitiator: envCount("DH_MAX_OPEN_PER_INITIATOR", LOCAL_PARAMETERS.maxOpenPerInitiator, 65_535),
    };
    step(`deploying the forwarder, LegalRules, BuildingRegistry and MeetingHall (notice ${parameters.minNotice} s, windows of ${parameters.minWindow} s to ${parameters.maxWindow} s)`);
    deployment = await finalDeployment(provider, await deployDigitalHome(deployer, { network: "local", parameters }), confirmations);
    await folder.update({ deployment });
  } else {
    step(`the contracts are deployed since block ${deployment.startBlock}: MeetingHall ${deployment.contracts.MeetingHall.address}`);
  }
  const deploymentFile = await writeDeployment(deployment, localRecordFile(folder.dir));
  const head = await provider.getBlockNumber();
  const final = deployment;
  return {
    description: resumed ? `resumed at block ${head} of the local network` : "a new local network",
    relayerRpc: network.url(relayerNode),
    custodyRpc: network.url(custodyNode),
    publicRpc: network.url(observer),
    chainId,
    dataDir: folder.dir,
    deployment,
    deploymentFile,
    senderKeys: accounts.senders.map((k) => k.privateKey),
    secrets,
    confirmations,
    seeded: folder.seed,
    registrarKey: accounts.deployer.privateKey,
    keeperKey: secrets.keeperKey,
    seed: async (services) => {
      await folder.seedStarted();
      const result = await seedDemo({
        rpcUrl: network.url(relayerNode),
        deployment: final,
        registrar: deployer,
        registrarToken: secrets.registrarToken,
        ...services,
        clock: "wait",
        progress: (m) => step(`  ${m}`),
      });
      await folder.seedDone(result);
      return result;
    },
    bannerLines: [
      `  JSON-RPC           ${network.url(observer)}   (${observer}, public; chain id ${chainId})`,
      `  Signers            ${signers.map((s) => `${s} ${network.url(s)}`).join(", ")}`,
      `                     (the relayer sends to ${relayerNode}, custody checks ${custodyNode}; ${signerCount} Clique signers)`,
      `  Confirmations      ${confirmations} blocks before the relayer, the index and the notifier take a block as final (⌊${signerCount}/2⌋+2)`,
      `  Data               ${folder.dir}   (kept: 'npm start -- --network local' resumes it)`,
    ],
    stop: async () => provider.destroy(),
  };
}

/** The record of the local network: deployments/local.json, or beside the data when DH_LOCAL_DIR moves it, so a second system never overwrites the first's. */
function localRecordFile(dir: string): string {
  return process.env.DH_LOCAL_DIR ? path.join(dir, "deployments", "local.json") : path.join(PROJECT_ROOT, "deployments", "local.json");
}

/**
 * The deployment as the chain holds it once its transactions are final: a reorganization may have
 * moved them into later blocks (the same transactions, sealed again), and the indexers start from
 * the recorded blocks.
 */
async function finalDeployment(provider: JsonRpcProvider, deployment: Deployment, confirmations: number): Promise<Deployment> {
  const records = Object.values(deployment.contracts);
  const last = Math.max(...records.map((r) => r.deploymentBlock));
  await waitFor(`block ${last + confirmations - 1}`, async () => (await provider.getBlockNumber()) >= last + confirmations - 1, { timeoutMs: 120_000, intervalMs: 250 });
  const final = async <R extends { transactionHash: string; deploymentBlock: number }>(record: R): Promise<R> => {
    const receipt = await provider.getTransactionReceipt(record.transactionHash);
    if (!receipt || receipt.status !== 1) throw new AppError("deployment_failed", `deployment transaction ${record.transactionHash} is not on the chain`);
    return { ...record, deploymentBlock: receipt.blockNumber };
  };
  const contracts = {
    BuildingRegistry: await final(deployment.contracts.BuildingRegistry),
    MeetingHall: await final(deployment.contracts.MeetingHall),
    LegalRules: await final(deployment.contracts.LegalRules),
    Forwarder: await final(deployment.contracts.Forwarder),
  };
  return { ...deployment, startBlock: Math.min(...Object.values(contracts).map((r) => r.deploymentBlock)), contracts };
}

/**
 * Opens the query node's index. On the local network the index is kept; if the subgraph has changed
 * since it was made (another build), it is a cache of the chain: it is set aside and made again.
 */
async function openQueryNode(c: Chain, port: number): Promise<QueryNode> {
  const databaseFile = path.join(c.dataDir, "subgraph.sqlite");
  const options = {
    buildDir: path.join(PROJECT_ROOT, "subgraph", "build"),
    databaseFile,
    name: SUBGRAPH_NAME,
    rpcUrl: c.publicRpc,
    overrides: contractSources(c.deployment),
    port,
    confirmations: c.confirmations,
    pollIntervalMs: 250,
  };
  try {
    return await QueryNode.open(options);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== "database_mismatch") throw err;
    const aside = `${databaseFile}.${new Date().toISOString().replace(/[:.]/g, "-")}.old`;
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(databaseFile + suffix)) await rename(databaseFile + suffix, aside + suffix);
    step(`  the subgraph changed since the index was made: indexing again from the chain (the old index is ${aside})`);
    return QueryNode.open(options);
  }
}

try {
  chain = mode === "local" ? await localChain() : await embeddedChain();
  const c = chain;
  const logLevel = process.env.LOG_LEVEL ?? "warn";

  step("starting the relayer and the custodial wallet");
  // Two services, two configurations: the relayer's sender keys are never in custody's, nor residents' keys in the relayer's.
  const relayerConfig = loadRelayerConfig({
    RPC_URL: c.relayerRpc,
    DEPLOYMENT: c.deploymentFile,
    LOG_LEVEL: logLevel,
    RELAYER_PORT: String(envPort("DH_RELAYER_PORT", 8547)),
    RELAYER_DB_PATH: path.join(c.dataDir, "relayer.sqlite"),
    RELAYER_SENDER_KEYS: c.senderKeys.join(","),
    RELAYER_CLIENT_TOKENS: c.secrets.custodyClientToken,
    RELAYER_METRICS_TOKEN: c.secrets.metricsToken,
    // A batch stays in flight until it has its confirmations: on the local network a sender keeps
    // room for the batches of every block they wait for, or it sends one batch a block and the rest
    // wait behind the confirmations.
    ...(c.confirmations > 0 ? { RELAYER_CONFIRMATIONS: String(c.confirmations), RELAYER_MAX_INFLIGHT_PER_SENDER: String(4 * (c.confirmations + 1)) } : {}),
  });
  relayer = await startRelayer(relayerConfig, { deployment: c.deployment, logger: createLogger(relayerConfig.logLevel, { service: "relayer" }) });
  const custodyConfig = loadCustodyConfig({
    RPC_URL: c.custodyRpc,
    DEPLOYMENT: c.deploymentFile,
    LOG_LEVEL: logLevel,
    CUSTODY_PORT: String(envPort("DH_CUSTODY_PORT", 8548)),
    CUSTODY_DB_PATH: path.join(c.dataDir, "custody.sqlite"),
    CUSTODY_MASTER_KEY: c.secrets.custodyMasterKey,
    CUSTODY_REGISTRAR_TOKEN: c.secrets.registrarToken,
    // a demo on loopback only: custody refuses to reveal codes anywhere else
    CUSTODY_REVEAL_OTP: "true",
    CUSTODY_RELAYER_URL: relayer.url,
    CUSTODY_RELAYER_TOKEN: c.secrets.custodyClientToken,
    // the web server, on this machine, names each browser in X-Forwarded-For
    CUSTODY_TRUSTED_PROXIES: "127.0.0.1",
    // the seed onboards and logs in dozens of residents at once
    CUSTODY_RATE_LIMIT_PER_MINUTE: "100000",
    // residents' tokens for the registrar (a meeting's not-voted list) and the document store (uploads)
    CUSTODY_DEMO_AUDIENCES: DEMO_AUDIENCES,
  });
  custody = await startCustody(custodyConfig, { deployment: c.deployment, logger: createLogger(custodyConfig.logLevel, { service: "custody" }) });

  queryNode = await openQueryNode(c, envPort("DH_GRAPHQL_PORT", 8000));
  const cursor = queryNode.store.cursor();
  step(cursor ? `starting the query node (its index resumes after block ${cursor.number})` : "starting the query node (indexing the subgraph)");
  const graphqlServer = await queryNode.start();
  const graphqlUrl = `${graphqlServer.url}/subgraphs/name/${SUBGRAPH_NAME}`;

  step("starting the notifier (e-mail goes to a local capture)");
  const held: string[] = [];
  mail = await startMailCapture({
    httpPort: envPort("DH_MAIL_PORT", 0),
    onMessage: (m) => {
      const line = `✉  ${m.to.join(", ")} — ${m.subject}`;
      if (bannerShown) console.log(line);
      else held.push(line);
    },
  });
  // the notices link to the web page, which starts last (it forwards to every other service), and
  // read the wordings from the document store, which starts after the registrar it asks
  const webPort = await choosePort(envPort("DH_WEB_PORT", 8080));
  const documentsPort = await choosePort(envPort("DH_DOCUMENTS_PORT", 8551));
  const custodyUrl = custody.url;
  const smtpPort = mail.port;
  notifier = await onPort(envPort("DH_NOTIFIER_PORT", 8549), "notifier", (port) => startNotifier(
    loadNotifierConfig({
      RPC_URL: c.publicRpc,
      DEPLOYMENT: c.deploymentFile,
      LOG_LEVEL: logLevel,
      NOTIFIER_PORT: String(port),
      NOTIFIER_DB_PATH: path.join(c.dataDir, "notifier.sqlite"),
      NOTIFIER_REGISTRAR_TOKEN: c.secrets.registrarToken,
      NOTIFIER_JWKS_URL: `${custodyUrl}/.well-known/jwks.json`,
      NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      NOTIFIER_DOCUMENTS_URL: `http://127.0.0.1:${documentsPort}`,
      NOTIFIER_VOTE_URL: `http://127.0.0.1:${webPort}`,
      NOTIFIER_REMINDER_BEFORE_SECONDS: "120",
      NOTIFIER_CONFIRMATIONS: String(c.confirmations),
    }),
    { deployment: c.deployment },
  ));

  step("starting the registrar, the document store and the keeper");
  // the registrar writes the chain through the relayer's node; the store reads owners where the public reads
  const writer = { rpcUrl: c.relayerRpc, deploymentFile: c.deploymentFile, dataDir: c.dataDir, logLevel, confirmations: c.confirmations };
  const reader = { ...writer, rpcUrl: c.publicRpc };
  registrar = await onPort(envPort("DH_REGISTRAR_PORT", 8550), "registrar", (port) =>
    startDemoRegistrar(writer, { port, chainKey: c.registrarKey, custodyUrl, custodyToken: c.secrets.registrarToken, notifierUrl: notifier!.url, notifierToken: c.secrets.registrarToken }),
  );
  const registrarUrl = registrar.running.url;
  // the registrar's operator signs in to the import screen with it
  const registrarTokenFile = path.join(c.dataDir, "registrar-api-token");
  await writeFile(registrarTokenFile, `${registrar.apiToken}\n`, { mode: 0o600 });
  documents = await startDemoDocuments(reader, { port: documentsPort, custodyUrl, registrarUrl, registrarToken: registrar.apiToken });
  keeper = await onPort(envPort("DH_KEEPER_PORT", 8552), "keeper", (port) =>
    startDemoKeeper(writer, { port, chainKey: c.keeperKey, registrarUrl, registrarToken: registrar!.apiToken, documentsUrl: documents!.running.url, documentsToken: documents!.tokens.keeper }),
  );

  let seed: SeedResult;
  if (c.seeded) {
    seed = c.seeded;
    step(`the demo was seeded on the first start: meetings №${seed.meetings.finished}, №${seed.meetings.open} and poll №${seed.meetings.poll}`);
  } else {
    step("seeding the demo: buildings imported through the registrar, a finished meeting, an open meeting announced gas-free and a poll");
    seed = await c.seed({
      custodyUrl: custody.url,
      relayerUrl: relayer.url,
      registrarUrl,
      registrarApiToken: registrar.apiToken,
      documentsUrl: documents.running.url,
      documentsToken: documents.tokens.seed,
    });
  }
  step("waiting for the keeper to file the finished meeting's protocol");
  const protocol = await waitForProtocol(keeper.url, seed.meetings.finished, c.confirmations > 0 ? 300_000 : 120_000);
  step("waiting for the query node to index up to the chain head");
  const provider = new JsonRpcProvider(c.publicRpc, c.chainId, { staticNetwork: true, cacheTimeout: -1 });
  const head = (await provider.getBlockNumber()) - c.confirmations;
  provider.destroy();
  for (let i = 0; ; i++) {
    const response = await fetch(graphqlUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ _meta { block { number } } }" }) });
    const body = (await response.json().catch(() => null)) as { data?: { _meta: { block: { number: number } } } } | null;
    if ((body?.data?._meta.block.number ?? -1) >= head) break;
    if (i >= 1200) throw new AppError("start_failed", `the query node did not reach block ${head} within two minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }

  step("starting the web page");
  web = await startWebServer({
    port: webPort,
    graphqlUrl,
    custodyUrl: custody.url,
    relayerUrl: relayer.url,
    registrarUrl,
    documentsUrl: documents.running.url,
    keeperUrl: keeper.url,
    notifierUrl: notifier.url,
    parameters: c.deployment.parameters,
    // the operator's keys, from the record the keeper writes beside the deployment record
    operatorRecordFile: operatorRecordPath(c.deploymentFile),
  });
  await c.stop();

  console.log(`
Digital Home is running (${c.description}).
  Web page           ${web.url}
  GraphQL            ${graphqlUrl}
  Relayer API        ${relayer.url}/v1   (OpenAPI: ${relayer.url}/v1/openapi.json)
  Custodial wallet   ${custody.url}/v1
  Notifier           ${notifier.url}/v1   (captured e-mail: ${mail.httpUrl}/)
${c.bannerLines.join("\n")}
  Registrar          ${registrarUrl}/v1   (its API token: ${registrarTokenFile})
  Document store     ${documents.running.url}/v1
  Keeper             ${keeper.url}/v1   (protocol of meeting №${seed.meetings.finished}: ${documents.running.url}/v1/documents/${protocol.pdf?.id})
  Deployment record  ${c.deploymentFile}
Demo logins (one-time codes are shown on the login page):
${seed.logins.map((l) => `  ${l.residentId.padEnd(18)} ${l.role}`).join("\n")}
Meetings: finished №${seed.meetings.finished}, open №${seed.meetings.open}, poll №${seed.meetings.poll}.
Press Ctrl-C to stop.`);
  bannerShown = true;
  for (const line of held.slice(0, 5)) console.log(line);
  if (held.length > 5) console.log(`✉  … and ${held.length - 5} more notices so far: ${mail.httpUrl}/`);
} catch (err) {
  // the project's own errors say what is wrong; anything else is a fault, with its stack
  const known = err instanceof AppError || err instanceof NetworkError;
  console.error(`start failed: ${known ? (err as Error).message : ((err as Error).stack ?? err)}`);
  await stop(1);
}
