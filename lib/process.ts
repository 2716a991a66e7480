/**
 * A service as a process: configuration problems are printed and exit with 2, a failed start is
 * logged and exits with 1, a started process prints one "ready" JSON line for supervisors and tests
 * to read its URLs from, and SIGTERM / SIGINT stop it gracefully (exit 0) in the reverse order of
 * starting.
 */
import { ConfigError } from "./errors.js";
import type { Logger } from "./log.js";

/** A started service: the fields it adds to the ready line, and how to stop it. */
export interface StartedService {
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

/** The configuration `load` reads, or every problem printed and exit 2. */
export function configOrExit<T>(load: () => T, name: string): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${name}: invalid configuration:\n${err.problems.map((p) => `  ${p}`).join("\n")}`);
      process.exit(2);
    }
    throw err;
  }
}

/** Starts each service in turn, then waits for a signal; if one fails to start, those started are stopped. */
export async function runServices(log: Logger, starts: Array<() => Promise<StartedService>>): Promise<void> {
  const started: StartedService[] = [];
  const stopAll = async () => {
    for (const s of [...started].reverse()) await s.stop();
  };
  try {
    for (const start of starts) started.push(await start());
  } catch (err) {
    log.error("start-up failed", { err, cause: (err as Error).cause });
    await stopAll().catch((stopErr) => log.error("stop failed", { err: stopErr }));
    process.exit(1);
  }
  console.log(JSON.stringify({ msg: "ready", ...Object.assign({}, ...started.map((s) => s.ready)) }));

  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info("stopping", { signal });
      stopAll().then(
        () => process.exit(0),
        (err) => {
          log.error("stop failed", { err });
          process.exit(1);
        },
      );
    });
  }
}
