/**
 * Powers of attorney for intake: whether a representative may vote for a voter now, read from the
 * MeetingHall (`powerOfAttorney(id)`) and cached. A recorded power never changes except by its
 * revocation, so its terms are kept (a bounded LRU: ids come from what clients post) and only the
 * revocation is followed: the hall's `PowerOfAttorneyRevoked` events, read block by block in the
 * background as the clock moves, mark the power revoked whether or not it is cached, so a reading
 * that raced a revocation cannot hide it. An id the hall does not know yet is remembered as unknown
 * for a short while only (a power may be recorded a moment later).
 *
 * As with who has voted, a revocation in the newest few blocks can pass intake; the contract then
 * skips the ballot (`NoPowerOfAttorney`) and the relayer reports it rejected.
 */
import { getAddress, toQuantity, type JsonRpcProvider } from "ethers";
import { IMeetingHall__factory, type IMeetingHall } from "#typechain/index.js";
import { LruMap } from "#lib/lru-map.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { meetingHallInterface } from "./chain.js";
import { revertName } from "./meetings.js";

const REVOKED_TOPIC = meetingHallInterface.getEvent("PowerOfAttorneyRevoked")!.topicHash;
/** Powers kept at most, and unknown ids remembered at most. */
export const POWER_CACHE = 100_000;
/** How long an id the hall does not know is answered unknown without asking again. */
export const UNKNOWN_POWER_MS = 2_000;
/** How many blocks the revocations may lag the chain head before a lookup waits for them. */
export const MAX_LAG_BLOCKS = 4;

/** A recorded power of attorney (`IMeetingHall.PowerOfAttorney`), and whether it is revoked. */
export interface PowerRecord {
  id: bigint;
  principal: string;
  representative: string;
  buildingId: bigint;
  /** 0: every meeting of the building in its validity. */
  meetingId: bigint;
  validFrom: number;
  validTo: number;
  revoked: boolean;
}

/** Why a power does not let a representative vote for a voter in a meeting at a time (undefined: it does). */
export type PowerProblem = "unknown" | "revoked" | "other_principal" | "other_representative" | "other_building" | "other_meeting" | "not_yet_valid" | "expired";

/**
 * Whether `power` lets `representative` vote for `voter` in meeting `meetingId` of building
 * `buildingId` at every time from `from` to `until` (the contract checks it when the ballot lands).
 */
export function powerProblem(
  power: PowerRecord | undefined,
  ballot: { voter: string; representative: string; meetingId: bigint; buildingId: bigint },
  from: number,
  until: number,
): PowerProblem | undefined {
  if (!power) return "unknown";
  if (power.revoked) return "revoked";
  if (power.principal !== ballot.voter) return "other_principal";
  if (power.representative !== ballot.representative) return "other_representative";
  if (power.buildingId !== ballot.buildingId) return "other_building";
  if (power.meetingId !== 0n && power.meetingId !== ballot.meetingId) return "other_meeting";
  if (from < power.validFrom) return "not_yet_valid";
  if (until > power.validTo) return "expired";
  return undefined;
}

export class PowersOfAttorney {
  private readonly hall: IMeetingHall;
  private readonly cache = new LruMap<string, Omit<PowerRecord, "revoked">>(POWER_CACHE);
  private readonly unknown = new LruMap<string, number>(POWER_CACHE);
  /** Every power seen revoked since following began (revocations are few). */
  private readonly revoked = new Set<string>();
  private readonly loading = new Map<string, Promise<PowerRecord | undefined>>();
  private syncedTo = -1;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly hallAddress: string,
  ) {
    this.hall = IMeetingHall__factory.connect(hallAddress, provider);
  }

  /** Catches up with revocations to `blockNumber` in the background (the clock calls this). */
  follow(blockNumber: number): void {
    if (this.syncedTo < blockNumber) this.sync().catch(() => undefined);
  }

  /** The power with this id as it stands at block `atLeast - lag` or later, or undefined when there is none. */
  async power(id: bigint, atLeast: number, lag = MAX_LAG_BLOCKS): Promise<PowerRecord | undefined> {
    try {
      while (this.syncedTo < atLeast - lag) await this.sync();
      const key = id.toString();
      const terms = this.cache.get(key);
      if (terms) return { ...terms, revoked: this.revoked.has(key) };
      const unknownAt = this.unknown.get(key);
      if (unknownAt !== undefined && Date.now() - unknownAt < UNKNOWN_POWER_MS) return undefined;
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.load(id).finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      return await pending;
    } catch (err) {
      throw isUnreachable(err) ? chainUnavailable(err) : err;
    }
  }

  private async load(id: bigint): Promise<PowerRecord | undefined> {
    const key = id.toString();
    try {
      const [p, revoked] = await this.hall.powerOfAttorney(id);
      const terms = {
        id,
        principal: getAddress(p.principal),
        representative: getAddress(p.representative),
        buildingId: p.buildingId,
        meetingId: p.meetingId,
        validFrom: Number(p.validFrom),
        validTo: Number(p.validTo),
      };
      if (revoked) this.revoked.add(key);
      this.unknown.delete(key);
      this.cache.set(key, terms);
      return { ...terms, revoked: this.revoked.has(key) };
    } catch (err) {
      if (revertName(err) === "MeetingHallUnknownPowerOfAttorney") {
        this.unknown.set(key, Date.now());
        return undefined;
      }
      throw err;
    }
  }

  /** Reads the revocations of the blocks since the last sync (the first sync starts following at the head). */
  private sync(): Promise<void> {
    this.syncing ??= (async () => {
      const to = Number(BigInt(await this.provider.send("eth_blockNumber", [])));
      if (this.syncedTo < 0) {
        this.syncedTo = to;
        return;
      }
      if (to <= this.syncedTo) return;
      const logs: Array<{ topics: string[] }> = await this.provider.send("eth_getLogs", [
        { address: this.hallAddress, fromBlock: toQuantity(this.syncedTo + 1), toBlock: toQuantity(to), topics: [REVOKED_TOPIC] },
      ]);
      for (const log of logs) this.revoked.add(BigInt(log.topics[1]!).toString());
      this.syncedTo = to;
    })().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }
}
