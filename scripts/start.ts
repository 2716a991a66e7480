/**
 * `npm start`: runs all of Digital Home on one machine.
 *
 *  1. the embedded chain: Hardhat's simulated network as a JSON-RPC node on 127.0.0.1, one block a second;
 *  2. the contracts, deployed with demo parameters (minutes instead of days): deployments/localhost.json;
 *  3. the relayer and the custodial wallet, each from its own configuration;
 *  4. the embedded query node indexing the subgraph and serving GraphQL;
 *  5. the document store, and the notifier sending its notices into a local mail capture that prints each e-mail;
 *  6. the registrar (the buildings' registers) and the keeper (closes meetings, files their protocols);
 *  7. the demo (dev/seed.ts): two buildings imported from dev/demo/*.csv through the registrar, with joint
 *     owners and heirs, owners and organisations with custodial wallets, the agendas' notices, wordings and
 *     an attachment in the document store, a finished annual meeting with a representative's ballot and a
 *     paper decision that the keeper finalizes and files the protocol of, an open meeting an owner
 *     announced gas-free through custody and the relayer, and a poll;
 *  8. the web page.
 *
 * Every start is a fresh demo (a new chain; the services' databases go to data/demo/, replaced).
 * Environment: DH_RPC_PORT (8545), DH_WEB_PORT (8080), DH_GRAPHQL_PORT (8000), DH_RELAYER_PORT (8547),
 * DH_CUSTODY_PORT (8548), DH_NOTIFIER_PORT (8549), DH_REGISTRAR_PORT (8550), DH_DOCUMENTS_PORT (8551),
 * DH_KEEPER_PORT (8552), DH_MAIL_PORT (a free one), DH_BLOCK_TIME_MS (1000); a port in use is replaced by
 * a free one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { startLocalChain, type LocalChain } from "../dev/chain.js";
import { deployDigitalHome } from "../dev/deploy.js";
import { PROJECT_ROOT, contractSources, writeDeployment } from "#lib/deployment.js";
import { seedDemo, writeAgendaTexts } from "../dev/seed.js";
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

const DEMO_PARAMETERS = { minNotice: 120, minWindow: 300, maxWindow: 7 * 24 * 3600, maxOpenPerInitiator: 3 };
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

let chain: LocalChain | undefined;
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
  await chain?.close().catch(() => undefined);
  console.log("stopped.");
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

try {
  const dataDir = path.join(PROJECT_ROOT, "data", "demo");
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });

  const blockTimeMs = Number(process.env.DH_BLOCK_TIME_MS ?? 1000);
  if (!Number.isInteger(blockTimeMs) || blockTimeMs < 0 || blockTimeMs > 60_000) throw new ConfigError([`DH_BLOCK_TIME_MS: got '${process.env.DH_BLOCK_TIME_MS}', expected 0–60000`]);
  step(`starting the embedded chain (one block every ${blockTimeMs} ms)`);
  chain = await onPort(envPort("DH_RPC_PORT", 8545), "chain", (port) => startLocalChain({ port, blockTimeMs }));
  const provider = new JsonRpcProvider(chain.url, undefined, { pollingInterval: 250, cacheTimeout: -1 });
  const deployer = new Wallet(DEV_KEYS[0], provider);

  step("deploying the forwarder, LegalRules, BuildingRegistry and MeetingHall with demo parameters");
  const deployment = await deployDigitalHome(deployer, { network: "localhost", parameters: DEMO_PARAMETERS });
  const deploymentFile = await writeDeployment(deployment);

  step("starting the relayer and the custodial wallet");
  const registrarToken = randomBytes(24).toString("hex");
  // custody's credential at the relayer, so residents' ballots are not limited as one anonymous client's
  const custodyClientToken = randomBytes(24).toString("hex");
  const logLevel = process.env.LOG_LEVEL ?? "warn";
  // Two services, two configurations: the relayer's sender keys are never in custody's, nor residents' keys in the relayer's.
  const relayerConfig = loadRelayerConfig({
    RPC_URL: chain.url,
    DEPLOYMENT: deploymentFile,
    LOG_LEVEL: logLevel,
    RELAYER_PORT: String(envPort("DH_RELAYER_PORT", 8547)),
    RELAYER_DB_PATH: path.join(dataDir, "relayer.sqlite"),
    RELAYER_SENDER_KEYS: DEV_KEYS.slice(2).join(","),
    RELAYER_CLIENT_TOKENS: custodyClientToken,
    RELAYER_METRICS_TOKEN: randomBytes(24).toString("hex"),
  });
  relayer = await startRelayer(relayerConfig, { deployment, logger: createLogger(relayerConfig.logLevel, { service: "relayer" }) });
  const custodyConfig = loadCustodyConfig({
    RPC_URL: chain.url,
    DEPLOYMENT: deploymentFile,
    LOG_LEVEL: logLevel,
    CUSTODY_PORT: String(envPort("DH_CUSTODY_PORT", 8548)),
    CUSTODY_DB_PATH: path.join(dataDir, "custody.sqlite"),
    CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
    CUSTODY_REGISTRAR_TOKEN: registrarToken,
    // a demo on loopback only: custody refuses to reveal codes anywhere else
    CUSTODY_REVEAL_OTP: "true",
    CUSTODY_RELAYER_URL: relayer.url,
    CUSTODY_RELAYER_TOKEN: custodyClientToken,
    // the web server, on this machine, names each browser in X-Forwarded-For
    CUSTODY_TRUSTED_PROXIES: "127.0.0.1",
    // the seed onboards and logs in dozens of residents at once
    CUSTODY_RATE_LIMIT_PER_MINUTE: "100000",
    // residents' tokens for the registrar (a meeting's not-voted list) and the document store (uploads)
    CUSTODY_DEMO_AUDIENCES: DEMO_AUDIENCES,
  });
  custody = await startCustody(custodyConfig, { deployment, logger: createLogger(custodyConfig.logLevel, { service: "custody" }) });

  step("starting the query node (indexing the subgraph)");
  queryNode = await QueryNode.open({
    buildDir: path.join(PROJECT_ROOT, "subgraph", "build"),
    databaseFile: path.join(dataDir, "subgraph.sqlite"),
    name: SUBGRAPH_NAME,
    rpcUrl: chain.url,
    overrides: contractSources(deployment),
    port: envPort("DH_GRAPHQL_PORT", 8000),
    confirmations: 0,
    pollIntervalMs: 250,
  });
  const graphqlServer = await queryNode.start();
  const graphqlUrl = `${graphqlServer.url}/subgraphs/name/${SUBGRAPH_NAME}`;

  const textsFile = path.join(dataDir, "agenda-texts.json");
  await writeAgendaTexts(textsFile);
  const access = { rpcUrl: chain.url, deploymentFile, dataDir, logLevel };
  step("starting the document store");
  documents = await onPort(envPort("DH_DOCUMENTS_PORT", 8551), "document store", (port) => startDemoDocuments(access, { port, custodyUrl: custody!.url }));

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
  // the notices link to the web page, which starts last (it forwards to every other service)
  const webPort = await choosePort(envPort("DH_WEB_PORT", 8080));
  const rpcUrl = chain.url;
  const custodyUrl = custody.url;
  const smtpPort = mail.port;
  notifier = await onPort(envPort("DH_NOTIFIER_PORT", 8549), "notifier", (port) => startNotifier(
    loadNotifierConfig({
      RPC_URL: rpcUrl,
      DEPLOYMENT: deploymentFile,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      NOTIFIER_PORT: String(port),
      NOTIFIER_DB_PATH: path.join(dataDir, "notifier.sqlite"),
      NOTIFIER_REGISTRAR_TOKEN: registrarToken,
      NOTIFIER_JWKS_URL: `${custodyUrl}/.well-known/jwks.json`,
      NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      NOTIFIER_TEXTS_FILE: textsFile,
      NOTIFIER_VOTE_URL: `http://127.0.0.1:${webPort}`,
      NOTIFIER_REMINDER_BEFORE_SECONDS: "120",
    }),
    { deployment },
  ));

  step("starting the registrar and the keeper");
  registrar = await onPort(envPort("DH_REGISTRAR_PORT", 8550), "registrar", (port) =>
    startDemoRegistrar(access, { port, chainKey: DEV_KEYS[0]!, custodyUrl, custodyToken: registrarToken, notifierUrl: notifier!.url, notifierToken: registrarToken }),
  );
  const registrarUrl = registrar.running.url;
  // the registrar's operator signs in to the import screen with it
  const registrarTokenFile = path.join(dataDir, "registrar-api-token");
  await writeFile(registrarTokenFile, `${registrar.apiToken}\n`, { mode: 0o600 });
  keeper = await onPort(envPort("DH_KEEPER_PORT", 8552), "keeper", (port) =>
    startDemoKeeper(access, { port, chainKey: DEV_KEYS[1]!, registrarUrl, registrarToken: registrar!.apiToken, documentsUrl: documents!.running.url, documentsToken: documents!.tokens.keeper }),
  );

  step("seeding the demo: buildings imported through the registrar, a finished meeting, an open meeting announced gas-free and a poll");
  const seed = await seedDemo({
    rpcUrl: chain.url,
    deployment,
    registrar: deployer,
    custodyUrl: custody.url,
    registrarToken,
    relayerUrl: relayer.url,
    registrarUrl,
    registrarApiToken: registrar.apiToken,
    documentsUrl: documents.running.url,
    documentsToken: documents.tokens.seed,
    textsFile,
    progress: (m) => step(`  ${m}`),
  });
  step("waiting for the keeper to file the finished meeting's protocol");
  const protocol = await waitForProtocol(keeper.url, seed.meetings.finished);
  step("waiting for the query node to index up to the chain head");
  const head = await provider.getBlockNumber();
  for (let i = 0; ; i++) {
    const response = await fetch(graphqlUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ _meta { block { number } } }" }) });
    const body = (await response.json().catch(() => null)) as { data?: { _meta: { block: { number: number } } } } | null;
    if ((body?.data?._meta.block.number ?? -1) >= head) break;
    if (i >= 600) throw new AppError("start_failed", `the query node did not reach block ${head} within a minute`);
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
    parameters: deployment.parameters,
    textsFile,
    // the operator's keys, from the record the keeper writes beside the deployment record
    operatorRecordFile: operatorRecordPath(deploymentFile),
  });
  provider.destroy();

  console.log(`
Digital Home is running (a fresh demo).
  Web page           ${web.url}
  GraphQL            ${graphqlUrl}
  Relayer API        ${relayer.url}/v1   (OpenAPI: ${relayer.url}/v1/openapi.json)
  Custodial wallet   ${custody.url}/v1
  Notifier           ${notifier.url}/v1   (captured e-mail: ${mail.httpUrl}/)
  Registrar          ${registrarUrl}/v1   (its API token: ${registrarTokenFile})
  Document store     ${documents.running.url}/v1
  Keeper             ${keeper.url}/v1   (protocol of meeting №${seed.meetings.finished}: ${documents.running.url}/v1/documents/${protocol.pdf?.id})
  JSON-RPC           ${chain.url}   (chain id ${deployment.chainId})
  Deployment record  ${deploymentFile}
Demo logins (one-time codes are shown on the login page):
${seed.logins.map((l) => `  ${l.residentId.padEnd(18)} ${l.role}`).join("\n")}
Meetings: finished №${seed.meetings.finished}, open №${seed.meetings.open}, poll №${seed.meetings.poll}.
Press Ctrl-C to stop.`);
  bannerShown = true;
  for (const line of held.slice(0, 5)) console.log(line);
  if (held.length > 5) console.log(`✉  … and ${held.length - 5} more notices so far: ${mail.httpUrl}/`);
} catch (err) {
  console.error(`start failed: ${(err as Error).stack ?? err}`);
  await stop(1);
}
