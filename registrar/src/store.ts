/**
 * The registrar's own database (SQLite, WAL, so a killed process loses nothing it committed). It
 * holds three things:
 *
 * - what reached the chain, per building: its id, each premises' id and holdings, the registered
 *   residents and organisers, the published register hash — updated in the same transaction that
 *   records the transaction's receipt, so that the next import plans only what is left;
 * - the register as last applied: each published version of a building's canonical register with
 *   the block time it was published at (a meeting's annex is the version in force at its snapshot),
 *   and each person's custody address, name, identity data and the contacts last given to the
 *   notifier;
 * - the journal of imports and of every transaction signed for them (its raw bytes written before
 *   it is sent), which lets a run that crashed be finished without sending anything twice.
 *
 * A database belongs to one deployment (chain id and registry address); another is refused.
 */
import { hostname } from "node:os";
import { getAddress } from "ethers";
import type { Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { SqliteDatabase } from "#lib/sqlite.js";

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS persons (
  person_id TEXT PRIMARY KEY,
  address TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  identity TEXT NOT NULL,
  contact TEXT,
  onboarded_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS buildings (
  building_key TEXT PRIMARY KEY,
  building_id INTEGER NOT NULL UNIQUE,
  ref TEXT NOT NULL,
  register_hash TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS premises (
  building_key TEXT NOT NULL REFERENCES buildings (building_key),
  number TEXT NOT NULL,
  premises_id INTEGER NOT NULL UNIQUE,
  area INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  cadastral TEXT NOT NULL,
  holdings TEXT NOT NULL,
  PRIMARY KEY (building_key, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS residents (
  building_key TEXT NOT NULL REFERENCES buildings (building_key),
  person_id TEXT NOT NULL REFERENCES persons (person_id),
  PRIMARY KEY (building_key, person_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS organisers (
  building_key TEXT NOT NULL REFERENCES buildings (building_key),
  person_id TEXT NOT NULL REFERENCES persons (person_id),
  role INTEGER NOT NULL,
  PRIMARY KEY (building_key, person_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS register_versions (
  building_key TEXT NOT NULL REFERENCES buildings (building_key),
  version INTEGER NOT NULL,
  register_hash TEXT NOT NULL,
  canonical TEXT NOT NULL,
  import_id TEXT NOT NULL,
  tx_hash TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  block_timestamp INTEGER NOT NULL,
  PRIMARY KEY (building_key, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
  import_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  file BLOB NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  plan TEXT,
  progress TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chain_ops (
  op_id INTEGER PRIMARY KEY AUTOINCREMENT,
  import_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  building_key TEXT NOT NULL,
  args TEXT NOT NULL,
  nonce INTEGER NOT NULL,
  tx_hash TEXT NOT NULL UNIQUE,
  raw TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('signed', 'confirmed', 'failed', 'dropped')),
  block_number INTEGER,
  created_at TEXT NOT NULL,
  settled_at TEXT
);
CREATE INDEX IF NOT EXISTS chain_ops_open ON chain_ops (status) WHERE status = 'signed';
CREATE TABLE IF NOT EXISTS import_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  import_id TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
`;

/** A holding as it stands on chain: parts of SHARE_UNIT and the holders' person ids, sorted. */
export interface ChainHolding {
  units: string;
  holders: string[];
}

export interface StoredPerson {
  personId: string;
  address: string;
  name: string;
  identity: string;
  /** The contacts last given to the notifier's directory (JSON of `Contact`), or null before. */
  contact: string | null;
}

export interface StoredBuilding {
  key: string;
  buildingId: bigint;
  ref: string;
  registerHash: string | null;
}

export interface StoredPremises {
  number: string;
  premisesId: bigint;
  area: bigint;
  kind: number;
  cadastral: string;
  holdings: ChainHolding[];
}

export interface RegisterVersion {
  buildingKey: string;
  version: number;
  registerHash: string;
  canonical: string;
  importId: string;
  txHash: string;
  blockNumber: number;
  blockTimestamp: number;
}

export type ImportStatus = "running" | "done" | "failed";

export interface ImportRecord {
  importId: string;
  source: string;
  fileSha256: string;
  status: ImportStatus;
  plan: unknown;
  progress: unknown;
  error: unknown;
  createdAt: string;
  finishedAt: string | null;
}

export type OpStatus = "signed" | "confirmed" | "failed" | "dropped";

export interface ChainOp {
  opId: number;
  importId: string;
  kind: string;
  buildingKey: string;
  args: unknown;
  nonce: number;
  txHash: string;
  raw: string;
  status: OpStatus;
  blockNumber: number | null;
}

/** Heartbeats older than this free the import lock (a holder on this host is checked at once). */
const LOCK_STALE_MS = 30_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class RegisterStore {
  readonly db: SqliteDatabase;

  constructor(file: string, deployment: Pick<Deployment, "chainId" | "contracts">) {
    this.db = new SqliteDatabase(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 10000");
    this.db.pragma("foreign_keys = ON");
    const { user_version: version } = this.db.prepare("PRAGMA user_version").get() as { user_version: number };
    const fresh = (this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n === 0;
    if (!fresh && version !== SCHEMA_VERSION) {
      this.db.close();
      throw new AppError("store_schema_mismatch", `the register database ${file} has schema version ${version}, this registrar reads version ${SCHEMA_VERSION}`);
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    const binding = { chainId: String(deployment.chainId), registry: getAddress(deployment.contracts.BuildingRegistry.address) };
    const stored = Object.fromEntries((this.db.prepare("SELECT key, value FROM meta").all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
    if (stored.chainId === undefined) {
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('chainId', ?), ('registry', ?)").run(binding.chainId, binding.registry);
    } else if (stored.chainId !== binding.chainId || stored.registry !== binding.registry) {
      this.db.close();
      throw new AppError(
        "store_of_another_deployment",
        `the register database ${file} belongs to the registry ${stored.registry} on chain ${stored.chainId}, not to ${binding.registry} on chain ${binding.chainId}`,
        { details: { stored, deployment: binding } },
      );
    }
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  close(): void {
    this.db.close();
  }

  // ------------------------------------------------------------------ persons

  person(personId: string): StoredPerson | undefined {
    const row = this.db.prepare("SELECT person_id, address, name, identity, contact FROM persons WHERE person_id = ?").get(personId) as
      | { person_id: string; address: string; name: string; identity: string; contact: string | null }
      | undefined;
    return row && { personId: row.person_id, address: row.address, name: row.name, identity: row.identity, contact: row.contact };
  }

  personByAddress(address: string): StoredPerson | undefined {
    const row = this.db.prepare("SELECT person_id FROM persons WHERE address = ?").get(getAddress(address)) as { person_id: string } | undefined;
    return row && this.person(row.person_id);
  }

  /** Records a person's custody address (once: an address never changes) with their name and identity data. */
  addPerson(personId: string, address: string, name: string, identity: string): void {
    const checksummed = getAddress(address);
    const existing = this.person(personId);
    if (existing && existing.address !== checksummed) {
      throw new AppError("address_changed", `custody answered ${checksummed} for person ${personId}, whose address is ${existing.address}`);
    }
    this.db
      .prepare(
        `INSERT INTO persons (person_id, address, name, identity, onboarded_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, identity = excluded.identity`,
      )
      .run(personId, checksummed, name, identity, new Date().toISOString());
  }

  setPersonDetails(personId: string, name: string, identity: string): void {
    this.db.prepare("UPDATE persons SET name = ?, identity = ? WHERE person_id = ?").run(name, identity, personId);
  }

  setContact(personId: string, contact: string): void {
    this.db.prepare("UPDATE persons SET contact = ? WHERE person_id = ?").run(contact, personId);
  }

  // ------------------------------------------------------------------ what reached the chain

  building(key: string): StoredBuilding | undefined {
    const row = this.db.prepare("SELECT building_key, building_id, ref, register_hash FROM buildings WHERE building_key = ?").get(key) as
      | { building_key: string; building_id: number; ref: string; register_hash: string | null }
      | undefined;
    return row && { key: row.building_key, buildingId: BigInt(row.building_id), ref: row.ref, registerHash: row.register_hash };
  }

  buildingById(buildingId: bigint): StoredBuilding | undefined {
    if (buildingId <= 0n || buildingId > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const row = this.db.prepare("SELECT building_key FROM buildings WHERE building_id = ?").get(Number(buildingId)) as { building_key: string } | undefined;
    return row && this.building(row.building_key);
  }

  buildings(): StoredBuilding[] {
    const rows = this.db.prepare("SELECT building_key FROM buildings ORDER BY building_id").all() as Array<{ building_key: string }>;
    return rows.map((r) => this.building(r.building_key)!);
  }

  addBuilding(key: string, buildingId: bigint, ref: string): void {
    this.db.prepare("INSERT INTO buildings (building_key, building_id, ref) VALUES (?, ?, ?)").run(key, Number(buildingId), ref);
  }

  setRegisterHash(key: string, hash: string): void {
    this.db.prepare("UPDATE buildings SET register_hash = ? WHERE building_key = ?").run(hash, key);
  }

  premisesOf(key: string): Map<string, StoredPremises> {
    const rows = this.db
      .prepare("SELECT number, premises_id, area, kind, cadastral, holdings FROM premises WHERE building_key = ? ORDER BY premises_id")
      .all(key) as Array<{ number: string; premises_id: number; area: number; kind: number; cadastral: string; holdings: string }>;
    return new Map(
      rows.map((r) => [
        r.number,
        { number: r.number, premisesId: BigInt(r.premises_id), area: BigInt(r.area), kind: r.kind, cadastral: r.cadastral, holdings: JSON.parse(r.holdings) as ChainHolding[] },
      ]),
    );
  }

  premisesCount(key: string): number {
    return (this.db.prepare("SELECT count(*) AS n FROM premises WHERE building_key = ?").get(key) as { n: number }).n;
  }

  addPremises(key: string, premises: StoredPremises): void {
    this.db
      .prepare("INSERT INTO premises (building_key, number, premises_id, area, kind, cadastral, holdings) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(key, premises.number, Number(premises.premisesId), Number(premises.area), premises.kind, premises.cadastral, JSON.stringify(premises.holdings));
  }

  setHoldings(key: string, number: string, holdings: ChainHolding[]): void {
    this.db.prepare("UPDATE premises SET holdings = ? WHERE building_key = ? AND number = ?").run(JSON.stringify(holdings), key, number);
  }

  residentsOf(key: string): Set<string> {
    const rows = this.db.prepare("SELECT person_id FROM residents WHERE building_key = ?").all(key) as Array<{ person_id: string }>;
    return new Set(rows.map((r) => r.person_id));
  }

  setResident(key: string, personId: string, registered: boolean): void {
    if (registered) this.db.prepare("INSERT INTO residents (building_key, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING").run(key, personId);
    else this.db.prepare("DELETE FROM residents WHERE building_key = ? AND person_id = ?").run(key, personId);
  }

  organisersOf(key: string): Map<string, number> {
    const rows = this.db.prepare("SELECT person_id, role FROM organisers WHERE building_key = ?").all(key) as Array<{ person_id: string; role: number }>;
    return new Map(rows.map((r) => [r.person_id, r.role]));
  }

  setOrganiser(key: string, personId: string, role: number): void {
    if (role === 0) this.db.prepare("DELETE FROM organisers WHERE building_key = ? AND person_id = ?").run(key, personId);
    else {
      this.db
        .prepare("INSERT INTO organisers (building_key, person_id, role) VALUES (?, ?, ?) ON CONFLICT (building_key, person_id) DO UPDATE SET role = excluded.role")
        .run(key, personId, role);
    }
  }

  // ------------------------------------------------------------------ the register as published

  addVersion(v: Omit<RegisterVersion, "version">): RegisterVersion {
    const last = this.latestVersion(v.buildingKey);
    const version = (last?.version ?? 0) + 1;
    this.db
      .prepare(
        "INSERT INTO register_versions (building_key, version, register_hash, canonical, import_id, tx_hash, block_number, block_timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(v.buildingKey, version, v.registerHash, v.canonical, v.importId, v.txHash, v.blockNumber, v.blockTimestamp);
    return { ...v, version };
  }

  private version(row: Record<string, unknown> | undefined): RegisterVersion | undefined {
    if (!row) return undefined;
    return {
      buildingKey: row.building_key as string,
      version: Number(row.version),
      registerHash: row.register_hash as string,
      canonical: row.canonical as string,
      importId: row.import_id as string,
      txHash: row.tx_hash as string,
      blockNumber: Number(row.block_number),
      blockTimestamp: Number(row.block_timestamp),
    };
  }

  latestVersion(key: string): RegisterVersion | undefined {
    return this.version(this.db.prepare("SELECT * FROM register_versions WHERE building_key = ? ORDER BY version DESC LIMIT 1").get(key) as Record<string, unknown> | undefined);
  }

  /** The version in force at a block time: the last one published at or before it. */
  versionAt(key: string, timestamp: number): RegisterVersion | undefined {
    return this.version(
      this.db.prepare("SELECT * FROM register_versions WHERE building_key = ? AND block_timestamp <= ? ORDER BY version DESC LIMIT 1").get(key, timestamp) as
        | Record<string, unknown>
        | undefined,
    );
  }

  // ------------------------------------------------------------------ imports

  createImport(importId: string, source: string, fileSha256: string, file: Uint8Array, plan: unknown): void {
    this.db
      .prepare("INSERT INTO imports (import_id, source, file_sha256, file, status, plan, created_at) VALUES (?, ?, ?, ?, 'running', ?, ?)")
      .run(importId, source, fileSha256, file, JSON.stringify(plan), new Date().toISOString());
  }

  setProgress(importId: string, progress: unknown): void {
    this.db.prepare("UPDATE imports SET progress = ? WHERE import_id = ?").run(JSON.stringify(progress), importId);
  }

  setPlan(importId: string, plan: unknown): void {
    this.db.prepare("UPDATE imports SET plan = ? WHERE import_id = ?").run(JSON.stringify(plan), importId);
  }

  finishImport(importId: string, status: Exclude<ImportStatus, "running">, error?: unknown): void {
    this.db
      .prepare("UPDATE imports SET status = ?, error = ?, finished_at = ? WHERE import_id = ?")
      .run(status, error === undefined ? null : JSON.stringify(error), new Date().toISOString(), importId);
  }

  getImport(importId: string): ImportRecord | undefined {
    const row = this.db.prepare("SELECT import_id, source, file_sha256, status, plan, progress, error, created_at, finished_at FROM imports WHERE import_id = ?").get(importId) as
      | Record<string, string | null>
      | undefined;
    if (!row) return undefined;
    const parse = (v: string | null) => (v === null ? null : (JSON.parse(v) as unknown));
    return {
      importId: row.import_id!,
      source: row.source!,
      fileSha256: row.file_sha256!,
      status: row.status as ImportStatus,
      plan: parse(row.plan ?? null),
      progress: parse(row.progress ?? null),
      error: parse(row.error ?? null),
      createdAt: row.created_at!,
      finishedAt: row.finished_at ?? null,
    };
  }

  importFile(importId: string): Uint8Array | undefined {
    const row = this.db.prepare("SELECT file FROM imports WHERE import_id = ?").get(importId) as { file: Uint8Array } | undefined;
    return row?.file;
  }

  /** Imports left running by a process that stopped. */
  runningImports(): string[] {
    return (this.db.prepare("SELECT import_id FROM imports WHERE status = 'running' ORDER BY created_at").all() as Array<{ import_id: string }>).map((r) => r.import_id);
  }

  // ------------------------------------------------------------------ the journal of transactions

  /** Writes a signed transaction before it is sent. */
  addOp(op: Omit<ChainOp, "opId" | "status" | "blockNumber">): number {
    const result = this.db
      .prepare("INSERT INTO chain_ops (import_id, kind, building_key, args, nonce, tx_hash, raw, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'signed', ?)")
      .run(op.importId, op.kind, op.buildingKey, JSON.stringify(op.args), op.nonce, op.txHash, op.raw, new Date().toISOString());
    return Number(result.lastInsertRowid);
  }

  settleOp(opId: number, status: Exclude<OpStatus, "signed">, blockNumber: number | null): void {
    this.db.prepare("UPDATE chain_ops SET status = ?, block_number = ?, settled_at = ? WHERE op_id = ?").run(status, blockNumber, new Date().toISOString(), opId);
  }

  private op(row: Record<string, unknown>): ChainOp {
    return {
      opId: Number(row.op_id),
      importId: row.import_id as string,
      kind: row.kind as string,
      buildingKey: row.building_key as string,
      args: JSON.parse(row.args as string) as unknown,
      nonce: Number(row.nonce),
      txHash: row.tx_hash as string,
      raw: row.raw as string,
      status: row.status as OpStatus,
      blockNumber: row.block_number === null ? null : Number(row.block_number),
    };
  }

  /** Transactions signed and not yet settled, in nonce order. */
  openOps(): ChainOp[] {
    return (this.db.prepare("SELECT * FROM chain_ops WHERE status = 'signed' ORDER BY nonce, op_id").all() as Array<Record<string, unknown>>).map((r) => this.op(r));
  }

  opsOf(importId: string): ChainOp[] {
    return (this.db.prepare("SELECT * FROM chain_ops WHERE import_id = ? ORDER BY op_id").all(importId) as Array<Record<string, unknown>>).map((r) => this.op(r));
  }

  opCount(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM chain_ops").get() as { n: number }).n;
  }

  // ------------------------------------------------------------------ one import at a time

  /**
   * Takes the import lock for `importId`, or says who holds it. A holder whose heartbeat is older
   * than 30 s, or a process of this host that is gone, no longer holds it.
   */
  acquireLock(importId: string): { acquired: true } | { acquired: false; importId: string; holder: string } {
    const host = hostname();
    const now = Date.now();
    return this.db.transaction(() => {
      const row = this.db.prepare("SELECT holder, host, pid, import_id, heartbeat_at FROM import_lock WHERE id = 1").get() as
        | { holder: string; host: string; pid: number; import_id: string; heartbeat_at: number }
        | undefined;
      if (row) {
        const stale = now - Number(row.heartbeat_at) > LOCK_STALE_MS || (row.host === host && row.pid !== process.pid && !processAlive(Number(row.pid)));
        const mine = row.host === host && Number(row.pid) === process.pid && row.import_id === importId;
        if (!stale && !mine) return { acquired: false as const, importId: row.import_id, holder: row.holder };
      }
      this.db
        .prepare(
          `INSERT INTO import_lock (id, holder, host, pid, import_id, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid, import_id = excluded.import_id, heartbeat_at = excluded.heartbeat_at`,
        )
        .run(`${host}:${process.pid}`, host, process.pid, importId, now);
      return { acquired: true as const };
    });
  }

  heartbeat(importId: string): void {
    this.db.prepare("UPDATE import_lock SET heartbeat_at = ? WHERE id = 1 AND import_id = ? AND pid = ?").run(Date.now(), importId, process.pid);
  }

  releaseLock(importId: string): void {
    this.db.prepare("DELETE FROM import_lock WHERE id = 1 AND import_id = ? AND pid = ?").run(importId, process.pid);
  }
}
