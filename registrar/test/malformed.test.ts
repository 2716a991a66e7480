/**
 * A register file with one bad row applies nothing. The example file (registrar/examples/
 * building.csv) is imported first; then each bad variant of it is refused with the problem at its
 * line, column and field, in Russian and English — and nothing happens: no transaction from the
 * registrar's key, no call to custody or the notifier, and the store exactly as it was.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { createLogger } from "#lib/log.js";
import { loadConfig } from "../src/config.js";
import { describeProblem, problemMessages } from "../src/messages.js";
import { RegisterFileError, type Problem } from "../src/problems.js";
import { openRegistrar, type Registrar } from "../src/service.js";
import type { RegisterStore } from "../src/store.js";
import { startSystem, type TestSystem } from "./helpers/system.js";

const EXAMPLE = readFileSync(path.join(PROJECT_ROOT, "registrar/examples/building.csv"), "utf8");
const LINES = EXAMPLE.split("\r\n");

/** Every row of every table of the store, hashed: equal digests, equal stores. */
function storeDigest(store: RegisterStore): string {
  const hash = createHash("sha256");
  const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
  for (const { name } of tables) {
    hash.update(name);
    hash.update(JSON.stringify(store.db.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v)));
  }
  return hash.digest("hex");
}

interface Case {
  name: string;
  /** The bad file's bytes. */
  file: () => Uint8Array;
  code: Problem["code"];
  line: number;
  /** The column: a number, the text that starts at it on that line, the end of the line, or the start of the n-th field (from 0) of a line without quotes. */
  at: number | string | "end" | { field: number };
  field?: string;
}

/** The example with line `n` (1-based) passed through `change`. */
function withLine(n: number, change: (line: string) => string): () => Uint8Array {
  return () => new TextEncoder().encode(LINES.map((l, i) => (i === n - 1 ? change(l) : l)).join("\r\n"));
}
function withLines(change: (lines: string[]) => string[]): () => Uint8Array {
  return () => new TextEncoder().encode(change([...LINES]).join("\r\n"));
}
const swap = (from: string, to: string) => (line: string) => {
  assert.ok(line.includes(from), `${line} holds ${from}`);
  return line.replace(from, to);
};

const CASES: Case[] = [
  { name: "a share that is not a fraction", file: withLine(29, swap(",1/3,", ",0.5,")), code: "bad_fraction", line: 29, at: "0.5,shared", field: "share" },
  { name: "a share of zero", file: withLine(32, swap(",1/2,", ",0/2,")), code: "share_out_of_range", line: 32, at: "0/2", field: "share" },
  { name: "a share the register cannot hold exactly", file: withLine(32, swap(",1/2,", ",1/17,")), code: "inexact_share", line: 32, at: "1/17", field: "share" },
  { name: "heirs' shares that do not sum to one", file: withLine(31, swap(",1/3,", ",1/4,")), code: "shares_not_whole", line: 29, at: "1/3,shared", field: "share" },
  { name: "an unknown kind of premises", file: withLine(18, swap(",residential,", ",flat,")), code: "unknown_kind", line: 18, at: "flat", field: "kind" },
  { name: "a negative area", file: withLine(19, swap(",95.00,", ",-95.00,")), code: "area_not_positive", line: 19, at: "-95.00", field: "area" },
  { name: "an area without two decimals", file: withLine(19, swap(",95.00,", ",95,")), code: "bad_area", line: 19, at: "95,77", field: "area" },
  {
    name: "a duplicate premises",
    file: withLines((l) => [...l.slice(0, 25), l[16]!.replace("2002", "2999"), ...l.slice(25)]),
    code: "duplicate_premises",
    line: 26,
    at: "2,1,residential",
    field: "premises",
  },
  { name: "a duplicate cadastral number", file: withLine(18, swap(":2003,", ":2002,")), code: "duplicate_cadastral_number", line: 18, at: "77:06:0004003:2002", field: "cadastral" },
  { name: "a person in two holdings of one premises", file: withLine(33, swap("sokolov.dmitry", "popova.maria")), code: "person_in_two_holdings", line: 33, at: "popova.maria", field: "person" },
  { name: "a bad e-mail", file: withLine(5, swap("olga@example.org", "olga(at)example.org")), code: "bad_email", line: 5, at: "olga(at)", field: "email" },
  { name: "a bad phone number", file: withLine(4, swap("+79160000002", "8-916-000")), code: "bad_phone", line: 4, at: "8-916-000", field: "phone" },
  { name: "an unknown language", file: withLine(4, swap(",ru,", ",de,")), code: "unknown_language", line: 4, at: "de,", field: "language" },
  { name: "too few fields", file: withLine(20, (l) => l.slice(0, -1)), code: "wrong_field_count", line: 20, at: "end" },
  { name: "too many fields", file: withLine(20, (l) => l + ","), code: "wrong_field_count", line: 20, at: "end" },
  { name: "text after a closing quote", file: withLine(2, swap('"Москва, ул.', '"Москва" ул.')), code: "text_after_closing_quote", line: 2, at: " ул." },
  { name: "a quote inside an unquoted field", file: withLine(4, swap("Иванов Пётр", 'Иванов "Пётр"')), code: "quote_in_unquoted_field", line: 4, at: '"Пётр"' },
  { name: "a quote never closed", file: withLine(40, swap("tenant.karimov", '"tenant.karimov')), code: "unclosed_quote", line: 40, at: '"tenant' },
  { name: "a lone carriage return", file: withLine(10, swap("Соколов Дмитрий", "Соколов\rДмитрий")), code: "lone_carriage_return", line: 10, at: "\rДмитрий" },
  {
    name: "bytes that are not UTF-8 (a Windows-1251 letter)",
    file: () => {
      const text = new TextEncoder().encode(LINES.slice(0, 6).join("\r\n") + "\r\n");
      const bad = new TextEncoder().encode(LINES.slice(6).join("\r\n").replace("Кузнецова", "Кузнец\u0000ва"));
      const i = bad.indexOf(0);
      bad[i] = 0xee; // "о" in Windows-1251, a lead byte without its continuation in UTF-8
      return new Uint8Array([...text, ...bad]);
    },
    code: "not_utf8",
    line: 7,
    at: "\uFFFDва Мария",
  },
  { name: "a control character in a field", file: withLine(9, swap("Попова Мария", "Попова\tМария")), code: "control_character", line: 9, at: "Попова", field: "name" },
  { name: "an owner never given as a person", file: withLine(36, swap("petrova.nina", "petrova.n")), code: "unknown_person", line: 36, at: "petrova.n,", field: "person" },
  { name: "an owner of a premises never given", file: withLine(36, swap(",7,", ",77,")), code: "unknown_premises", line: 36, at: "77,", field: "premises" },
  { name: "a joint holding of one", file: withLines((l) => [...l.slice(0, 26), ...l.slice(27)]), code: "joint_group_too_small", line: 26, at: "ivanovy", field: "group" },
  { name: "joint holders with different shares", file: withLine(27, swap(",1,joint,", ",1/2,joint,")), code: "joint_share_differs", line: 27, at: "1/2,joint", field: "share" },
  { name: "a sole owner beside another", file: withLine(33, swap("1/2,shared", "1/2,sole")), code: "sole_share_not_whole", line: 33, at: "1/2,sole", field: "share" },
  { name: "an unknown record", file: withLine(40, swap("resident,", "tenant,")), code: "unknown_record", line: 40, at: 1, field: "record" },
  { name: "a value in a field the record leaves empty", file: withLine(17, (l) => l.replace(/,,,,,,,,,,,$/, ",,,,,,,1/2,,,,")), code: "field_not_allowed", line: 17, at: "1/2", field: "share" },
  { name: "an owner without a title document", file: withLine(34, swap(",77:06:0004003:2005-77/011/2021-5,", ",,")), code: "field_required", line: 34, field: "title", at: { field: 17 } },
  { name: "an unknown role", file: withLine(42, swap("management-organisation", "landlord")), code: "unknown_role", line: 42, at: "landlord", field: "role" },
  { name: "a malformed cadastral number", file: withLine(21, swap("77:06:0004003:2006", "77-06-2006")), code: "bad_cadastral_number", line: 21, at: "77-06-2006", field: "cadastral" },
  { name: "a person given twice", file: withLines((l) => [...l.slice(0, 15), l[14]!, ...l.slice(15)]), code: "duplicate_person", line: 16, at: "petrova.nina", field: "person" },
  { name: "an unknown column in the header", file: withLine(1, swap(",address,", ",adress,")), code: "header_unknown_column", line: 1, at: "adress" },
];

describe("a register file with a bad row", () => {
  let system: TestSystem;
  let registrar: Registrar;

  before(async () => {
    system = await startSystem();
    registrar = await openRegistrar(loadConfig(system.env), { deployment: system.deployment, logger: createLogger("silent") });
    const outcome = await registrar.importer.start(new TextEncoder().encode(EXAMPLE), "test").done;
    assert.equal(outcome.status, "done");
  });

  after(async () => {
    await registrar?.close();
    await system?.close();
  });

  it("imports the example file", async () => {
    const key = "77:06:0004003:1056";
    const building = registrar.store.building(key)!;
    assert.equal(registrar.store.premisesCount(key), 10);
    assert.equal(await system.registry.registerHash(building.buildingId), building.registerHash);
  });

  for (const c of CASES) {
    it(`refuses ${c.name} with ${c.code} at line ${c.line}, applying nothing`, async () => {
      const bytes = c.file();
      const nonce = await system.registrarNonce();
      const calls = system.custodyProxy.calls.size + system.notifierProxy.calls.size;
      const counted = system.custodyProxy.count("") + system.notifierProxy.count("");
      const digest = storeDigest(registrar.store);
      for (const attempt of [() => registrar.importer.dryRun(bytes), () => registrar.importer.start(bytes, "test")]) {
        let problems: Problem[] = [];
        assert.throws(attempt, (err: unknown) => {
          if (!(err instanceof RegisterFileError)) return false;
          problems = err.problems;
          return true;
        });
        const found = problems.find((p) => p.code === c.code);
        assert.ok(found, `expected ${c.code}, got ${problems.map((p) => `${p.code}@${p.line}:${p.column}`).join(", ")}`);
        const lineText = new TextDecoder("utf-8", { fatal: false }).decode(bytes).split(/\r\n|\n/)[c.line - 1] ?? "";
        const column =
          typeof c.at === "number"
            ? c.at
            : c.at === "end"
              ? [...lineText].length + 1
              : typeof c.at === "object"
                ? lineText.split(",").slice(0, c.at.field).reduce((n, f) => n + [...f].length + 1, 1)
                : [...lineText.slice(0, lineText.indexOf(c.at))].length + 1;
        assert.ok(typeof c.at !== "string" || c.at === "end" || lineText.includes(c.at), `line ${c.line} holds '${String(c.at)}'`);
        assert.deepEqual({ line: found.line, column: found.column, field: found.field }, { line: c.line, column, field: c.field });
        const { ru, en } = problemMessages(found);
        assert.match(en, new RegExp(`^line ${c.line}, column ${column}`));
        assert.match(ru, new RegExp(`^строка ${c.line}, столбец ${column}`));
        assert.notEqual(describeProblem(found, "ru"), describeProblem(found, "en"));
      }
      assert.equal(await system.registrarNonce(), nonce);
      assert.equal(system.custodyProxy.calls.size + system.notifierProxy.calls.size, calls);
      assert.equal(system.custodyProxy.count("") + system.notifierProxy.count(""), counted);
      assert.equal(storeDigest(registrar.store), digest);
    });
  }
});
