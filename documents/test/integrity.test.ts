/**
 * The bytes of an id are the bytes of its hash, or nothing: a file changed on disk (one byte flipped,
 * or replaced by other content), or gone, is refused on every read with `document_corrupt`, marked in
 * the catalog, counted in health and logged as an error naming the file; storing the right bytes
 * again repairs it. Concurrent uploads of the same bytes end with one document, one file and one
 * creator. A stopped and restarted store (in-process, and the process killed with SIGKILL) serves
 * everything it acknowledged, and sweeps the writes it left unfinished.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256 } from "ethers";
import {
  documentsEnv,
  get,
  jpegImage,
  KEEPER_TOKEN,
  pdfDocument,
  pngImage,
  recordingLogger,
  spawnDocuments,
  startStore,
  tempDir,
  upload,
  type StartedStore,
} from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let s: StartedStore;
let dir: string;
const recorder = recordingLogger();

before(async () => {
  tmp = tempDir();
  dir = path.join(tmp.dir, "store");
  s = await startStore(dir, {}, recorder.log);
});

after(async () => {
  await s?.documents.stop();
  tmp?.remove();
});

const blobOf = (id: string) => path.join(dir, "blobs", id.slice(2, 4), id);

describe("integrity on every read", () => {
  it("refuses a file with one byte changed on disk, reports it, and serves it again once repaired", async () => {
    const pdf = await pdfDocument("Акт осмотра общего имущества");
    const { json } = await upload(s.url, pdf, { token: KEEPER_TOKEN, name: "акт.pdf" });
    const id = json.document.id as string;
    assert.equal((await get(`${s.url}/v1/documents/${id}`)).status, 200);

    const tampered = Buffer.from(pdf);
    tampered[tampered.length >> 1] ^= 0x01;
    writeFileSync(blobOf(id), tampered);
    for (const method of ["GET", "HEAD"]) {
      const refused = await get(`${s.url}/v1/documents/${id}`, { method });
      assert.equal(refused.status, 500, method);
      assert.notEqual(refused.headers.get("content-type"), "application/pdf");
      assert.equal(refused.headers.get("etag"), null, "no validator for bytes that are not served");
      if (method === "GET") {
        assert.equal(refused.json.error.code, "document_corrupt");
        assert.ok(!refused.bytes.includes(tampered.subarray(0, 200)), "none of the file is sent");
      }
    }
    const meta = await get(`${s.url}/v1/documents/${id}/meta`);
    assert.equal(meta.json.document.status, "corrupt");
    const health = await get(`${s.url}/v1/health`);
    assert.equal(health.json.corrupt, 1);
    assert.ok(health.json.corruptReadsSinceStart >= 2);
    const logged = recorder.records.find((r) => r.level === "error" && r.documentId === id);
    assert.ok(logged, "an error is logged for the operator");
    assert.equal(logged.reason, "hash_mismatch");
    assert.equal(logged.file, blobOf(id));
    assert.equal(logged.actualId, keccak256(tampered));

    const again = await upload(s.url, pdf, { token: KEEPER_TOKEN });
    assert.deepEqual([again.status, again.json.created, again.json.repaired], [200, false, true]);
    const served = await get(`${s.url}/v1/documents/${id}`);
    assert.equal(served.status, 200);
    assert.ok(served.bytes.equals(pdf));
    assert.equal((await get(`${s.url}/v1/documents/${id}/meta`)).json.document.status, "ok");
    assert.equal((await get(`${s.url}/v1/health`)).json.corrupt, 0);
  });

  it("refuses a file replaced by another document's bytes, and a file that is gone", async () => {
    const a = await upload(s.url, pngImage(6, 6), { token: KEEPER_TOKEN });
    const b = await upload(s.url, jpegImage(), { token: KEEPER_TOKEN });
    writeFileSync(blobOf(a.json.document.id), readFileSync(blobOf(b.json.document.id)));
    const swapped = await get(`${s.url}/v1/documents/${a.json.document.id}`);
    assert.deepEqual([swapped.status, swapped.json.error.code, swapped.json.error.details.reason], [500, "document_corrupt", "hash_mismatch"]);

    rmSync(blobOf(b.json.document.id));
    const gone = await get(`${s.url}/v1/documents/${b.json.document.id}`);
    assert.deepEqual([gone.status, gone.json.error.code, gone.json.error.details.reason], [500, "document_corrupt", "missing"]);
    assert.equal((await upload(s.url, jpegImage(), { token: KEEPER_TOKEN })).json.repaired, true);
    assert.equal((await get(`${s.url}/v1/documents/${b.json.document.id}`)).status, 200);
  });

  it("serves a file restored by hand again, clearing the mark", async () => {
    const text = "Утвердить порядок уведомления о собраниях через приложение";
    const { json } = await upload(s.url, text, { token: KEEPER_TOKEN });
    writeFileSync(blobOf(json.document.id), "something else");
    assert.equal((await get(`${s.url}/v1/documents/${json.document.id}`)).status, 500);
    writeFileSync(blobOf(json.document.id), text);
    assert.equal((await get(`${s.url}/v1/documents/${json.document.id}`)).bytes.toString("utf8"), text);
    assert.equal((await get(`${s.url}/v1/documents/${json.document.id}/meta`)).json.document.status, "ok");
  });
});

describe("concurrent uploads of the same bytes", () => {
  it("end with one document, one file and one creator", async () => {
    const pdf = await pdfDocument("Проект договора управления — редакция для голосования");
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => upload(s.url, pdf, { token: KEEPER_TOKEN, name: `copy-${i}.pdf`, method: i % 2 ? "POST" : "PUT" })));
    const id = keccak256(pdf);
    assert.ok(answers.every((a) => a.json.document.id === id));
    assert.deepEqual(answers.map((a) => a.status).sort(), [...new Array(15).fill(200), 201]);
    assert.equal(answers.filter((a) => a.json.created).length, 1);
    const names = new Set(answers.map((a) => a.json.document.name));
    assert.equal(names.size, 1, "every answer names the one stored document");
    assert.deepEqual(readdirSync(path.dirname(blobOf(id))).filter((f) => f === id), [id]);
    assert.deepEqual(readdirSync(path.join(dir, "tmp")), [], "no write is left behind");
    assert.ok((await get(`${s.url}/v1/documents/${id}`)).bytes.equals(pdf));
  });
});

describe("restarts", () => {
  it("keeps every document across a stop and start, with its name, type and uploader", async () => {
    const before = (await get(`${s.url}/v1/health`)).json;
    const pdf = await pdfDocument("Сохраняется после перезапуска");
    const { json } = await upload(s.url, pdf, { token: KEEPER_TOKEN, name: "перезапуск.pdf" });
    await s.documents.stop();
    s = await startStore(dir, {}, recorder.log);
    const got = await get(`${s.url}/v1/documents/${json.document.id}`);
    assert.ok(got.bytes.equals(pdf));
    assert.match(got.headers.get("content-disposition")!, /filename\*=UTF-8''%D0%BF%D0%B5%D1%80%D0%B5%D0%B7%D0%B0%D0%BF%D1%83%D1%81%D0%BA\.pdf/);
    const meta = await get(`${s.url}/v1/documents/${json.document.id}/meta`, { headers: { authorization: `Bearer ${KEEPER_TOKEN}` } });
    assert.deepEqual([meta.json.document.type, meta.json.document.uploader, meta.json.document.uploadedAt], ["pdf", "service:keeper", json.document.uploadedAt]);
    assert.equal((await get(`${s.url}/v1/health`)).json.documents, before.documents + 1);
    assert.equal((await upload(s.url, pdf, { token: KEEPER_TOKEN })).status, 200, "and knows the bytes it has");
  });

  it("serves everything acknowledged before the process was killed, and sweeps its unfinished writes", async () => {
    const killedDir = path.join(tmp.dir, "killed");
    const env = documentsEnv(killedDir, { DOCUMENTS_SERVICE_TOKENS: `keeper=${KEEPER_TOKEN}` });
    const first = spawnDocuments([], env);
    const ready = await first.ready;
    assert.ok("ready" in ready, JSON.stringify(ready));
    const url = ready.ready.documentsUrl as string;
    const acknowledged: Array<{ id: string; bytes: Buffer }> = [];
    for (let i = 0; i < 20; i++) {
      const bytes = i % 2 ? pngImage(3 + i, 2) : Buffer.from(`Текст ${i}, принятый до остановки`, "utf8");
      const put = await upload(url, bytes, { token: KEEPER_TOKEN });
      assert.equal(put.status, 201);
      acknowledged.push({ id: put.json.document.id, bytes });
    }
    first.child.kill("SIGKILL");
    await first.exited;
    const leftover = path.join(killedDir, "tmp", "0123456789abcdef-left-by-a-crash");
    writeFileSync(leftover, "half a document");
    utimesSync(leftover, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));

    const second = spawnDocuments([], env);
    const again = await second.ready;
    assert.ok("ready" in again, JSON.stringify(again));
    try {
      for (const { id, bytes } of acknowledged) {
        const got = await get(`${again.ready.documentsUrl as string}/v1/documents/${id}`);
        assert.equal(got.status, 200, id);
        assert.ok(got.bytes.equals(bytes));
      }
      assert.equal(existsSync(leftover), false, "the stale temporary file is removed at start");
    } finally {
      second.child.kill("SIGTERM");
      assert.equal((await second.exited).code, 0, "SIGTERM stops it cleanly");
    }
  });
});
