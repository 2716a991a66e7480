/**
 * The page's check of a protocol's signature (web/public/protocol-signature.js, WebCrypto) agrees with
 * the operator's verifier (lib/protocol/signer.ts): it accepts what the operator's key signed, and
 * refuses a changed byte, another key, and a text that is no detached JWS, with the verifier's codes.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { LocalKeySigner, verifyDetached as operatorVerify } from "#lib/protocol/signer.js";

interface PageCheck {
  parseJwks(json: unknown): Promise<Array<{ x: string; kid: string }>>;
  verifyDetached(content: Uint8Array, signature: string, keys: Array<{ x: string; kid: string }>): Promise<{ keyId: string; contentType: string }>;
}
const page = (await import(pathToFileURL(path.join(PROJECT_ROOT, "web/public/protocol-signature.js")).href)) as PageCheck;

let dir: string;
let signer: LocalKeySigner;
let other: LocalKeySigner;
const xml = new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8"?>\n<Protocol version="1" kind="meeting" lang="ru"><Number>7</Number></Protocol>\n');

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dh-web-signature-"));
  signer = await LocalKeySigner.open(path.join(dir, "keys", "operator.pem"), { create: true });
  other = await LocalKeySigner.open(path.join(dir, "keys", "other.pem"), { create: true });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return "accepted";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
};

describe("the page's protocol signature check", () => {
  it("accepts the operator's signature of the file's bytes, naming the key as the operator's verifier does", async () => {
    const jws = await signer.sign(xml, "application/xml");
    const keys = await page.parseJwks(signer.publicJwks());
    assert.deepEqual(keys.map((k) => k.kid), [signer.keyId], "the thumbprint computed in the page is the operator's key id");
    assert.deepEqual(await page.verifyDetached(xml, jws, keys), operatorVerify(xml, jws, signer.publicJwks()));
  });

  it("refuses every one-byte change of the file as signature_mismatch", async () => {
    const jws = await signer.sign(xml, "application/xml");
    const keys = await page.parseJwks(signer.publicJwks());
    for (const at of [0, 40, xml.length - 1]) {
      const changed = Uint8Array.from(xml);
      changed[at] ^= 0x01;
      assert.equal(await codeOf(page.verifyDetached(changed, jws, keys)), "signature_mismatch", `byte ${at}`);
    }
  });

  it("refuses a signature by a key that is not the operator's, and malformed signatures and key sets", async () => {
    const keys = await page.parseJwks(signer.publicJwks());
    assert.equal(await codeOf(page.verifyDetached(xml, await other.sign(xml, "application/xml"), keys)), "unknown_signing_key");
    const good = await signer.sign(xml, "application/xml");
    const [header, , signature] = good.split(".");
    for (const bad of ["", "abc", `${header}.${signature}`, `${header}.eA.${signature}`, `e30..${signature}`, `${Buffer.from('{"alg":"none","kid":"x"}').toString("base64url")}..${signature}`]) {
      assert.equal(await codeOf(page.verifyDetached(xml, bad, keys)), "malformed_signature", bad);
    }
    // a signature over the other key's header, with the operator's key id swapped in, does not verify
    const forged = `${Buffer.from(JSON.stringify({ alg: "EdDSA", kid: signer.keyId, typ: "JOSE", cty: "application/xml" })).toString("base64url")}..${(await other.sign(xml, "application/xml")).split(".")[2]}`;
    assert.equal(await codeOf(page.verifyDetached(xml, forged, keys)), "signature_mismatch");
    for (const jwks of [{}, { keys: [] }, { keys: [{ kty: "EC", crv: "P-256", x: "a" }] }, { keys: [{ ...signer.publicJwks().keys[0], kid: "wrong" }] }, { keys: [{ ...signer.publicJwks().keys[0], d: "secret" }] }]) {
      assert.equal(await codeOf(page.parseJwks(jwks)), "invalid_jwks", JSON.stringify(jwks));
    }
  });
});
