/**
 * The entity store on SQLite: one table per entity type with typed columns, one row per entity
 * version with the block range it is valid for ([block_from, block_to), block_to NULL while live),
 * so that queries can read any indexed block. Changes of a block are kept in memory until the block
 * is committed; a reorg reverts every version written after the common ancestor.
 */
import { fromColumn, toColumn, sqlType, type SqlValue } from "./codec.js";
import { MappingError, type HostStore } from "../runtime/host-functions.js";
import { SqliteDatabase, type Statement } from "#lib/sqlite.js";
import { storedFields, type EntityDef, type FieldDef, type SubgraphSchema } from "./subgraph-schema.js";
import { bytesToHex, hexToBytes, idKey, ValueKind, type EntityData } from "../runtime/values.js";
import { AppError } from "#lib/errors.js";

export interface BlockPtr {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
}

export interface IndexingError {
  message: string;
  block: BlockPtr;
  handler?: string;
}

interface TableAccess {
  entity: EntityDef;
  fields: FieldDef[];
  insert: Statement;
  close: Statement | null;
  current: Statement;
}

/** A change of the current block: the entity's data, or null when removed. */
interface PendingChange {
  data: EntityData | null;
}

export const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export class SubgraphStore implements HostStore {
  readonly db: SqliteDatabase;
  private readonly tables = new Map<string, TableAccess>();
  private pending = new Map<string, Map<string, PendingChange>>();

  constructor(
    file: string,
    readonly schema: SubgraphSchema,
  ) {
    this.db = new SqliteDatabase(file);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
    this.migrate();
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL, parent_hash BLOB NOT NULL, timestamp INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS blocks_hash ON blocks(hash);
    `);
    const storedSchema = this.getMeta("schema");
    if (storedSchema !== null && storedSchema !== this.schema.source) {
      throw new AppError("database_mismatch", "the database holds another schema's entities; use a new database file");
    }
    this.setMeta("schema", this.schema.source);
    for (const entity of this.schema.entities.values()) {
      const fields = storedFields(entity);
      const t = quote(entity.table);
      const columns = fields.map((f) => `${quote(f.name)} ${sqlType(f)}${f.nonNull ? " NOT NULL" : ""}`);
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${t} (vid INTEGER PRIMARY KEY, block_from INTEGER NOT NULL, block_to INTEGER, ${columns.join(", ")})`);
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(entity.table + "__id")} ON ${t} ("id", block_from)`);
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(entity.table + "__block_from")} ON ${t} (block_from)`);
      if (!entity.immutable) {
        this.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(entity.table + "__block_to")} ON ${t} (block_to)`);
      }
      // "<table>.<field>": a "." is in no table name, so a field's index never takes another entity's
      // table name (Question.type and QuestionType would both be "question_type")
      for (const f of fields) {
        if (f.list || f.name === "id") continue;
        this.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(`${entity.table}.${f.name}`)} ON ${t} (${quote(f.name)})`);
      }
      const names = fields.map((f) => quote(f.name));
      this.tables.set(entity.name, {
        entity,
        fields,
        insert: this.db.prepare(
          `INSERT INTO ${t} (block_from, block_to, ${names.join(", ")}) VALUES (?, NULL, ${names.map(() => "?").join(", ")})`,
        ),
        close: entity.immutable ? null : this.db.prepare(`UPDATE ${t} SET block_to = ? WHERE "id" = ? AND block_to IS NULL`),
        current: this.db.prepareRaw(
          `SELECT ${names.join(", ")} FROM ${t} WHERE "id" = ? AND block_to IS NULL ORDER BY block_from DESC LIMIT 1`,
        ),
      });
    }
  }

  // ---------------------------------------------------------------- meta and cursor

  getMeta(key: string): string | null {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as unknown as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string | null): void {
    if (value === null) this.db.prepare("DELETE FROM meta WHERE key = ?").run(key);
    else this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** The last block whose changes are committed (the subgraph's head). */
  cursor(): BlockPtr | null {
    const text = this.getMeta("cursor");
    return text === null ? null : (JSON.parse(text) as BlockPtr);
  }

  fatalError(): IndexingError | null {
    const text = this.getMeta("fatal_error");
    return text === null ? null : (JSON.parse(text) as IndexingError);
  }

  setFatalError(error: IndexingError | null): void {
    this.setMeta("fatal_error", error === null ? null : JSON.stringify(error));
  }

  blockByNumber(number: number): BlockPtr | null {
    const row = this.db.prepare("SELECT * FROM blocks WHERE number = ?").get(number) as
      | BlockRow
      | undefined;
    return row ? toPtr(row) : null;
  }

  blockByHash(hash: string): BlockPtr | null {
    const row = this.db.prepare("SELECT * FROM blocks WHERE hash = ?").get(Buffer.from(hexToBytes(hash))) as
      | BlockRow
      | undefined;
    return row ? toPtr(row) : null;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  // ---------------------------------------------------------------- the mappings' view (HostStore)

  private access(type: string): TableAccess {
    const access = this.tables.get(type);
    if (!access) throw new MappingError(`unknown entity type \`${type}\``);
    return access;
  }

  private idColumn(access: TableAccess, id: string): SqlValue {
    return access.entity.idScalar === "Bytes" ? Buffer.from(hexToBytes(id)) : id;
  }

  get(type: string, id: string): EntityData | null {
    const change = this.pending.get(type)?.get(id);
    if (change !== undefined) return change.data;
    const access = this.access(type);
    const row = access.current.get(this.idColumn(access, id)) as unknown as SqlValue[] | undefined;
    if (!row) return null;
    const data: EntityData = new Map();
    access.fields.forEach((f, i) => {
      if (row[i] !== null) data.set(f.name, fromColumn(f, row[i]!));
    });
    return data;
  }

  getInBlock(type: string, id: string): EntityData | null {
    return this.pending.get(type)?.get(id)?.data ?? null;
  }

  set(type: string, id: string, data: EntityData): void {
    const access = this.access(type);
    const entity = access.entity;
    for (const key of data.keys()) {
      const field = entity.byName.get(key);
      if (!field) throw new MappingError(`Entity ${type}[${id}]: unknown field \`${key}\``);
      if (field.derivedFrom !== undefined) {
        throw new MappingError(`Entity ${type}[${id}]: field \`${key}\` is derived and cannot be set`);
      }
    }
    for (const f of access.fields) {
      if (!f.nonNull) continue;
      const value = data.get(f.name);
      if (value === undefined || value.kind === ValueKind.Null) {
        throw new MappingError(`Entity ${type}[${id}]: missing value for non-nullable field \`${f.name}\``);
      }
    }
    const idValue = data.get("id");
    if (!idValue || idKey(idValue) !== id) {
      throw new MappingError(`Entity ${type}[${id}]: the id field differs from the key`);
    }
    if (entity.immutable && this.pending.get(type)?.has(id)) {
      throw new MappingError(`Entity ${type}[${id}] is immutable and cannot be updated`);
    }
    let changes = this.pending.get(type);
    if (!changes) this.pending.set(type, (changes = new Map()));
    changes.set(id, { data });
  }

  remove(type: string, id: string): void {
    const access = this.access(type);
    if (access.entity.immutable) throw new MappingError(`Entity ${type}[${id}] is immutable and cannot be removed`);
    let changes = this.pending.get(type);
    if (!changes) this.pending.set(type, (changes = new Map()));
    changes.set(id, { data: null });
  }

  /** The columns of an entity version; fails (as a mapping error) when a value does not fit its field. */
  private toRow(access: TableAccess, type: string, id: string, data: EntityData): SqlValue[] {
    return access.fields.map((f) => {
      const value = data.get(f.name);
      if (value === undefined || value.kind === ValueKind.Null) return null;
      try {
        return toColumn(f, value);
      } catch (err) {
        throw new MappingError(`Entity ${type}[${id}]: field \`${f.name}\`: ${(err as Error).message}`);
      }
    });
  }

  /** Forgets the uncommitted changes of the current block. */
  discardBlock(): void {
    this.pending = new Map();
  }

  /** Writes the current block's changes as versions starting at the block, and moves the cursor. */
  commitBlock(block: BlockPtr): number {
    const writes: Array<{ access: TableAccess; key: SqlValue; row: SqlValue[] | null }> = [];
    for (const [type, changes] of this.pending) {
      const access = this.tables.get(type)!;
      for (const [id, change] of changes) {
        const row = change.data === null ? null : this.toRow(access, type, id, change.data);
        writes.push({ access, key: this.idColumn(access, id), row });
      }
    }
    this.pending = new Map();
    for (const { access, key, row } of writes) {
      access.close?.run(block.number, key);
      if (row !== null) access.insert.run(block.number, ...row);
    }
    this.db
      .prepare("INSERT OR REPLACE INTO blocks (number, hash, parent_hash, timestamp) VALUES (?, ?, ?, ?)")
      .run(block.number, Buffer.from(hexToBytes(block.hash)), Buffer.from(hexToBytes(block.parentHash)), block.timestamp);
    this.setMeta("cursor", JSON.stringify(block));
    return writes.length;
  }

  /** Reverts every entity version written after `block` (which becomes the cursor). */
  revertTo(block: BlockPtr | null): void {
    const after = block?.number ?? -1;
    this.transaction(() => {
      for (const access of this.tables.values()) {
        const t = quote(access.entity.table);
        this.db.prepare(`DELETE FROM ${t} WHERE block_from > ?`).run(after);
        if (!access.entity.immutable) this.db.prepare(`UPDATE ${t} SET block_to = NULL WHERE block_to > ?`).run(after);
      }
      this.db.prepare("DELETE FROM blocks WHERE number > ?").run(after);
      this.setMeta("cursor", block === null ? null : JSON.stringify(block));
    });
  }
}

interface BlockRow {
  number: number;
  hash: Uint8Array;
  parent_hash: Uint8Array;
  timestamp: number;
}

function toPtr(row: BlockRow): BlockPtr {
  return {
    number: row.number,
    hash: bytesToHex(row.hash),
    parentHash: bytesToHex(row.parent_hash),
    timestamp: row.timestamp,
  };
}
