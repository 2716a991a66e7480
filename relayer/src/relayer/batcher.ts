/**
 * Groups queued ballots per meeting into batches of at most RELAYER_BATCH_SIZE ballots and within a
 * gas bound, and simulates a batch before it is sent. A meeting's batch is planned when it is full or
 * when its oldest ballot has waited RELAYER_BATCH_WAIT_MS.
 */
import type { JsonRpcProvider } from "ethers";
import { meetingHallInterface } from "../chain.js";
import { isUnreachable } from "../errors.js";
import type { BallotStore, BatchRecord } from "./queue.js";

export interface BatcherOptions {
  batchSize: number;
  batchWaitMs: number;
  maxBatchGas: number;
  /** How many planned batches may wait for a sender at once. */
  maxPlanned: number;
}

export type Simulation =
  | { kind: "ok"; data: string; gasLimit: bigint }
  | { kind: "revert"; error: string }
  | { kind: "unreachable"; cause: unknown };

/** Gas a batch costs beyond its ballots, and a first guess of a ballot's gas before receipts tell. */
const BATCH_OVERHEAD_GAS = 300_000;
const INITIAL_GAS_PER_BALLOT = 40_000;

export class Batcher {
  private gasPerBallot = INITIAL_GAS_PER_BALLOT;

  constructor(
    private readonly store: BallotStore,
    private readonly provider: JsonRpcProvider,
    private readonly hallAddress: string,
    private readonly options: BatcherOptions,
  ) {}

  /** Largest batch that fits the size and gas bounds. */
  get limit(): number {
    const byGas = Math.floor((this.options.maxBatchGas - BATCH_OVERHEAD_GAS) / Math.max(1, this.gasPerBallot));
    return Math.max(1, Math.min(this.options.batchSize, byGas));
  }

  /** Learns a ballot's gas from a mined batch. */
  observe(gasUsed: bigint, ballots: number): void {
    if (ballots <= 0) return;
    const per = Math.ceil((Number(gasUsed) - BATCH_OVERHEAD_GAS) / ballots);
    if (per > 0) this.gasPerBallot = Math.round(this.gasPerBallot * 0.7 + per * 0.3);
  }

  /** Plans batches from the queue; returns how many were planned. */
  plan(now = Date.now()): number {
    let planned = 0;
    let room = this.options.maxPlanned - this.store.countPlanned();
    if (room <= 0) return 0;
    const meetings = this.store.queuedMeetings().sort((a, b) => a.oldest - b.oldest);
    const limit = this.limit;
    for (const m of meetings) {
      let count = m.count;
      while (room > 0 && (count >= limit || (count > 0 && now - m.oldest >= this.options.batchWaitMs))) {
        const batch = this.store.planBatch(m.meetingId, limit);
        if (!batch) break;
        count -= batch.ballots.length;
        room--;
        planned++;
      }
      if (room <= 0) break;
    }
    return planned;
  }

  encode(batch: BatchRecord): string {
    return meetingHallInterface.encodeFunctionData("castBallotsBySig", [
      batch.meetingId,
      batch.ballots.map((b) => ({ voter: b.voter, choices: b.choices, signature: b.signature })),
    ]);
  }

  /** Gas limit of a batch: generous per ballot, so an out-of-gas revert is rare (and then split). */
  gasLimitFor(ballots: number): bigint {
    const perBallot = Math.max(30_000, Math.ceil(this.gasPerBallot * 1.5));
    return BigInt(BATCH_OVERHEAD_GAS + ballots * perBallot);
  }

  /**
   * Runs the batch once against the latest state (eth_call) from the sender that will send it, with
   * the gas limit it will carry. The contract skips bad ballots instead of reverting, so a revert here
   * means the whole batch cannot land as it is.
   */
  async simulate(batch: BatchRecord, from: string): Promise<Simulation> {
    const data = this.encode(batch);
    const gasLimit = this.gasLimitFor(batch.ballots.length);
    try {
      await this.provider.call({ from, to: this.hallAddress, data, gasLimit });
      return { kind: "ok", data, gasLimit };
    } catch (err) {
      if (isUnreachable(err)) return { kind: "unreachable", cause: err };
      const e = err as { code?: string; data?: string };
      if (e.code === "CALL_EXCEPTION") {
        let name = "reverted";
        try {
          name = (e.data && e.data !== "0x" && meetingHallInterface.parseError(e.data)?.name) || "reverted";
        } catch {
          // not one of the contract's errors
        }
        if (name === "reverted") return this.estimate(from, data);
        return { kind: "revert", error: name };
      }
      return { kind: "unreachable", cause: err };
    }
  }

  /** A revert without a contract error may be our gas limit: ask the node what the batch needs. */
  private async estimate(from: string, data: string): Promise<Simulation> {
    try {
      const estimate = await this.provider.estimateGas({ from, to: this.hallAddress, data });
      return { kind: "ok", data, gasLimit: (estimate * 125n) / 100n + 20_000n };
    } catch (err) {
      if (isUnreachable(err)) return { kind: "unreachable", cause: err };
      return { kind: "revert", error: "reverted" };
    }
  }
}
