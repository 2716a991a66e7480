/**
 * Reading the register file without the rest of the system: what RFC 4180 and UTF-8 allow is read
 * as meant (a byte order mark, CRLF or LF, quoted commas, doubled quotes, blank rows), values are
 * kept in one form (NFC, no surrounding spaces, phones in E.164), what they forbid is named at its
 * line and column; the canonical register is the same text whatever the order of the file's rows;
 * every problem has its Russian and English message.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { getAddress, id } from "ethers";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { SHARE_UNIT } from "#lib/domain.js";
import { canonicalJson, canonicalRegister, registerHash } from "../src/canonical.js";
import { firstInvalidUtf8, parseCsv } from "../src/csv.js";
import { describeProblem, languageOf, problemMessage } from "../src/messages.js";
import { MAX_PROBLEMS, PROBLEM_CODES, ProblemList, RegisterFileError, type Problem } from "../src/problems.js";
import { formatFraction, parseArea, parseFraction, shareUnits } from "../src/quantities.js";
import { COLUMNS, readRegisterFile, type RegisterFile } from "../src/register-file.js";

const EXAMPLE = readFileSync(path.join(PROJECT_ROOT, "registrar/examples/building.csv"), "utf8");
const bytes = (text: string) => new TextEncoder().encode(text);

function problemsOf(input: Uint8Array | string): Problem[] {
  try {
    readRegisterFile(typeof input === "string" ? bytes(input) : input);
  } catch (err) {
    if (err instanceof RegisterFileError) return err.problems;
    throw err;
  }
  assert.fail("the file was read without problems");
}

/** A one-building file with the given rows after the header. */
function file(rows: string[]): string {
  return [COLUMNS.join(","), ...rows].join("\r\n") + "\r\n";
}
const B = "77:06:0004003:1056";
const row = (values: Partial<Record<(typeof COLUMNS)[number], string>>) => COLUMNS.map((c) => values[c] ?? "").join(",");
const BASE = [
  row({ record: "building", building: B, address: '"Москва, ул. Профсоюзная, д. 56"' }),
  row({ record: "person", person: "a", name: "Анна", identity: "паспорт 1" }),
  row({ record: "premises", building: B, premises: "1", kind: "residential", area: "45.50", cadastral: "77:06:0004003:2001" }),
  row({ record: "owner", building: B, premises: "1", person: "a", share: "1", ownership: "sole", title: "T-1" }),
];

describe("reading a register file", () => {
  it("reads the example file", () => {
    const f = readRegisterFile(bytes(EXAMPLE));
    assert.equal(f.buildings.length, 1);
    assert.equal(f.buildings[0]!.address, "Москва, ул. Профсоюзная, д. 56");
    assert.equal(f.buildings[0]!.premises.length, 10);
    assert.equal(f.persons.size, 13);
    const flat1 = f.buildings[0]!.premises[0]!;
    assert.deepEqual(flat1.holdings.map((h) => ({ ownership: h.ownership, holders: h.holders, units: h.units })), [{ ownership: "joint", holders: ["ivanova.anna", "ivanov.petr"], units: SHARE_UNIT }]);
    assert.deepEqual(f.buildings[0]!.premises[2]!.holdings.map((h) => formatFraction(h.share)), ["1/3", "1/3", "1/3"]);
    assert.equal(f.persons.get("ivanova.anna")!.phone, "+79160000001");
    assert.equal(f.persons.get("kuznetsov.ilya")!.language, "en");
    assert.equal(f.persons.get("sokolov.dmitry")!.email, null);
  });

  it("reads a byte order mark, LF lines, blank rows and the columns in any order the same as the plain file", () => {
    const plain = readRegisterFile(bytes(EXAMPLE));
    const withBom = readRegisterFile(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(EXAMPLE)]));
    const lf = readRegisterFile(bytes(EXAMPLE.replace(/\r\n/g, "\n")));
    const blank = readRegisterFile(bytes(EXAMPLE.replace("\r\nperson,", "\r\n\r\n" + ",".repeat(18) + "\r\nperson,")));
    const strip = (f: RegisterFile) => JSON.stringify({ b: f.buildings.map((b) => ({ ...b, line: 0, premises: b.premises.map((p) => ({ ...p, line: 0, at: {}, holdings: p.holdings.map((h) => ({ ...h, line: 0, at: {} })) })), residents: b.residents.map((r) => ({ ...r, line: 0 })), organisations: b.organisations.map((o) => ({ ...o, line: 0 })) })), p: [...f.persons.values()].map((p) => ({ ...p, line: 0 })) }, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    assert.equal(strip(withBom), strip(plain));
    assert.equal(strip(lf), strip(plain));
    assert.equal(strip(blank), strip(plain));
    // the columns reordered: the header names them
    const order = [...COLUMNS].reverse();
    const reordered = parseCsv(EXAMPLE, new ProblemList()).map((r) => order.map((c) => `"${r.fields[COLUMNS.indexOf(c)]!.value.replace(/"/g, '""')}"`).join(","));
    assert.equal(strip(readRegisterFile(bytes(reordered.join("\r\n")))), strip(plain));
  });

  it("reads quoted commas and doubled quotes, areas with a decimal comma, and keeps names in NFC without surrounding spaces", () => {
    const decomposed = "Андрей Ии\u0306ин"; // й as и + combining breve
    const f = readRegisterFile(
      bytes(
        file([
          BASE[0]!,
          row({ record: "person", person: "a", name: `"  ${decomposed} "`, identity: '"ООО ""Ромашка"", ИНН 7700000000"', phone: "+7 (916) 123-45-67" }),
          row({ record: "premises", building: B, premises: "1", kind: "residential", area: '"45,50"', cadastral: "77:06:0004003:2001" }),
          BASE[3]!,
        ]),
      ),
    );
    const a = f.persons.get("a")!;
    assert.equal(a.name, decomposed.normalize("NFC"));
    assert.notEqual(a.name, decomposed);
    assert.ok(a.name.includes("\u0439"));
    assert.equal(a.identity, 'ООО "Ромашка", ИНН 7700000000');
    assert.equal(a.phone, "+79161234567");
    assert.equal(a.language, "ru");
    assert.equal(f.buildings[0]!.premises[0]!.area, 4550n);
  });

  it("names a field with a line break in it at the field's own line and column", () => {
    const problems = problemsOf(file([BASE[0]!, row({ record: "person", person: "a", name: '"Анна\r\nСергеевна"', identity: "x" }), ...BASE.slice(2)]));
    assert.deepEqual(problems.map((p) => [p.code, p.line, p.column, p.field]), [["control_character", 3, 17, "name"]]);
  });

  it("refuses an empty file, and a header without its columns", () => {
    assert.deepEqual(problemsOf("").map((p) => p.code), ["empty_file"]);
    assert.deepEqual(problemsOf("\r\n\r\n").map((p) => p.code), ["empty_file"]);
    const missing = problemsOf(COLUMNS.filter((c) => c !== "title").join(",") + "\r\n");
    assert.deepEqual(missing.map((p) => [p.code, p.params.column]), [["header_missing_column", "title"]]);
    const twice = problemsOf([...COLUMNS, "name"].join(",") + "\r\n");
    assert.deepEqual(twice.map((p) => [p.code, p.line, p.column]), [["header_duplicate_column", 1, COLUMNS.join(",").length + 2]]);
  });

  it("refuses a file that names no building", () => {
    assert.deepEqual(problemsOf(file([BASE[1]!])).map((p) => p.code), ["no_building"]);
  });

  it("refuses a share whose denominator does not divide the share unit, and takes every one that does", () => {
    for (const d of [2n, 3n, 7n, 11n, 13n, 16n, 25n, 27n, 64n, 100n, 1000n]) assert.equal(shareUnits({ numerator: 1n, denominator: d })! * d, SHARE_UNIT);
    for (const d of [17n, 19n, 128n, 81n]) assert.equal(shareUnits({ numerator: 1n, denominator: d }), undefined);
    assert.deepEqual(parseFraction("2/4"), { numerator: 1n, denominator: 2n });
    for (const bad of ["1/0", "½", "0,5", "1 / 2", "-1/2", "1/2/3", ""]) assert.equal(parseFraction(bad), undefined, bad);
    for (const bad of ["45", "45.5", "45.500", "4 5.50", "1e3"]) assert.equal(parseArea(bad), undefined, bad);
  });

  it("reports at most a hundred problems and counts the rest", () => {
    const rows = [BASE[0]!, ...Array.from({ length: 150 }, (_, i) => row({ record: "person", person: `p${i}`, name: "x", identity: "y", email: "not-an-e-mail" }))];
    const problems = problemsOf(file(rows));
    assert.equal(problems.length, MAX_PROBLEMS + 1);
    assert.deepEqual(problems.at(-1), { code: "too_many_problems", line: 0, column: 0, params: { count: 50 } });
    assert.ok(problems.slice(0, -1).every((p, i, all) => p.code === "bad_email" && (i === 0 || all[i - 1]!.line < p.line)));
  });
});

describe("UTF-8 and RFC 4180", () => {
  it("finds the first byte that is not UTF-8: a stray continuation, an overlong form, a surrogate, a cut sequence, past U+10FFFF", () => {
    const ok = bytes("дом 🏠 ok");
    assert.equal(firstInvalidUtf8(ok), -1);
    const cases: Array<[number[], number]> = [
      [[0x61, 0x80], 1],
      [[0x61, 0xc0, 0x80], 1],
      [[0xe0, 0x80, 0x80], 0],
      [[0x61, 0xed, 0xa0, 0x80], 1],
      [[0x61, 0x62, 0xe2, 0x82], 2],
      [[0xf4, 0x90, 0x80, 0x80], 0],
      [[0xff], 0],
    ];
    for (const [b, at] of cases) assert.equal(firstInvalidUtf8(new Uint8Array(b)), at, b.map((x) => x.toString(16)).join(" "));
  });

  it("counts columns in characters: a letter outside the basic plane is one column", () => {
    const problems = problemsOf(new Uint8Array([...bytes(COLUMNS.join(",") + "\r\n🏠дом,"), 0xc3]));
    assert.deepEqual(problems.map((p) => [p.code, p.line, p.column]), [["not_utf8", 2, 6]]);
  });

  it("keeps each field's line and column, across a quoted field that spans lines", () => {
    const records = parseCsv('a,"b\r\nc",d\r\ne,"",f', new ProblemList());
    assert.deepEqual(
      records.map((r) => ({ line: r.line, fields: r.fields.map((f) => [f.value, f.line, f.column]) })),
      [
        { line: 1, fields: [["a", 1, 1], ["b\r\nc", 1, 3], ["d", 2, 4]] },
        { line: 3, fields: [["e", 3, 1], ["", 3, 3], ["f", 3, 6]] },
      ],
    );
  });

  it("goes on reading after a broken record, so that one file shows all its problems", () => {
    const problems = new ProblemList();
    const records = parseCsv('a,b"c\r\nd,e\r\n"f"g,h\r\ni,j', problems);
    assert.deepEqual(records.map((r) => r.fields.map((f) => f.value)), [["d", "e"], ["i", "j"]]);
    assert.deepEqual(problems.problems.map((p) => [p.code, p.line, p.column]), [["quote_in_unquoted_field", 1, 4], ["text_after_closing_quote", 3, 4]]);
  });
});

describe("the canonical register", () => {
  const input = (f: RegisterFile) => ({
    building: f.buildings[0]!,
    persons: f.persons,
    addressOf: (personId: string) => getAddress("0x" + id(personId).slice(26)),
    premisesIdOf: (number: string) => BigInt(f.buildings[0]!.premises.findIndex((p) => p.number === number) + 1) + (number === "Н-1" ? 100n : 0n),
    chainId: 31337,
    registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    buildingId: 1n,
  });

  it("is the same text whatever the order of the file's rows", () => {
    const lines = EXAMPLE.trimEnd().split("\r\n");
    const shuffled = [lines[0]!, ...lines.slice(1).reverse()].join("\r\n");
    const a = readRegisterFile(bytes(EXAMPLE));
    const b = readRegisterFile(bytes(shuffled));
    // the premises ids follow the chain, not the file: give both files the same ones
    const ids = new Map(a.buildings[0]!.premises.map((p, i) => [p.number, BigInt(i + 1)]));
    const text = (f: RegisterFile) => canonicalJson(canonicalRegister({ ...input(f), premisesIdOf: (n) => ids.get(n)! }));
    assert.equal(text(b), text(a));
    assert.equal(registerHash(text(a)), id(text(a)));
  });

  it("sorts keys, writes strings only, leaves no whitespace, and orders premises by their id on chain", () => {
    const register = canonicalRegister(input(readRegisterFile(bytes(EXAMPLE))));
    const text = canonicalJson(register);
    assert.ok(text.startsWith('{"building":{"address":"Москва, ул. Профсоюзная, д. 56","cadastralNumber":"77:06:0004003:1056"},"chain":{'));
    assert.equal(JSON.stringify(JSON.parse(text)).length, text.length);
    assert.equal(register.premises.at(-1)!.number, "Н-1");
    assert.deepEqual(register.premises[0]!.holdings[0]!.holders, ["ivanov.petr", "ivanova.anna"]);
    assert.equal(canonicalJson({ b: "x\"\n", a: ["1", { d: "", c: "é" }] }), '{"a":["1",{"c":"é","d":""}],"b":"x\\"\\n"}');
    assert.throws(() => canonicalJson({ a: 1 }), /strings, arrays and objects/);
  });
});

describe("the problems' messages", () => {
  it("has a Russian and an English message for every problem, each filled from its params", () => {
    for (const code of PROBLEM_CODES) {
      const problem: Problem = { code, line: 3, column: 7, field: "share", params: new Proxy({}, { get: (_t, k) => `<${String(k)}>`, has: () => true, getOwnPropertyDescriptor: () => ({ configurable: true, enumerable: true, value: "" }) }) as Record<string, string> };
      const ru = problemMessage(problem, "ru");
      const en = problemMessage(problem, "en");
      assert.ok(ru.length > 0 && en.length > 0 && ru !== en, code);
      assert.doesNotMatch(en, /[а-яё]{3}/i, `${code}: the English message is English`);
      assert.match(ru, /[а-яё]/i, `${code}: the Russian message is Russian`);
      assert.equal(describeProblem(problem, "en").startsWith("line 3, column 7 (share): "), true);
      assert.equal(describeProblem(problem, "ru").startsWith("строка 3, столбец 7 (share): "), true);
    }
  });

  it("takes the reader's language from Accept-Language or LANG", () => {
    assert.equal(languageOf("ru-RU,ru;q=0.9,en;q=0.8", "en"), "ru");
    assert.equal(languageOf("en-GB,ru;q=0.5", "ru"), "en");
    assert.equal(languageOf("de-DE,ru;q=0.3", "en"), "ru");
    assert.equal(languageOf("de-DE", "en"), "en");
    assert.equal(languageOf("ru;q=0,en;q=0.1", "ru"), "en");
    assert.equal(languageOf("ru_RU.UTF-8", "en"), "ru");
    assert.equal(languageOf(undefined, "ru"), "ru");
  });
});
