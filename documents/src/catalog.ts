/**
 * What the store knows of each document besides its bytes, in its own SQLite database (WAL, so a
 * killed process loses nothing it committed): the sniffed type, size, stored name, who uploaded it
 * first and when, and whether a read has found its file no longer matching its id. A row is written
 * only after the file is in place, so every row has its bytes (unless the disk lost them, which a
 * read reports).
 */
import type { StatementSync } from "node:sqlite";
import { AppError } from "#lib/errors.js";
import { PUBLIC, RESTRICTED_PURPOSES, type DocumentAccess, type RestrictedPurpose } from "#lib/document-access.js";
import { SqliteDatabase } from "#lib/sqlite.js";
import { isDocumentType, type DocumentType } from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  id             TEXT PRIMARY KEY,
  type           TEXT NOT NULL,
  size           INTEGER NOT NULL,
  name           TEXT NOT NULL,
  uploader       TEXT NOT NULL,
  uploaded_at    INTEGER NOT NULL,
  corrupt_at     INTEGER,
  corrupt_reason TEXT,
  access         TEXT NOT NULL DEFAULT 'public',
  purpose        TEXT,
  meeting_id     TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_by_uploader ON documents (uploader, uploaded_at);
`;

export interface DocumentRecord {
  /** keccak256 of the bytes, 0x-prefixed lower-case hex. */
  id: string;
  type: DocumentType;
  size: number;
  name: string;
  /** `resident:<id>` or `service:<name>`: who stored it first. */
  uploader: string;
  /** Unix milliseconds. */
  uploadedAt: number;
  /** When a read last found the file not matching its id (cleared when good bytes are stored again). */
  corruptAt?: number;
  corruptReason?: string;
  /** Who may read it (lib/document-access.ts): public, or restricted by a rule about one meeting. */
  access: DocumentAccess;
}

interface Row {
  id: string;
  type: string;
  size: number;
  name: string;
  uploader: string;
  uploaded_at: number;
  corrupt_at: number | null;
  corrupt_reason: string | null;
  access: string;
  purpose: string | null;
  meeting_id: string | null;
}

function accessOf(row: Row): DocumentAccess {
  if (row.access === "public") return PUBLIC;
  if (row.access === "restricted" && (RESTRICTED_PURPOSES as readonly string[]).includes(row.purpose ?? "") && /^[1-9]\d*$/.test(row.meeting_id ?? "")) {
    return { level: "restricted", purpose: row.purpose as RestrictedPurpose, meetingId: BigInt(row.meeting_id!) };
  }
  throw new AppError("catalog_unreadable", `the catalog gives document ${row.id} an access level it cannot read`);
}

function recordOf(row: Row): DocumentRecord {
  if (!isDocumentType(row.type)) throw new AppError("catalog_unreadable", `the catalog gives document ${row.id} the unknown type '${row.type}'`);
  return {
    id: row.id,
    type: row.type,
    size: Number(row.size),
    name: row.name,
    uploader: row.uploader,
    uploadedAt: Number(row.uploaded_at),
    access: accessOf(row),
    ...(row.corrupt_at === null ? {} : { corruptAt: Number(row.corrupt_at), corruptReason: row.corrupt_reason ?? undefined }),
  };
}

export class Catalog {
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, StatementSync>();

  /** Opens (or creates) the catalog in the database file `file`. */
  constructor(file: string) {
    this.db = new SqliteDatabase(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    // a catalog made before documents had access levels: every document in it is public
    const columns = new Set((this.db.prepare("PRAGMA table_info(documents)").all() as Array<{ name: string }>).map((c) => c.name));
    if (!columns.has("access")) {
      this.db.transaction(() => {
        this.db.exec("ALTER TABLE documents ADD COLUMN access TEXT NOT NULL DEFAULT 'public'");
        this.db.exec("ALTER TABLE documents ADD COLUMN purpose TEXT");
        this.db.exec("ALTER TABLE documents ADD COLUMN meeting_id TEXT");
      });
    }
  }

  private sql(text: string): StatementSync {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  find(id: string): DocumentRecord | undefined {
    const row = this.sql("SELECT * FROM documents WHERE id = ?").get(id) as Row | undefined;
    return row ? recordOf(row) : undefined;
  }

  /** Records a document unless it is known already; returns the record as stored and whether it is new. */
  insert(record: Omit<DocumentRecord, "corruptAt" | "corruptReason">): { record: DocumentRecord; created: boolean } {
    const a = record.access;
    return this.db.transaction(() => {
      const { changes } = this.sql(
        "INSERT INTO documents (id, type, size, name, uploader, uploaded_at, access, purpose, meeting_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      ).run(record.id, record.type, record.size, record.name, record.uploader, record.uploadedAt, a.level, a.level === "restricted" ? a.purpose : null, a.level === "restricted" ? a.meetingId.toString() : null);
      return { record: this.find(record.id)!, created: Number(changes) === 1 };
    });
  }

  markCorrupt(id: string, at: number, reason: string): void {
    this.sql("UPDATE documents SET corrupt_at = ?, corrupt_reason = ? WHERE id = ?").run(at, reason, id);
  }

  clearCorrupt(id: string): void {
    this.sql("UPDATE documents SET corrupt_at = NULL, corrupt_reason = NULL WHERE id = ?").run(id);
  }

  /** What `uploader` stored first since `since` (Unix ms): how many documents and bytes. */
  usageOf(uploader: string, since: number): { documents: number; bytes: number } {
    const row = this.sql("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM documents WHERE uploader = ? AND uploaded_at >= ?").get(uploader, since) as {
      n: number;
      bytes: number;
    };
    return { documents: Number(row.n), bytes: Number(row.bytes) };
  }

  counts(): { documents: number; bytes: number; corrupt: number } {
    const row = this.sql("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes, COUNT(corrupt_at) AS corrupt FROM documents").get() as {
      n: number;
      bytes: number;
      corrupt: number;
    };
    return { documents: Number(row.n), bytes: Number(row.bytes), corrupt: Number(row.corrupt) };
  }

  close(): void {
    if (!this.db.open) return;
    this.statements.clear();
    this.db.close();
  }
}
