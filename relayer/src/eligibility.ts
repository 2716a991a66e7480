/**
 * Voters' standings at a meeting's snapshot, for intake: the weight each holds alone and the joint
 * groups (premises held jointly, e.g. by spouses) through which they hold more (lib/voter-standing.ts).
 * A standing at a past snapshot never changes, so it is cached, keyed by what it depends on
 * (building, snapshot, and whether the meeting counts persons or shares), so meetings of a building
 * with the same snapshot share lookups. Whether a joint group has been voted for is not part of it:
 * that changes as ballots land, and the voted index and the queue answer it.
 *
 * The first lookup for a building and snapshot warms the cache: everyone who has ever held a weight or
 * a residence in the building (its `VoterWeightChanged` and `ResidentChanged` events) is looked up at
 * the snapshot with `BuildingRegistry.votersAt`, up to 500 a call. The events only nominate whom to
 * ask; every weight comes from the contract at the snapshot. A voter the events did not name, or a
 * warm-up that failed, falls back to lookups batched as they arrive (one `votersAt` call for the
 * voters asked about together).
 *
 * The cache is a bounded LRU (`cacheLimit` standings): voters are whatever addresses clients post,
 * so a flood of strangers evicts the coldest entries rather than emptying the whole cache.
 */
import { getAddress, toBeHex, toQuantity, zeroPadValue, type JsonRpcProvider } from "ethers";
import { IBuildingRegistry__factory, type IBuildingRegistry } from "#typechain/index.js";
import { LruMap } from "#lib/lru-map.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { decodeVotersAt, type VoterStanding } from "#lib/voter-standing.js";
import { KIND_POLL, type MeetingInfo } from "./meetings.js";

const MAX_LOOKUP = 500;
/** Standings cached at most (about 100 MB at the most for sole owners). */
export const CACHE_LIMIT = 1_000_000;
const registryInterface = IBuildingRegistry__factory.createInterface();
const MEMBER_TOPICS = [registryInterface.getEvent("VoterWeightChanged")!.topicHash, registryInterface.getEvent("ResidentChanged")!.topicHash];

interface Pending {
  voters: string[];
  waiters: Array<{ voter: string; resolve: (s: VoterStanding) => void; reject: (e: unknown) => void }>;
}

export class Eligibility {
  private readonly registry: IBuildingRegistry;
  private readonly cache: LruMap<string, VoterStanding>;
  private readonly pending = new Map<string, Pending>();
  /** Lookups asked and not yet answered, so that a voter is asked for once. */
  private readonly inflight = new Map<string, Promise<VoterStanding>>();
  private readonly warming = new Map<string, Promise<void>>();

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly registryAddress: string,
    private readonly startBlock = 0,
    private readonly stallMs = 2,
    options: { cacheLimit?: number } = {},
  ) {
    this.registry = IBuildingRegistry__factory.connect(registryAddress, provider);
    this.cache = new LruMap(options.cacheLimit ?? CACHE_LIMIT);
  }

  /** Standings held in the cache now. */
  get cachedStandings(): number {
    return this.cache.size;
  }

  /** Loads the standings of everyone the register's events name, at the meeting's snapshot (which must be past). */
  prepare(meeting: MeetingInfo): Promise<void> {
    const mk = registerKey(meeting);
    let warm = this.warming.get(mk);
    if (!warm) {
      warm = this.warm(meeting, mk);
      this.warming.set(mk, warm);
    }
    return warm;
  }

  /**
   * The voter's standing at the meeting's snapshot: their own weight (a poll: 1 for a resident or
   * owner) and their joint groups holding weight then (none in a poll). Nothing at all: not eligible.
   */
  standing(meeting: MeetingInfo, voter: string): Promise<VoterStanding> {
    const mk = registerKey(meeting);
    const key = `${mk}:${voter}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const asked = this.inflight.get(key);
    if (asked) return asked;
    const p = this.prepare(meeting).then(() => this.cache.get(key) ?? this.lookup(meeting, mk, voter));
    this.inflight.set(key, p);
    const done = () => this.inflight.delete(key);
    p.then(done, done);
    return p;
  }

  private async warm(meeting: MeetingInfo, mk: string): Promise<void> {
    try {
      const building = zeroPadValue(toBeHex(meeting.buildingId), 32);
      const logs: Array<{ topics: string[] }> = await this.provider.send("eth_getLogs", [
        { address: this.registryAddress, fromBlock: toQuantity(this.startBlock), toBlock: "latest", topics: [MEMBER_TOPICS, building] },
      ]);
      const members = [...new Set(logs.map((l) => getAddress("0x" + l.topics[2]!.slice(26))))];
      const chunks: string[][] = [];
      for (let i = 0; i < members.length; i += MAX_LOOKUP) chunks.push(members.slice(i, i + MAX_LOOKUP));
      await Promise.all(chunks.map((c) => this.ask(meeting, mk, c)));
    } catch {
      // Lookups as ballots arrive still answer (or report the node unreachable); a later ballot of
      // the building warms the cache again.
      this.warming.delete(mk);
    }
  }

  private lookup(meeting: MeetingInfo, mk: string, voter: string): Promise<VoterStanding> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(mk);
      if (!batch) {
        batch = { voters: [], waiters: [] };
        this.pending.set(mk, batch);
        setTimeout(() => this.flush(meeting, mk), this.stallMs);
      }
      batch.waiters.push({ voter, resolve, reject });
      if (!batch.voters.includes(voter)) batch.voters.push(voter);
      if (batch.voters.length >= MAX_LOOKUP) this.flush(meeting, mk);
    });
  }

  /** Reads the standings of `voters` at the snapshot into the cache. */
  private async ask(meeting: MeetingInfo, mk: string, voters: string[]): Promise<Map<string, VoterStanding>> {
    const packed = await this.registry.votersAt(meeting.buildingId, voters, meeting.snapshot, meeting.kind === KIND_POLL);
    const standings = new Map<string, VoterStanding>();
    decodeVotersAt(packed, voters.length).forEach((s, i) => {
      standings.set(voters[i]!, s);
      this.cache.set(`${mk}:${voters[i]}`, s);
    });
    return standings;
  }

  private async flush(meeting: MeetingInfo, mk: string): Promise<void> {
    const batch = this.pending.get(mk);
    if (!batch) return;
    this.pending.delete(mk);
    try {
      const standings = await this.ask(meeting, mk, batch.voters);
      for (const w of batch.waiters) w.resolve(standings.get(w.voter)!);
    } catch (err) {
      const e = isUnreachable(err) ? chainUnavailable(err) : err;
      for (const w of batch.waiters) w.reject(e);
    }
  }
}

/** The register a meeting is weighed against: its building, snapshot and kind (a poll counts residents). */
function registerKey(meeting: MeetingInfo): string {
  return `${meeting.buildingId}:${meeting.snapshot}:${meeting.kind === KIND_POLL ? 1 : 0}`;
}
