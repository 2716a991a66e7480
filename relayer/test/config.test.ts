/** Start-up configuration: every problem reported with the variable, the value and what is expected. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";
import { devAccount } from "./helpers/chain.js";

const valid = {
  RPC_URL: "http://127.0.0.1:8545",
  RELAYER_SENDER_KEYS: devAccount(1).privateKey,
  CUSTODY_MASTER_KEY: "11".repeat(32),
  CUSTODY_REGISTRAR_TOKEN: "a-registrar-token-of-some-length",
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return (err.details as { problems: string[] }).problems;
  }
  return [];
}

describe("loadConfig", () => {
  it("accepts a minimal valid environment with defaults", () => {
    const c = loadConfig(valid);
    assert.equal(c.relayer!.batchSize, 250);
    assert.equal(c.relayer!.host, "127.0.0.1");
    assert.equal(c.custody!.authMode, "demo");
    assert.equal(c.custody!.masterKey.length, 32);
  });

  it("explains a value that is not a whole number in range", () => {
    assert.deepEqual(problems({ ...valid, RELAYER_BATCH_SIZE: "ten" }), ["RELAYER_BATCH_SIZE: got 'ten', expected a whole number 1–500"]);
    assert.deepEqual(problems({ ...valid, RELAYER_BATCH_SIZE: "501" }), ["RELAYER_BATCH_SIZE: got '501', expected a whole number 1–500"]);
  });

  it("reports every problem at once, without showing secrets", () => {
    const p = problems({ RELAYER_SENDER_KEYS: "0x1234", CUSTODY_MASTER_KEY: "secret", CUSTODY_REGISTRAR_TOKEN: "short", LOG_LEVEL: "loud" });
    assert.ok(p.includes("RPC_URL: missing, expected an http(s) URL of a JSON-RPC node"));
    assert.ok(p.includes("LOG_LEVEL: got 'loud', expected one of debug, info, warn, error, silent"));
    assert.ok(p.includes("RELAYER_SENDER_KEYS: key #1 is not a 0x-prefixed 32-byte hex private key"));
    assert.ok(p.some((m) => m.startsWith("CUSTODY_MASTER_KEY:") && !m.includes("secret")));
    assert.ok(p.some((m) => m.startsWith("CUSTODY_REGISTRAR_TOKEN:") && !m.includes("short")));
  });

  it("requires a JWKS URL in jwt mode and runs only the chosen services", () => {
    assert.deepEqual(problems({ ...valid, CUSTODY_AUTH_MODE: "jwt" }), [
      "CUSTODY_JWKS_URL: missing, expected the identity provider's JWKS URL when CUSTODY_AUTH_MODE=jwt",
    ]);
    const relayerOnly = loadConfig({ RPC_URL: valid.RPC_URL, RELAYER_SENDER_KEYS: valid.RELAYER_SENDER_KEYS, SERVICES: "relayer" });
    assert.equal(relayerOnly.custody, undefined);
  });
});
