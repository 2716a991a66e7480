/** Waiting for a condition of the network, with a deadline and a message saying what did not happen. */
import { NetworkError } from "./errors.js";

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** An error of the probe for which waiting longer is pointless (a node that exited): thrown at once. */
  failFast?: (err: unknown) => boolean;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns a value other than undefined or false, and returns that value.
 * A probe that throws counts as "not yet" (a node may be starting); the last error goes into the
 * TIMEOUT error's message with `what`.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (options.failFast?.(err)) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      throw new NetworkError("TIMEOUT", `${what}: not within ${(timeoutMs / 1000).toFixed(0)} s${why}`);
    }
    await sleep(intervalMs);
  }
}
