/**
 * Logging in at custody: one-time codes that cannot be guessed by asking for new ones, a code request
 * that cannot wipe a resident's pending code, codes never logged, logout that revokes, custody's own
 * audience, and no cross-site form posts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { AppError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { CODE_REISSUE_MS, MAX_CODE_ATTEMPTS, demoAuthenticator } from "../src/auth.js";
import { loadConfig } from "../src/config.js";
import { startCustody, type RunningCustody } from "../src/service.js";
import { REGISTRAR_TOKEN, deployment, request } from "./helpers.js";


let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dh-custody-login-"));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = (overrides: Record<string, string> = {}) => ({
  LOG_LEVEL: "silent",
  CUSTODY_PORT: "0",
  CUSTODY_DB_PATH: path.join(dir, `custody-${randomBytes(4).toString("hex")}.sqlite`),
  CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
  CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
  CUSTODY_REVEAL_OTP: "true",
  CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
  ...overrides,
});

const registrar = { authorization: `Bearer ${REGISTRAR_TOKEN}` };
const onboard = (url: string, residentId: string) => request(`${url}/v1/residents`, { body: { residentId }, headers: registrar });
const askCode = (url: string, residentId: string) => request(`${url}/v1/auth/code`, { body: { residentId } });
const useCode = (url: string, residentId: string, code: string) => request(`${url}/v1/auth/token`, { body: { residentId, code } });
/** A six-digit code other than `code`. */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("one-time codes over HTTP", () => {
  let custody: RunningCustody;
  let url: string;

  before(async () => {
    custody = await startCustody(loadConfig(env()), { deployment, logger: createLogger("silent") });
    url = custody.url;
    for (const id of ["victim-1", "victim-2", "resident-3"]) assert.equal((await onboard(url, id)).status, 201);
  });
  after(() => custody?.stop());

  it("locks the login after five wrong codes, however often the attacker asks for a new code in between", async () => {
    let known = "";
    for (let i = 0; i < 3 * MAX_CODE_ATTEMPTS; i++) {
      const asked = await askCode(url, "victim-1");
      assert.equal(asked.status, 202);
      if (asked.body.code) known = asked.body.code;
      const guess = await useCode(url, "victim-1", wrong(known));
      assert.ok(guess.status === 401 || guess.status === 429, JSON.stringify(guess.body));
    }
    // the resident now asks for a code and types it correctly: still locked
    const asked = await askCode(url, "victim-1");
    const code = asked.body.code ?? known;
    const r = await useCode(url, "victim-1", code);
    assert.equal(r.status, 429, `the lockout holds: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, "too_many_attempts");
    assert.match(String(r.headers.get("retry-after")), /^\d+$/);
  });

  it("keeps a resident's pending code when someone else asks for a new one within the minute", async () => {
    const mine = await askCode(url, "victim-2");
    assert.match(mine.body.code, /^\d{6}$/);
    for (let i = 0; i < 3; i++) {
      const again = await askCode(url, "victim-2");
      assert.equal(again.status, 202, "the answer does not tell whether a code was issued");
      assert.equal(again.body.code, undefined, "no new code within the minute");
    }
    const r = await useCode(url, "victim-2", mine.body.code);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(typeof r.body.token, "string");
    const fresh = await askCode(url, "victim-2");
    assert.match(fresh.body.code, /^\d{6}$/, "once the code is used, a new one may be issued at once");
  });

  it("refuses a cross-site form post: a code request must be sent as application/json", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const r = await request(`${url}/v1/auth/code`, { raw: '{"residentId":"resident-3"}', headers: { "content-type": type } });
      assert.equal(r.status, 415, `${type}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, "unsupported_media_type");
    }
    const mine = await askCode(url, "resident-3");
    assert.match(mine.body.code, /^\d{6}$/, "no code was issued by the refused posts");
  });
});

describe("one-time codes, their lockout and its back-off", () => {
  it("locks for a minute after five wrong codes, twice as long after each further five, and forgets them after a right code", async () => {
    let t = 1_000_000;
    const login = await demoAuthenticator({ issuer: "iss", audience: "aud", codeTtlSeconds: 3600, now: () => t });
    const failure = async (code: string) => {
      try {
        await login.exchange("flat-1", code);
      } catch (err) {
        assert.ok(err instanceof AppError);
        return err;
      }
      assert.fail("the code was accepted");
    };
    let code = login.issueCode("flat-1")!;
    for (let i = 1; i < MAX_CODE_ATTEMPTS; i++) assert.equal((await failure(wrong(code))).code, "invalid_code");
    const first = await failure(wrong(code));
    assert.equal(first.code, "too_many_attempts");
    assert.equal(first.details?.retryAfter, 60);
    t += 59_000;
    assert.equal((await failure(code)).code, "too_many_attempts", "locked for the whole minute, even with the right code");
    t += 2_000;
    assert.equal((await failure(code)).code, "invalid_code", "the lockout voided the code");
    code = login.issueCode("flat-1")!;
    for (let i = 0; i < MAX_CODE_ATTEMPTS; i++) await failure(wrong(code));
    assert.equal((await failure(code)).details?.retryAfter, 120, "the second lockout lasts twice as long");
    t += 121_000;
    code = login.issueCode("flat-1")!;
    assert.equal(typeof (await login.exchange("flat-1", code)).token, "string");
    code = login.issueCode("flat-1")!;
    for (let i = 1; i < MAX_CODE_ATTEMPTS; i++) await failure(wrong(code));
    assert.equal((await login.exchange("flat-1", code)).expiresIn, 3600, "a right code starts the count over");
  });

  it("does not replace a pending code younger than a minute", async () => {
    let t = 5_000_000;
    const login = await demoAuthenticator({ issuer: "iss", audience: "aud", codeTtlSeconds: 300, now: () => t });
    const code = login.issueCode("flat-2")!;
    t += CODE_REISSUE_MS - 1;
    assert.equal(login.issueCode("flat-2"), undefined);
    t += 1;
    const next = login.issueCode("flat-2");
    assert.match(next!, /^\d{6}$/, "after a minute a new code replaces it");
    if (next !== code) {
      const refused = await login.exchange("flat-2", code).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(refused instanceof AppError && refused.code === "invalid_code", "the replaced code no longer works");
    }
  });
});

describe("one-time codes and the log", () => {
  it("never writes a code to the log, delivered or revealed", async () => {
    const lines: string[] = [];
    const logger = createLogger("debug", {}, (line) => lines.push(line));
    const silent = await startCustody(loadConfig(env({ CUSTODY_REVEAL_OTP: "false", LOG_LEVEL: "debug" })), { deployment, logger });
    const revealing = await startCustody(loadConfig(env({ LOG_LEVEL: "debug" })), { deployment, logger });
    try {
      await onboard(silent.url, "flat-9");
      await onboard(revealing.url, "flat-9");
      assert.equal((await askCode(silent.url, "flat-9")).status, 202);
      const shown = (await askCode(revealing.url, "flat-9")).body.code as string;
      assert.match(shown, /^\d{6}$/);
      const sixDigits = (v: unknown): boolean => (typeof v === "string" ? /^\d{6}$/.test(v) : typeof v === "object" && v !== null && Object.values(v).some(sixDigits));
      for (const line of lines) {
        assert.ok(!line.includes(shown), `the revealed code is in the log: ${line}`);
        assert.ok(!sixDigits(JSON.parse(line)), `a code-like value is in the log: ${line}`);
      }
      assert.ok(lines.some((l) => l.includes("one-time code issued")), "the issue is logged, by resident");
    } finally {
      await silent.stop();
      await revealing.stop();
    }
  });
});

describe("tokens: custody's own audience, logout", () => {
  let idp: Server;
  let jwksUrl: string;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;

  before(async () => {
    keys = await generateKeyPair("ES256");
    const jwks = { keys: [{ ...(await exportJWK(keys.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" }] };
    idp = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => idp.listen(0, "127.0.0.1", r));
    jwksUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
  });
  after(() => new Promise((r) => idp?.close(r)));

  const idpToken = (sub: string, audience: string, jti = randomBytes(8).toString("hex")) =>
    new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "idp-1" }).setSubject(sub).setIssuer("https://id.example.test").setAudience(audience).setJti(jti).setIssuedAt().setExpirationTime("10m").sign(keys.privateKey);

  it("revokes a token at logout, and still refuses it after custody restarts", async () => {
    const config = loadConfig(env({ CUSTODY_REVEAL_OTP: "false", CUSTODY_AUTH_MODE: "jwt", CUSTODY_JWKS_URL: jwksUrl, CUSTODY_JWT_ISSUER: "https://id.example.test" }));
    let custody = await startCustody(config, { deployment, logger: createLogger("silent") });
    try {
      await onboard(custody.url, "flat-12");
      const token = await idpToken("flat-12", "digital-home-custody");
      const me = (u: string, t: string) => request(`${u}/v1/me`, { headers: { authorization: `Bearer ${t}` } });
      assert.equal((await me(custody.url, token)).status, 200);
      const out = await request(`${custody.url}/v1/auth/logout`, { body: {}, headers: { authorization: `Bearer ${token}` } });
      assert.equal(out.status, 200, JSON.stringify(out.body));
      const refused = await me(custody.url, token);
      assert.deepEqual([refused.status, refused.body.error.code], [401, "unauthenticated"]);
      assert.equal(refused.body.error.message, "the bearer token has been revoked (logged out)");
      await custody.stop();
      custody = await startCustody(config, { deployment, logger: createLogger("silent") });
      assert.equal((await me(custody.url, token)).status, 401, "the revocation survives a restart");
      assert.equal((await me(custody.url, await idpToken("flat-12", "digital-home-custody"))).status, 200, "a new login works");
    } finally {
      await custody.stop();
    }
  });

  it("refuses a token issued for another service, and its demo identity provider issues those only on request", async () => {
    const jwt = await startCustody(loadConfig(env({ CUSTODY_REVEAL_OTP: "false", CUSTODY_AUTH_MODE: "jwt", CUSTODY_JWKS_URL: jwksUrl, CUSTODY_JWT_ISSUER: "https://id.example.test" })), {
      deployment,
      logger: createLogger("silent"),
    });
    const demo = await startCustody(loadConfig(env()), { deployment, logger: createLogger("silent") });
    try {
      await onboard(jwt.url, "flat-12");
      const forNotifier = await idpToken("flat-12", "digital-home-notifier");
      assert.equal((await request(`${jwt.url}/v1/me`, { headers: { authorization: `Bearer ${forNotifier}` } })).status, 401, "the notifier's token is not custody's");

      await onboard(demo.url, "flat-12");
      const code = (await askCode(demo.url, "flat-12")).body.code;
      const own = (await useCode(demo.url, "flat-12", code)).body.token as string;
      const exchanged = await request(`${demo.url}/v1/auth/exchange`, { body: { audience: "digital-home-notifier" }, headers: { authorization: `Bearer ${own}` } });
      assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
      const payload = JSON.parse(Buffer.from(exchanged.body.token.split(".")[1], "base64url").toString());
      assert.deepEqual([payload.sub, payload.aud], ["flat-12", "digital-home-notifier"]);
      assert.equal((await request(`${demo.url}/v1/me`, { headers: { authorization: `Bearer ${exchanged.body.token}` } })).status, 401);
      const other = await request(`${demo.url}/v1/auth/exchange`, { body: { audience: "digital-home-custody-admin" }, headers: { authorization: `Bearer ${own}` } });
      assert.deepEqual([other.status, other.body.error.code], [400, "unknown_audience"]);
      assert.equal((await request(`${demo.url}/v1/auth/exchange`, { body: { audience: "digital-home-notifier" } })).status, 401, "only for a logged-in resident");
    } finally {
      await jwt.stop();
      await demo.stop();
    }
  });
});
