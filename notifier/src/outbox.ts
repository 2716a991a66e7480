/**
 * The durable outbox. A row per (notice, recipient, channel), unique, so a notice is queued at most
 * once however often the follower replays the chain. A worker sends due rows, retries transient
 * failures with exponential backoff, and writes every attempt to the delivery log: what, to whom,
 * when, by which channel, and the provider's answer — the proof that notice was given.
 *
 * A row is marked "sending" (committed) before the provider is called. If the process dies before
 * the provider's answer is recorded, the row is found "sending" at start, logged "in_doubt" and sent
 * again with the same key (e-mail Message-ID, SMS Idempotency-Key), so the provider or the mail
 * client can recognise the repeat.
 */
import type { Database } from "./db.js";
import type { Channel } from "./directory.js";
import type { Logger } from "#lib/log.js";
import { DeliveryError, type ChannelAdapter, type OutgoingMessage } from "./channels/types.js";

export interface NewOutboxRow {
  noticeId: string;
  meetingId: string;
  type: string;
  address: string;
  residentId: string | null;
  channel: Channel;
  destination: string;
  language: string;
  subject: string;
  body: string;
  shortBody: string;
  /** Held by the notice budget: queued, not sent until released. */
  held?: boolean;
}

interface OutboxRow {
  id: number;
  notice_id: string;
  meeting_id: string;
  type: string;
  address: string;
  resident_id: string | null;
  channel: Channel;
  destination: string;
  language: string;
  subject: string;
  body: string;
  short_body: string;
  status: string;
  attempts: number;
}

export interface DeliveryLogEntry {
  id: number;
  noticeId: string;
  meetingId: string;
  type: string;
  address: string;
  residentId: string | null;
  channel: string;
  destination: string;
  attempt: number;
  outcome: "sent" | "retry" | "failed" | "invalid" | "in_doubt";
  providerResponse: string | null;
  at: string;
}

export interface OutboxOptions {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  concurrency: number;
  pollIntervalMs: number;
  /** An adapter's own timeouts should end a send; past twice this the attempt is abandoned as a retryable failure. */
  sendTimeoutMs: number;
}

function withDeadline<T>(promise: Promise<T>, ms: number, channel: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeliveryError("send_timeout", `the ${channel} provider did not answer within ${ms} ms`, { retryable: true })), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export class Outbox {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly adapters: Map<Channel, ChannelAdapter>,
    private readonly options: OutboxOptions,
    private readonly log: Logger,
  ) {}

  /** Queues rows; a row already queued for the same notice, recipient and channel is ignored. Returns how many were new. */
  enqueue(rows: NewOutboxRow[]): number {
    const now = Date.now();
    const at = new Date(now).toISOString();
    let added = 0;
    this.db.transaction(() => {
      const insert = this.db.sql(
        `INSERT INTO outbox (notice_id, meeting_id, type, address, resident_id, channel, destination, language, subject, body, short_body, status, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (notice_id, address, channel) DO NOTHING`,
      );
      for (const r of rows) {
        const status = r.held ? "held" : "pending";
        added += Number(insert.run(r.noticeId, r.meetingId, r.type, r.address, r.residentId, r.channel, r.destination, r.language, r.subject, r.body, r.shortBody, status, now, at).changes);
      }
    });
    if (added > 0) this.kick();
    return added;
  }

  /** Sends the messages of a meeting held by the notice budget; returns how many. */
  release(meetingId: string): number {
    const n = Number(this.db.sql("UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE meeting_id = ? AND status = 'held'").run(Date.now(), meetingId).changes);
    if (n > 0) this.kick();
    return n;
  }

  /** Rows left "sending" by a stopped process go back to the queue, logged as in doubt. */
  recover(): number {
    return this.db.transaction(() => {
      const rows = this.db.sql("SELECT * FROM outbox WHERE status = 'sending'").all() as unknown as OutboxRow[];
      for (const row of rows) {
        this.record(row, row.attempts, "in_doubt", "the notifier stopped before the provider's answer was recorded; sending again with the same key");
        this.db.sql("UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE id = ?").run(Date.now(), row.id);
      }
      return rows.length;
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  /** Wakes the worker early (new rows). */
  kick(): void {
    const wake = this.wake;
    this.wake = undefined;
    if (this.timer) clearTimeout(this.timer);
    wake?.();
  }

  /** Counts of rows by status. */
  counts(): Record<string, number> {
    const rows = this.db.sql("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status").all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  deliveryLog(filter: { meetingId?: string; address?: string; residentId?: string; limit?: number } = {}): DeliveryLogEntry[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (filter.meetingId !== undefined) (where.push("meeting_id = ?"), args.push(filter.meetingId));
    if (filter.address !== undefined) (where.push("address = ?"), args.push(filter.address));
    if (filter.residentId !== undefined) (where.push("resident_id = ?"), args.push(filter.residentId));
    args.push(filter.limit ?? 10_000);
    const rows = this.db
      .sql(`SELECT * FROM delivery_log ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id LIMIT ?`)
      .all(...args) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      noticeId: String(r.notice_id),
      meetingId: String(r.meeting_id),
      type: String(r.type),
      address: String(r.address),
      residentId: r.resident_id === null ? null : String(r.resident_id),
      channel: String(r.channel),
      destination: String(r.destination),
      attempt: Number(r.attempt),
      outcome: r.outcome as DeliveryLogEntry["outcome"],
      providerResponse: r.provider_response === null ? null : String(r.provider_response),
      at: String(r.at),
    }));
  }

  private record(row: OutboxRow, attempt: number, outcome: DeliveryLogEntry["outcome"], response: string | null): void {
    this.db
      .sql(
        `INSERT INTO delivery_log (outbox_id, notice_id, meeting_id, type, address, resident_id, channel, destination, attempt, outcome, provider_response, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, row.notice_id, row.meeting_id, row.type, row.address, row.resident_id, row.channel, row.destination, attempt, outcome, response, new Date().toISOString());
  }

  private async run(): Promise<void> {
    while (this.running) {
      let processed = 0;
      try {
        processed = await this.drain();
      } catch (err) {
        this.log.error("outbox worker failed", { err });
      }
      if (!this.running) break;
      if (processed === 0) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const next = this.db.sql("SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status = 'pending'").get() as { at: number | null };
      const until = next.at === null ? this.options.pollIntervalMs : Math.max(0, Math.min(this.options.pollIntervalMs, Number(next.at) - Date.now()));
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, until);
    });
  }

  /** Sends every due row, `concurrency` at a time; returns how many were attempted. */
  private async drain(): Promise<number> {
    const due = this.db
      .sql("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 200")
      .all(Date.now()) as unknown as OutboxRow[];
    let index = 0;
    const worker = async () => {
      while (this.running && index < due.length) await this.attempt(due[index++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, due.length) }, worker));
    return due.length;
  }

  private async attempt(row: OutboxRow): Promise<void> {
    const adapter = this.adapters.get(row.channel);
    const attempt = row.attempts + 1;
    const claimed = this.db.sql("UPDATE outbox SET status = 'sending', attempts = ? WHERE id = ? AND status = 'pending'").run(attempt, row.id);
    if (Number(claimed.changes) === 0) return;
    const message: OutgoingMessage = {
      key: `notice-${row.id}-${row.notice_id}-${row.channel}`.replace(/[^A-Za-z0-9.-]/g, "-"),
      noticeId: row.notice_id,
      meetingId: row.meeting_id,
      type: row.type,
      address: row.address,
      destination: row.destination,
      language: row.language,
      subject: row.subject,
      body: row.body,
      shortBody: row.short_body,
    };
    try {
      if (!adapter) throw new DeliveryError("channel_not_configured", `the ${row.channel} channel is not configured`);
      const { providerResponse } = await withDeadline(adapter.send(message), this.options.sendTimeoutMs * 2, row.channel);
      this.db.transaction(() => {
        this.db.sql("UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?").run(new Date().toISOString(), row.id);
        this.record(row, attempt, "sent", providerResponse);
      });
      this.log.debug("notice delivered", { noticeId: row.notice_id, channel: row.channel, address: row.address, attempt });
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError("send_failed", (err as Error).message ?? String(err), { retryable: true, cause: err });
      const invalid = e.code === "invalid_destination";
      const retry = e.retryable && attempt < this.options.maxAttempts;
      const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1)) * (0.9 + Math.random() * 0.2);
      this.db.transaction(() => {
        this.db
          .sql("UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?")
          .run(retry ? "pending" : invalid ? "invalid" : "failed", Date.now() + Math.round(delay), `${e.code}: ${e.message}`, row.id);
        this.record(row, attempt, retry ? "retry" : invalid ? "invalid" : "failed", `${e.code}: ${e.message}`);
      });
      const fields = { noticeId: row.notice_id, channel: row.channel, address: row.address, attempt, code: e.code, err: e.message };
      if (retry) this.log.info("delivery failed, will retry", { ...fields, retryInMs: Math.round(delay) });
      else this.log.warn("delivery failed for good", fields);
    }
  }
}
