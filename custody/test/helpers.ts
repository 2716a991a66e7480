/** Helpers of custody's tests: JSON requests, and the custody process started as `npm run custody` starts it. */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { PROJECT_ROOT, type Deployment } from "#lib/deployment.js";

export const REGISTRAR_TOKEN = "registrar-token-for-tests-only";

/**
 * A deployment record for tests that need no chain (login, limits, configuration): it gives the
 * EIP-712 domain. Without a chain to read custody signs nothing; signing tests use test/chain.ts.
 */
export const deployment: Deployment = {
  network: "custody-test",
  chainId: 31337,
  startBlock: 1,
  contracts: {
    BuildingRegistry: { address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", deploymentBlock: 1, transactionHash: "0x" + "11".repeat(32) },
    MeetingHall: { address: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", deploymentBlock: 2, transactionHash: "0x" + "22".repeat(32) },
    LegalRules: { address: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", deploymentBlock: 1, transactionHash: "0x" + "33".repeat(32) },
    Forwarder: { address: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9", deploymentBlock: 1, transactionHash: "0x" + "44".repeat(32) },
  },
  parameters: { minNotice: 0, minWindow: 60, maxWindow: 3600, maxOpenPerInitiator: 3 },
  admin: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  registrar: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  deployedAt: new Date(0).toISOString(),
};

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** A JSON request: POST when there is a body (`body` as JSON, or `raw` as it is), GET otherwise. */
export async function request(url: string, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
  const sent = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const response = await fetch(url, {
    method: init.method ?? (sent === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...init.headers },
    body: sent,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text as it is
  }
  return { status: response.status, headers: response.headers, body };
}

export interface CustodyProcess {
  child: ChildProcess;
  /** The "ready" line, or the exit code if the process ended first. */
  ready: Promise<{ ready: Record<string, unknown> } | { exit: number | null; stderr: string }>;
  exited: Promise<number | null>;
}

/** Runs custody/src/main.ts with exactly this environment (and PATH). */
export function spawnCustody(env: Record<string, string>): CustodyProcess {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "custody/src/main.ts"], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<{ ready: Record<string, unknown> } | { exit: number | null; stderr: string }>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (line.includes('"msg":"ready"')) resolve({ ready: JSON.parse(line) });
    });
    void exited.then((exit) => resolve({ exit, stderr }));
  });
  return { child, ready, exited };
}
