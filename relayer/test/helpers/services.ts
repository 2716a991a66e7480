/**
 * Starting the relayer for tests: in-process, or as a child process that a test may kill; and, for
 * the tests of the path through the custodial wallet, custody beside it with its own configuration.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { loadConfig as loadCustodyConfig } from "../../../custody/src/config.js";
import { startCustody } from "../../../custody/src/service.js";
import { loadConfig } from "../../src/config.js";
import { startRelayer } from "../../src/service.js";
import { devAccount, stopChild, type Fixture } from "./chain.js";

export const REGISTRAR_TOKEN = "registrar-token-for-tests-only";
/** The token custody presents to the relayer, and the relayer's metrics token, in these tests. */
export const CLIENT_TOKEN = "custody-client-token-for-tests";
export const METRICS_TOKEN = "metrics-token-for-tests-only";
export const metricsAuth = { authorization: `Bearer ${METRICS_TOKEN}` };

/** Environment of the relayer for a fixture; `RPC_URL` may point at a proxy. */
export function relayerEnv(fixture: Fixture, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RPC_URL: fixture.url,
    DEPLOYMENT: fixture.deploymentFile,
    LOG_LEVEL: "silent",
    RELAYER_PORT: "0",
    RELAYER_DB_PATH: path.join(fixture.tmpDir, "relayer.sqlite"),
    RELAYER_SENDER_KEYS: [1, 2, 3].map((i) => devAccount(i).privateKey).join(","),
    RELAYER_BATCH_SIZE: "100",
    RELAYER_BATCH_WAIT_MS: "100",
    RELAYER_POLL_INTERVAL_MS: "100",
    RELAYER_STUCK_AFTER_MS: "5000",
    RELAYER_RATE_LIMIT_PER_MINUTE: "0",
    RELAYER_CLIENT_TOKENS: CLIENT_TOKEN,
    RELAYER_METRICS_TOKEN: METRICS_TOKEN,
    ...overrides,
  };
}

/** Environment of the custodial wallet for a fixture (demo login, codes revealed, no rate limit). */
export function custodyEnv(fixture: Fixture, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RPC_URL: fixture.url,
    DEPLOYMENT: fixture.deploymentFile,
    LOG_LEVEL: "silent",
    CUSTODY_PORT: "0",
    CUSTODY_DB_PATH: path.join(fixture.tmpDir, "custody.sqlite"),
    CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
    CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
    CUSTODY_REVEAL_OTP: "true",
    CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
    CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "0",
    CUSTODY_RELAYER_TOKEN: CLIENT_TOKEN,
    ...overrides,
  };
}

export interface RunningServices {
  relayerUrl: string;
  /** Set by startWithCustody. */
  custodyUrl?: string;
  senders: string[];
  stop(): Promise<void>;
}

/** The relayer alone, in this process. */
export async function startInProcess(fixture: Fixture, overrides: Record<string, string> = {}): Promise<RunningServices> {
  const relayer = await startRelayer(loadConfig(relayerEnv(fixture, overrides)), { deployment: fixture.deployment });
  return { relayerUrl: relayer.url, senders: relayer.senders, stop: relayer.stop };
}

/** The relayer and the custodial wallet in this process, each from its own configuration; custody forwards to this relayer. */
export async function startWithCustody(
  fixture: Fixture,
  overrides: { relayer?: Record<string, string>; custody?: Record<string, string> } = {},
): Promise<RunningServices> {
  const relayer = await startRelayer(loadConfig(relayerEnv(fixture, overrides.relayer)), { deployment: fixture.deployment });
  try {
    const custody = await startCustody(loadCustodyConfig(custodyEnv(fixture, { CUSTODY_RELAYER_URL: relayer.url, ...overrides.custody })), {
      deployment: fixture.deployment,
    });
    let stopped: Promise<void> | undefined;
    return {
      relayerUrl: relayer.url,
      custodyUrl: custody.url,
      senders: relayer.senders,
      stop: () =>
        (stopped ??= (async () => {
          await custody.stop();
          await relayer.stop();
        })()),
    };
  } catch (err) {
    await relayer.stop();
    throw err;
  }
}

export interface ServiceProcess {
  relayerUrl: string;
  /** Set when the process runs custody too. */
  custodyUrl?: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs the relayer's entry point (relayer/src/main.ts, or `script` with `args`) in a child process with this environment. */
export async function startProcess(env: Record<string, string>, script = "relayer/src/main.ts", args: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const ready = await new Promise<{ relayerUrl: string; custodyUrl?: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`relayer did not start: ${stderr}`)), 60_000);
    lines.on("line", (line) => {
      if (!line.includes('"msg":"ready"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`relayer exited with ${code}: ${stderr}`));
    });
  });
  return { relayerUrl: ready.relayerUrl, custodyUrl: ready.custodyUrl, child, stop: (signal = "SIGTERM") => stopChild(child, signal) };
}
