/**
 * The embedded database of the services (relayer queue, custody keystore, query node store,
 * notifier outbox): Node's built-in SQLite (`node:sqlite`, Node ≥ 22.13), so nothing native is
 * compiled for the Node version that runs them. A thin layer adds nested write transactions.
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";

function loadSqlite(): typeof import("node:sqlite") {
  // node:sqlite announces itself as experimental once per process; the services rely on its stable core.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)("node:sqlite") as typeof import("node:sqlite");
  } finally {
    process.emitWarning = emitWarning;
  }
}

const sqlite = loadSqlite();

export type Statement = StatementSync;

export class SqliteDatabase {
  readonly db: DatabaseSync;
  private depth = 0;
  private isOpen = true;

  /** Opens (and creates, with its folder) the database at `file`, or an in-memory one for ":memory:". */
  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new sqlite.DatabaseSync(file);
  }

  get open(): boolean {
    return this.isOpen;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(setting: string): void {
    this.db.exec(`PRAGMA ${setting}`);
  }

  prepare(sql: string): Statement {
    return this.db.prepare(sql);
  }

  /** A statement that returns rows as arrays in column order. */
  prepareRaw(sql: string): Statement {
    const statement = this.db.prepare(sql);
    statement.setReturnArrays(true);
    return statement;
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE); nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.db.exec("BEGIN IMMEDIATE");
    this.depth++;
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    } finally {
      this.depth--;
    }
  }

  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.db.close();
  }
}
