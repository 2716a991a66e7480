/**
 * Digital Home as a user runs it, for the tests on the network: `npm start` in its own process group
 * (as a terminal runs it), its URLs read from what it prints, Ctrl-C to stop it; and the services'
 * public APIs (custody, the relayer, GraphQL) and the audit command line.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { packChoices } from "#lib/ballot.js";
import type { Choice } from "#lib/domain.js";
import { sleep } from "../../wait.js";

export interface SystemUrls {
  web: string;
  graphql: string;
  relayer: string;
  custody: string;
  notifier: string;
  mail: string;
  /** The public JSON-RPC endpoint (the observer's on the local network). */
  rpc: string;
  deploymentFile: string;
}

export interface RunningSystem {
  urls: SystemUrls;
  output(): string;
  /** Ctrl-C to the whole process group; resolves once npm has exited and no process of the group is left. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null; left: string[] }>;
  /** SIGKILL to the group, for cleaning up after a failed test. */
  kill(): void;
}

export function processesInGroup(pgid: number): string[] {
  try {
    return execFileSync("ps", ["-o", "pid=,args=", "-g", String(pgid)]).toString().trim().split("\n").filter(Boolean);
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

/** `npm start` with these arguments; waits for the banner (or fails with what it printed). */
export async function npmStart(args: string[], env: Record<string, string>, timeoutMs = 420_000): Promise<RunningSystem> {
  const child: ChildProcess = spawn("npm", ["start", ...(args.length ? ["--", ...args] : [])], {
    cwd: PROJECT_ROOT,
    detached: true, // its own process group, as a terminal gives it; Ctrl-C reaches the whole group
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DH_RPC_PORT: "0", DH_WEB_PORT: "0", DH_GRAPHQL_PORT: "0", DH_RELAYER_PORT: "0", DH_CUSTODY_PORT: "0", DH_NOTIFIER_PORT: "0", LOG_LEVEL: "warn", ...env },
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const started = Date.now();
  while (!/Press Ctrl-C to stop/.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm start ${args.join(" ")} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - started > timeoutMs) {
      process.kill(-child.pid!, "SIGKILL");
      throw new Error(`npm start ${args.join(" ")} printed no URLs in ${timeoutMs / 1000} s:\n${output}`);
    }
    await sleep(250);
  }
  const pick = (label: string) => {
    const m = new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+\\S*)`).exec(output);
    if (!m) throw new Error(`no ${label} URL in:\n${output}`);
    return m[1]!.replace(/\/v1$/, "");
  };
  const mail = /captured e-mail: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
  const record = /Deployment record\s+(\S+)/.exec(output);
  if (!mail || !record) throw new Error(`no mail capture or deployment record in:\n${output}`);
  const urls: SystemUrls = {
    web: pick("Web page"),
    graphql: pick("GraphQL"),
    relayer: pick("Relayer API"),
    custody: pick("Custodial wallet"),
    notifier: pick("Notifier"),
    mail: mail[1]!,
    rpc: pick("JSON-RPC"),
    deploymentFile: record[1]!,
  };
  const pgid = child.pid!;
  return {
    urls,
    output: () => output,
    interrupt: async () => {
      process.kill(-pgid, "SIGINT");
      const result = await exited;
      // npm itself ends on the interrupt; the system under it finishes its own shutdown
      const deadline = Date.now() + 60_000;
      while (processesInGroup(pgid).length && Date.now() < deadline) await sleep(200);
      return { ...result, left: processesInGroup(pgid) };
    },
    kill: () => {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/** scripts/start.ts run directly (without npm start's builds), for a start that is expected to be refused: its exit code and output. */
export function startScript(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "scripts/start.ts", ...args], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c));
    child.stderr.on("data", (c: Buffer) => (output += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON request; throws HttpError with the body for a status of 400 or more. */
export async function json(url: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<any> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(url, { method: init.method ?? (init.body === undefined ? "GET" : "POST"), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const body = await response.json().catch(() => null);
  if (response.status >= 400) throw new HttpError(response.status, body, `${init.method ?? "GET"} ${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

export async function graphql<T = any>(url: string, query: string): Promise<T> {
  const body = await json(url, { body: { query } });
  if (body.errors) throw new Error(`GraphQL ${query}: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

/** A resident's session at the custodial wallet, by the demo's one-time code. */
export async function custodyLogin(custodyUrl: string, residentId: string): Promise<{ token: string; address: string }> {
  const { code } = await json(`${custodyUrl}/v1/auth/code`, { body: { residentId } });
  const { token } = await json(`${custodyUrl}/v1/auth/token`, { body: { residentId, code } });
  const me = await json(`${custodyUrl}/v1/me`, { token });
  return { token, address: me.address };
}

/** The resident votes through custody, which signs and hands the ballot to the relayer: the relayer's answer. */
export async function voteThroughCustody(custodyUrl: string, token: string, meetingId: bigint, answers: Choice[]): Promise<{ status: number; body: any }> {
  try {
    return { status: 202, body: await json(`${custodyUrl}/v1/ballots`, { token, body: { meetingId: meetingId.toString(), choices: packChoices(answers).toString() } }) };
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, body: err.body };
    throw err;
  }
}

export interface BallotState {
  status: "queued" | "submitted" | "confirmed" | "rejected";
  txHash?: string;
  blockNumber?: number;
  /** The weight counted (confirmed ballots). */
  weight?: string;
  reason?: string;
}

export async function ballotState(relayerUrl: string, id: string): Promise<BallotState | undefined> {
  try {
    return await json(`${relayerUrl}/v1/ballots/${id}`);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return undefined;
    throw err;
  }
}

/** Waits until the relayer reports every ballot confirmed or rejected; returns their states. */
export async function settled(relayerUrl: string, ids: Iterable<string>, timeoutMs = 180_000): Promise<Map<string, BallotState>> {
  const states = new Map<string, BallotState>();
  const deadline = Date.now() + timeoutMs;
  for (const id of ids) {
    for (;;) {
      const state = await ballotState(relayerUrl, id).catch(() => undefined);
      if (state && (state.status === "confirmed" || state.status === "rejected")) {
        states.set(id, state);
        break;
      }
      if (Date.now() > deadline) throw new Error(`ballot ${id} is not settled at the relayer within ${timeoutMs / 1000} s: ${JSON.stringify(state)}`);
      await sleep(250);
    }
  }
  return states;
}

/** `npm run audit -- …` as an auditor runs it. */
export function audit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "-s", "audit", "--", ...args], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** `npm run network -- …` as an operator (or an auditor) runs it. */
export function networkTool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "-s", "network", "--", ...args], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
