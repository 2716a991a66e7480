/**
 * Who hears of a meeting. The follower records every person the registry ever named in a building
 * (holders of every holding — sole owners, co-owners, joint owners —, residents) and, apart, the
 * joint groups, which are no one to notify; the contracts' views then say who counts at the
 * meeting's snapshot: every owner for a general meeting (alone, as a co-owner or as a joint owner,
 * each person once), owners and registered residents for a poll.
 *
 * A reminder goes to whoever could still cast a ballot that counts: a person who has not voted and
 * still holds weight of their own not yet voted — what they own alone, or a joint holding no other
 * joint owner has voted for. A joint owner whose joint holding the other voted, and who owns nothing
 * else, is not reminded.
 */
import { getAddress } from "ethers";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";
import { Kind } from "#lib/domain.js";
import type { Database } from "./db.js";
import type { MeetingRecord, Meetings } from "./meetings.js";

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
    private readonly meetings: Meetings,
  ) {}

  /** A joint group first used in a building: its address is no person's. */
  addJointGroup(buildingId: bigint, group: string): void {
    this.db.sql("INSERT INTO joint_groups (building_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING").run(buildingId.toString(), getAddress(group));
    this.db.sql("DELETE FROM members WHERE building_id = ? AND address = ?").run(buildingId.toString(), getAddress(group));
  }

  addMember(buildingId: bigint, address: string): void {
    const account = getAddress(address);
    if (this.db.sql("SELECT 1 FROM joint_groups WHERE building_id = ? AND address = ?").get(buildingId.toString(), account)) return;
    this.db.sql("INSERT INTO members (building_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING").run(buildingId.toString(), account);
  }

  candidates(buildingId: bigint): string[] {
    return (this.db.sql("SELECT address FROM members WHERE building_id = ? ORDER BY address").all(buildingId.toString()) as Array<{ address: string }>).map((r) => r.address);
  }

  /** Owners at the snapshot (alone, as co-owners or jointly); for a poll, registered residents too. */
  async eligible(m: MeetingRecord): Promise<string[]> {
    const all = this.candidates(m.buildingId);
    const flags = await inBatches(all, async (address) => {
      if (await this.registry.isOwnerAt(m.buildingId, address, m.snapshot)) return true;
      return m.kind === Kind.Poll && (await this.registry.isResidentAt(m.buildingId, address, m.snapshot));
    });
    return all.filter((_, i) => flags[i]);
  }

  /**
   * Eligible people who could still cast a ballot that counts: not voted themselves (neither a
   * `BallotCast` seen by the follower nor `hasVoted` on chain) and, for a general meeting, holding
   * weight at the snapshot that nobody has voted: their own, or a joint group's no joint owner voted.
   */
  async nonVoters(m: MeetingRecord): Promise<string[]> {
    const voted = (address: string) => (this.meetings.hasVoted(m.meetingId, address) ? Promise.resolve(true) : this.hall.hasVoted(m.meetingId, address));
    const eligible = await this.eligible(m);
    const open = await inBatches(eligible, async (address) => {
      if (await voted(address)) return false;
      if (m.kind === Kind.Poll) return true;
      if ((await this.registry.weightAt(m.buildingId, address, m.snapshot)) > 0n) return true;
      for (const group of await this.registry.jointGroupsOf(m.buildingId, address)) {
        if ((await this.registry.weightAt(m.buildingId, group, m.snapshot)) > 0n && !(await voted(group))) return true;
      }
      return false;
    });
    return eligible.filter((_, i) => open[i]);
  }
}
