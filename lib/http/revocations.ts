/**
 * The tokens a service has revoked (its residents logged out), by token id until each one's expiry,
 * in a table of the service's own SQLite database: a token revoked before a restart stays revoked
 * after it, for as long as it would otherwise be valid. Lookups are answered from memory, loaded at
 * start; expired rows are swept as new ones are written.
 */
import { SqliteDatabase } from "../sqlite.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS revoked_tokens (
  token_id   TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

export class TokenRevocations {
  private readonly db: SqliteDatabase;
  private readonly revoked = new Map<string, number>();

  /** Opens (or creates) the list in the database file `file` (":memory:" for one that lasts the process). */
  constructor(file: string, private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {
    this.db = new SqliteDatabase(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    const rows = this.db.prepare(`SELECT token_id, expires_at FROM revoked_tokens WHERE expires_at >= ?`).all(this.now()) as Array<{ token_id: string; expires_at: number }>;
    for (const r of rows) this.revoked.set(r.token_id, Number(r.expires_at));
  }

  /** Revokes a token until `expiresAt` (Unix seconds); afterwards it is refused as expired anyway. */
  revoke(tokenId: string, expiresAt: number): void {
    const now = this.now();
    if (expiresAt < now) return;
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM revoked_tokens WHERE expires_at < ?`).run(now);
      this.db.prepare(`INSERT INTO revoked_tokens (token_id, expires_at) VALUES (?, ?) ON CONFLICT (token_id) DO NOTHING`).run(tokenId, expiresAt);
    });
    for (const [id, at] of this.revoked) if (at < now) this.revoked.delete(id);
    this.revoked.set(tokenId, expiresAt);
  }

  isRevoked(tokenId: string): boolean {
    const at = this.revoked.get(tokenId);
    return at !== undefined && at >= this.now();
  }

  close(): void {
    this.db.close();
  }
}
