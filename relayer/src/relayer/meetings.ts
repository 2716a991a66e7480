/**
 * What intake needs to know about meetings and the chain's clock, read from the node and cached:
 * a meeting's window and agenda size change only by cancellation or finalization, so a short TTL is
 * enough; the clock is the timestamp of the latest block. Both are served stale-while-revalidate:
 * a value older than its refresh age is refreshed in the background and still served until it is
 * older than its maximum age, so intake does not wait on a busy node for every request.
 */
import type { JsonRpcProvider } from "ethers";
import { IMeetingHall__factory, type IMeetingHall } from "../../../types/ethers-contracts/index.js";
import { ServiceError, chainUnavailable, isUnreachable } from "../errors.js";

export interface MeetingInfo {
  meetingId: bigint;
  buildingId: bigint;
  kind: number;
  status: number;
  questionCount: number;
  snapshot: number;
  votingStart: number;
  votingEnd: number;
}

/** `IMeetingHall.Status.Announced`. */
export const STATUS_ANNOUNCED = 1;
/** `IMeetingHall.Kind.Poll`. */
export const KIND_POLL = 1;

/** The custom-error name of a failed contract call, if ethers decoded one. */
export function revertName(err: unknown): string | undefined {
  const e = err as { code?: string; revert?: { name?: string } };
  return e?.code === "CALL_EXCEPTION" ? e.revert?.name : undefined;
}

export class MeetingDirectory {
  readonly hall: IMeetingHall;
  private readonly cache = new Map<string, { info: MeetingInfo; at: number }>();
  private readonly loading = new Map<string, Promise<MeetingInfo>>();
  private clock: { timestamp: number; blockNumber: number; at: number } | undefined;
  private clockLoading: Promise<{ timestamp: number; blockNumber: number }> | undefined;
  private readonly clockListeners: Array<(blockNumber: number) => void> = [];

  constructor(
    private readonly provider: JsonRpcProvider,
    hallAddress: string,
    private readonly ages = { meetingRefreshMs: 5_000, meetingMaxMs: 30_000, clockRefreshMs: 200, clockMaxMs: 1_000 },
  ) {
    this.hall = IMeetingHall__factory.connect(hallAddress, provider);
  }

  /** Called with the latest block number whenever the clock is read from the node. */
  onClock(listener: (blockNumber: number) => void): void {
    this.clockListeners.push(listener);
  }

  /** The meeting, or a 404 `unknown_meeting`. */
  async meeting(meetingId: bigint): Promise<MeetingInfo> {
    const key = meetingId.toString();
    const cached = this.cache.get(key);
    const age = cached ? Date.now() - cached.at : Infinity;
    if (age < this.ages.meetingRefreshMs) return cached!.info;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(meetingId).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    if (age < this.ages.meetingMaxMs) {
      pending.catch(() => undefined);
      return cached!.info;
    }
    return pending;
  }

  /** Timestamp and number of the latest block. */
  async now(): Promise<{ timestamp: number; blockNumber: number }> {
    const age = this.clock ? Date.now() - this.clock.at : Infinity;
    if (age < this.ages.clockRefreshMs) return this.clock!;
    if (!this.clockLoading) {
      this.clockLoading = this.provider
        .send("eth_getBlockByNumber", ["latest", false])
        .then((block: { timestamp: string; number: string }) => {
          this.clock = { timestamp: Number(BigInt(block.timestamp)), blockNumber: Number(BigInt(block.number)), at: Date.now() };
          for (const listener of this.clockListeners) listener(this.clock.blockNumber);
          return this.clock;
        })
        .catch((err: unknown) => {
          throw isUnreachable(err) ? chainUnavailable(err) : err;
        })
        .finally(() => {
          this.clockLoading = undefined;
        });
    }
    if (age < this.ages.clockMaxMs) {
      this.clockLoading.catch(() => undefined);
      return this.clock!;
    }
    return this.clockLoading;
  }

  private async load(meetingId: bigint): Promise<MeetingInfo> {
    try {
      const m = await this.hall.getMeeting(meetingId);
      const info: MeetingInfo = {
        meetingId,
        buildingId: m.buildingId,
        kind: Number(m.kind),
        status: Number(m.status),
        questionCount: Number(m.questionCount),
        snapshot: Number(m.snapshot),
        votingStart: Number(m.votingStart),
        votingEnd: Number(m.votingEnd),
      };
      this.cache.set(meetingId.toString(), { info, at: Date.now() });
      return info;
    } catch (err) {
      if (revertName(err) === "MeetingHallUnknownMeeting") {
        throw new ServiceError("unknown_meeting", `no meeting has id ${meetingId}`, { status: 404 });
      }
      if (isUnreachable(err)) throw chainUnavailable(err);
      throw err;
    }
  }
}
