/** What the follower keeps of each meeting: its announcement, ballots (and joint holdings) seen, and its results. */
import { getAddress } from "ethers";
import type { Database } from "./db.js";

export interface MeetingRecord {
  meetingId: bigint;
  buildingId: bigint;
  kind: number;
  /** `IMeetingHall.MeetingType`: extraordinary (0) or annual (1). */
  meetingType: number;
  initiator: string;
  administrator: string;
  /** The legal rules version it is counted by (0 for a poll). */
  rulesVersion: number;
  snapshot: number;
  votingStart: number;
  votingEnd: number;
  agendaRef: string;
  questions: Array<{ textRef: string; questionType: number }>;
  status: "announced" | "cancelled" | "finalized";
  reminder: "due" | "queued" | "missed";
  /** The announcement's block time (unknown for meetings recorded before it was kept). */
  announcedAt?: number;
  /** Whether its notices go by e-mail and SMS ("open") or are held by the notice budget. */
  paidChannels: "open" | "held";
  totalWeight?: bigint;
  participatingWeight?: bigint;
  ballots?: number;
  quorumReached?: boolean;
}

export interface Decision {
  questionIndex: number;
  questionType: number;
  forWeight: bigint;
  againstWeight: bigint;
  abstainWeight: bigint;
  passed: boolean;
}

export class Meetings {
  constructor(private readonly db: Database) {}

  /** Records an announcement once (a replay changes nothing); returns whether it was new. */
  announced(m: Omit<MeetingRecord, "status" | "reminder">): boolean {
    const r = this.db
      .sql(
        `INSERT INTO meetings (meeting_id, building_id, kind, meeting_type, initiator, administrator, rules_version, snapshot, voting_start, voting_end, agenda_ref, questions, announced_at, paid_channels)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        m.meetingId.toString(),
        m.buildingId.toString(),
        m.kind,
        m.meetingType,
        m.initiator,
        m.administrator,
        m.rulesVersion,
        m.snapshot,
        m.votingStart,
        m.votingEnd,
        m.agendaRef,
        JSON.stringify(m.questions),
        m.announcedAt ?? null,
        m.paidChannels,
      );
    return Number(r.changes) > 0;
  }

  /**
   * Meetings of `initiator` in `buildingId` announced in [from, to] whose notices went by e-mail and
   * SMS, the meeting `except` aside: what the notice budget counts.
   */
  openNoticesOf(buildingId: bigint, initiator: string, from: number, to: number, except: bigint): number {
    const row = this.db
      .sql(
        `SELECT COUNT(*) AS n FROM meetings WHERE building_id = ? AND initiator = ? AND announced_at >= ? AND announced_at <= ?
           AND paid_channels = 'open' AND meeting_id <> ?`,
      )
      .get(buildingId.toString(), getAddress(initiator), from, to, except.toString()) as { n: number };
    return Number(row.n);
  }

  setPaidChannels(meetingId: bigint, state: MeetingRecord["paidChannels"]): void {
    this.db.sql("UPDATE meetings SET paid_channels = ? WHERE meeting_id = ?").run(state, meetingId.toString());
  }

  /** A voter's ballot counted, or a joint group's weight counted within one (`JointGroupVoted`). */
  ballotCast(meetingId: bigint, voter: string): void {
    this.db.sql("INSERT INTO voters (meeting_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING").run(meetingId.toString(), getAddress(voter));
  }

  cancelled(meetingId: bigint): void {
    this.db.sql("UPDATE meetings SET status = 'cancelled' WHERE meeting_id = ?").run(meetingId.toString());
  }

  finalized(meetingId: bigint, totalWeight: bigint, participatingWeight: bigint, ballots: bigint, quorumReached: boolean): void {
    this.db
      .sql("UPDATE meetings SET status = 'finalized', total_weight = ?, participating_weight = ?, ballots = ?, quorum_reached = ? WHERE meeting_id = ?")
      .run(totalWeight.toString(), participatingWeight.toString(), Number(ballots), +quorumReached, meetingId.toString());
  }

  decided(meetingId: bigint, d: Decision): void {
    this.db
      .sql(
        `INSERT INTO decisions (meeting_id, question_index, question_type, for_weight, against_weight, abstain_weight, passed)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(meetingId.toString(), d.questionIndex, d.questionType, d.forWeight.toString(), d.againstWeight.toString(), d.abstainWeight.toString(), +d.passed);
  }

  /** Whether the follower has seen a counted ballot of `voter` (or a vote of joint group `voter`). */
  hasVoted(meetingId: bigint, voter: string): boolean {
    return this.db.sql("SELECT 1 FROM voters WHERE meeting_id = ? AND address = ?").get(meetingId.toString(), getAddress(voter)) !== undefined;
  }

  setReminder(meetingId: bigint, state: MeetingRecord["reminder"]): void {
    this.db.sql("UPDATE meetings SET reminder = ? WHERE meeting_id = ?").run(state, meetingId.toString());
  }

  get(meetingId: bigint): MeetingRecord | undefined {
    const row = this.db.sql("SELECT * FROM meetings WHERE meeting_id = ?").get(meetingId.toString()) as Record<string, unknown> | undefined;
    return row && fromRow(row);
  }

  /** Open meetings whose reminder is still due. */
  remindersDue(): MeetingRecord[] {
    return (this.db.sql("SELECT * FROM meetings WHERE status = 'announced' AND reminder = 'due'").all() as Array<Record<string, unknown>>).map(fromRow);
  }

  /** Finalized meetings whose results have not been queued. */
  resultsDue(): MeetingRecord[] {
    return (
      this.db
        .sql("SELECT m.* FROM meetings m WHERE m.status = 'finalized' AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.notice_id = 'meeting-' || m.meeting_id || '-results')")
        .all() as Array<Record<string, unknown>>
    ).map(fromRow);
  }

  decisions(meetingId: bigint): Decision[] {
    const rows = this.db.sql("SELECT * FROM decisions WHERE meeting_id = ? ORDER BY question_index").all(meetingId.toString()) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      questionIndex: Number(r.question_index),
      questionType: Number(r.question_type),
      forWeight: BigInt(String(r.for_weight)),
      againstWeight: BigInt(String(r.against_weight)),
      abstainWeight: BigInt(String(r.abstain_weight)),
      passed: Number(r.passed) === 1,
    }));
  }
}

function fromRow(r: Record<string, unknown>): MeetingRecord {
  return {
    meetingId: BigInt(String(r.meeting_id)),
    buildingId: BigInt(String(r.building_id)),
    kind: Number(r.kind),
    meetingType: Number(r.meeting_type),
    initiator: String(r.initiator),
    administrator: String(r.administrator),
    rulesVersion: Number(r.rules_version),
    snapshot: Number(r.snapshot),
    votingStart: Number(r.voting_start),
    votingEnd: Number(r.voting_end),
    agendaRef: String(r.agenda_ref),
    questions: JSON.parse(String(r.questions)),
    status: r.status as MeetingRecord["status"],
    reminder: r.reminder as MeetingRecord["reminder"],
    totalWeight: r.total_weight == null ? undefined : BigInt(String(r.total_weight)),
    participatingWeight: r.participating_weight == null ? undefined : BigInt(String(r.participating_weight)),
    ballots: r.ballots == null ? undefined : Number(r.ballots),
    quorumReached: r.quorum_reached == null ? undefined : Number(r.quorum_reached) === 1,
    announcedAt: r.announced_at == null ? undefined : Number(r.announced_at),
    paidChannels: r.paid_channels === "held" ? "held" : "open",
  };
}
