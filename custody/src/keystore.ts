/**
 * Residents' keys and the append-only signing log, in SQLite. A private key exists in the clear only
 * inside `withSigner` while it signs; it is never logged or returned. The log holds every ballot and
 * every forward request custody signed, with what identifies it on chain (its EIP-712 digest).
 */
import { AppError } from "#lib/errors.js";
import { SqliteDatabase } from "#lib/sqlite.js";
import { Wallet, SigningKey } from "ethers";
import type { KeyWrapper } from "./key-wrapper.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS residents (
  resident_id TEXT PRIMARY KEY,
  address     TEXT NOT NULL UNIQUE,
  ciphertext  BLOB NOT NULL,
  iv          BLOB NOT NULL,
  tag         BLOB NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_log (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  resident_id TEXT NOT NULL,
  voter       TEXT NOT NULL,
  meeting_id  TEXT NOT NULL,
  choices     TEXT NOT NULL,
  digest      TEXT NOT NULL,
  signed_at   TEXT NOT NULL
);
`;

/** Columns added to the signing log since it was first created (adding a column changes no entry). */
const ADDED_COLUMNS: Array<[string, string]> = [
  // "ballot" or "forward_request"
  ["kind", "TEXT NOT NULL DEFAULT 'ballot'"],
  // the hall function a forward request calls
  ["function_name", "TEXT"],
  // the last timestamp at which the signed ballot or request may count
  ["deadline", "TEXT"],
];

const INDEXES = `
CREATE INDEX IF NOT EXISTS signing_log_by_resident ON signing_log (resident_id, seq);
CREATE TRIGGER IF NOT EXISTS signing_log_no_update BEFORE UPDATE ON signing_log
BEGIN SELECT RAISE(ABORT, 'the signing log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS signing_log_no_delete BEFORE DELETE ON signing_log
BEGIN SELECT RAISE(ABORT, 'the signing log is append-only'); END;
`;

export interface Resident {
  residentId: string;
  address: string;
}

export interface SigningLogEntry {
  seq: number;
  residentId: string;
  /** What was signed: a ballot, or a forward request for the MeetingHall. */
  kind: "ballot" | "forward_request";
  /** A ballot's voter (the principal, for a representative's ballot); a request's signer. */
  voter: string;
  /** The meeting it concerns ("" for a request about none yet, as an announcement). */
  meetingId: string;
  /** A ballot's packed choices ("" for a request). */
  choices: string;
  /** A request's MeetingHall function (null for a ballot). */
  functionName: string | null;
  /** The last timestamp at which it may count. */
  deadline: string | null;
  digest: string;
  signedAt: string;
}

/** A page of the signing log: in one order, optionally of one resident and a span of time. */
export interface SigningLogQuery {
  residentId?: string;
  /** Entries signed at or after this time (ISO 8601, UTC). */
  since?: string;
  /** Entries signed before this time (ISO 8601, UTC). */
  until?: string;
  /** Oldest first (the default) or newest first. */
  order?: "oldest" | "newest";
  /** At most this many entries (1–1000, default 100). */
  limit?: number;
  /** Where the previous page stopped: its `nextCursor`. */
  cursor?: number;
}

export interface SigningLogPage {
  entries: SigningLogEntry[];
  /** The cursor of the next page, or null when this one is the last. */
  nextCursor: string | null;
}

export const SIGNING_LOG_MAX_PAGE = 1000;

export class Keystore {
  private readonly db: SqliteDatabase;

  constructor(
    file: string,
    private readonly wrapper: KeyWrapper,
  ) {
    this.db = new SqliteDatabase(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(SCHEMA);
    const present = new Set((this.db.prepare(`PRAGMA table_info(signing_log)`).all() as Array<{ name: string }>).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) if (!present.has(name)) this.db.exec(`ALTER TABLE signing_log ADD COLUMN ${name} ${type}`);
    this.db.exec(INDEXES);
  }

  /** Creates the resident's key, or returns the existing resident. */
  onboard(residentId: string): { resident: Resident; created: boolean } {
    const existing = this.find(residentId);
    if (existing) return { resident: existing, created: false };
    const wallet = Wallet.createRandom();
    const plain = Buffer.from(wallet.privateKey.slice(2), "hex");
    const wrapped = this.wrapper.wrap(plain, context(residentId, wallet.address));
    plain.fill(0);
    this.db
      .prepare(`INSERT INTO residents (resident_id, address, ciphertext, iv, tag, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(residentId, wallet.address, wrapped.ciphertext, wrapped.iv, wrapped.tag, Date.now());
    return { resident: { residentId, address: wallet.address }, created: true };
  }

  find(residentId: string): Resident | undefined {
    const row = this.db.prepare(`SELECT resident_id, address FROM residents WHERE resident_id = ?`).get(residentId) as
      | { resident_id: string; address: string }
      | undefined;
    return row && { residentId: row.resident_id, address: row.address };
  }

  /**
   * Appends the entry to the signing log, then lets `sign` use the resident's key. If the log cannot
   * be written, nothing is signed.
   */
  signLogged<T>(residentId: string, entry: Omit<SigningLogEntry, "seq" | "residentId" | "signedAt">, sign: (key: SigningKey) => T): T {
    const row = this.db.prepare(`SELECT address, ciphertext, iv, tag FROM residents WHERE resident_id = ?`).get(residentId) as
      | { address: string; ciphertext: Buffer; iv: Buffer; tag: Buffer }
      | undefined;
    if (!row) throw new AppError("unknown_resident", `no key for resident ${residentId}`);
    const plain = this.wrapper.unwrap(row, context(residentId, row.address));
    try {
      const key = new SigningKey("0x" + plain.toString("hex"));
      return this.db.transaction(() => {
        this.db
          .prepare(
            `INSERT INTO signing_log (resident_id, kind, voter, meeting_id, choices, function_name, deadline, digest, signed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(residentId, entry.kind, entry.voter, entry.meetingId, entry.choices, entry.functionName, entry.deadline, entry.digest, new Date().toISOString());
        return sign(key);
      });
    } finally {
      plain.fill(0);
    }
  }

  /**
   * A page of the append-only signing log. Entries are in signing order (`seq`), so a cursor is the
   * last `seq` of a page: the next page starts after it in the order asked for, and entries signed
   * meanwhile never shift what a reader has already seen.
   */
  signingLog(query: SigningLogQuery = {}): SigningLogPage {
    const newest = query.order === "newest";
    const limit = Math.min(SIGNING_LOG_MAX_PAGE, Math.max(1, query.limit ?? 100));
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (query.residentId !== undefined) (where.push("resident_id = ?"), args.push(query.residentId));
    if (query.since !== undefined) (where.push("signed_at >= ?"), args.push(query.since));
    if (query.until !== undefined) (where.push("signed_at < ?"), args.push(query.until));
    if (query.cursor !== undefined) (where.push(newest ? "seq < ?" : "seq > ?"), args.push(query.cursor));
    const rows = this.db
      .prepare(`SELECT * FROM signing_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq ${newest ? "DESC" : "ASC"} LIMIT ?`)
      .all(...args, limit + 1) as unknown as Array<{
      seq: number;
      resident_id: string;
      kind: "ballot" | "forward_request";
      voter: string;
      meeting_id: string;
      choices: string;
      function_name: string | null;
      deadline: string | null;
      digest: string;
      signed_at: string;
    }>;
    const more = rows.length > limit;
    const entries = rows.slice(0, limit).map((r) => ({
      seq: Number(r.seq),
      residentId: r.resident_id,
      kind: r.kind,
      voter: r.voter,
      meetingId: r.meeting_id,
      choices: r.choices,
      functionName: r.function_name,
      deadline: r.deadline,
      digest: r.digest,
      signedAt: r.signed_at,
    }));
    return { entries, nextCursor: more ? String(entries.at(-1)!.seq) : null };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function context(residentId: string, address: string): string {
  return `digital-home/resident-key/v1:${residentId}:${address}`;
}
