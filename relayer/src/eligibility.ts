/**
 * Voters' weights at a meeting's snapshot, for intake. A weight at a past snapshot never changes, so
 * it is cached, keyed by what it depends on (building, snapshot, and whether the meeting counts
 * persons or shares), so meetings of a building with the same snapshot share lookups.
 *
 * The first lookup for a building and snapshot warms the cache: everyone who has ever held a weight or
 * a residence in the building (its `VoterWeightChanged` and `ResidentChanged` events) is looked up at
 * the snapshot with `BuildingRegistry.votersAt`, up to 500 a call. The events only nominate whom to
 * ask; every weight comes from the contract at the snapshot. A voter the events did not name, or a
 * warm-up that failed, falls back to lookups batched as they arrive (one `votersAt` call for the
 * voters asked about together).
 *
 * The cache is a bounded LRU (`cacheLimit` weights): voters are whatever addresses clients post, so
 * a flood of strangers evicts the coldest entries rather than emptying the whole cache.
 */
import { getAddress, toBeHex, toQuantity, zeroPadValue, type JsonRpcProvider } from "ethers";
import { IBuildingRegistry__factory, type IBuildingRegistry } from "#typechain/index.js";
import { LruMap } from "#lib/lru-map.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { KIND_POLL, type MeetingInfo } from "./meetings.js";

const MAX_LOOKUP = 500;
/** Weights cached at most (about 100 MB at the most). */
export const CACHE_LIMIT = 1_000_000;
const registryInterface = IBuildingRegistry__factory.createInterface();
const MEMBER_TOPICS = [registryInterface.getEvent("VoterWeightChanged")!.topicHash, registryInterface.getEvent("ResidentChanged")!.topicHash];

interface Pending {
  voters: string[];
  waiters: Array<{ voter: string; resolve: (w: bigint) => void; reject: (e: unknown) => void }>;
}

export class Eligibility {
  private readonly registry: IBuildingRegistry;
  private readonly cache: LruMap<string, bigint>;
  private readonly pending = new Map<string, Pending>();
  /** Lookups asked and not yet answered, so that a voter is asked for once. */
  private readonly inflight = new Map<string, Promise<bigint>>();
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

  /** Weights held in the cache now. */
  get cachedWeights(): number {
    return this.cache.size;
  }

  /** Loads the weights of everyone the register's events name, at the meeting's snapshot (which must be past). */
  prepare(meeting: MeetingInfo): Promise<void> {
    const mk = registerKey(meeting);
    let warm = this.warming.get(mk);
    if (!warm) {
      warm = this.warm(meeting, mk);
      this.warming.set(mk, warm);
    }
    return warm;
  }

  /** The voter's weight at the meeting's snapshot (a poll: 1 for a resident or owner); 0 if not eligible. */
  weight(meeting: MeetingInfo, voter: string): Promise<bigint> {
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

  private lookup(meeting: MeetingInfo, mk: string, voter: string): Promise<bigint> {
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

  /** Reads the weights of `voters` at the snapshot into the cache. */
  private async ask(meeting: MeetingInfo, mk: string, voters: string[]): Promise<Map<string, bigint>> {
    const packed = await this.registry.votersAt(meeting.buildingId, voters, meeting.snapshot, meeting.kind === KIND_POLL);
    const weights = new Map<string, bigint>();
    voters.forEach((v, i) => {
      const w = packed[i]! >> 32n;
      weights.set(v, w);
      this.cache.set(`${mk}:${v}`, w);
    });
    return weights;
  }

  private async flush(meeting: MeetingInfo, mk: string): Promise<void> {
    const batch = this.pending.get(mk);
    if (!batch) return;
    this.pending.delete(mk);
    try {
      const weights = await this.ask(meeting, mk, batch.voters);
      for (const w of batch.waiters) w.resolve(weights.get(w.voter)!);
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
