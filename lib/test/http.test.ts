/**
 * The HTTP toolkit every API shares: the code → status tables, the error envelope and handler,
 * body-parser's failures as codes, request ids, the registrar and JWT checks, and the rate limit.
 */
import { expect } from "chai";
import { gzipSync } from "node:zlib";
import express from "express";
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from "jose";
import { z } from "zod";
import { AppError } from "../errors.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bearerToken, jwtBearer, jwtSubject, registrarCheck } from "../http/auth.js";
import { jsonBody, parseBody } from "../http/body.js";
import { clientAddress, isLoopback, trustedProxies } from "../http/client-address.js";
import { TokenRevocations } from "../http/revocations.js";
import { errorHandler, errorResponse, notFound } from "../http/errors.js";
import { rateLimit } from "../http/rate-limit.js";
import { requestId, requestIdFrom } from "../http/request-id.js";
import { listen, type RunningServer } from "../http/server.js";
import { BASE_STATUSES, statusOf, statusTable } from "../http/statuses.js";
import { createLogger, type Logger } from "../log.js";
import { codesOf, sourceFiles } from "./helpers/source.js";

/** A logger that keeps its lines for the test to read. */
function recordingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { log: createLogger("debug", {}, (line) => lines.push(JSON.parse(line))), lines };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new AppError("test_failed", "expected a rejection");
}

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new AppError("test_failed", "expected a throw");
}

describe("HTTP toolkit", function () {
  describe("status tables", function () {
    it("extend the base table with a service's own codes", function () {
      const table = statusTable({ unknown_ballot: 404, already_voted: 409 });
      expect(statusOf(table, "unknown_ballot")).to.equal(404);
      expect(statusOf(table, "malformed_json")).to.equal(400);
      expect(statusOf(table, "rate_limited")).to.equal(429);
      expect(statusOf(table, "no_such_code")).to.equal(undefined);
      expect(statusOf(table, "constructor")).to.equal(undefined, "no inherited property counts as a code");
    });

    it("refuse to give a base code another status, or a status that is not an error", function () {
      expect(thrown(() => statusTable({ not_found: 410 })).message).to.contain("not_found");
      expect(thrown(() => statusTable({ fine: 200 })).message).to.contain("not a 4xx or 5xx");
    });

    it("cover every code the toolkit itself throws", function () {
      const missing = sourceFiles("lib/http")
        .flatMap((f) => codesOf(f))
        .filter((c) => statusOf(BASE_STATUSES, c.code) === undefined && c.code !== "invalid_status_table" && c.code !== "listen_failed")
        .map((c) => `${c.file}:${c.line} ${c.code}`);
      expect(missing, missing.join("\n")).to.deep.equal([]);
    });
  });

  describe("errorResponse", function () {
    const table = statusTable({ unknown_ballot: 404, relayer_unavailable: 502 });

    it("answers an AppError with its code's status and the envelope, details included", function () {
      const { log, lines } = recordingLogger();
      const r = errorResponse(new AppError("unknown_ballot", "no ballot has id 0x01", { details: { id: "0x01" } }), table, log, "req-1");
      expect(r).to.deep.equal({ status: 404, body: { error: { code: "unknown_ballot", message: "no ballot has id 0x01", details: { id: "0x01" } } } });
      expect(lines).to.deep.equal([], "a client's mistake is not logged");
    });

    it("logs a failure on our side (5xx) with the request id", function () {
      const { log, lines } = recordingLogger();
      const r = errorResponse(new AppError("relayer_unavailable", "the relayer cannot be reached"), table, log, "req-2");
      expect(r.status).to.equal(502);
      expect(lines.map((l) => [l.level, l.code, l.requestId])).to.deep.equal([["warn", "relayer_unavailable", "req-2"]]);
    });

    it("answers a code without a status 500 internal and logs the code", function () {
      const { log, lines } = recordingLogger();
      const r = errorResponse(new AppError("forgotten_code", "secret detail"), table, log, "req-3");
      expect(r).to.deep.equal({ status: 500, body: { error: { code: "internal", message: "internal error" } } });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level: "error", msg: "error code without an HTTP status", code: "forgotten_code", requestId: "req-3" });
    });

    it("answers anything that is not an AppError 500 internal, its message never sent", function () {
      const { log, lines } = recordingLogger();
      let parseFailure: unknown;
      try {
        JSON.parse("{ stack trace here");
      } catch (err) {
        parseFailure = err;
      }
      const r = errorResponse(parseFailure, table, log, "req-4");
      expect(JSON.stringify(r.body)).to.not.contain("stack trace").and.not.contain("JSON");
      expect(r.status).to.equal(500);
      expect(lines[0]).to.include({ level: "error", msg: "unexpected error", requestId: "req-4" });
    });
  });

  describe("an express app on the toolkit", function () {
    let server: RunningServer;
    const { log, lines } = recordingLogger();

    before(async function () {
      const app = express();
      app.use(requestId);
      app.use(rateLimit(0));
      app.post("/echo", jsonBody(64), (req, res) => {
        res.json(parseBody(z.strictObject({ name: z.string().min(1) }), req.body));
      });
      app.get("/boom", () => {
        throw new AppError("unknown_ballot", "no ballot has id 7");
      });
      app.use(notFound);
      app.use(errorHandler(statusTable({ unknown_ballot: 404 }), log));
      server = await listen(app, "127.0.0.1", 0);
    });

    after(async function () {
      await server?.close();
    });

    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/echo`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : new Uint8Array(body) });

    it("maps body-parser's failures to codes", async function () {
      const cases: Array<[Response, number, string]> = [
        [await post("{ not json"), 400, "malformed_json"],
        [await post(JSON.stringify({ name: "x".repeat(100) })), 413, "payload_too_large"],
        [await post(gzipSync("{}"), { "content-encoding": "x-unknown" }), 415, "unsupported_encoding"],
        [await post(JSON.stringify({ name: "" })), 400, "invalid_request"],
        [await fetch(`${server.url}/boom`), 404, "unknown_ballot"],
        [await fetch(`${server.url}/nowhere`), 404, "not_found"],
      ];
      for (const [response, status, code] of cases) {
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect([response.status, body.error.code]).to.deep.equal([status, code]);
        expect(body.error.message).to.be.a("string").and.not.equal("");
      }
      expect(lines.filter((l) => l.level === "error")).to.deep.equal([]);
    });

    it("refuses a state-changing request that does not declare JSON, as a cross-site form or no-cors fetch would send it", async function () {
      const body = JSON.stringify({ name: "ok" });
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]) {
        const response = await fetch(`${server.url}/echo`, { method: "POST", headers: type ? { "content-type": type } : {}, body });
        const answer = (await response.json()) as { error: { code: string } };
        expect([response.status, answer.error.code], type).to.deep.equal([415, "unsupported_media_type"]);
      }
      for (const type of ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]) {
        const response = await fetch(`${server.url}/echo`, { method: "POST", headers: { "content-type": type }, body });
        expect(response.status, type).to.equal(200);
      }
    });

    it("names the field that is wrong", async function () {
      const body = (await (await post(JSON.stringify({ name: "ok", extra: 1 }))).json()) as { error: { message: string } };
      expect(body.error.message).to.match(/^body: /);
      const ok = await post(JSON.stringify({ name: "ok" }));
      expect([ok.status, await ok.json()]).to.deep.equal([200, { name: "ok" }]);
    });

    it("echoes a plain X-Request-Id and replaces anything else", async function () {
      const given = await fetch(`${server.url}/nowhere`, { headers: { "x-request-id": "abc.123_-" } });
      expect(given.headers.get("x-request-id")).to.equal("abc.123_-");
      const odd = await fetch(`${server.url}/nowhere`, { headers: { "x-request-id": "no spaces; please" } });
      expect(odd.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
      expect(requestIdFrom(["a", "b"])).to.match(/^[0-9a-f-]{36}$/);
      expect(requestIdFrom("x".repeat(65))).to.not.equal("x".repeat(65));
    });

    it("refuses to listen on a port in use, naming the address", async function () {
      const err = await rejection(listen(() => undefined, "127.0.0.1", server.port));
      expect(err.code).to.equal("listen_failed");
      expect(err.message).to.contain(`127.0.0.1:${server.port}`).and.contain("EADDRINUSE");
    });
  });

  describe("credentials", function () {
    it("reads a bearer token, or answers unauthenticated", function () {
      expect(bearerToken("Bearer abc.DEF-_~+/=")).to.equal("abc.DEF-_~+/=");
      for (const bad of [undefined, "", "Basic abc", "Bearer ", "Bearer two words"]) {
        expect(thrown(() => bearerToken(bad)).code).to.equal("unauthenticated");
      }
    });

    it("checks the registrar's token: unauthenticated without one, forbidden with another", function () {
      const check = registrarCheck("the-registrar-token-1234");
      expect(() => check("Bearer the-registrar-token-1234")).to.not.throw();
      expect(thrown(() => check(undefined)).code).to.equal("unauthenticated");
      expect(thrown(() => check("Basic the-registrar-token-1234")).code).to.equal("unauthenticated");
      expect(thrown(() => check("Bearer the-registrar-token-123")).code).to.equal("forbidden");
      expect(thrown(() => check("Bearer the-registrar-token-12345")).code).to.equal("forbidden");
    });

    it("verifies a JWT's key, issuer, audience and expiry, and reads its subject", async function () {
      const keys = await generateKeyPair("ES256");
      const stranger = await generateKeyPair("ES256");
      const jwks = { keys: [{ ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256" }] };
      const subjectOf = jwtSubject(createLocalJWKSet(jwks), "https://id.example.test", "digital-home");
      const token = (o: { sub?: string; aud?: string; iss?: string; exp?: string; key?: CryptoKey } = {}) => {
        const jwt = new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(o.iss ?? "https://id.example.test").setAudience(o.aud ?? "digital-home").setIssuedAt().setExpirationTime(o.exp ?? "5m");
        if (o.sub !== "") jwt.setSubject(o.sub ?? "flat-12");
        return jwt.sign(o.key ?? keys.privateKey);
      };
      expect(await subjectOf(`Bearer ${await token()}`)).to.equal("flat-12");
      for (const bad of [
        await token({ key: stranger.privateKey }),
        await token({ aud: "someone-else" }),
        await token({ iss: "https://other.example.test" }),
        await token({ exp: "-1m" }),
        await token({ sub: "" }),
      ]) {
        const err = await rejection(subjectOf(`Bearer ${bad}`));
        expect([err.code, err.message]).to.deep.equal(["unauthenticated", "the bearer token is invalid or expired"]);
      }
      expect((await rejection(subjectOf(undefined))).message).to.equal("a bearer token is required");
      const noExpiry = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer("https://id.example.test").setAudience("digital-home").setSubject("flat-12").sign(keys.privateKey);
      expect((await rejection(subjectOf(`Bearer ${noExpiry}`))).code).to.equal("unauthenticated", "a token that never expires is refused");
    });

    it("refuses a revoked token by its id, and keeps the revocation across a restart until the token expires", async function () {
      const keys = await generateKeyPair("ES256");
      const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256" }] });
      const dir = mkdtempSync(path.join(tmpdir(), "dh-revocations-"));
      const file = path.join(dir, "service.sqlite");
      try {
        let list = new TokenRevocations(file);
        const bearerOf = (l: TokenRevocations) => jwtBearer(jwks, "iss", "aud", { isRevoked: (id) => l.isRevoked(id) });
        const token = (jti?: string) => {
          const jwt = new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer("iss").setAudience("aud").setSubject("flat-12").setIssuedAt().setExpirationTime("5m");
          if (jti) jwt.setJti(jti);
          return jwt.sign(keys.privateKey);
        };
        const withId = await token("token-1");
        const withoutId = await token();
        const other = await token("token-2");
        const a = await bearerOf(list)(`Bearer ${withId}`);
        const b = await bearerOf(list)(`Bearer ${withoutId}`);
        expect(a.tokenId).to.equal("jti:token-1");
        expect(b.tokenId).to.match(/^sha256:[0-9a-f]{64}$/);
        list.revoke(a.tokenId, a.expiresAt);
        list.revoke(b.tokenId, b.expiresAt);
        list.close();
        list = new TokenRevocations(file);
        for (const t of [withId, withoutId]) {
          const err = await rejection(bearerOf(list)(`Bearer ${t}`));
          expect([err.code, err.message]).to.deep.equal(["unauthenticated", "the bearer token has been revoked (logged out)"]);
        }
        expect((await bearerOf(list)(`Bearer ${other}`)).subject).to.equal("flat-12", "another token of the same resident still works");
        list.close();
        const later = new TokenRevocations(file, () => a.expiresAt + 1);
        expect(later.isRevoked(a.tokenId)).to.equal(false, "forgotten once the token has expired");
        later.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("client addresses", function () {
    it("are the socket's, unless a trusted proxy forwards for someone: then the rightmost untrusted hop", function () {
      const trusted = trustedProxies(["127.0.0.1", "10.0.0.2"]);
      expect(clientAddress("203.0.113.7", "1.2.3.4", trusted)).to.equal("203.0.113.7", "an untrusted peer cannot name another client");
      expect(clientAddress("127.0.0.1", undefined, trusted)).to.equal("127.0.0.1");
      expect(clientAddress("::ffff:127.0.0.1", "198.51.100.9", trusted)).to.equal("198.51.100.9");
      expect(clientAddress("127.0.0.1", "1.2.3.4, 198.51.100.9, 10.0.0.2", trusted)).to.equal("198.51.100.9", "a spoofed leftmost entry is skipped");
      expect(clientAddress("127.0.0.1", ["1.2.3.4", "198.51.100.9"], trusted)).to.equal("198.51.100.9");
      expect(clientAddress("127.0.0.1", "not-an-address", trusted)).to.equal("127.0.0.1", "a malformed hop: the proxy itself is the client");
      expect(clientAddress("127.0.0.1", "10.0.0.2", trusted)).to.equal("10.0.0.2", "every hop trusted: the last one");
      expect(clientAddress(undefined, "1.2.3.4", trusted)).to.equal("unknown");
    });

    it("tell the loopback interface from anything else", function () {
      for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) expect(isLoopback(h), h).to.equal(true);
      for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.org", "128.0.0.1", "localhost.example.org"]) expect(isLoopback(h), h).to.equal(false);
    });
  });
});
