/** Helpers of custody's tests: JSON requests, and the custody process started as `npm run custody` starts it. */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "#lib/deployment.js";

export const REGISTRAR_TOKEN = "registrar-token-for-tests-only";

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** A JSON request: POST when there is a body, GET otherwise. */
export async function request(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
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
