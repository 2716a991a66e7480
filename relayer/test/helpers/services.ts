/** Starting the relayer and custody for tests: in-process, or as a child process that a test may kill. */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { loadConfig } from "../../src/config.js";
import { startServices, type RunningServices } from "../../src/services.js";
import { devAccount, stopChild, type Fixture } from "./chain.js";

export const REGISTRAR_TOKEN = "registrar-token-for-tests-only";

/** Environment of the service for a fixture; `rpcUrl` may point at a proxy. */
export function serviceEnv(fixture: Fixture, overrides: Record<string, string> = {}): Record<string, string> {
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
    CUSTODY_PORT: "0",
    CUSTODY_DB_PATH: path.join(fixture.tmpDir, "custody.sqlite"),
    CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
    CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
    CUSTODY_REVEAL_OTP: "true",
    CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
    ...overrides,
  };
}

export function startInProcess(fixture: Fixture, overrides: Record<string, string> = {}): Promise<RunningServices> {
  return startServices(loadConfig(serviceEnv(fixture, overrides)), { deployment: fixture.deployment });
}

export interface ServiceProcess {
  relayerUrl: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs relayer/src/main.ts in a child process with this environment. */
export async function startProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "relayer/src/main.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const ready = await new Promise<{ relayerUrl: string }>((resolve, reject) => {
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
  return { relayerUrl: ready.relayerUrl, child, stop: (signal = "SIGTERM") => stopChild(child, signal) };
}
