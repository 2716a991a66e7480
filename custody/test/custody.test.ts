/**
 * The custodial wallet in production mode: bearer tokens from an identity provider, verified against
 * its JWKS; keys encrypted at rest; the signing log append-only; per-client rate limits.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { recoverAddress } from "ethers";
import { loadConfig } from "../src/config.js";
import { startCustody, type RunningCustody } from "../src/service.js";
import { startVotingChain, type VotingChain } from "./chain.js";
import { REGISTRAR_TOKEN, request } from "./helpers.js";

const ISSUER = "https://id.example.test";
const AUDIENCE = "digital-home";
let chain: VotingChain;
let idp: Server;
let service: RunningCustody;
let custody: string;
let dir: string;
let masterKey: string;
const idpKeys = await generateKeyPair("ES256");
const strangerKeys = await generateKeyPair("ES256");

async function token(sub: string, options: { keys?: typeof idpKeys; audience?: string; expires?: string } = {}) {
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expires ?? "5m")
    .sign((options.keys ?? idpKeys).privateKey);
}

before(async () => {
  const jwks = { keys: [{ ...(await exportJWK(idpKeys.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" }] };
  idp = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => idp.listen(0, "127.0.0.1", r));
  chain = await startVotingChain();
  dir = mkdtempSync(path.join(tmpdir(), "dh-custody-"));
  masterKey = randomBytes(32).toString("hex");
  const config = loadConfig({
    RPC_URL: chain.url,
    LOG_LEVEL: "silent",
    CUSTODY_PORT: "0",
    CUSTODY_DB_PATH: path.join(dir, "custody.sqlite"),
    CUSTODY_MASTER_KEY: masterKey,
    CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
    CUSTODY_AUTH_MODE: "jwt",
    CUSTODY_JWKS_URL: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`,
    CUSTODY_JWT_ISSUER: ISSUER,
    CUSTODY_JWT_AUDIENCE: AUDIENCE,
    CUSTODY_RATE_LIMIT_PER_MINUTE: "600",
  });
  service = await startCustody(config, { deployment: chain.deployment });
  custody = service.url;
});

after(async () => {
  await service?.stop();
  await new Promise((r) => idp?.close(r));
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const registrar = { authorization: `Bearer ${REGISTRAR_TOKEN}` };

describe("custody with an identity provider's JWTs", () => {
  let address: string;
  let meetingId: bigint;

  before(async () => {
    address = (await request(`${custody}/v1/residents`, { body: { residentId: "flat-12" }, headers: registrar })).body.address;
    await chain.addOwners([address]);
    ({ meetingId } = await chain.announce());
  });

  it("signs a Ballot for the resident named by a valid token", async () => {
    const r = await request(`${custody}/v1/ballots/sign`, {
      body: { meetingId: meetingId.toString(), choices: "57" },
      headers: { authorization: `Bearer ${await token("flat-12")}` },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ballot.voter, address);
    assert.equal(recoverAddress(r.body.id, r.body.signature), address);
    const log = (await request(`${custody}/v1/signing-log?residentId=flat-12`, { headers: registrar })).body.entries;
    assert.equal(log.length, 1);
    assert.equal(log[0].digest, r.body.id);
  });

  it("refuses tokens of another issuer's key, another audience, expired, or of a resident never onboarded", async () => {
    const cases: Array<[string, number, string]> = [
      [await token("flat-12", { keys: strangerKeys }), 401, "token_unknown_key"],
      [await token("flat-12", { audience: "someone-else" }), 401, "token_wrong_audience"],
      [await token("flat-12", { expires: "1s" }).then(async (t) => (await new Promise((r) => setTimeout(r, 2100)), t)), 401, "token_expired"],
      [await token("flat-99"), 403, "unknown_resident"],
    ];
    for (const [t, status, code] of cases) {
      const r = await request(`${custody}/v1/ballots/sign`, { body: { meetingId: meetingId.toString(), choices: "57" }, headers: { authorization: `Bearer ${t}` } });
      assert.equal(r.status, status);
      assert.equal(r.body.error.code, code);
    }
    const log = (await request(`${custody}/v1/signing-log`, { headers: registrar })).body.entries;
    assert.equal(log.length, 1, "nothing more signed");
  });

  it("has no one-time code login in production mode", async () => {
    const r = await request(`${custody}/v1/auth/code`, { body: { residentId: "flat-12" } });
    assert.equal(r.status, 404);
  });

  it("keeps keys encrypted at rest and the signing log append-only", () => {
    const db = new DatabaseSync(path.join(dir, "custody.sqlite"));
    try {
      const row = db.prepare("SELECT ciphertext FROM residents WHERE resident_id = 'flat-12'").get() as { ciphertext: Uint8Array };
      assert.equal(row.ciphertext.length, 32);
      assert.throws(() => db.exec("UPDATE signing_log SET choices = '0'"), /append-only/);
      assert.throws(() => db.exec("DELETE FROM signing_log"), /append-only/);
    } finally {
      db.close();
    }
    const file = readFileSync(path.join(dir, "custody.sqlite"));
    assert.equal(file.includes(Buffer.from(masterKey, "hex")), false);
  });

  it("limits requests per client", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 80; i++) statuses.push((await request(`${custody}/v1/health`)).status);
    assert.ok(statuses.includes(429), "a burst beyond the limit is refused");
    const r = await request(`${custody}/v1/health`);
    if (r.status === 429) assert.equal(r.body.error.code, "rate_limited");
  });
});
