/**
 * Every accepted type goes in and comes out byte for byte under the id the chain would record:
 * keccak256 of the bytes (for an agenda text, ethers' `id(text)`, the question's `textRef`). Served
 * with the sniffed type, nosniff, a sandbox policy, a safe Content-Disposition (a download for a
 * PDF or XML), a strong ETag that is the id and immutable caching; HEAD answers the same headers without
 * the body, /meta describes the document, and the same bytes uploaded again give the same id.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { id as textId, keccak256 } from "ethers";
import { get, jpegImage, KEEPER_TOKEN, pdfDocument, pngImage, SEED_TOKEN, startIdentityProvider, startStore, tempDir, upload, type IdentityProvider, type StartedStore } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let idp: IdentityProvider;
let s: StartedStore;
let resident: string;

before(async () => {
  tmp = tempDir();
  idp = await startIdentityProvider();
  s = await startStore(tmp.dir, { DOCUMENTS_JWKS_URL: idp.jwksUrl });
  resident = await idp.token("flat-7");
});

after(async () => {
  await s?.documents.stop();
  await idp?.close();
  tmp?.remove();
});

const AGENDA_TEXT = "Утвердить смету расходов на капитальный ремонт кровли на 2026 год";
const PROTOCOL_XML = `<?xml version="1.0" encoding="UTF-8"?>\n<protocol version="1" number="12"><question number="1"><wording>${AGENDA_TEXT}</wording><for unit="m2">1234.50</for></question></protocol>\n`;
const NOTICE = { kind: "notice", meetingId: "12", agenda: [{ number: 1, text: AGENDA_TEXT }], materials: "/v1/documents/…" };

describe("upload and download", () => {
  const cases: Array<{ type: string; make: () => Promise<Buffer> | Buffer; mediaType: string; disposition: RegExp; name: string; served: string }> = [
    { type: "pdf", make: () => pdfDocument("Смета работ: кровля, водостоки, утепление чердака."), mediaType: "application/pdf", disposition: /^attachment; /, name: "Смета 2026.pdf", served: "Смета 2026.pdf" },
    { type: "png", make: () => pngImage(16, 9), mediaType: "image/png", disposition: /^inline; /, name: "roof.png", served: "roof.png" },
    { type: "jpeg", make: () => jpegImage(), mediaType: "image/jpeg", disposition: /^inline; /, name: "facade.jpeg", served: "facade.jpg" },
    { type: "text", make: () => Buffer.from(AGENDA_TEXT, "utf8"), mediaType: "text/plain; charset=utf-8", disposition: /^inline; /, name: "вопрос 1.txt", served: "вопрос 1.txt" },
    { type: "json", make: () => Buffer.from(JSON.stringify(NOTICE), "utf8"), mediaType: "application/json; charset=utf-8", disposition: /^inline; /, name: "notice.json", served: "notice.json" },
    { type: "xml", make: () => Buffer.from(PROTOCOL_XML, "utf8"), mediaType: "application/xml; charset=utf-8", disposition: /^attachment; /, name: "протокол 12.xml", served: "протокол 12.xml" },
  ];

  for (const c of cases) {
    it(`round-trips a ${c.type} byte for byte under the keccak256 of its bytes, with its headers`, async () => {
      const bytes = await c.make();
      const put = await upload(s.url, bytes, { token: resident, name: c.name });
      assert.equal(put.status, 201, JSON.stringify(put.json));
      const id = keccak256(bytes);
      assert.equal(put.json.document.id, id);
      assert.equal(put.json.document.type, c.type);
      assert.equal(put.json.document.size, bytes.length);
      assert.equal(put.json.created, true);
      assert.equal(put.headers.get("location"), `/v1/documents/${id}`);

      const got = await get(`${s.url}/v1/documents/${id}`);
      assert.equal(got.status, 200);
      assert.ok(got.bytes.equals(bytes), "the same bytes come back");
      assert.equal(got.headers.get("content-type"), c.mediaType);
      assert.equal(got.headers.get("content-length"), String(bytes.length));
      assert.match(got.headers.get("content-disposition")!, c.disposition);
      assert.ok(got.headers.get("content-disposition")!.includes(`filename*=UTF-8''${encodeURIComponent(c.served)}`), got.headers.get("content-disposition")!);
      assert.equal(got.headers.get("x-content-type-options"), "nosniff");
      assert.equal(got.headers.get("etag"), `"${id}"`);
      assert.equal(got.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal(got.headers.get("content-security-policy"), "default-src 'none'; sandbox");

      const head = await get(`${s.url}/v1/documents/${id}`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.bytes.length, 0, "HEAD sends no body");
      for (const h of ["content-type", "content-length", "content-disposition", "etag", "cache-control", "x-content-type-options"]) {
        assert.equal(head.headers.get(h), got.headers.get(h), h);
      }

      const meta = await get(`${s.url}/v1/documents/${id}/meta`);
      assert.equal(meta.status, 200);
      assert.deepEqual(
        { ...meta.json.document, uploadedAt: undefined },
        { id, type: c.type, mediaType: c.mediaType, size: bytes.length, name: c.served, uploadedAt: undefined, uploadedBy: "resident", status: "ok", access: { level: "public" }, url: `/v1/documents/${id}` },
      );
      assert.ok(Math.abs(Date.parse(meta.json.document.uploadedAt) - Date.now()) < 60_000);
      assert.equal(meta.json.document.uploader, undefined, "the public does not learn who uploaded it");
    });
  }

  it("stores an agenda text under the textRef the chain records for it", async () => {
    const text = "Выбрать способ управления многоквартирным домом: управление управляющей организацией";
    const put = await upload(s.url, text, { token: KEEPER_TOKEN, contentType: "text/plain; charset=utf-8" });
    assert.equal(put.status, 201);
    assert.equal(put.json.document.id, textId(text));
    assert.equal((await get(`${s.url}/v1/documents/${textId(text)}`)).bytes.toString("utf8"), text);
  });

  it("answers an upload of bytes it has with the same id and keeps the first name and uploader", async () => {
    const bytes = pngImage(5, 5);
    const first = await upload(s.url, bytes, { token: resident, name: "first.png" });
    const again = await upload(s.url, bytes, { token: await idp.token("flat-9"), name: "second.png", method: "POST" });
    const byService = await upload(s.url, bytes, { token: SEED_TOKEN });
    assert.deepEqual([first.status, again.status, byService.status], [201, 200, 200]);
    assert.equal(again.json.created, false);
    assert.equal(again.json.document.id, first.json.document.id);
    assert.equal(again.json.document.name, "first.png");
    assert.equal(again.json.document.uploader, undefined, "another resident does not learn who uploaded it first");
    assert.equal(byService.json.document.uploader, "resident:flat-7", "a service does");
    assert.equal(first.json.document.uploader, "resident:flat-7", "and the uploader sees their own");
  });

  it("answers a conditional GET with the id as its ETag 304, without the body", async () => {
    const bytes = Buffer.from("Избрать совет дома в составе пяти человек", "utf8");
    const { json } = await upload(s.url, bytes, { token: resident });
    const etag = `"${json.document.id}"`;
    for (const header of [etag, `W/${etag}`, `"0x${"0".repeat(64)}", ${etag}`, "*"]) {
      const r = await get(`${s.url}/v1/documents/${json.document.id}`, { headers: { "if-none-match": header } });
      assert.equal(r.status, 304, header);
      assert.equal(r.bytes.length, 0);
      assert.equal(r.headers.get("etag"), etag);
    }
    assert.equal((await get(`${s.url}/v1/documents/${json.document.id}`, { headers: { "if-none-match": `"0x${"1".repeat(64)}"` } })).status, 200);
  });

  it("answers an unknown id 404, not cached, and the collection's GET 405", async () => {
    const unknown = await get(`${s.url}/v1/documents/0x${"ab".repeat(32)}`);
    assert.deepEqual([unknown.status, unknown.json.error.code], [404, "not_found"]);
    assert.equal(unknown.headers.get("cache-control"), "no-store", "a document may be uploaded later");
    assert.equal((await get(`${s.url}/v1/documents/0x${"ab".repeat(32)}/meta`)).status, 404);
    const list = await get(`${s.url}/v1/documents`);
    assert.deepEqual([list.status, list.json.error.code, list.headers.get("allow")], [405, "method_not_allowed", "PUT, POST"]);
  });

  it("counts the documents in its health", async () => {
    const health = await get(`${s.url}/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(health.json.status, "ok");
    assert.ok(health.json.documents >= 8, JSON.stringify(health.json));
    assert.equal(health.json.corrupt, 0);
  });
});
