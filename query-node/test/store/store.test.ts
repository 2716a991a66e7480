/** The SQLite store's tables and indexes for a schema. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SubgraphStore } from "../../src/store/store.js";
import { loadSubgraphSchema } from "../../src/store/subgraph-schema.js";
import { ValueKind, type EntityData } from "../../src/runtime/values.js";

describe("SubgraphStore tables", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "digital-home-store-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("opens a schema whose field index would share its name with another entity's table (Question.type, QuestionType)", () => {
    const schema = loadSubgraphSchema(`
      type QuestionType @entity(immutable: true) { id: ID! code: String! }
      type Question @entity(immutable: false) { id: ID! type: QuestionType index: Int! }
    `);
    const store = new SubgraphStore(path.join(dir, "names.sqlite"), schema);
    try {
      const type: EntityData = new Map([
        ["id", { kind: ValueKind.String, value: "1-0" }],
        ["code", { kind: ValueKind.String, value: "other" }],
      ]);
      const question: EntityData = new Map([
        ["id", { kind: ValueKind.String, value: "1-0" }],
        ["type", { kind: ValueKind.String, value: "1-0" }],
        ["index", { kind: ValueKind.Int, value: 0 }],
      ]);
      store.set("QuestionType", "1-0", type);
      store.set("Question", "1-0", question);
      store.commitBlock({ number: 1, hash: "0x" + "01".repeat(32), parentHash: "0x" + "00".repeat(32), timestamp: 1 });
      assert.equal(store.get("QuestionType", "1-0")?.get("code")?.value, "other");
      assert.equal(store.get("Question", "1-0")?.get("type")?.value, "1-0");
      const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'question'").all() as Array<{ name: string }>;
      assert.ok(indexes.some((i) => i.name.includes("type")), "the reference is indexed");
    } finally {
      store.close();
    }
  });
});
