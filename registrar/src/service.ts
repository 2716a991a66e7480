/**
 * Assembles the registrar from its validated configuration: the deployment record (checked against
 * the node), the chain key (which must hold REGISTRAR_ROLE), the store, the journalled chain
 * writer, onboarding at custody and the notifier, the importer and the meetings' registers.
 * `openRegistrar` is what both the service and the CLI build on; `startRegistrar` adds the HTTP API
 * and goes on with an import a stopped process left running. main.ts runs it as a process.
 */
import { Wallet } from "ethers";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import { checkDeployedChain } from "#lib/chain-check.js";
import { readDeployment, type Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { jwtBearer, remoteKeys } from "#lib/http/auth.js";
import { listen } from "#lib/http/server.js";
import { createLogger, type Logger } from "#lib/log.js";
import { HttpJsonRpcProvider, chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { ChainWriter } from "./chain-writer.js";
import type { RegistrarConfig } from "./config.js";
import { registryEffects } from "./effects.js";
import { createRegistrarApp } from "./http/app.js";
import { Importer } from "./importer.js";
import { MeetingRegisters } from "./meetings.js";
import { Onboarding } from "./onboarding.js";
import { RegisterStore } from "./store.js";

export interface OpenOptions {
  logger?: Logger;
  /** A loaded deployment record instead of `config.deployment`. */
  deployment?: Deployment;
}

export interface Registrar {
  deployment: Deployment;
  store: RegisterStore;
  importer: Importer;
  meetings: MeetingRegisters;
  registry: BuildingRegistry;
  hall: MeetingHall;
  provider: HttpJsonRpcProvider;
  /** The address of the registrar's chain key. */
  address: string;
  close(): Promise<void>;
}

/** Opens the registrar's parts: checks the node and that the key holds REGISTRAR_ROLE. */
export async function openRegistrar(config: RegistrarConfig, options: OpenOptions = {}): Promise<Registrar> {
  const log = options.logger ?? createLogger(config.logLevel, { service: "registrar" });
  const deployment = options.deployment ?? (await readDeployment(config.deployment));
  const provider = new HttpJsonRpcProvider(config.rpcUrl, deployment.chainId, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1, pollingInterval: 100 });
  const wallet = new Wallet(config.chainKey);
  const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, provider);
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, provider);
  let store: RegisterStore | undefined;
  try {
    await checkDeployedChain(provider, deployment, { rpcUrl: config.rpcUrl, attempts: 30 });
    let isRegistrar: boolean;
    try {
      isRegistrar = await registry.isRegistrar(wallet.address);
    } catch (err) {
      throw isUnreachable(err) ? chainUnavailable(err) : err;
    }
    if (!isRegistrar) {
      throw new AppError("not_registrar", `the account ${wallet.address} of REGISTRAR_KEY does not hold REGISTRAR_ROLE on the registry ${deployment.contracts.BuildingRegistry.address}`);
    }
    store = new RegisterStore(config.dbPath, deployment);
  } catch (err) {
    provider.destroy();
    throw err;
  }
  const writer = new ChainWriter(
    provider,
    wallet,
    registry,
    deployment.contracts.BuildingRegistry.address,
    BigInt(deployment.chainId),
    store,
    registryEffects(store, registry, deployment.contracts.BuildingRegistry.address),
    { txTimeoutMs: config.txTimeoutMs, pollMs: 100 },
    log.child({ component: "chain-writer" }),
  );
  const onboarding = new Onboarding(
    { url: config.custodyUrl, token: config.custodyToken, timeoutMs: config.servicesTimeoutMs },
    config.notifierUrl && config.notifierToken ? { url: config.notifierUrl, token: config.notifierToken, timeoutMs: config.servicesTimeoutMs } : undefined,
  );
  if (!onboarding.hasDirectory) log.warn("no notifier configured (REGISTRAR_NOTIFIER_URL): people are onboarded in custody only, and their contacts reach the notifier's directory once one is configured");
  const importer = new Importer({ store, writer, onboarding, registry, deployment, log: log.child({ component: "importer" }), batchGas: config.batchGas, window: config.window });
  const meetings = new MeetingRegisters(store, provider, registry, hall, { logChunk: config.logChunk, startBlock: deployment.startBlock });
  const opened = store;
  return {
    deployment,
    store: opened,
    importer,
    meetings,
    registry,
    hall,
    provider,
    address: wallet.address,
    close: async () => {
      await importer.stop();
      opened.close();
      provider.destroy();
    },
  };
}

export interface RunningRegistrar {
  url: string;
  registrar: Registrar;
  stop(): Promise<void>;
}

export async function startRegistrar(config: RegistrarConfig, options: OpenOptions = {}): Promise<RunningRegistrar> {
  const log = options.logger ?? createLogger(config.logLevel, { service: "registrar" });
  const registrar = await openRegistrar(config, { ...options, logger: log });
  const app = createRegistrarApp({
    importer: registrar.importer,
    store: registrar.store,
    meetings: registrar.meetings,
    chainRegisterHash: async (buildingId) => {
      try {
        return await registrar.registry.registerHash(buildingId);
      } catch (err) {
        throw isUnreachable(err) ? chainUnavailable(err) : err;
      }
    },
    apiToken: config.apiToken,
    residentBearer: config.jwksUrl ? jwtBearer(remoteKeys(config.jwksUrl), config.jwtIssuer, config.jwtAudience) : undefined,
    language: config.language,
    maxFileBytes: config.maxFileBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    trustedProxies: config.trustedProxies,
    log: log.child({ component: "registrar-api" }),
  });
  let server;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    await registrar.close();
    throw err;
  }
  log.info("registrar listening", { url: server.url, registrar: registrar.address, registry: registrar.deployment.contracts.BuildingRegistry.address });
  // the last import a stopped process left running goes on now
  const interrupted = registrar.store.runningImports().at(-1);
  if (interrupted !== undefined) {
    try {
      registrar.importer.resume(interrupted).done.catch(() => undefined);
    } catch (err) {
      log.warn("an interrupted import cannot be resumed now", { importId: interrupted, err });
    }
  }
  const running = server;
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    registrar,
    stop: () =>
      (stopped ??= (async () => {
        await running.close();
        await registrar.close();
        log.info("registrar stopped");
      })()),
  };
}
