/** Start-up configuration: every problem reported with the variable, the value and what is expected. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "#lib/errors.js";
import { loadConfig } from "../src/config.js";
import { devAccount } from "./helpers/chain.js";

const valid = {
  RPC_URL: "http://127.0.0.1:8545",
  RELAYER_SENDER_KEYS: devAccount(1).privateKey,
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
    assert.equal(c.batchSize, 250);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.deployment, "localhost");
  });

  it("explains a value that is not a whole number in range", () => {
    assert.deepEqual(problems({ ...valid, RELAYER_BATCH_SIZE: "ten" }), ["RELAYER_BATCH_SIZE: got 'ten', expected a whole number 1–500"]);
    assert.deepEqual(problems({ ...valid, RELAYER_BATCH_SIZE: "501" }), ["RELAYER_BATCH_SIZE: got '501', expected a whole number 1–500"]);
  });

  it("reports every problem at once, without showing secrets", () => {
    const p = problems({ RELAYER_SENDER_KEYS: "0x1234", LOG_LEVEL: "loud" });
    assert.ok(p.includes("RPC_URL: missing, expected an http(s) URL of a JSON-RPC node"));
    assert.ok(p.includes("LOG_LEVEL: got 'loud', expected one of debug, info, warn, error, silent"));
    assert.ok(p.includes("RELAYER_SENDER_KEYS: key #1 is not a 0x-prefixed 32-byte hex private key"));
    assert.ok(p.every((m) => !m.includes("0x1234")), "a key is never shown");
  });

  it("holds the relayer's settings only: custody's variables are neither read nor required", () => {
    const c = loadConfig({ ...valid, CUSTODY_MASTER_KEY: "secret", CUSTODY_REGISTRAR_TOKEN: "short", CUSTODY_AUTH_MODE: "jwt", SERVICES: "custody" });
    assert.deepEqual(problems({ ...valid, CUSTODY_MASTER_KEY: "secret", CUSTODY_AUTH_MODE: "jwt" }), []);
    const fields = Object.keys(c);
    assert.ok(fields.every((k) => !/custody|master|registrar|jwt|otp/i.test(k)), `relayer config fields: ${fields.join(", ")}`);
    assert.equal(JSON.stringify(c).includes("secret"), false);
  });
});
