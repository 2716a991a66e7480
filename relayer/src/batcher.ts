/**
 * Groups queued ballots per meeting into batches of at most RELAYER_BATCH_SIZE ballots and within a
 * gas bound, and simulates a batch before it is sent. A meeting's batch is planned when it is full or
 * when its oldest ballot has waited RELAYER_BATCH_WAIT_MS and no earlier batch of the meeting is still
 * in flight (bounded by maxHoldMs), so that a busy meeting sends about one batch per block. A
 * meeting about to close goes first and at once: its batches wait for neither the batch window nor
 * an earlier batch, and are sent before any other's.
 */
import { toQuantity, type JsonRpcProvider } from "ethers";
import { meetingHallInterface } from "./chain.js";
import { isUnreachable } from "#lib/rpc.js";
import type { BallotStore, BatchRecord } from "./queue.js";
import { AppError } from "#lib/errors.js";

export interface BatcherOptions {
  batchSize: number;
  batchWaitMs: number;
  maxBatchGas: number;
  /** How many planned batches may wait for a sender at once. */
  maxPlanned: number;
  /**
   * How long a partial batch may be held back, beyond batchWaitMs, while its meeting has a batch in
   * flight (planned or sent, not mined). Ballots arriving while a batch waits for its block then
   * ride in the next batch instead of in one small transaction each.
   */
  maxHoldMs?: number;
  /** Whether a meeting closes soon: its ballots are batched at once and sent first. */
  closingSoon?: (meetingId: bigint) => boolean;
  /** The forwarder that forward requests' batches are sent to (`Forwarder.execute`). */
  forwarderAddress: string;
}

/** The priority of a forward request's batch: above a split batch's halves (1), below a closing meeting's. */
export const REQUEST_PRIORITY = 1;

/** The priority of a closing meeting's batches (above a split batch's halves, 1). */
export const CLOSING_PRIORITY = 2;

export type Simulation =
  | { kind: "ok"; data: string; gasLimit: bigint }
  | { kind: "revert"; error: string }
  | { kind: "unreachable"; cause: unknown };

/** Gas a batch costs beyond its ballots, and a first guess of a ballot's gas before receipts tell. */
const BATCH_OVERHEAD_GAS = 300_000;
const INITIAL_GAS_PER_BALLOT = 40_000;
const DEFAULT_MAX_HOLD_MS = 3_000;
/** The most gas one transaction may carry (EIP-7825). */
export const TX_GAS_CAP = 2 ** 24;

const CAST_SELECTOR = meetingHallInterface.getFunction("castBallotsBySig")!.selector;

function word(value: bigint | number): string {
  return value.toString(16).padStart(64, "0");
}

/** What a relayed ballot carries on chain (`IMeetingHall.SignedBallot`). */
export interface EncodedBallot {
  voter: string;
  representative: string;
  powerOfAttorney: bigint;
  choices: bigint;
  deadline: bigint;
  signature: string;
}

/**
 * ABI-encodes `castBallotsBySig(meetingId, ballots)` directly (one string join instead of the generic
 * coder, which dominated the submitter's profile); checked against the generic coder at load.
 */
export function encodeCastBallotsBySig(meetingId: bigint, ballots: ReadonlyArray<EncodedBallot>): string {
  const n = ballots.length;
  const heads: string[] = new Array(n);
  const tails: string[] = new Array(n);
  let offset = 32 * n;
  for (let i = 0; i < n; i++) {
    const b = ballots[i]!;
    const sig = b.signature.slice(2).toLowerCase();
    const len = sig.length / 2;
    const padded = Math.ceil(len / 32) * 64;
    const tail =
      b.voter.slice(2).toLowerCase().padStart(64, "0") +
      b.representative.slice(2).toLowerCase().padStart(64, "0") +
      word(b.powerOfAttorney) +
      word(b.choices) +
      word(b.deadline) +
      word(0xc0) +
      word(len) +
      sig.padEnd(padded, "0");
    heads[i] = word(offset);
    tails[i] = tail;
    offset += tail.length / 2;
  }
  return CAST_SELECTOR + word(meetingId) + word(0x40) + word(n) + heads.join("") + tails.join("");
}

{
  const zero = "0x0000000000000000000000000000000000000000";
  const sample: EncodedBallot[] = [
    { voter: "0x00000000000000000000000000000000000000aa", representative: zero, powerOfAttorney: 0n, choices: 57n, deadline: 1_700_000_000n, signature: "0x" + "ab".repeat(65) },
    {
      voter: "0x1000000000000000000000000000000000000001",
      representative: "0x2000000000000000000000000000000000000002",
      powerOfAttorney: (1n << 255n) + 7n,
      choices: 1n,
      deadline: (1n << 64n) - 1n,
      signature: "0x" + "01".repeat(64),
    },
    { voter: "0x2000000000000000000000000000000000000002", representative: zero, powerOfAttorney: 0n, choices: (1n << 127n) + 3n, deadline: 0n, signature: "0x" },
  ];
  for (const ballots of [sample, sample.slice(0, 1), []]) {
    if (encodeCastBallotsBySig(7n, ballots) !== meetingHallInterface.encodeFunctionData("castBallotsBySig", [7n, ballots])) {
      throw new AppError("self_check_failed", "the castBallotsBySig encoder disagrees with the ABI coder");
    }
  }
}

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

  /** Plans batches from the queue, a forward request's first; returns how many were planned. */
  plan(now = Date.now()): number {
    let room = this.options.maxPlanned - this.store.countPlanned();
    if (room <= 0) return 0;
    // a forward request travels alone, one Forwarder.execute each
    let planned = this.store.planRequests(room, REQUEST_PRIORITY);
    room -= planned;
    if (room <= 0) return planned;
    const closingSoon = this.options.closingSoon ?? (() => false);
    const meetings = this.store
      .queuedMeetings()
      .map((m) => ({ ...m, closing: closingSoon(m.meetingId) }))
      .sort((a, b) => Number(b.closing) - Number(a.closing) || a.oldest - b.oldest);
    const limit = this.limit;
    const inFlight = this.store.meetingsInFlight();
    const hold = this.options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
    for (const m of meetings) {
      let count = m.count;
      const waited = now - m.oldest;
      const due = m.closing || (waited >= this.options.batchWaitMs && (!inFlight.has(m.meetingId) || waited >= this.options.batchWaitMs + hold));
      // Full batches go at once. A partial one goes only if it is the meeting's first batch of this
      // pass: after a full one its ballots are newer than `oldest` tells, and a batch of the meeting
      // is then in flight, so it waits for a later pass to judge it.
      let first = true;
      while (room > 0 && (count >= limit || (count > 0 && due && first))) {
        const batch = this.store.planBatch(m.meetingId, limit, m.closing ? CLOSING_PRIORITY : 0);
        if (!batch) break;
        count -= batch.size;
        room--;
        planned++;
        first = false;
      }
      if (room <= 0) break;
    }
    return planned;
  }

  encode(batch: BatchRecord): string {
    return encodeCastBallotsBySig(batch.meetingId, batch.ballots);
  }

  /** The address a batch's transaction goes to: the hall, or the forwarder for a forward request. */
  target(batch: BatchRecord): string {
    return batch.requestId === null ? this.hallAddress : this.options.forwarderAddress;
  }

  /**
   * Gas limit of a batch: generous per ballot, so an out-of-gas revert is rare (and then split), and
   * never above the per-transaction cap (EIP-7825).
   */
  gasLimitFor(ballots: number): bigint {
    const perBallot = Math.max(30_000, Math.ceil(this.gasPerBallot * 1.5));
    return BigInt(Math.min(TX_GAS_CAP, BATCH_OVERHEAD_GAS + ballots * perBallot));
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
      // Sent as it is: the generic request normalisation re-encodes the (large) calldata twice.
      await this.provider.send("eth_call", [{ from, to: this.hallAddress, data, gas: toQuantity(gasLimit) }, "latest"]);
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
