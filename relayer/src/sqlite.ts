/**
 * The embedded database: Node's built-in SQLite (node:sqlite, Node ≥ 22.13), so nothing native has to
 * be compiled for the Node version that runs the service. A thin layer adds transactions.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

export type Statement = StatementSync;

export class SqliteDatabase {
  private readonly db: DatabaseSync;
  private depth = 0;
  private isOpen = true;

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new DatabaseSync(file);
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
