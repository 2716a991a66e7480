/**
 * `GET /api/operator`: the deployment's operator record as the keeper wrote it — the operator and
 * the public keys its protocols are signed with, which the page checks a protocol's signature
 * against — read on each request, since the keeper may start after the page.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#lib/log.js";
import { writeOperatorRecord } from "#lib/protocol/operator-record.js";
import { LocalKeySigner } from "#lib/protocol/signer.js";
import { startWebServer, type WebServer } from "../src/server.js";

let dir: string;
let web: WebServer;
let bare: WebServer;
let record: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dh-web-operator-"));
  record = path.join(dir, "localhost.operator.json");
  const stub = "http://127.0.0.1:1";
  web = await startWebServer({ graphqlUrl: stub, custodyUrl: stub, relayerUrl: stub, operatorRecordFile: record, logger: createLogger("silent") });
  bare = await startWebServer({ graphqlUrl: stub, custodyUrl: stub, relayerUrl: stub, logger: createLogger("silent") });
});
after(async () => {
  await web?.close();
  await bare?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("GET /api/operator", () => {
  it("answers operator_record_unavailable before the keeper has written the record, and for an installation without one", async () => {
    for (const server of [web, bare]) {
      const r = await fetch(`${server.url}/api/operator`);
      assert.equal(r.status, 503);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "operator_record_unavailable");
      assert.ok(!body.error.message.includes(dir), "the answer does not say where the record lives");
    }
  });

  it("serves the record's operator and public keys once it is written, and refuses one that holds a private key", async () => {
    const signer = await LocalKeySigner.open(path.join(dir, "keys", "operator.pem"), { create: true });
    await writeOperatorRecord(record, { network: "localhost", chainId: 31337, operator: "Оператор", protocolSigner: { format: signer.format, jwks: signer.publicJwks() }, updatedAt: new Date(0).toISOString() });
    const r = await fetch(`${web.url}/api/operator`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers.get("content-security-policy")), /default-src 'none'/);
    const body = (await r.json()) as { operator: string; chainId: number; protocolSigner: { format: string; jwks: { keys: Array<{ kid: string; x: string; d?: string }> } } };
    assert.equal(body.operator, "Оператор");
    assert.equal(body.chainId, 31337);
    assert.deepEqual(body.protocolSigner.jwks.keys.map((k) => k.kid), [signer.keyId]);

    const jwk = signer.publicJwks().keys[0]!;
    await writeFile(record, JSON.stringify({ network: "localhost", chainId: 31337, operator: "x", protocolSigner: { format: "jws-detached", jwks: { keys: [{ ...jwk, d: "c2VjcmV0" }] } } }));
    const leaked = await fetch(`${web.url}/api/operator`);
    assert.equal(leaked.status, 503);
    assert.ok(!(await leaked.text()).includes("c2VjcmV0"), "a private key in the record is never served");
  });
});
