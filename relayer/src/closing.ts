/**
 * The closing margin: how close to its meeting's close intake may still acknowledge a ballot and
 * keep the promise that it counts. An acknowledged ballot still waits for a batch, a sender, a block
 * and the receipt; the relayer measures that wait for every ballot it settles (acknowledgement to
 * the receipt of the block that included it) and takes a high percentile of the recent ones, never
 * less than a floor. Near the close, intake refuses at once (`meeting_closing`) a ballot that would
 * land after the margin, instead of acknowledging a ballot that the contract would then skip as late.
 */

export interface ClosingMarginOptions {
  /** The margin is never smaller (seconds). */
  floorSeconds: number;
  /** Nor larger (seconds): a backlog after an outage should not close meetings for longer than this. */
  ceilingSeconds: number;
  /** The percentile of recent waits taken (0–1, default 0.99). */
  percentile?: number;
  /** Waits older than this no longer count (ms, default ten minutes). */
  windowMs?: number;
  /** The most waits kept. */
  maxSamples?: number;
  now?: () => number;
}

export class ClosingMargin {
  private readonly samples: Array<{ at: number; ms: number }> = [];
  private readonly percentile: number;
  private readonly windowMs: number;
  private readonly maxSamples: number;
  private readonly now: () => number;
  private cached: { at: number; seconds: number } | undefined;

  constructor(private readonly options: ClosingMarginOptions) {
    this.percentile = options.percentile ?? 0.99;
    this.windowMs = options.windowMs ?? 600_000;
    this.maxSamples = options.maxSamples ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** A ballot acknowledged at `acknowledgedAt` (ms) was seen included now. */
  observe(acknowledgedAt: number): void {
    const now = this.now();
    this.samples.push({ at: now, ms: Math.max(0, now - acknowledgedAt) });
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
    this.cached = undefined;
  }

  /** Waits from acknowledgement to inclusion measured within the window, in ms, oldest first. */
  recent(): number[] {
    const since = this.now() - this.windowMs;
    while (this.samples.length > 0 && this.samples[0]!.at < since) this.samples.shift();
    return this.samples.map((s) => s.ms);
  }

  /**
   * The margin in whole seconds: the percentile of recent waits rounded up, plus a second for the
   * chain's whole-second timestamps, within [floor, ceiling].
   */
  seconds(): number {
    const now = this.now();
    if (this.cached && now - this.cached.at < 1_000) return this.cached.seconds;
    const waits = this.recent().sort((a, b) => a - b);
    let seconds = this.options.floorSeconds;
    if (waits.length > 0) {
      const p = waits[Math.min(waits.length - 1, Math.ceil(this.percentile * waits.length) - 1)]!;
      seconds = Math.max(seconds, Math.ceil(p / 1000) + 1);
    }
    seconds = Math.min(seconds, Math.max(this.options.floorSeconds, this.options.ceilingSeconds));
    this.cached = { at: now, seconds };
    return seconds;
  }
}
