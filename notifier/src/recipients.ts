/**
 * Who hears of a meeting. The follower records every address the registry ever named in a building
 * (owners through weight changes and ownership, residents); the contracts' views then say who counts
 * at the meeting's snapshot: owners with weight > 0 for a general meeting, owners and registered
 * residents for a poll. Before the snapshot the views answer with the current register.
 */
import { getAddress } from "ethers";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";
import { Kind } from "#lib/domain.js";
import type { Database } from "./db.js";
import type { MeetingRecord } from "./meetings.js";

const BATCH = 50;

async function inBatches<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map(fn))));
  return out;
}

export class Recipients {
  constructor(
    private readonly db: Database,
    private readonly registry: BuildingRegistry,
    private readonly hall: MeetingHall,
  ) {}

  addMember(buildingId: bigint, address: string): void {
    this.db.sql("INSERT INTO members (building_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING").run(buildingId.toString(), getAddress(address));
  }

  candidates(buildingId: bigint): string[] {
    return (this.db.sql("SELECT address FROM members WHERE building_id = ? ORDER BY address").all(buildingId.toString()) as Array<{ address: string }>).map((r) => r.address);
  }

  /** Owners with weight at the snapshot; for a poll, registered residents too. */
  async eligible(m: MeetingRecord): Promise<string[]> {
    const all = this.candidates(m.buildingId);
    const flags = await inBatches(all, async (address) => {
      if ((await this.registry.weightAt(m.buildingId, address, m.snapshot)) > 0n) return true;
      return m.kind === Kind.Poll && (await this.registry.isResidentAt(m.buildingId, address, m.snapshot));
    });
    return all.filter((_, i) => flags[i]);
  }

  /** Eligible voters without a ballot: neither a BallotCast seen by the follower nor `hasVoted` on chain. */
  async nonVoters(m: MeetingRecord): Promise<string[]> {
    const seen = new Set(
      (this.db.sql("SELECT address FROM voters WHERE meeting_id = ?").all(m.meetingId.toString()) as Array<{ address: string }>).map((r) => r.address),
    );
    const open = (await this.eligible(m)).filter((a) => !seen.has(a));
    const voted = await inBatches(open, (address) => this.hall.hasVoted(m.meetingId, address));
    return open.filter((_, i) => !voted[i]);
  }
}
