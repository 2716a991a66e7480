/**
 * Every error any service answers reaches the resident in their language: the test finds every status
 * table of the project (lib/http/statuses.ts and each piece's statuses.ts, wherever it lies), reads
 * every code in it, and fails for each code the page's i18n (web/public/i18n.js) has no Russian or no
 * English text for.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";

const SKIP = new Set(["node_modules", ".git", "dist", "artifacts", "cache", "types", "build", "generated"]);

/** Every `statuses.ts` of the project's pieces, found by walking the tree (a new service's table is found too). */
function statusFiles(dir = PROJECT_ROOT): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...statusFiles(full));
    else if (entry.name === "statuses.ts") out.push(full);
  }
  return out.sort();
}

/** The tables a module exports: objects whose every value is an HTTP error status. */
function tablesOf(module: Record<string, unknown>): [string, Record<string, number>][] {
  return Object.entries(module).filter(
    (entry): entry is [string, Record<string, number>] =>
      typeof entry[1] === "object" && entry[1] !== null && Object.values(entry[1]).length > 0 && Object.values(entry[1]).every((v) => Number.isInteger(v) && (v as number) >= 400 && (v as number) <= 599),
  );
}

// a browser module without a DOM: errorText reads no storage when it is given the language
const i18n = (await import(pathToFileURL(path.join(PROJECT_ROOT, "web/public/i18n.js")).href)) as { errorText(code: string, lang: string): string | undefined };

describe("error texts of the page", () => {
  const files = statusFiles();

  it("finds the toolkit's table and each service's", () => {
    const relative = files.map((f) => path.relative(PROJECT_ROOT, f));
    for (const expected of ["lib/http/statuses.ts", "web/src/statuses.ts", "relayer/src/http/statuses.ts", "custody/src/http/statuses.ts", "registrar/src/http/statuses.ts", "notifier/src/statuses.ts", "keeper/src/statuses.ts", "documents/src/statuses.ts"]) {
      assert.ok(relative.includes(expected), `${expected} is among ${relative.join(", ")}`);
    }
  });

  it("has a Russian and an English text for every code of every status table", async () => {
    const missing: string[] = [];
    let codes = 0;
    for (const file of files) {
      const tables = tablesOf(await import(pathToFileURL(file).href));
      assert.ok(tables.length > 0, `${path.relative(PROJECT_ROOT, file)} exports a status table`);
      for (const [name, table] of tables) {
        for (const code of Object.keys(table)) {
          codes += 1;
          for (const lang of ["ru", "en"]) {
            const text = i18n.errorText(code, lang);
            if (typeof text !== "string" || text.trim().length === 0) missing.push(`${path.relative(PROJECT_ROOT, file)} ${name}.${code} (${lang})`);
          }
        }
      }
    }
    assert.ok(codes > 50, `read ${codes} codes`);
    assert.deepEqual(missing, []);
  });

  it("writes the Russian texts in Cyrillic and the English ones without it", async () => {
    for (const file of files) {
      for (const [, table] of tablesOf(await import(pathToFileURL(file).href))) {
        for (const code of Object.keys(table)) {
          assert.match(i18n.errorText(code, "ru") ?? "", /[а-яё]/i, `${code} (ru)`);
          assert.doesNotMatch(i18n.errorText(code, "en") ?? "", /[а-яё]/i, `${code} (en)`);
        }
      }
    }
  });

  it("has no text for a code no table holds, so a misspelt code is not covered by accident", () => {
    assert.equal(i18n.errorText("no_such_code_anywhere", "ru"), undefined);
    assert.equal(i18n.errorText("constructor", "en"), undefined);
  });
});
