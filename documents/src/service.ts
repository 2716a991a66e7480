/**
 * Assembles the document store: the files and the catalog, the residents' quota, who may upload, and
 * the HTTP API. `startDocuments` is what `main.ts` and the project's `npm start` call.
 */
import path from "node:path";
import { TokenRevocations } from "#lib/http/revocations.js";
import { listen, type RunningServer } from "#lib/http/server.js";
import { createLogger, type Logger } from "#lib/log.js";
import { readDeployment } from "#lib/deployment.js";
import { createApi } from "./api.js";
import { RegistrarAccounts, readCheck } from "./readers.js";
import { uploaderAuth } from "./auth.js";
import type { DocumentsConfig } from "./config.js";
import { DocumentStore } from "./store.js";

export interface RunningDocuments {
  url: string;
  port: number;
  store: DocumentStore;
  /** Stops taking requests, finishes the uploads in progress, closes the catalog. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

/** Opens the store in `config.dir` (the CLI's import uses it without the HTTP API). */
export function openStore(config: DocumentsConfig, log: Logger): DocumentStore {
  return new DocumentStore(config.dir, {
    maxBytes: config.maxBytes,
    quota: { bytes: config.quotaBytes, documents: config.quotaDocuments, periodSeconds: config.quotaPeriodSeconds },
    log,
  });
}

export async function startDocuments(config: DocumentsConfig, options: StartOptions = {}): Promise<RunningDocuments> {
  const log = options.logger ?? createLogger(config.logLevel, { service: "documents" });
  const chain = config.rpcUrl !== undefined && config.registrarUrl !== undefined ? { rpcUrl: config.rpcUrl, deployment: await readDeployment(config.deployment ?? "localhost") } : undefined;
  const readers = readCheck({ chain, accounts: config.registrarUrl ? new RegistrarAccounts(config.registrarUrl, config.registrarToken!) : undefined });
  if (!chain) log.warn("no chain and registrar configured (DOCUMENTS_RPC_URL, DOCUMENTS_REGISTRAR_URL): restricted documents are read by services and their uploaders only");
  const store = openStore(config, log);
  const revocations = new TokenRevocations(path.join(config.dir, "documents.sqlite"));
  const app = createApi({
    store,
    auth: uploaderAuth({
      serviceTokens: config.serviceTokens,
      jwks: config.jwksUrl ? { url: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience } : undefined,
      revocations,
    }),
    revocations,
    readers,
    maxBodyBytes: Math.max(...Object.values(config.maxBytes)),
    uploadsPerMinute: config.uploadsPerMinute,
    rateLimitPerMinute: config.rateLimitPerMinute,
    trustedProxies: config.trustedProxies,
    log: log.child({ component: "documents-api" }),
  });
  let server: RunningServer;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    revocations.close();
    store.close();
    readers.close();
    throw err;
  }
  log.info("document store started", { url: server.url, dir: path.resolve(config.dir), ...store.catalog.counts(), residents: config.jwksUrl !== undefined, services: config.serviceTokens.map((s) => s.name) });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await server.close();
      await store.drain();
      revocations.close();
      store.close();
      readers.close();
      log.info("document store stopped");
    })());
  return { url: server.url, port: server.port, store, stop };
}
