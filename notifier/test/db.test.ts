/** The notifier's database refuses a file of another schema at start, naming it, and keeps its own across restarts. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { AppError } from "#lib/errors.js";
import { Database, SCHEMA_VERSION } from "../src/db.js";

describe("notifier database", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "notifier-db-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a database written by a notifier of an older schema, naming the file and both versions", () => {
    const file = path.join(dir, "old.sqlite");
    const old = new DatabaseSync(file);
    old.exec("CREATE TABLE meetings (meeting_id TEXT PRIMARY KEY, building_id TEXT NOT NULL, kind INTEGER NOT NULL, questions TEXT NOT NULL)");
    old.close();
    assert.throws(
      () => new Database(file),
      (err: unknown) => err instanceof AppError && err.code === "database_schema_mismatch" && err.message.includes(file) && err.message.includes(`schema 0`) && err.message.includes(`schema ${SCHEMA_VERSION}`),
    );
  });

  it("opens a new file and the same file again", () => {
    const file = path.join(dir, "new.sqlite");
    const first = new Database(file);
    first.sql("INSERT INTO cursor (id, block) VALUES (1, 42)").run();
    first.close();
    const again = new Database(file);
    assert.deepEqual({ ...(again.sql("SELECT block FROM cursor WHERE id = 1").get() as object) }, { block: 42 });
    again.close();
  });
});
