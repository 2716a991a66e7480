/**
 * The store's configuration: defaults that make sense (its own audience, loopback, the limits),
 * service tokens read as name=token, and every problem reported at once with the variable named and
 * no secret shown — by loadConfig, and by `npm run documents`, which exits 2 before starting.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { ConfigError } from "#lib/errors.js";
import { DEFAULT_AUDIENCE, loadConfig } from "../src/config.js";
import { DOCUMENTS_STATUSES } from "../src/statuses.js";
import { codesWithoutStatus } from "../../lib/test/helpers/source.js";
import { spawnDocuments } from "./helpers.js";

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
};

describe("configuration", () => {
  it("defaults to loopback, its own audience and the documented limits", () => {
    const c = loadConfig({});
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 8551);
    assert.equal(c.jwtAudience, DEFAULT_AUDIENCE);
    assert.equal(DEFAULT_AUDIENCE, "digital-home-documents");
    assert.equal(c.jwtIssuer, "digital-home-custody");
    assert.deepEqual(c.maxBytes, { pdf: 20 * 1024 * 1024, png: 10 * 1024 * 1024, jpeg: 10 * 1024 * 1024, text: 65536, json: 262144, xml: 4 * 1024 * 1024 });
    assert.deepEqual(c.serviceTokens, []);
    assert.equal(c.jwksUrl, undefined);
  });

  it("accepts every value of .env.example, the commented ones too", () => {
    const lines = readFileSync(path.join(PROJECT_ROOT, "documents", ".env.example"), "utf8").split("\n");
    const env = Object.fromEntries(
      lines.map((l) => /^(?:# )?([A-Z][A-Z0-9_]+)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]),
    );
    assert.ok(Object.keys(env).length >= 18, Object.keys(env).join(", "));
    const c = loadConfig(env);
    assert.deepEqual(c.serviceTokens.map((t) => t.name), ["keeper", "seed"]);
    assert.deepEqual(c.maxBytes, loadConfig({}).maxBytes, "the example states the defaults");
  });

  it("reads service tokens as name=token", () => {
    const c = loadConfig({ DOCUMENTS_SERVICE_TOKENS: "keeper=aaaaaaaaaaaaaaaaaaaa, seed=bbbbbbbbbbbbbbbb+/== " });
    assert.deepEqual(c.serviceTokens, [
      { name: "keeper", token: "aaaaaaaaaaaaaaaaaaaa" },
      { name: "seed", token: "bbbbbbbbbbbbbbbb+/==" },
    ]);
  });

  it("reports every problem at once, naming the variable and showing no token", () => {
    const problems = problemsOf({
      DOCUMENTS_PORT: "eighty",
      DOCUMENTS_MAX_PDF_BYTES: "0",
      DOCUMENTS_JWKS_URL: "file:///etc/jwks.json",
      DOCUMENTS_SERVICE_TOKENS: "keeper=short-secret,Bad Name=cccccccccccccccccccc,seed=dddddddddddddddddddd,seed=eeeeeeeeeeeeeeeeeeee,other=dddddddddddddddddddd",
      DOCUMENTS_QUOTA_PERIOD_SECONDS: "5",
      DOCUMENTS_TRUSTED_PROXIES: "web-server",
      LOG_LEVEL: "loud",
    });
    for (const name of ["DOCUMENTS_PORT", "DOCUMENTS_MAX_PDF_BYTES", "DOCUMENTS_JWKS_URL", "DOCUMENTS_QUOTA_PERIOD_SECONDS", "DOCUMENTS_TRUSTED_PROXIES", "LOG_LEVEL"]) {
      assert.ok(problems.some((p) => p.startsWith(`${name}:`)), `${name} in ${problems.join("\n")}`);
    }
    const tokens = problems.filter((p) => p.startsWith("DOCUMENTS_SERVICE_TOKENS"));
    assert.equal(tokens.length, 4, tokens.join("\n"));
    assert.ok(tokens.some((p) => p.includes("(keeper)") && p.includes("at least 16")));
    assert.ok(tokens.some((p) => p.includes("named twice")));
    assert.ok(tokens.some((p) => p.includes("same token")));
    for (const secret of ["short-secret", "cccccccccccccccccccc", "dddddddddddddddddddd", "eeeeeeeeeeeeeeeeeeee"]) assert.ok(!problems.join("\n").includes(secret), secret);
  });

  it("stops `npm run documents` with exit 2 on a bad configuration, before listening", async () => {
    const out = await spawnDocuments([], { DOCUMENTS_PORT: "-1", DOCUMENTS_SERVICE_TOKENS: "keeper=tiny-secret" }).exited;
    assert.equal(out.code, 2);
    assert.match(out.stderr, /DOCUMENTS_PORT/);
    assert.match(out.stderr, /DOCUMENTS_SERVICE_TOKENS/);
    assert.ok(!out.stderr.includes("tiny-secret"));
  });
});

describe("statuses", () => {
  it("has a status for every code the API and the core throw", () => {
    assert.deepEqual(codesWithoutStatus("documents/src/api.ts", "documents/src", DOCUMENTS_STATUSES), []);
  });

  it("answers the client's mistakes 4xx and its own failures 5xx", () => {
    const wanted = {
      invalid_document_id: 400,
      invalid_name: 400,
      empty_document: 400,
      malformed_json: 400,
      malformed_xml: 400,
      unauthenticated: 401,
      not_found: 404,
      method_not_allowed: 405,
      document_too_large: 413,
      payload_too_large: 413,
      unsupported_document_type: 415,
      active_content_refused: 415,
      unsupported_media_type: 415,
      quota_exceeded: 429,
      rate_limited: 429,
      document_corrupt: 500,
      auth_not_configured: 503,
    };
    assert.deepEqual(Object.fromEntries(Object.keys(wanted).map((c) => [c, DOCUMENTS_STATUSES[c]])), wanted);
  });
});
