/**
 * SQLite through Node's built-in `node:sqlite` (Node ≥ 22.13): no native add-on to rebuild per Node
 * version. Adds the transaction helper the store needs.
 */
import { createRequire } from "node:module";
import type { DatabaseSync, StatementSync } from "node:sqlite";

const require = createRequire(import.meta.url);

function loadSqlite(): typeof import("node:sqlite") {
  // node:sqlite announces itself as experimental once per process; the store relies on its stable core.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return require("node:sqlite") as typeof import("node:sqlite");
  } finally {
    process.emitWarning = emitWarning;
  }
}

const sqlite = loadSqlite();

export type Statement = StatementSync;

export class SqliteDatabase {
  readonly db: DatabaseSync;
  private depth = 0;

  constructor(file: string) {
    this.db = new sqlite.DatabaseSync(file);
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string): StatementSync {
    return this.db.prepare(sql);
  }

  /** A statement that returns rows as arrays in column order. */
  prepareRaw(sql: string): StatementSync {
    const statement = this.db.prepare(sql);
    statement.setReturnArrays(true);
    return statement;
  }

  /** Runs `fn` in a transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.db.exec("BEGIN");
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
    this.db.close();
  }
}
