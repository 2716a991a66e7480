/** Assembles the custodial wallet: keystore, authentication and the HTTP API. */
import type { TypedDataDomain } from "ethers";
import type { CustodyConfig } from "../../relayer/src/config.js";
import { listen } from "#lib/http/server.js";
import type { Logger } from "#lib/log.js";
import { createCustodyApp } from "./app.js";
import { demoAuthenticator, jwksAuthenticator, type Authenticator, type DemoLogin } from "./auth.js";
import { AesGcmKeyWrapper } from "./key-wrapper.js";
import { Keystore } from "./keystore.js";

export interface RunningCustody {
  url: string;
  stop(): Promise<void>;
}

export async function startCustody(
  config: CustodyConfig,
  domain: TypedDataDomain,
  log: Logger,
  options: { relayerUrl?: string; deliverCode?: (residentId: string, code: string) => void } = {},
): Promise<RunningCustody> {
  const keystore = new Keystore(config.dbPath, new AesGcmKeyWrapper(config.masterKey));
  let auth: Authenticator;
  let demo: DemoLogin | undefined;
  if (config.authMode === "jwt") {
    auth = jwksAuthenticator(config.jwksUrl!, config.jwtIssuer, config.jwtAudience);
  } else {
    demo = await demoAuthenticator(config.jwtIssuer, config.jwtAudience, config.otpTtlSeconds);
    auth = demo;
  }
  const appLog = log.child({ component: "custody-api" });
  const app = createCustodyApp({
    keystore,
    auth,
    demo,
    revealOtp: config.revealOtp,
    registrarToken: config.registrarToken,
    domain,
    relayerUrl: options.relayerUrl ?? config.relayerUrl,
    rateLimitPerMinute: config.rateLimitPerMinute,
    log: appLog,
    deliverCode: options.deliverCode ?? ((residentId, code) => appLog.info("one-time code (demo delivery)", { residentId, code })),
  });
  let server;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    keystore.close();
    throw err;
  }
  log.info("custody listening", { url: server.url, authMode: config.authMode });
  const running = server;
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    stop: () =>
      (stopped ??= (async () => {
        await running.close();
        keystore.close();
        log.info("custody stopped");
      })()),
  };
}
