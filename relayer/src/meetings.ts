/**
 * What intake needs to know about meetings and the chain's clock, read from the node and cached.
 *
 * A meeting's window and agenda size change only by cancellation or finalization, so a short TTL is
 * enough; a value older than its refresh age is refreshed in the background and still served until it
 * is older than its maximum age. A meeting id the hall does not know is remembered as unknown for a
 * short while (`unknownMeetingMs`), so a client posting ballots for it costs the node one call in
 * that time, not one a request; those ids are kept in a bounded LRU, like the meetings themselves.
 *
 * The clock follows the chain head in the background (one `eth_getBlockByNumber` every
 * `clockPollMs`), so no ballot waits on the node for it. Between readings the chain's time is
 * projected from the newest block's timestamp plus the wall time since it was read: a ballot arrives
 * at the chain no earlier than that, so the projection refuses fewer doomed ballots late in a window
 * than the stale timestamp would. Intake refuses a ballot as outside the window only after a fresh
 * reading agrees, so a meeting opens for intake with the block that opens it. The contract decides
 * in the end: a ballot that reaches the chain after the window closes is skipped there and reported
 * rejected (`meeting_not_open`). When no reading has succeeded for `clockMaxMs`, intake waits for a
 * fresh one and answers 503 if the node cannot give it; but while the node is only slow to answer
 * (busy building a large block, say: its last reading did not fail), a ballot whose meeting is open
 * both at the last reading and at the projection needs no fresh one, as the chain's time lies
 * between the two.
 */
import type { JsonRpcProvider } from "ethers";
import { IMeetingHall__factory, type IMeetingHall } from "#typechain/index.js";
import { Kind, Status } from "#lib/domain.js";
import { AppError } from "#lib/errors.js";
import { LruMap } from "#lib/lru-map.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";

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

/** `IMeetingHall.Status.Announced`, which `MeetingInfo.status` is compared with. */
export const STATUS_ANNOUNCED = Status.Announced;
/** `IMeetingHall.Kind.Poll`, which `MeetingInfo.kind` is compared with. */
export const KIND_POLL = Kind.Poll;

/** The custom-error name of a failed contract call, if ethers decoded one. */
export function revertName(err: unknown): string | undefined {
  const e = err as { code?: string; revert?: { name?: string } };
  return e?.code === "CALL_EXCEPTION" ? e.revert?.name : undefined;
}

export interface DirectoryAges {
  meetingRefreshMs: number;
  meetingMaxMs: number;
  /** How long a meeting id the hall does not know is answered `unknown_meeting` without asking again. */
  unknownMeetingMs: number;
  clockPollMs: number;
  clockMaxMs: number;
}

export const DEFAULT_AGES: DirectoryAges = { meetingRefreshMs: 5_000, meetingMaxMs: 30_000, unknownMeetingMs: 2_000, clockPollMs: 250, clockMaxMs: 5_000 };
/** Meetings, and unknown meeting ids, kept at most. */
export const MEETING_CACHE = 100_000;

export class MeetingDirectory {
  readonly hall: IMeetingHall;
  private readonly cache = new LruMap<string, { info: MeetingInfo; at: number }>(MEETING_CACHE);
  private readonly unknown = new LruMap<string, number>(MEETING_CACHE);
  private readonly ages: DirectoryAges;
  private readonly loading = new Map<string, Promise<MeetingInfo>>();
  private clock: { timestamp: number; blockNumber: number; at: number } | undefined;
  private clockLoading: Promise<{ timestamp: number; blockNumber: number; at: number }> | undefined;
  /** The last reading of the clock failed (the node unreachable or erring), not merely slow. */
  private clockFailed = false;
  private readonly clockListeners: Array<(blockNumber: number) => void> = [];
  private clockTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly provider: JsonRpcProvider,
    hallAddress: string,
    ages: Partial<DirectoryAges> = {},
  ) {
    this.ages = { ...DEFAULT_AGES, ...ages };
    this.hall = IMeetingHall__factory.connect(hallAddress, provider);
  }

  /** Called with the latest block number whenever the clock is read from the node. */
  onClock(listener: (blockNumber: number) => void): void {
    this.clockListeners.push(listener);
  }

  /** The meeting, or a 404 `unknown_meeting`. */
  async meeting(meetingId: bigint): Promise<MeetingInfo> {
    const key = meetingId.toString();
    const unknownAt = this.unknown.get(key);
    if (unknownAt !== undefined) {
      if (Date.now() - unknownAt < this.ages.unknownMeetingMs) throw unknownMeeting(meetingId);
      this.unknown.delete(key);
    }
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

  /** The meeting's closing time if it is loaded (no call to the node), for the batcher's priorities. */
  cachedVotingEnd(meetingId: bigint): number | undefined {
    return this.cache.get(meetingId.toString())?.info.votingEnd;
  }

  /** The chain's time as last read and projected, without a call to the node (undefined before the first reading). */
  projectedNow(): number | undefined {
    const c = this.clock;
    return c && c.timestamp + Math.floor((Date.now() - c.at) / 1000);
  }

  /** Starts following the chain head in the background. */
  follow(): void {
    if (this.clockTimer) return;
    const poll = () => {
      this.readClock()
        .catch(() => undefined)
        .finally(() => {
          if (this.clockTimer) this.clockTimer = setTimeout(poll, this.ages.clockPollMs);
        });
    };
    this.clockTimer = setTimeout(poll, 0);
  }

  /** Stops following the chain head. */
  stop(): void {
    if (this.clockTimer) clearTimeout(this.clockTimer);
    this.clockTimer = undefined;
  }

  /**
   * The chain's time (the latest block's timestamp, projected forward by the wall time since it was
   * read) and the latest block's number; `fresh` reads the head from the node first. A reading older
   * than `clockMaxMs` is replaced by a fresh one first, unless the last reading did not fail and
   * `settled(read, projected)` holds: the caller's answer is the same at every time between the last
   * block's timestamp and the projection.
   */
  async now(fresh = false, settled?: (read: number, projected: number) => boolean): Promise<{ timestamp: number; blockNumber: number }> {
    let clock = this.clock;
    const projected = (c: { timestamp: number; at: number }) => c.timestamp + Math.floor((Date.now() - c.at) / 1000);
    const stale = !clock || Date.now() - clock.at >= this.ages.clockMaxMs;
    if (fresh || !clock || (stale && (this.clockFailed || !settled?.(clock.timestamp, projected(clock))))) clock = await this.readClock();
    return { timestamp: projected(clock), blockNumber: clock.blockNumber };
  }

  private readClock(): Promise<{ timestamp: number; blockNumber: number; at: number }> {
    this.clockLoading ??= this.provider
      .send("eth_getBlockByNumber", ["latest", false])
      .then((block: { timestamp: string; number: string }) => {
        const clock = { timestamp: Number(BigInt(block.timestamp)), blockNumber: Number(BigInt(block.number)), at: Date.now() };
        this.clock = clock;
        this.clockFailed = false;
        for (const listener of this.clockListeners) listener(clock.blockNumber);
        return clock;
      })
      .catch((err: unknown) => {
        this.clockFailed = true;
        throw isUnreachable(err) ? chainUnavailable(err) : err;
      })
      .finally(() => {
        this.clockLoading = undefined;
      });
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
        this.unknown.set(meetingId.toString(), Date.now());
        throw unknownMeeting(meetingId);
      }
      if (isUnreachable(err)) throw chainUnavailable(err);
      throw err;
    }
  }
}

function unknownMeeting(meetingId: bigint): AppError {
  return new AppError("unknown_meeting", `no meeting has id ${meetingId}`);
}
