/**
 * Residents' keys and the append-only signing log, in SQLite. A private key exists in the clear only
 * inside `withSigner` while it signs; it is never logged or returned.
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
  voter: string;
  meetingId: string;
  choices: string;
  digest: string;
  signedAt: string;
}

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
          .prepare(`INSERT INTO signing_log (resident_id, voter, meeting_id, choices, digest, signed_at) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(residentId, entry.voter, entry.meetingId, entry.choices, entry.digest, new Date().toISOString());
        return sign(key);
      });
    } finally {
      plain.fill(0);
    }
  }

  signingLog(residentId?: string, limit = 1000): SigningLogEntry[] {
    const rows = (
      residentId === undefined
        ? this.db.prepare(`SELECT * FROM signing_log ORDER BY seq LIMIT ?`).all(limit)
        : this.db.prepare(`SELECT * FROM signing_log WHERE resident_id = ? ORDER BY seq LIMIT ?`).all(residentId, limit)
    ) as unknown as Array<{ seq: number; resident_id: string; voter: string; meeting_id: string; choices: string; digest: string; signed_at: string }>;
    return rows.map((r) => ({
      seq: r.seq,
      residentId: r.resident_id,
      voter: r.voter,
      meetingId: r.meeting_id,
      choices: r.choices,
      digest: r.digest,
      signedAt: r.signed_at,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function context(residentId: string, address: string): string {
  return `digital-home/resident-key/v1:${residentId}:${address}`;
}
