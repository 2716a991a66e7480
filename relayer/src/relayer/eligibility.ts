/**
 * Voters' weights at a meeting's snapshot, for intake. A weight at a past snapshot never changes, so
 * it is cached; lookups arriving together are answered by one `BuildingRegistry.votersAt` call per
 * meeting instead of one call per ballot.
 */
import type { JsonRpcProvider } from "ethers";
import { IBuildingRegistry__factory, type IBuildingRegistry } from "../../../types/ethers-contracts/index.js";
import { chainUnavailable, isUnreachable } from "../errors.js";
import { KIND_POLL, type MeetingInfo } from "./meetings.js";

const MAX_LOOKUP = 500;
const CACHE_LIMIT = 1_000_000;

interface Pending {
  voters: string[];
  waiters: Array<{ voter: string; resolve: (w: bigint) => void; reject: (e: unknown) => void }>;
}

export class Eligibility {
  private readonly registry: IBuildingRegistry;
  private readonly cache = new Map<string, bigint>();
  private readonly pending = new Map<string, Pending>();

  constructor(provider: JsonRpcProvider, registryAddress: string, private readonly stallMs = 2) {
    this.registry = IBuildingRegistry__factory.connect(registryAddress, provider);
  }

  /** The voter's weight at the meeting's snapshot (a poll: 1 for a resident or owner); 0 if not eligible. */
  weight(meeting: MeetingInfo, voter: string): Promise<bigint> {
    const key = `${meeting.meetingId}:${voter}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      const mk = meeting.meetingId.toString();
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

  private async flush(meeting: MeetingInfo, mk: string): Promise<void> {
    const batch = this.pending.get(mk);
    if (!batch) return;
    this.pending.delete(mk);
    try {
      const packed = await this.registry.votersAt(meeting.buildingId, batch.voters, meeting.snapshot, meeting.kind === KIND_POLL);
      if (this.cache.size > CACHE_LIMIT) this.cache.clear();
      const weights = new Map<string, bigint>();
      batch.voters.forEach((v, i) => {
        const w = packed[i]! >> 32n;
        weights.set(v, w);
        this.cache.set(`${mk}:${v}`, w);
      });
      for (const w of batch.waiters) w.resolve(weights.get(w.voter)!);
    } catch (err) {
      const e = isUnreachable(err) ? chainUnavailable(err) : err;
      for (const w of batch.waiters) w.reject(e);
    }
  }
}
