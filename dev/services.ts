/**
 * The registrar, the document store and the keeper as `npm start` runs them: each from its own
 * configuration (built here as its environment would give it) and its own data folder under the
 * demo's, with tokens made for this run. Whatever the chain is (the embedded chain, or a local
 * network), the start-up passes its node, its deployment record and the data folder; nothing else of
 * the start-up is assumed.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { DEFAULT_AUDIENCE as DOCUMENTS_AUDIENCE, loadConfig as loadDocumentsConfig } from "../documents/src/config.js";
import { startDocuments, type RunningDocuments } from "../documents/src/service.js";
import { DEFAULT_AUDIENCE as REGISTRAR_AUDIENCE, loadConfig as loadRegistrarConfig } from "../registrar/src/config.js";
import { startRegistrar, type RunningRegistrar } from "../registrar/src/service.js";
import { loadConfig as loadKeeperConfig } from "../keeper/src/config.js";
import { startKeeper, type Keeper } from "../keeper/src/service.js";

/** The audiences custody's demo issues residents' tokens for (`CUSTODY_DEMO_AUDIENCES`): the notifier's, the registrar's and the store's. */
export const DEMO_AUDIENCES = ["digital-home-notifier", REGISTRAR_AUDIENCE, DOCUMENTS_AUDIENCE].join(",");

const token = () => randomBytes(24).toString("hex");

export interface ChainAccess {
  rpcUrl: string;
  /** The deployment record's file. */
  deploymentFile: string;
  /** The demo's data folder; each service gets a folder of its own in it. */
  dataDir: string;
  logLevel: string;
  /** Blocks before a service treats a block as final (0 on the embedded chain). */
  confirmations?: number;
}

export interface DemoDocuments {
  running: RunningDocuments;
  /** Service tokens: the seed stores agenda texts, notices and attachments; the keeper its protocols; the notifier reads restricted ones. */
  tokens: { seed: string; keeper: string; notifier: string };
}

/**
 * The document store in `<data>/documents`, residents signed in through custody's JWKS, the web
 * server trusted as a proxy; the rules of restricted documents read the chain and ask the registrar
 * for a reader's account.
 */
export async function startDemoDocuments(chain: ChainAccess, options: { port: number; custodyUrl: string; registrarUrl: string; registrarToken: string }): Promise<DemoDocuments> {
  const tokens = { seed: token(), keeper: token(), notifier: token() };
  const config = loadDocumentsConfig({
    LOG_LEVEL: chain.logLevel,
    DOCUMENTS_PORT: String(options.port),
    DOCUMENTS_DIR: path.join(chain.dataDir, "documents"),
    DOCUMENTS_JWKS_URL: `${options.custodyUrl}/.well-known/jwks.json`,
    DOCUMENTS_SERVICE_TOKENS: Object.entries(tokens).map(([name, t]) => `${name}=${t}`).join(","),
    DOCUMENTS_TRUSTED_PROXIES: "127.0.0.1",
    DOCUMENTS_RPC_URL: chain.rpcUrl,
    DEPLOYMENT: chain.deploymentFile,
    DOCUMENTS_REGISTRAR_URL: options.registrarUrl,
    DOCUMENTS_REGISTRAR_TOKEN: options.registrarToken,
  });
  const running = await startDocuments(config, { logger: createLogger(config.logLevel, { service: "documents" }) });
  return { running, tokens };
}

export interface DemoRegistrar {
  running: RunningRegistrar;
  /** The registrar's API token (imports, registers, annexes): the seed's and the keeper's. */
  apiToken: string;
}

/**
 * The registrar in `<data>/registrar.sqlite`, holding the chain key given (an account with
 * REGISTRAR_ROLE), onboarding people at custody and writing their contacts into the notifier's
 * directory, both with their registrar tokens.
 */
export async function startDemoRegistrar(
  chain: ChainAccess,
  options: { port: number; chainKey: string; custodyUrl: string; custodyToken: string; notifierUrl?: string; notifierToken?: string },
): Promise<DemoRegistrar> {
  const apiToken = token();
  const config = loadRegistrarConfig({
    RPC_URL: chain.rpcUrl,
    DEPLOYMENT: chain.deploymentFile,
    LOG_LEVEL: chain.logLevel,
    REGISTRAR_PORT: String(options.port),
    REGISTRAR_DB_PATH: path.join(chain.dataDir, "registrar.sqlite"),
    REGISTRAR_KEY: options.chainKey,
    REGISTRAR_API_TOKEN: apiToken,
    REGISTRAR_CUSTODY_URL: options.custodyUrl,
    REGISTRAR_CUSTODY_TOKEN: options.custodyToken,
    ...(options.notifierUrl ? { REGISTRAR_NOTIFIER_URL: options.notifierUrl, REGISTRAR_NOTIFIER_TOKEN: options.notifierToken } : {}),
    REGISTRAR_JWKS_URL: `${options.custodyUrl}/.well-known/jwks.json`,
    REGISTRAR_TRUSTED_PROXIES: "127.0.0.1",
    // the seed follows its imports' progress from this machine
    REGISTRAR_RATE_LIMIT_PER_MINUTE: "100000",
    REGISTRAR_LANGUAGE: "ru",
  });
  const running = await startRegistrar(config, { logger: createLogger(config.logLevel, { service: "registrar" }) });
  return { running, apiToken };
}

/**
 * The keeper in `<data>/keeper/`: its own chain key (written there, mode 600), the operator's
 * signing key created on its first start, the protocols' local copies; annexes from the registrar,
 * wordings from and protocols into the document store.
 */
export async function startDemoKeeper(
  chain: ChainAccess,
  options: { port: number; chainKey: string; registrarUrl: string; registrarToken: string; documentsUrl: string; documentsToken: string },
): Promise<Keeper> {
  const dir = path.join(chain.dataDir, "keeper");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, "chain-key");
  await writeFile(keyFile, `${options.chainKey}\n`, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  const config = loadKeeperConfig({
    RPC_URL: chain.rpcUrl,
    DEPLOYMENT: chain.deploymentFile,
    LOG_LEVEL: chain.logLevel,
    KEEPER_PORT: String(options.port),
    KEEPER_DB_PATH: path.join(dir, "keeper.sqlite"),
    KEEPER_CHAIN_KEY_FILE: keyFile,
    KEEPER_SIGNING_KEY_FILE: path.join(dir, "protocol-signing-key.pem"),
    KEEPER_PROTOCOLS_DIR: path.join(dir, "protocols"),
    KEEPER_REGISTRAR_URL: options.registrarUrl,
    KEEPER_REGISTRAR_TOKEN: options.registrarToken,
    KEEPER_DOCUMENTS_URL: options.documentsUrl,
    KEEPER_DOCUMENTS_TOKEN: options.documentsToken,
    KEEPER_CONFIRMATIONS: String(chain.confirmations ?? 0),
    KEEPER_POLL_INTERVAL_MS: "500",
  });
  return startKeeper(config, { log: createLogger(config.logLevel, { service: "keeper" }) });
}

/** Waits for the keeper to have filed a meeting's protocol; answers its documents, or fails naming the state the keeper reports. */
export async function waitForProtocol(keeperUrl: string, meetingId: bigint, timeoutMs = 120_000): Promise<Record<string, { id: string; name: string }>> {
  const started = Date.now();
  for (;;) {
    const res = await fetch(`${keeperUrl}/v1/meetings/${meetingId}/protocol`);
    const body = (await res.json().catch(() => ({}))) as { documents?: Record<string, { id: string; name: string }>; error?: { code: string; message: string; details?: unknown } };
    if (res.ok && body.documents) return body.documents;
    if (Date.now() - started > timeoutMs) {
      throw new AppError("protocol_not_filed", `the keeper filed no protocol of meeting ${meetingId} in ${timeoutMs / 1000} s: ${res.status} ${body.error?.code ?? ""} ${body.error?.message ?? ""} ${JSON.stringify(body.error?.details ?? {})}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A port on 127.0.0.1 for a service whose URL another must know before it starts (the notifier links
 * to the web page, the web page forwards to the notifier): the preferred one if it is free now, else
 * (or for 0) one the system gives.
 */
export async function choosePort(preferred: number): Promise<number> {
  const { createServer } = await import("node:net");
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve, reject) => {
      const server = createServer();
      server.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(undefined) : reject(err)));
      server.listen(port, "127.0.0.1", () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  return (preferred !== 0 ? await tryPort(preferred) : undefined) ?? (await tryPort(0))!;
}
