/**
 * The whole system for the page's end-to-end tests, every piece the real one from its own
 * configuration, in this process: an embedded chain with the voting core deployed with parameters
 * of seconds (so that a meeting's notice and window pass within a test), the relayer, custody (demo
 * login with one-time codes shown, tokens for the document store and the registrar), the query node,
 * a mail capture and the notifier, the registrar (which imports registers and onboards their people
 * in custody and the notifier), the document store (its restricted documents' readers checked with
 * the registrar and the chain), the keeper (which finalizes each meeting after
 * its window and files its signed protocol) and the web server in front of them. Every
 * server on 127.0.0.1 on a free port, all in a temporary folder removed on close.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider, NonceManager, Wallet, parseEther } from "ethers";
import { PROJECT_ROOT, contractSources, writeDeployment, type Deployment, type Parameters } from "#lib/deployment.js";
import { createLogger } from "#lib/log.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { deployDigitalHome } from "../../dev/deploy.js";
import { loadConfig as loadRelayerConfig } from "../../relayer/src/config.js";
import { startRelayer, type RunningRelayer } from "../../relayer/src/service.js";
import { loadConfig as loadCustodyConfig } from "../../custody/src/config.js";
import { startCustody, type RunningCustody } from "../../custody/src/service.js";
import { QueryNode } from "../../query-node/src/query-node.js";
import { loadConfig as loadDocumentsConfig } from "../../documents/src/config.js";
import { startDocuments, type RunningDocuments } from "../../documents/src/service.js";
import { loadConfig as loadNotifierConfig, startMailCapture, startNotifier, type MailCapture, type RunningNotifier } from "../../notifier/src/index.js";
import { loadConfig as loadRegistrarConfig } from "../../registrar/src/config.js";
import { startRegistrar, type RunningRegistrar } from "../../registrar/src/service.js";
import { startWebServer, type WebServer } from "../../web/src/server.js";
import type { Keeper } from "../../keeper/src/service.js";
import { operatorRecordPath } from "#lib/protocol/operator-record.js";
import { choosePort, startDemoKeeper } from "../../dev/services.js";

/** Seconds, not days: a meeting announced now opens within two minutes and may close a minute later. */
export const E2E_PARAMETERS: Parameters = { minNotice: 20, minWindow: 60, maxWindow: 7 * 24 * 3600, maxOpenPerInitiator: 1 };
const SUBGRAPH_NAME = "digital-home";

export interface Stack {
  dir: string;
  chain: LocalChain;
  provider: JsonRpcProvider;
  deployment: Deployment;
  deploymentFile: string;
  relayer: RunningRelayer;
  custody: RunningCustody;
  graphqlUrl: string;
  documents: RunningDocuments;
  mail: MailCapture;
  notifier: RunningNotifier;
  registrar: RunningRegistrar;
  registrarToken: string;
  keeper: Keeper;
  web: WebServer;
  /** Waits until the query node has indexed the chain's head. */
  indexed(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(options: { parameters?: Parameters; blockTimeMs?: number } = {}): Promise<Stack> {
  const dir = mkdtempSync(path.join(tmpdir(), "dh-e2e-"));
  const silent = createLogger("silent");
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const chain = await startLocalChain({ port: 0, blockTimeMs: options.blockTimeMs ?? 1000 });
    closers.push(() => chain.close());
    const provider = new JsonRpcProvider(chain.url, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    closers.push(async () => provider.destroy());
    const operator = new NonceManager(await provider.getSigner(0));
    const registrarWallet = new Wallet(Wallet.createRandom().privateKey, provider);
    await (await operator.sendTransaction({ to: registrarWallet.address, value: parseEther("100") })).wait();
    const deployment = await deployDigitalHome(operator, { network: "e2e", registrar: registrarWallet.address, parameters: options.parameters ?? E2E_PARAMETERS });
    const deploymentFile = await writeDeployment(deployment, path.join(dir, "deployment.json"));
    const relayerKeys = [Wallet.createRandom(), Wallet.createRandom()];
    const keeperKey = Wallet.createRandom();
    for (const k of [...relayerKeys, keeperKey]) await (await operator.sendTransaction({ to: k.address, value: parseEther("100") })).wait();

    const custodyClientToken = randomBytes(24).toString("hex");
    const custodyRegistrarToken = randomBytes(24).toString("hex");
    const notifierRegistrarToken = randomBytes(24).toString("hex");
    const registrarToken = randomBytes(24).toString("hex");
    const keeperDocumentsToken = randomBytes(24).toString("hex");
    const notifierDocumentsToken = randomBytes(24).toString("hex");

    const relayer = await startRelayer(
      loadRelayerConfig({
        RPC_URL: chain.url,
        DEPLOYMENT: deploymentFile,
        LOG_LEVEL: "silent",
        RELAYER_PORT: "0",
        RELAYER_DB_PATH: path.join(dir, "relayer.sqlite"),
        RELAYER_SENDER_KEYS: relayerKeys.map((k) => k.privateKey).join(","),
        RELAYER_CLIENT_TOKENS: custodyClientToken,
      }),
      { deployment, logger: silent },
    );
    closers.push(() => relayer.stop());
    const custody = await startCustody(
      loadCustodyConfig({
        RPC_URL: chain.url,
        DEPLOYMENT: deploymentFile,
        LOG_LEVEL: "silent",
        CUSTODY_PORT: "0",
        CUSTODY_DB_PATH: path.join(dir, "custody.sqlite"),
        CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
        CUSTODY_REGISTRAR_TOKEN: custodyRegistrarToken,
        CUSTODY_REVEAL_OTP: "true",
        CUSTODY_RELAYER_URL: relayer.url,
        CUSTODY_RELAYER_TOKEN: custodyClientToken,
        CUSTODY_TRUSTED_PROXIES: "127.0.0.1",
        CUSTODY_DEMO_AUDIENCES: "digital-home-notifier,digital-home-registrar,digital-home-documents",
        CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
        CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "0",
      }),
      { deployment, logger: silent },
    );
    closers.push(() => custody.stop());

    const queryNode = await QueryNode.open({
      buildDir: path.join(PROJECT_ROOT, "subgraph", "build"),
      databaseFile: path.join(dir, "subgraph.sqlite"),
      name: SUBGRAPH_NAME,
      rpcUrl: chain.url,
      overrides: contractSources(deployment),
      port: 0,
      confirmations: 0,
      pollIntervalMs: 250,
    });
    closers.push(() => queryNode.close());
    const graphqlServer = await queryNode.start();
    const graphqlUrl = `${graphqlServer.url}/subgraphs/name/${SUBGRAPH_NAME}`;

    // the notifier reads the wordings from the document store, which starts after the registrar it asks
    const documentsPort = await choosePort(0);
    const mail = await startMailCapture({ httpPort: 0 });
    closers.push(() => mail.stop());
    const notifier = await startNotifier(
      loadNotifierConfig({
        RPC_URL: chain.url,
        DEPLOYMENT: deploymentFile,
        LOG_LEVEL: "silent",
        NOTIFIER_PORT: "0",
        NOTIFIER_DB_PATH: path.join(dir, "notifier.sqlite"),
        NOTIFIER_REGISTRAR_TOKEN: notifierRegistrarToken,
        NOTIFIER_JWKS_URL: `${custody.url}/.well-known/jwks.json`,
        NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
        NOTIFIER_DOCUMENTS_URL: `http://127.0.0.1:${documentsPort}`,
        NOTIFIER_POLL_INTERVAL_MS: "250",
      }),
      { deployment, logger: silent },
    );
    closers.push(() => notifier.stop());

    const registrar = await startRegistrar(
      loadRegistrarConfig({
        RPC_URL: chain.url,
        DEPLOYMENT: deploymentFile,
        LOG_LEVEL: "silent",
        REGISTRAR_PORT: "0",
        REGISTRAR_DB_PATH: path.join(dir, "registrar.sqlite"),
        REGISTRAR_KEY: registrarWallet.privateKey,
        REGISTRAR_API_TOKEN: registrarToken,
        REGISTRAR_CUSTODY_URL: custody.url,
        REGISTRAR_CUSTODY_TOKEN: custodyRegistrarToken,
        REGISTRAR_NOTIFIER_URL: notifier.url,
        REGISTRAR_NOTIFIER_TOKEN: notifierRegistrarToken,
        REGISTRAR_JWKS_URL: `${custody.url}/.well-known/jwks.json`,
        REGISTRAR_TRUSTED_PROXIES: "127.0.0.1",
        REGISTRAR_RATE_LIMIT_PER_MINUTE: "0",
        REGISTRAR_LANGUAGE: "ru",
      }),
      { deployment, logger: silent },
    );
    closers.push(() => registrar.stop());

    const documents = await startDocuments(
      loadDocumentsConfig({
        DOCUMENTS_PORT: String(documentsPort),
        DOCUMENTS_DIR: path.join(dir, "documents"),
        DOCUMENTS_JWKS_URL: `${custody.url}/.well-known/jwks.json`,
        DOCUMENTS_SERVICE_TOKENS: `keeper=${keeperDocumentsToken},notifier=${notifierDocumentsToken}`,
        DOCUMENTS_TRUSTED_PROXIES: "127.0.0.1",
        DOCUMENTS_UPLOADS_PER_MINUTE: "1000",
        DOCUMENTS_RATE_LIMIT_PER_MINUTE: "0",
        DOCUMENTS_RPC_URL: chain.url,
        DEPLOYMENT: deploymentFile,
        DOCUMENTS_REGISTRAR_URL: registrar.url,
        DOCUMENTS_REGISTRAR_TOKEN: registrarToken,
        LOG_LEVEL: "silent",
      }),
      { logger: silent },
    );
    closers.push(() => documents.stop());


    const keeper = await startDemoKeeper(
      { rpcUrl: chain.url, deploymentFile, dataDir: dir, logLevel: "silent" },
      { port: 0, chainKey: keeperKey.privateKey, registrarUrl: registrar.url, registrarToken, documentsUrl: documents.url, documentsToken: keeperDocumentsToken },
    );
    closers.push(() => keeper.stop());

    const web = await startWebServer({
      graphqlUrl,
      custodyUrl: custody.url,
      relayerUrl: relayer.url,
      documentsUrl: documents.url,
      registrarUrl: registrar.url,
      keeperUrl: keeper.url,
      notifierUrl: notifier.url,
      parameters: deployment.parameters,
      operatorRecordFile: operatorRecordPath(deploymentFile),
      logger: silent,
    });
    closers.push(() => web.close());

    const indexed = async () => {
      const head = await provider.getBlockNumber();
      for (let i = 0; i < 1200; i++) {
        const response = await fetch(graphqlUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ _meta { block { number } } }" }) });
        const body = (await response.json().catch(() => null)) as { data?: { _meta: { block: { number: number } } } } | null;
        if ((body?.data?._meta.block.number ?? -1) >= head) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the query node did not reach block ${head} in two minutes`);
    };
    return { dir, chain, provider, deployment, deploymentFile, relayer, custody, graphqlUrl, documents, mail, notifier, registrar, registrarToken, keeper, web, indexed, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Imports a register file through the registrar's API and waits for it to be applied. */
export async function importRegister(stack: Stack, csv: string): Promise<{ importId: string; plan: unknown }> {
  const auth = { authorization: `Bearer ${stack.registrarToken}` };
  const started = await fetch(`${stack.registrar.url}/v1/imports`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv });
  const answer = (await started.json()) as { importId: string; plan: unknown; error?: unknown };
  if (started.status !== 202) throw new Error(`the import was refused: ${started.status} ${JSON.stringify(answer)}`);
  for (let i = 0; i < 1200; i++) {
    const state = (await (await fetch(`${stack.registrar.url}/v1/imports/${answer.importId}`, { headers: auth })).json()) as { status: string; error: unknown };
    if (state.status === "done") return answer;
    if (state.status === "failed") throw new Error(`the import failed: ${JSON.stringify(state.error)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the import did not finish in five minutes");
}
