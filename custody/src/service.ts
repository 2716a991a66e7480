/**
 * Starts the custodial wallet from its own validated configuration: the deployment record (the
 * EIP-712 domain it signs for, checked against the node when RPC_URL is set), keystore,
 * authentication and the HTTP API. main.ts runs it as a process; `npm start` embeds it.
 */
import type { TypedDataDomain } from "ethers";
import { ballotDomain } from "#lib/ballot.js";
import { checkDeployedChain } from "#lib/chain-check.js";
import { readDeployment, type Deployment } from "#lib/deployment.js";
import { TokenRevocations } from "#lib/http/revocations.js";
import { listen } from "#lib/http/server.js";
import { createLogger, type Logger } from "#lib/log.js";
import { HttpJsonRpcProvider } from "#lib/rpc.js";
import { demoAuthenticator, jwksAuthenticator, type Authenticator, type DemoLogin } from "./auth.js";
import { notifierDelivery } from "./code-delivery.js";
import { CustodyChain } from "./chain.js";
import type { CustodyConfig } from "./config.js";
import { createCustodyApp } from "./http/app.js";
import { AesGcmKeyWrapper } from "./key-wrapper.js";
import { Keystore } from "./keystore.js";

export interface RunningCustody {
  url: string;
  domain: TypedDataDomain;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** A loaded deployment record instead of `config.deployment`. */
  deployment?: Deployment;
  /** A relayer started beside it: where POST /v1/ballots forwards signed ballots when CUSTODY_RELAYER_URL is unset. */
  relayerUrl?: string;
  /**
   * Delivers a one-time code to the resident, instead of the notifier of CUSTODY_NOTIFIER_URL.
   * Without either, and without CUSTODY_REVEAL_OTP, codes reach nobody: they are never written to
   * the log.
   */
  deliverCode?: (residentId: string, code: string, expiresAt: number) => void;
}

/** Connects to the node, checking once that it knows the record's chain and contracts, for custody's reads before it signs. */
async function connectChain(rpcUrl: string, deployment: Deployment): Promise<{ chain: CustodyChain; close(): void }> {
  const provider = new HttpJsonRpcProvider(rpcUrl, deployment.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    await checkDeployedChain(provider, deployment, { rpcUrl, attempts: 30 });
  } catch (err) {
    provider.destroy();
    throw err;
  }
  return { chain: new CustodyChain(provider, deployment), close: () => provider.destroy() };
}

export async function startCustody(config: CustodyConfig, options: StartOptions = {}): Promise<RunningCustody> {
  const log = options.logger ?? createLogger(config.logLevel, { service: "custody" });
  const deployment = options.deployment ?? (await readDeployment(config.deployment));
  const connected = config.rpcUrl !== undefined ? await connectChain(config.rpcUrl, deployment) : undefined;
  const domain = ballotDomain(deployment.chainId, deployment.contracts.MeetingHall.address);
  const keystore = new Keystore(config.dbPath, new AesGcmKeyWrapper(config.masterKey));
  const revocations = new TokenRevocations(config.dbPath);
  let auth: Authenticator;
  let demo: DemoLogin | undefined;
  if (config.authMode === "jwt") {
    auth = jwksAuthenticator(config.jwksUrl!, config.jwtIssuer, config.jwtAudience, { revocations, subjectClaim: config.subjectClaim });
  } else {
    demo = await demoAuthenticator({
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      codeTtlSeconds: config.otpTtlSeconds,
      otherAudiences: config.demoAudiences,
      revocations,
    });
    auth = demo;
  }
  const appLog = log.child({ component: "custody-api" });
  if (!connected) log.warn("no chain to read (RPC_URL unset): custody logs residents in but signs nothing");
  const viaNotifier =
    demo && config.notifierUrl && config.notifierToken && !options.deliverCode
      ? notifierDelivery({ notifierUrl: config.notifierUrl, token: config.notifierToken, log: appLog.child({ component: "code-delivery" }) })
      : undefined;
  if (demo && !config.revealOtp && !options.deliverCode && !viaNotifier) {
    log.warn("demo login without a code delivery: one-time codes reach nobody (they are never logged); set CUSTODY_REVEAL_OTP=true for a loopback demo");
  }
  const app = createCustodyApp({
    keystore,
    auth,
    demo,
    revealOtp: config.revealOtp,
    registrarToken: config.registrarToken,
    domain,
    relayerUrl: config.relayerUrl ?? options.relayerUrl,
    relayerToken: config.relayerToken,
    rateLimitPerMinute: config.rateLimitPerMinute,
    residentRateLimitPerMinute: config.residentRateLimitPerMinute,
    trustedProxies: config.trustedProxies,
    revocations,
    log: appLog,
    deliverCode: options.deliverCode ?? viaNotifier ?? ((residentId) => appLog.info("one-time code issued with no delivery configured", { residentId })),
    chain: connected?.chain,
    closingMarginSeconds: config.closingMarginSeconds,
    requestTtlSeconds: config.requestTtlSeconds,
    maxRequestGas: BigInt(config.maxRequestGas),
  });
  let server;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    keystore.close();
    revocations.close();
    connected?.close();
    throw err;
  }
  log.info("custody listening", {
    url: server.url,
    authMode: config.authMode,
    meetingHall: domain.verifyingContract,
    ...(config.authMode === "jwt" ? { issuer: config.jwtIssuer, audience: config.jwtAudience } : { codeDelivery: config.revealOtp ? "revealed" : viaNotifier ? "notifier" : options.deliverCode ? "embedding" : "none" }),
  });
  const running = server;
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    domain,
    stop: () =>
      (stopped ??= (async () => {
        await running.close();
        await viaNotifier?.settled();
        keystore.close();
        revocations.close();
        connected?.close();
        log.info("custody stopped");
      })()),
  };
}
