/** The in-app channel: the notice goes into the resident's feed, which the web page reads from GET /v1/feed. */
import type { Database } from "../db.js";
import type { ChannelAdapter, Delivery, OutgoingMessage } from "./types.js";

export class FeedChannel implements ChannelAdapter {
  readonly channel = "app" as const;

  constructor(private readonly db: Database) {}

  async send(m: OutgoingMessage): Promise<Delivery> {
    const r = this.db
      .sql(
        `INSERT INTO feed (address, notice_id, meeting_id, type, language, subject, body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address, notice_id) DO NOTHING`,
      )
      .run(m.address, m.noticeId, m.meetingId, m.type, m.language, m.subject, m.body, new Date().toISOString());
    return { providerResponse: Number(r.changes) > 0 ? `feed entry ${r.lastInsertRowid}` : "feed entry already present" };
  }
}

export interface FeedEntry {
  id: number;
  noticeId: string;
  meetingId: string;
  type: string;
  language: string;
  subject: string;
  body: string;
  createdAt: string;
}

export function feedOf(db: Database, address: string, limit = 100): FeedEntry[] {
  const rows = db.sql("SELECT * FROM feed WHERE address = ? ORDER BY id DESC LIMIT ?").all(address, limit) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: Number(r.id),
    noticeId: String(r.notice_id),
    meetingId: String(r.meeting_id),
    type: String(r.type),
    language: String(r.language),
    subject: String(r.subject),
    body: String(r.body),
    createdAt: String(r.created_at),
  }));
}
