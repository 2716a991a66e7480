/**
 * The routes take an id in one shape only, read from the path as it was sent: malformed ids, dot
 * segments, percent-encoded slashes and dots, backslashes, NULs and broken escapes are refused 400
 * (or 404 where no route has that shape), never answered with a file, and never reach the disk —
 * a file planted next to the store's database is not served whatever the path says. Methods that
 * would change a document are refused 405, and CORS preflights are answered.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { get, KEEPER_TOKEN, rawRequest, startStore, tempDir, upload, type StartedStore } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let s: StartedStore;
let id: string;
const SECRET = "the contents of a file that must never be served";

before(async () => {
  tmp = tempDir();
  s = await startStore(path.join(tmp.dir, "store"));
  id = (await upload(s.url, "Текст, который можно читать", { token: KEEPER_TOKEN })).json.document.id;
  writeFileSync(path.join(tmp.dir, "store", "secret.txt"), SECRET);
  writeFileSync(path.join(tmp.dir, "secret.txt"), SECRET);
});

after(async () => {
  await s?.documents.stop();
  tmp?.remove();
});

describe("document ids in the path", () => {
  it("refuses malformed ids 400 with invalid_document_id", async () => {
    const malformed = [
      "abc",
      id.slice(2),
      `${id}0`,
      id.slice(0, -1),
      `0x${"g".repeat(64)}`,
      `0X${id.slice(2)}`,
      `${id.slice(0, 10)}%20${id.slice(13)}`,
      "..",
      "%2e%2e",
      ".",
      "secret.txt",
    ];
    for (const bad of malformed) {
      for (const suffix of ["", "/meta"]) {
        const r = await rawRequest(s.url, "GET", `/v1/documents/${bad}${suffix}`);
        assert.equal(r.status, 400, `${bad}${suffix}: ${r.body}`);
        assert.equal(JSON.parse(r.body).error.code, "invalid_document_id");
      }
    }
  });

  it("accepts an id in upper-case hex as the same document", async () => {
    const r = await get(`${s.url}/v1/documents/0x${id.slice(2).toUpperCase()}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("etag"), `"${id}"`);
  });

  it("never serves a file by a path trick", async () => {
    const tricks = [
      "/v1/documents/../secret.txt",
      "/v1/documents/..%2Fsecret.txt",
      "/v1/documents/..%2fstore%2fsecret.txt",
      "/v1/documents/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/v1/documents/..%5Csecret.txt",
      "/v1/documents/..\\secret.txt",
      `/v1/documents/${id}%2F..%2F..%2Fsecret.txt`,
      `/v1/documents/${id}/..%2F..%2Fsecret.txt`,
      `/v1/documents/${id}%00.txt`,
      `/v1/documents/${id}%2fmeta`,
      "/v1/documents/%zz",
      "/v1/documents//secret.txt",
      "/v1/documents/blobs/../../secret.txt",
      "/v1/documents/../../documents.sqlite",
      "/v1/documents/%2e%2e/%2e%2e/documents.sqlite",
    ];
    for (const trick of tricks) {
      const r = await rawRequest(s.url, "GET", trick);
      assert.ok(r.status === 400 || r.status === 404, `${trick}: ${r.status}`);
      assert.ok(!r.body.includes(SECRET), trick);
      assert.ok(!r.body.includes("SQLite format"), trick);
      const code = JSON.parse(r.body).error.code as string;
      assert.ok(["invalid_document_id", "not_found"].includes(code), `${trick}: ${code}`);
    }
    assert.equal((await rawRequest(s.url, "GET", `/v1/documents/${id}%2F..%2F..%2Fsecret.txt`)).status, 400, "an encoded slash keeps the segment one malformed id");
  });

  it("refuses methods that would change a document 405, naming what is allowed", async () => {
    for (const method of ["PUT", "POST", "DELETE", "PATCH"]) {
      const r = await rawRequest(s.url, method, `/v1/documents/${id}`);
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, "GET, HEAD");
      assert.equal(JSON.parse(r.body).error.code, "method_not_allowed");
    }
    assert.equal((await get(`${s.url}/v1/documents/${id}`)).status, 200, "the document is still there");
  });

  it("answers CORS preflights for the page and the notifier on other origins", async () => {
    const r = await fetch(`${s.url}/v1/documents`, { method: "OPTIONS", headers: { origin: "http://127.0.0.1:8080", "access-control-request-method": "PUT" } });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    assert.match(r.headers.get("access-control-allow-methods")!, /PUT/);
    assert.match(r.headers.get("access-control-allow-headers")!, /authorization/);
  });

  it("answers an unknown endpoint 404 as data", async () => {
    const r = await get(`${s.url}/v2/documents/${id}`);
    assert.deepEqual([r.status, r.json.error.code], [404, "not_found"]);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  });
});
