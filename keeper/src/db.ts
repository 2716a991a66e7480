/**
 * The keeper's durable record (Node's SQLite, WAL, `synchronous = FULL`: what was committed before a
 * transaction was broadcast survives a crash of the machine, not only of the process):
 *   meetings   what the follower learned of each announced meeting and where its closing stands
 *   sends      every finalize transaction signed, with its raw bytes, written before it is broadcast
 *   protocols  each protocol produced: the documents' ids in the store
 * The schema has a version (`PRAGMA user_version`); a database of another version is refused.
 */
import type { StatementSync } from "node:sqlite";
import { AppError } from "#lib/errors.js";
import { SqliteDatabase } from "#lib/sqlite.js";

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meetings (
  meeting_id TEXT PRIMARY KEY,
  building_id TEXT NOT NULL,
  voting_end INTEGER NOT NULL,
  announced_block INTEGER NOT NULL,
  -- open: not yet closed; finalized / cancelled: as the chain's view says
  state TEXT NOT NULL DEFAULT 'open',
  finalized_by TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS meetings_due ON meetings (state, voting_end);
CREATE TABLE IF NOT EXISTS sends (
  id INTEGER PRIMARY KEY,
  meeting_id TEXT NOT NULL,
  nonce INTEGER NOT NULL,
  tx_hash TEXT NOT NULL UNIQUE,
  raw TEXT NOT NULL,
  -- signed: recorded, not yet accepted by the node; sent: accepted; mined: in a block;
  -- confirmed: under enough blocks; dropped: gone with its nonce used by another of ours;
  -- reverted: mined and failed; superseded: the meeting was finalized by another transaction
  state TEXT NOT NULL,
  broadcasts INTEGER NOT NULL DEFAULT 0,
  mined_block INTEGER,
  mined_block_hash TEXT,
  note TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sends_live ON sends (state);
CREATE TABLE IF NOT EXISTS protocols (
  meeting_id TEXT PRIMARY KEY,
  -- produced: stored and recorded; failed: the last attempt found a problem (retried)
  state TEXT NOT NULL,
  documents TEXT,
  signer TEXT,
  finalized_tx TEXT,
  problem TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  produced_at TEXT,
  updated_at TEXT NOT NULL
);
`;

export class Database {
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, StatementSync>();

  constructor(file: string) {
    this.db = new SqliteDatabase(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    const { user_version: version } = this.db.prepare("PRAGMA user_version").get() as { user_version: number };
    const used = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sends'").get() !== undefined;
    if (used && version !== SCHEMA_VERSION) {
      this.db.close();
      throw new AppError("database_schema_mismatch", `keeper database ${file} has schema ${version}, this keeper writes schema ${SCHEMA_VERSION}`, { details: { file, version, expected: SCHEMA_VERSION } });
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  sql(text: string): StatementSync {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  close(): void {
    if (!this.db.open) return;
    this.statements.clear();
    this.db.close();
  }
}

export const now = () => new Date().toISOString();
