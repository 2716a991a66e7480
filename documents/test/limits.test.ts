/**
 * What one uploader can make the store hold: each type's size limit (413 with the limit named, and a
 * body beyond the largest limit cut off while it is read), the resident's quota of documents and
 * bytes per period (the same bytes again cost nothing; parallel uploads cannot slip past it
 * together), the resident's upload rate (429 with Retry-After, whatever address they come from) and
 * the client's rate for every request. Services are held to the size limits but not to a resident's
 * quota or rate, nor to the client's. A refused upload stores nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keccak256 } from "ethers";
import { get, KEEPER_TOKEN, pdfDocument, pngImage, startIdentityProvider, startStore, tempDir, upload, type IdentityProvider, type StartedStore } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let idp: IdentityProvider;

before(async () => {
  tmp = tempDir();
  idp = await startIdentityProvider();
});

after(async () => {
  await idp?.close();
  tmp?.remove();
});

const texts = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}: вопрос повестки номер ${i + 1}`);

describe("size limits", () => {
  let s: StartedStore;
  before(async () => {
    s = await startStore(`${tmp.dir}/sizes`, { DOCUMENTS_JWKS_URL: idp.jwksUrl, DOCUMENTS_MAX_TEXT_BYTES: "1000", DOCUMENTS_MAX_JSON_BYTES: "2000", DOCUMENTS_MAX_XML_BYTES: "2000", DOCUMENTS_MAX_PDF_BYTES: "200000", DOCUMENTS_MAX_IMAGE_BYTES: "5000" });
  });
  after(() => s?.documents.stop());

  it("refuses a document over its type's limit, naming the limit, and stores nothing", async () => {
    const text = "Очень длинная формулировка вопроса. ".repeat(40);
    const put = await upload(s.url, text, { token: await idp.token("flat-1") });
    assert.deepEqual([put.status, put.json.error.code], [413, "document_too_large"]);
    assert.equal(put.json.error.details.limit, 1000);
    assert.equal((await get(`${s.url}/v1/documents/${keccak256(Buffer.from(text))}`)).status, 404);
    const png = pngImage(600, 600);
    assert.ok(png.length > 5000 && png.length < 200_000);
    const image = await upload(s.url, png, { token: KEEPER_TOKEN });
    assert.deepEqual([image.status, image.json.error.code, image.json.error.details.type], [413, "document_too_large", "png"], "services too");
    assert.equal((await upload(s.url, await pdfDocument("Короткий PDF"), { token: KEEPER_TOKEN })).status, 201, "a PDF of the same size is within its own limit");
  });

  it("stops reading a body beyond the largest limit, and refuses a bad name or parameter before reading it", async () => {
    const huge = Buffer.alloc(200_001, 0x41);
    const put = await upload(s.url, huge, { token: KEEPER_TOKEN });
    assert.deepEqual([put.status, put.json.error.code], [413, "payload_too_large"]);
    const badName = await upload(s.url, huge, { token: KEEPER_TOKEN, name: "x".repeat(300) });
    assert.deepEqual([badName.status, badName.json.error.code], [400, "invalid_name"], "the name is refused before the body is read");
    const r = await fetch(`${s.url}/v1/documents?type=pdf`, { method: "PUT", headers: { authorization: `Bearer ${KEEPER_TOKEN}` }, body: "Текст" });
    assert.deepEqual([r.status, ((await r.json()) as { error: { code: string } }).error.code], [400, "invalid_request"], "an unknown query parameter");
  });
});

describe("a resident's quota", () => {
  let s: StartedStore;
  before(async () => {
    s = await startStore(`${tmp.dir}/quota`, { DOCUMENTS_JWKS_URL: idp.jwksUrl, DOCUMENTS_QUOTA_DOCUMENTS: "3", DOCUMENTS_QUOTA_BYTES: "3000", DOCUMENTS_UPLOADS_PER_MINUTE: "0" });
  });
  after(() => s?.documents.stop());

  it("refuses the document past the quota's count, but not the same bytes again, nor another resident's", async () => {
    const token = await idp.token("flat-2");
    const [a, b, c, d] = texts(4, "квота по числу");
    for (const t of [a, b, c]) assert.equal((await upload(s.url, t!, { token })).status, 201);
    const over = await upload(s.url, d!, { token });
    assert.deepEqual([over.status, over.json.error.code], [429, "quota_exceeded"]);
    assert.deepEqual([over.json.error.details.usedDocuments, over.json.error.details.limitDocuments], [3, 3]);
    assert.equal((await get(`${s.url}/v1/documents/${keccak256(Buffer.from(d!))}`)).status, 404, "nothing stored");
    assert.equal((await upload(s.url, a!, { token })).status, 200, "bytes already stored cost nothing");
    assert.equal((await upload(s.url, d!, { token: await idp.token("flat-3") })).status, 201, "the quota is per resident");
    assert.equal((await upload(s.url, texts(1, "служба")[0]!, { token: KEEPER_TOKEN })).status, 201, "services have none");
  });

  it("refuses the document past the quota's bytes", async () => {
    const token = await idp.token("flat-4");
    const big = "б".repeat(900); // 1800 bytes
    assert.equal((await upload(s.url, big, { token })).status, 201);
    const over = await upload(s.url, "в".repeat(700), { token });
    assert.deepEqual([over.status, over.json.error.code, over.json.error.details.limitBytes], [429, "quota_exceeded", 3000]);
    assert.equal((await upload(s.url, "г".repeat(500), { token })).status, 201, "a smaller one still fits");
  });

  it("lets no burst of parallel uploads past the quota", async () => {
    const token = await idp.token("flat-5");
    const answers = await Promise.all(texts(12, "параллельно").map((t) => upload(s.url, t, { token })));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, ...new Array(9).fill(429)]);
  });

  it("keeps counting across a restart", async () => {
    const token = await idp.token("flat-2");
    await s.documents.stop();
    s = await startStore(`${tmp.dir}/quota`, { DOCUMENTS_JWKS_URL: idp.jwksUrl, DOCUMENTS_QUOTA_DOCUMENTS: "3", DOCUMENTS_QUOTA_BYTES: "3000", DOCUMENTS_UPLOADS_PER_MINUTE: "0" });
    const over = await upload(s.url, texts(1, "после перезапуска")[0]!, { token });
    assert.deepEqual([over.status, over.json.error.code], [429, "quota_exceeded"]);
  });
});

describe("rates", () => {
  let s: StartedStore;
  before(async () => {
    s = await startStore(`${tmp.dir}/rates`, { DOCUMENTS_JWKS_URL: idp.jwksUrl, DOCUMENTS_UPLOADS_PER_MINUTE: "60", DOCUMENTS_QUOTA_DOCUMENTS: "0", DOCUMENTS_QUOTA_BYTES: "0" });
  });
  after(() => s?.documents.stop());

  it("holds a resident to their upload rate (a burst of 10 at 60 a minute), with Retry-After, and not a service", async () => {
    const token = await idp.token("flat-6");
    const answers = [];
    for (const t of texts(20, "частота")) answers.push(await upload(s.url, t, { token }));
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(answers.filter((a) => a.status === 201).length >= 10 && refused.length >= 3, answers.map((a) => a.status).join(","));
    assert.equal(refused[0]!.json.error.code, "rate_limited");
    assert.ok(Number(refused[0]!.headers.get("retry-after")) >= 1);
    assert.equal((await upload(s.url, texts(1, "частота, другой жилец")[0]!, { token: await idp.token("flat-8") })).status, 201, "another resident has their own bucket");
    for (const t of texts(14, "частота службы")) assert.equal((await upload(s.url, t, { token: KEEPER_TOKEN })).status, 201);
  });
});

describe("the client's rate", () => {
  let s: StartedStore;
  before(async () => {
    s = await startStore(`${tmp.dir}/client-rate`, { DOCUMENTS_JWKS_URL: idp.jwksUrl, DOCUMENTS_RATE_LIMIT_PER_MINUTE: "60", DOCUMENTS_UPLOADS_PER_MINUTE: "0" });
  });
  after(() => s?.documents.stop());

  it("holds every client address to the request rate, reads included, but not a service", async () => {
    const token = await idp.token("flat-10");
    const id = `0x${"cd".repeat(32)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await get(`${s.url}/v1/documents/${id}/meta`)).status);
    assert.deepEqual(statuses.slice(0, 10), new Array(10).fill(404), "a burst of 10 at 60 a minute is answered");
    assert.ok(statuses.slice(10).every((st) => st === 429), statuses.join(","));
    const asResident = await upload(s.url, texts(1, "жилец после исчерпания")[0]!, { token });
    assert.deepEqual([asResident.status, asResident.json.error.code], [429, "rate_limited"], "a resident behind the same address is held to it");
    const asService = await get(`${s.url}/v1/documents/${id}/meta`, { headers: { authorization: `Bearer ${KEEPER_TOKEN}` } });
    assert.equal(asService.status, 404, "a service is not");
    assert.equal((await upload(s.url, texts(1, "служба после исчерпания")[0]!, { token: KEEPER_TOKEN })).status, 201);
  });
});
