/**
 * The notifier's own database: Node's built-in SQLite (node:sqlite), in WAL mode so that a killed
 * process loses nothing it committed. Holds the resident directory (personal data: never on chain),
 * what the follower learned from the chain, the outbox, the in-app feed and the delivery log.
 *
 * The schema has a version (`PRAGMA user_version`): a database written by a notifier of another
 * schema (one that followed contracts before holdings, question types and administrators) is refused
 * at start rather than failing on the first event it cannot store.
 */
import type { StatementSync } from "node:sqlite";
import { AppError } from "#lib/errors.js";
import { SqliteDatabase } from "#lib/sqlite.js";

/** The schema's version; a database of any other is refused. */
export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS residents (
  resident_id TEXT PRIMARY KEY,
  address TEXT NOT NULL UNIQUE,
  language TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  opt_out_app INTEGER NOT NULL DEFAULT 0,
  opt_out_email INTEGER NOT NULL DEFAULT 0,
  opt_out_sms INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (building_id TEXT NOT NULL, address TEXT NOT NULL, PRIMARY KEY (building_id, address));
CREATE TABLE IF NOT EXISTS joint_groups (building_id TEXT NOT NULL, address TEXT NOT NULL, PRIMARY KEY (building_id, address));
CREATE TABLE IF NOT EXISTS rules_versions (version INTEGER PRIMARY KEY, source_ref TEXT NOT NULL, quorum TEXT NOT NULL, question_types TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meetings (
  meeting_id TEXT PRIMARY KEY,
  building_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  meeting_type INTEGER NOT NULL,
  initiator TEXT NOT NULL,
  administrator TEXT NOT NULL,
  rules_version INTEGER NOT NULL,
  snapshot INTEGER NOT NULL,
  voting_start INTEGER NOT NULL,
  voting_end INTEGER NOT NULL,
  agenda_ref TEXT NOT NULL,
  questions TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'announced',
  reminder TEXT NOT NULL DEFAULT 'due',
  total_weight TEXT,
  participating_weight TEXT,
  ballots INTEGER,
  quorum_reached INTEGER,
  announced_at INTEGER,
  paid_channels TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX IF NOT EXISTS meetings_by_initiator ON meetings (building_id, initiator, announced_at);
CREATE TABLE IF NOT EXISTS decisions (
  meeting_id TEXT NOT NULL, question_index INTEGER NOT NULL, question_type INTEGER NOT NULL,
  for_weight TEXT NOT NULL, against_weight TEXT NOT NULL, abstain_weight TEXT NOT NULL, passed INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, question_index)
);
CREATE TABLE IF NOT EXISTS voters (meeting_id TEXT NOT NULL, address TEXT NOT NULL, PRIMARY KEY (meeting_id, address));
CREATE TABLE IF NOT EXISTS notices (notice_id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, type TEXT NOT NULL, recipients INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  notice_id TEXT NOT NULL,
  meeting_id TEXT NOT NULL,
  type TEXT NOT NULL,
  address TEXT NOT NULL,
  resident_id TEXT,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  language TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  short_body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  UNIQUE (notice_id, address, channel)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS feed (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  meeting_id TEXT NOT NULL,
  type TEXT NOT NULL,
  language TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (address, notice_id)
);
CREATE TABLE IF NOT EXISTS delivery_log (
  id INTEGER PRIMARY KEY,
  outbox_id INTEGER NOT NULL,
  notice_id TEXT NOT NULL,
  meeting_id TEXT NOT NULL,
  type TEXT NOT NULL,
  address TEXT NOT NULL,
  resident_id TEXT,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  provider_response TEXT,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_log_meeting ON delivery_log (meeting_id);
`;

export class Database {
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, StatementSync>();

  constructor(file: string) {
    this.db = new SqliteDatabase(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    const { user_version: version } = this.db.prepare("PRAGMA user_version").get() as { user_version: number };
    const used = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meetings'").get() !== undefined;
    if (used && version !== SCHEMA_VERSION) {
      this.db.close();
      throw new AppError("database_schema_mismatch", `notifier database ${file} has schema ${version}, this notifier writes schema ${SCHEMA_VERSION}: give NOTIFIER_DB_PATH a new file (the notifier rebuilds what it knows of the chain; register the directory again)`, {
        details: { file, version, expected: SCHEMA_VERSION },
      });
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  get open(): boolean {
    return this.db.open;
  }

  /** A prepared statement, cached by its text. */
  sql(text: string): StatementSync {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  /** Runs `fn` in one write transaction; nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  close(): void {
    if (!this.db.open) return;
    this.statements.clear();
    this.db.close();
  }
}
