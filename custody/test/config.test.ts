/** The custodial wallet's own configuration: validated at start-up, every problem named, secrets never shown. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "#lib/errors.js";
import { loadConfig } from "../src/config.js";

const valid = {
  CUSTODY_MASTER_KEY: "11".repeat(32),
  CUSTODY_REGISTRAR_TOKEN: "a-registrar-token-of-some-length",
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

describe("loadConfig", () => {
  it("accepts a minimal valid environment with defaults, without a chain node", () => {
    const c = loadConfig(valid);
    assert.equal(c.authMode, "demo");
    assert.equal(c.masterKey.length, 32);
    assert.equal(c.port, 8548);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.deployment, "localhost");
    assert.equal(c.rpcUrl, undefined);
    assert.equal(c.revealOtp, false);
  });

  it("takes the master key as 64 hex digits or base64", () => {
    assert.deepEqual(loadConfig({ ...valid, CUSTODY_MASTER_KEY: Buffer.alloc(32, 7).toString("base64") }).masterKey, Buffer.alloc(32, 7));
    assert.deepEqual(loadConfig({ ...valid, CUSTODY_MASTER_KEY: "0x" + "07".repeat(32) }).masterKey, Buffer.alloc(32, 7));
  });

  it("reports every problem at once, without showing secrets", () => {
    const p = problems({ CUSTODY_MASTER_KEY: "secret", CUSTODY_REGISTRAR_TOKEN: "short", LOG_LEVEL: "loud", CUSTODY_PORT: "eighty", RPC_URL: "ftp://node" });
    assert.ok(p.includes("LOG_LEVEL: got 'loud', expected one of debug, info, warn, error, silent"));
    assert.ok(p.includes("CUSTODY_PORT: got 'eighty', expected a whole number 0–65535"));
    assert.ok(p.includes("RPC_URL: got 'ftp://node', expected an http(s) URL"));
    assert.ok(p.some((m) => m.startsWith("CUSTODY_MASTER_KEY:") && !m.includes("secret")));
    assert.ok(p.some((m) => m.startsWith("CUSTODY_REGISTRAR_TOKEN:") && !m.includes("short")));
    assert.deepEqual(problems({}), [
      "CUSTODY_REGISTRAR_TOKEN: missing, expected a value",
      "CUSTODY_MASTER_KEY: missing, expected 32 bytes as 64 hex digits or base64",
    ]);
  });

  it("requires a JWKS URL in jwt mode", () => {
    assert.deepEqual(problems({ ...valid, CUSTODY_AUTH_MODE: "jwt" }), [
      "CUSTODY_JWKS_URL: missing, expected the identity provider's JWKS URL when CUSTODY_AUTH_MODE=jwt",
    ]);
    assert.equal(loadConfig({ ...valid, CUSTODY_AUTH_MODE: "jwt", CUSTODY_JWKS_URL: "https://id.example.org/jwks.json" }).authMode, "jwt");
  });

  it("reads the claim that names the resident in jwt mode, sub unless told otherwise", () => {
    const jwt = { ...valid, CUSTODY_AUTH_MODE: "jwt", CUSTODY_JWKS_URL: "https://id.example.org/jwks.json" };
    assert.equal(loadConfig(jwt).subjectClaim, "sub");
    assert.equal(loadConfig({ ...jwt, CUSTODY_JWT_SUBJECT_CLAIM: "resident_id" }).subjectClaim, "resident_id");
    assert.deepEqual(problems({ ...jwt, CUSTODY_JWT_SUBJECT_CLAIM: "sub claim" }), [
      "CUSTODY_JWT_SUBJECT_CLAIM: got 'sub claim', expected a claim name such as sub or resident_id",
    ]);
  });

  it("sends one-time codes through the notifier only with its service token, and only in one-time-code mode", () => {
    const c = loadConfig({ ...valid, CUSTODY_NOTIFIER_URL: "http://127.0.0.1:8550", CUSTODY_NOTIFIER_TOKEN: "an-otp-service-token-for-custody" });
    assert.deepEqual([c.notifierUrl, c.notifierToken], ["http://127.0.0.1:8550", "an-otp-service-token-for-custody"]);
    assert.deepEqual(problems({ ...valid, CUSTODY_NOTIFIER_URL: "http://127.0.0.1:8550" }), [
      "CUSTODY_NOTIFIER_TOKEN: missing, expected the notifier's service token (its NOTIFIER_OTP_TOKEN) when CUSTODY_NOTIFIER_URL is set",
    ]);
    const short = problems({ ...valid, CUSTODY_NOTIFIER_URL: "http://127.0.0.1:8550", CUSTODY_NOTIFIER_TOKEN: "tiny-secret" });
    assert.ok(short.includes("CUSTODY_NOTIFIER_TOKEN: expected at least 16 characters (the value is not shown)"), JSON.stringify(short));
    assert.ok(!short.join("\n").includes("tiny-secret"));
    assert.deepEqual(
      problems({ ...valid, CUSTODY_AUTH_MODE: "jwt", CUSTODY_JWKS_URL: "https://id.example.org/jwks.json", CUSTODY_NOTIFIER_URL: "http://127.0.0.1:8550", CUSTODY_NOTIFIER_TOKEN: "an-otp-service-token-for-custody" }),
      ["CUSTODY_NOTIFIER_URL: one-time codes are sent only in one-time-code mode (CUSTODY_AUTH_MODE=demo); in jwt mode residents sign in at the identity provider"],
    );
  });

  it("holds custody's settings only: the relayer's sender keys are neither read nor required", () => {
    const c = loadConfig({ ...valid, RELAYER_SENDER_KEYS: "0x1234", RELAYER_CLIENT_TOKENS: "the-relayers-list-of-tokens" });
    // where custody hands ballots and the credential it presents there are custody's own settings
    assert.ok(Object.keys(c).every((k) => !/relayer(?!Url$|Token$)|sender|batch/i.test(k)), Object.keys(c).join(", "));
    assert.equal(JSON.stringify(c).includes("0x1234"), false);
    assert.equal(c.relayerToken, undefined, "the relayer's own list of client tokens is not read");
  });

  it("refuses to reveal one-time codes anywhere but a loopback demo", () => {
    assert.equal(loadConfig({ ...valid, CUSTODY_REVEAL_OTP: "true" }).revealOtp, true, "the demo on 127.0.0.1");
    assert.equal(loadConfig({ ...valid, CUSTODY_REVEAL_OTP: "true", CUSTODY_HOST: "::1" }).revealOtp, true);
    const envs: Array<Record<string, string>> = [
      { CUSTODY_HOST: "0.0.0.0" },
      { CUSTODY_HOST: "10.1.2.3" },
      { CUSTODY_HOST: "custody.example.org" },
      { CUSTODY_AUTH_MODE: "jwt", CUSTODY_JWKS_URL: "https://id.example.org/jwks.json" },
    ];
    for (const env of envs) {
      const p = problems({ ...valid, CUSTODY_REVEAL_OTP: "true", ...env });
      assert.equal(p.length, 1, JSON.stringify(p));
      assert.match(p[0]!, /^CUSTODY_REVEAL_OTP: one-time codes may be revealed only in demo mode \(CUSTODY_AUTH_MODE=demo\) on a loopback CUSTODY_HOST/);
    }
  });

  it("gives custody its own audience and reads the trusted proxies, the relayer's token and the per-resident limit", () => {
    const c = loadConfig(valid);
    assert.equal(c.jwtAudience, "digital-home-custody");
    assert.deepEqual(c.demoAudiences, ["digital-home-notifier"]);
    assert.deepEqual(c.trustedProxies, []);
    assert.equal(c.residentRateLimitPerMinute, 30);
    const set = loadConfig({ ...valid, CUSTODY_TRUSTED_PROXIES: "127.0.0.1, ::1", CUSTODY_RELAYER_TOKEN: "a-token-of-sixteen+", CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "5" });
    assert.deepEqual(set.trustedProxies, ["127.0.0.1", "::1"]);
    assert.equal(set.relayerToken, "a-token-of-sixteen+");
    assert.equal(set.residentRateLimitPerMinute, 5);
    const p = problems({ ...valid, CUSTODY_TRUSTED_PROXIES: "web-server", CUSTODY_RELAYER_TOKEN: "short-secret", CUSTODY_DEMO_AUDIENCES: "digital-home-custody" });
    assert.ok(p.includes("CUSTODY_TRUSTED_PROXIES: got 'web-server', expected comma-separated IP addresses such as 127.0.0.1,::1"), p.join("\n"));
    assert.ok(p.includes("CUSTODY_RELAYER_TOKEN: expected at least 16 characters (the value is not shown)"));
    assert.ok(p.some((m) => m.startsWith("CUSTODY_DEMO_AUDIENCES:")));
    assert.ok(!p.join("\n").includes("short-secret"));
  });
});
