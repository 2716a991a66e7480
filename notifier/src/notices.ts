/**
 * Turns what happened on chain into notices: the notice of a meeting or poll, the reminder to those
 * who have not voted, the results, the cancellation. Each notice is rendered per recipient in their
 * language and queued once per channel they can be reached by and have not declined.
 *
 * The legal notice of a general meeting and its results always go in-app: a resident who declined
 * every channel (or has no directory entry) still finds them in their feed. E-mail and SMS of a
 * meeting past its initiator's notice budget (budget.ts) are queued as held, not sent.
 */
import { KINDS, Kind, MEETING_TYPES } from "#lib/domain.js";
import type { AgendaTexts } from "./agenda.js";
import type { Language } from "./config.js";
import type { Database } from "./db.js";
import type { Channel, Directory } from "./directory.js";
import type { Logger } from "#lib/log.js";
import type { MeetingRecord, Meetings } from "./meetings.js";
import type { NewOutboxRow, Outbox } from "./outbox.js";
import type { Recipients } from "./recipients.js";
import type { RulesVersions } from "./rules.js";
import { render, type NoticeData, type NoticeType } from "./templates.js";

export interface NoticeOptions {
  voteUrl: string;
  timeZone: string;
  defaultLanguage: Language;
  reminderBeforeSeconds: number;
  /** Channels with a configured provider. */
  channels: Set<Channel>;
}

export const noticeId = (meetingId: bigint, type: NoticeType) => `meeting-${meetingId}-${type}`;

export class NoticePlanner {
  constructor(
    private readonly db: Database,
    private readonly meetings: Meetings,
    private readonly directory: Directory,
    private readonly recipients: Recipients,
    private readonly outbox: Outbox,
    private readonly texts: AgendaTexts,
    private readonly rules: RulesVersions,
    private readonly options: NoticeOptions,
    private readonly log: Logger,
  ) {}

  private queued(id: string): boolean {
    return this.db.sql("SELECT 1 FROM notices WHERE notice_id = ?").get(id) !== undefined;
  }

  /**
   * The notice of a meeting or poll. One whose voting had closed by `chainTime` (seen while catching
   * up on old history) is recorded as skipped rather than sent: its results follow instead.
   */
  async announced(meetingId: bigint, chainTime: number): Promise<void> {
    const m = this.meetings.get(meetingId);
    if (!m || this.queued(noticeId(meetingId, "announced"))) return;
    if (chainTime >= m.votingEnd) {
      this.db
        .sql("INSERT INTO notices (notice_id, meeting_id, type, recipients, created_at) VALUES (?, ?, 'announced', 0, ?) ON CONFLICT DO NOTHING")
        .run(noticeId(meetingId, "announced"), meetingId.toString(), new Date().toISOString());
      this.log.info("notice skipped: voting closed before the notifier saw the announcement", { meetingId });
      return;
    }
    if (m.paidChannels === "held") {
      this.log.warn("notice budget exceeded: e-mail and SMS of the meeting are held, the in-app notice goes out", {
        meetingId,
        buildingId: m.buildingId,
        initiator: m.initiator,
      });
    }
    await this.wordings(m);
    this.queue(m, "announced", await this.recipients.eligible(m));
  }

  /**
   * Sends a meeting's e-mail and SMS held by the notice budget, and those of its later notices: the
   * registrar's decision. Returns how many messages were released, or undefined for an unknown meeting.
   */
  releaseHeld(meetingId: bigint): number | undefined {
    if (!this.meetings.get(meetingId)) return undefined;
    return this.db.transaction(() => {
      this.meetings.setPaidChannels(meetingId, "open");
      const released = this.outbox.release(meetingId.toString());
      this.log.info("held notices released", { meetingId, released });
      return released;
    });
  }

  async cancelled(meetingId: bigint): Promise<void> {
    const m = this.meetings.get(meetingId);
    if (!m || this.queued(noticeId(meetingId, "cancelled"))) return;
    const told = this.db.sql("SELECT DISTINCT address FROM outbox WHERE notice_id = ?").all(noticeId(meetingId, "announced")) as Array<{ address: string }>;
    await this.wordings(m);
    this.queue(m, "cancelled", told.map((r) => r.address));
  }

  /** Results of every finalized meeting not yet told. */
  async results(): Promise<void> {
    for (const m of this.meetings.resultsDue()) {
      await this.wordings(m);
      this.queue(m, "results", await this.recipients.eligible(m));
    }
  }

  /**
   * Reminders of open meetings whose reminder time has come by `chainTime`: `reminderBeforeSeconds`
   * before the close, or at the opening for a shorter window. A reminder whose window has passed
   * (the notifier was stopped) is skipped, not sent late. A lead of 0 turns reminders off.
   */
  async reminders(chainTime: number): Promise<void> {
    if (this.options.reminderBeforeSeconds === 0) return;
    for (const m of this.meetings.remindersDue()) {
      const due = Math.max(m.votingStart, m.votingEnd - this.options.reminderBeforeSeconds);
      if (chainTime < due) continue;
      if (chainTime >= m.votingEnd) {
        this.meetings.setReminder(m.meetingId, "missed");
        this.log.warn("reminder window passed while the notifier was behind", { meetingId: m.meetingId });
        continue;
      }
      const open = await this.recipients.nonVoters(m);
      await this.wordings(m);
      this.db.transaction(() => {
        this.queue(m, "reminder", open);
        this.meetings.setReminder(m.meetingId, "queued");
      });
    }
  }

  private data(m: MeetingRecord): NoticeData {
    const decisions = m.status === "finalized" ? this.meetings.decisions(m.meetingId) : [];
    const rules = m.kind === Kind.Meeting ? this.rules.get(m.rulesVersion) : undefined;
    return {
      meetingId: m.meetingId,
      buildingId: m.buildingId,
      kind: m.kind,
      meetingType: m.meetingType,
      initiator: m.initiator,
      administrator: m.administrator,
      votingStart: m.votingStart,
      votingEnd: m.votingEnd,
      questions: m.questions.map((q) => ({ text: this.texts.text(q.textRef), type: m.kind === Kind.Meeting ? (rules?.questionTypes[q.questionType] ?? { code: `#${q.questionType}` }) : undefined })),
      voteUrl: this.options.voteUrl,
      timeZone: this.options.timeZone,
      notice: this.noticeDocuments.get(m.meetingId),
      results:
        m.status === "finalized"
          ? { totalWeight: m.totalWeight ?? 0n, participatingWeight: m.participatingWeight ?? 0n, ballots: m.ballots ?? 0, quorumReached: m.quorumReached ?? false, decisions }
          : undefined,
    };
  }

  private readonly noticeDocuments = new Map<bigint, NoticeData["notice"]>();

  /** The wordings of a meeting's agenda and its notice document, read before its notice is written. */
  private async wordings(m: MeetingRecord): Promise<void> {
    await this.texts.prefetch(m.questions.map((q) => q.textRef));
    if (this.noticeDocuments.has(m.meetingId)) return;
    const rules = m.kind === Kind.Meeting ? this.rules.get(m.rulesVersion) : undefined;
    const notice = await this.texts.notice(m.agendaRef, {
      buildingId: m.buildingId,
      kind: KINDS[m.kind] ?? "Meeting",
      meetingType: MEETING_TYPES[m.meetingType] ?? "Extraordinary",
      initiator: m.initiator,
      administrator: m.kind === Kind.Poll && BigInt(m.administrator) === 0n ? m.initiator : m.administrator,
      votingStart: m.votingStart,
      votingEnd: m.votingEnd,
      questions: m.questions.map((q) => ({ textRef: q.textRef, type: m.kind === Kind.Meeting ? rules?.questionTypes[q.questionType]?.code : undefined })),
    });
    if (!notice) return;
    this.noticeDocuments.set(m.meetingId, {
      buildingAddress: notice.building.address,
      initiatorName: notice.initiator.name,
      administratorName: notice.administrator.name,
      materials: notice.materials.map((x) => ({ name: x.name, url: new URL(`api/documents/v1/documents/${x.document}`, this.options.voteUrl.endsWith("/") ? this.options.voteUrl : `${this.options.voteUrl}/`).toString(), questions: x.questions })),
      paperDecisions: notice.paperDecisions,
    });
  }

  private queue(m: MeetingRecord, type: NoticeType, addresses: string[]): void {
    const id = noticeId(m.meetingId, type);
    const data = this.data(m);
    const legal = m.kind === Kind.Meeting && (type === "announced" || type === "results");
    const rendered = new Map<Language, ReturnType<typeof render>>();
    const rows: NewOutboxRow[] = [];
    for (const address of addresses) {
      const r = this.directory.byAddress(address);
      const language = r?.language ?? this.options.defaultLanguage;
      if (!rendered.has(language)) rendered.set(language, render(type, language, data));
      const text = rendered.get(language)!;
      const row = (channel: Channel, destination: string): NewOutboxRow => ({
        noticeId: id,
        meetingId: m.meetingId.toString(),
        type,
        address,
        residentId: r?.residentId ?? null,
        channel,
        destination,
        language,
        subject: text.subject,
        body: text.text,
        shortBody: text.short,
      });
      const channels = this.options.channels;
      const held = m.paidChannels === "held";
      if (!r || !r.optOut.app || legal) rows.push(row("app", address));
      if (r?.email && channels.has("email") && !r.optOut.email) rows.push({ ...row("email", r.email), held });
      if (r?.phone && channels.has("sms") && !r.optOut.sms) rows.push({ ...row("sms", r.phone), held });
    }
    this.db.transaction(() => {
      const added = this.outbox.enqueue(rows);
      this.db
        .sql("INSERT INTO notices (notice_id, meeting_id, type, recipients, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .run(id, m.meetingId.toString(), type, addresses.length, new Date().toISOString());
      this.log.info("notice queued", { noticeId: id, meetingId: m.meetingId, recipients: addresses.length, messages: added });
    });
  }
}
