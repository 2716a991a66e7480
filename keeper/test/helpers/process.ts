/** The keeper as a child process (keeper/src/main.ts), its ready line read from stdout; stopped by SIGTERM or killed by SIGKILL. */
import { spawn, type ChildProcess } from "node:child_process";
import { PROJECT_ROOT } from "#lib/deployment.js";

export interface KeeperProcess {
  url: string;
  address: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

export function startKeeperProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<KeeperProcess> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "keeper/src/main.ts"], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the keeper did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const line = out.split("\n").find((l) => l.startsWith('{"msg":"ready"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      const ready = JSON.parse(line) as { keeperUrl: string; keeperAddress: string };
      resolve({
        url: ready.keeperUrl,
        address: ready.keeperAddress,
        child,
        output: () => out,
        stop: async () => {
          child.kill("SIGTERM");
          return exited;
        },
        kill: async () => {
          child.kill("SIGKILL");
          await exited;
        },
      });
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the keeper exited with ${code} before it was ready:\n${out}`));
    });
  });
}

/** Polls `check` until it answers a value, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
