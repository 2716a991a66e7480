/**
 * `npm run documents -- import-texts <file>`: the demo's agenda texts (a JSON array of strings)
 * become documents whose ids are their questions' `textRef`s, served by a store started on the same
 * directory (and by one already running while the import writes); running it again stores nothing
 * new; a file with one bad entry (not a string, markup, too long) names every bad index and stores
 * nothing; a file that is not an array of texts, a missing file and a wrong command line are refused.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { id as textId } from "ethers";
import { documentsEnv, get, spawnDocuments, startStore, tempDir, type StartedStore } from "./helpers.js";

const TEXTS = [
  "Избрать председателем общего собрания собственника квартиры 12",
  "Утвердить смету на ремонт подъезда № 2 в размере 1 250 000 рублей",
  "Установить шлагбаум на въезде во двор",
  "Утвердить смету на ремонт подъезда № 2 в размере 1 250 000 рублей",
];

let tmp: ReturnType<typeof tempDir>;
let dir: string;
let running: StartedStore;

before(async () => {
  tmp = tempDir();
  dir = path.join(tmp.dir, "store");
  running = await startStore(dir);
});

after(async () => {
  await running?.documents.stop();
  tmp?.remove();
});

const file = (name: string, content: unknown) => {
  const f = path.join(tmp.dir, name);
  writeFileSync(f, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return f;
};

const run = async (args: string[]) => (await spawnDocuments(args, documentsEnv(dir, { LOG_LEVEL: "info" })).exited);

describe("import-texts", () => {
  it("stores every text under its textRef, while a store runs on the same directory", async () => {
    const out = await run(["import-texts", file("agenda-texts.json", TEXTS)]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /4 texts: 3 stored, 1 already in the store/);
    for (const text of TEXTS) {
      assert.ok(out.stdout.includes(textId(text)), text);
      const got = await get(`${running.url}/v1/documents/${textId(text)}`);
      assert.equal(got.status, 200, "the running store serves it without a restart");
      assert.equal(got.bytes.toString("utf8"), text);
      assert.equal(got.headers.get("content-type"), "text/plain; charset=utf-8");
    }
    const meta = await get(`${running.url}/v1/documents/${textId(TEXTS[0]!)}/meta`, { headers: { authorization: "Bearer keeper-token-for-tests-0123456789" } });
    assert.equal(meta.json.document.uploader, "service:import-texts");
  });

  it("stores nothing new when run again", async () => {
    const before = (await get(`${running.url}/v1/health`)).json.documents;
    const out = await run(["import-texts", file("agenda-texts.json", TEXTS)]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /4 texts: 0 stored, 4 already in the store/);
    assert.equal((await get(`${running.url}/v1/health`)).json.documents, before);
  });

  it("names every bad entry and stores none of the file", async () => {
    const good = "Этот текст не должен попасть в хранилище";
    const out = await run(["import-texts", file("bad.json", [good, 42, "<script>alert(1)</script>", "ы".repeat(40_000), null])]);
    assert.equal(out.code, 1);
    for (const index of ["[1]: expected a string, got number", "[2]: active_content_refused", "[3]: document_too_large", "[4]: expected a string, got null"]) {
      assert.ok(out.stderr.includes(index), `${index}\n${out.stderr}`);
    }
    assert.ok(!out.stderr.includes("[0]"), "the good entry is not named");
    assert.equal((await get(`${running.url}/v1/documents/${textId(good)}`)).status, 404, "nothing was stored");
  });

  it("refuses a file that is not an array of texts, a missing file and a wrong command line", async () => {
    const notArray = await run(["import-texts", file("object.json", { texts: TEXTS })]);
    assert.equal(notArray.code, 1);
    assert.match(notArray.stderr, /expected a JSON array of agenda texts/);
    const notJson = await run(["import-texts", file("broken.json", "[\"unterminated")]);
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /cannot be read as JSON/);
    const missing = await run(["import-texts", path.join(tmp.dir, "nowhere.json")]);
    assert.equal(missing.code, 1);
    const noFile = await run(["import-texts"]);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /usage:/);
    const unknown = await run(["export-everything"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'export-everything'/);
  });
});
