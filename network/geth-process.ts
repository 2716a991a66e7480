/**
 * Starting and stopping one geth node as its own process, detached, so that `npm run network -- up`
 * can return and `down` (another process) can stop it. The pid goes to `<node>/geth.pid`; before a
 * signal is sent, /proc confirms the pid is still a geth of that very folder, so a stale pid file never
 * makes the tool kill someone else's process. Output goes to `<node>/geth.log`.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { NetworkError } from "./errors.js";

export interface GethLaunch {
  binary: string;
  dataDir: string;
  args: string[];
}

const PID_FILE = "geth.pid";
export const LOG_FILE = "geth.log";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `pid` is a live (not zombie) geth whose command line names `dataDir`. */
export function isGethOf(pid: number, dataDir: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return path.basename(argv[0]) === "geth" && argv.includes(dataDir);
  } catch {
    return false;
  }
}

/** The pid of the geth running for `dataDir`, from its pid file, or undefined. */
export async function runningPid(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, PID_FILE), "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && isGethOf(pid, dataDir) ? pid : undefined;
}

/** The last lines geth wrote, for error messages. */
export function logTail(dataDir: string, lines = 8): string {
  const file = path.join(dataDir, LOG_FILE);
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Pids this process started, killed if it exits without stopping them (a crashed test leaves nothing). */
const started = new Set<number>();
process.on("exit", () => {
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/**
 * Starts geth and returns its pid once the process runs. `keepAfterExit`: the node outlives this
 * process (the command line's `up`); otherwise it is killed when this process exits.
 */
export async function launchGeth(launch: GethLaunch, options: { keepAfterExit?: boolean } = {}): Promise<number> {
  const existing = await runningPid(launch.dataDir);
  if (existing !== undefined) throw new NetworkError("NODE_FAILED", `a geth (pid ${existing}) already runs for ${launch.dataDir}`);
  const log = openSync(path.join(launch.dataDir, LOG_FILE), "a");
  let child;
  try {
    child = spawn(launch.binary, ["--datadir", launch.dataDir, ...launch.args], { detached: true, stdio: ["ignore", log, log] });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new NetworkError("NODE_FAILED", `${launch.binary} did not start: ${err.message}`, { cause: err });
  }
  child.unref();
  if (!options.keepAfterExit) started.add(pid);
  child.once("exit", () => started.delete(pid));
  await writeFile(path.join(launch.dataDir, PID_FILE), `${pid}\n`);
  return pid;
}

async function waitGone(pid: number, dataDir: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isGethOf(pid, dataDir)) return true;
    await sleep(50);
  }
  return !isGethOf(pid, dataDir);
}

/**
 * Stops the node of `dataDir`: SIGTERM, which geth answers by flushing its databases, then SIGKILL
 * if it has not exited within `graceMs`. `hard`: SIGKILL at once, as a crash would. Returns the pid
 * stopped, or undefined when none ran.
 */
export async function stopGeth(dataDir: string, options: { hard?: boolean; graceMs?: number } = {}): Promise<number | undefined> {
  const pid = await runningPid(dataDir);
  if (pid === undefined) {
    await rm(path.join(dataDir, PID_FILE), { force: true });
    return undefined;
  }
  process.kill(pid, options.hard ? "SIGKILL" : "SIGTERM");
  if (!(await waitGone(pid, dataDir, options.hard ? 10_000 : options.graceMs ?? 30_000))) {
    process.kill(pid, "SIGKILL");
    if (!(await waitGone(pid, dataDir, 10_000))) throw new NetworkError("NODE_FAILED", `geth pid ${pid} of ${dataDir} did not exit after SIGKILL`);
  }
  started.delete(pid);
  await rm(path.join(dataDir, PID_FILE), { force: true });
  return pid;
}
