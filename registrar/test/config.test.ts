/** The registrar's configuration: its defaults, the chain key from a variable or a file, and every problem named at once with no secret shown. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Wallet } from "ethers";
import { ConfigError } from "#lib/errors.js";
import { loadConfig } from "../src/config.js";

const KEY = Wallet.createRandom().privateKey;
const BASE = {
  RPC_URL: "http://127.0.0.1:8545",
  REGISTRAR_KEY: KEY,
  REGISTRAR_API_TOKEN: "api-token-of-sixteen+",
  REGISTRAR_CUSTODY_URL: "http://127.0.0.1:8548",
  REGISTRAR_CUSTODY_TOKEN: "custody-token-of-sixteen+",
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail("the configuration was accepted");
}

describe("registrar configuration", () => {
  it("has defaults for everything but the chain, the key, the tokens and custody", () => {
    const c = loadConfig(BASE);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 8550);
    assert.equal(c.deployment, "localhost");
    assert.equal(c.dbPath, "data/registrar.sqlite");
    assert.equal(c.chainKey, KEY);
    assert.equal(c.notifierUrl, undefined);
    assert.equal(c.jwtAudience, "digital-home-registrar");
    assert.equal(c.jwtIssuer, "digital-home-custody");
    assert.equal(c.batchGas, 0n);
    assert.equal(c.window, 16);
    assert.equal(c.language, "en");
    assert.equal(loadConfig({ ...BASE, LANG: "ru_RU.UTF-8" }).language, "ru");
    assert.equal(loadConfig({ ...BASE, LANG: "ru_RU.UTF-8", REGISTRAR_LANGUAGE: "en" }).language, "en");
  });

  it("reads the chain key from a file instead", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "registrar-config-"));
    try {
      const file = path.join(dir, "key");
      writeFileSync(file, `${KEY.slice(2)}\n`);
      const { REGISTRAR_KEY: _key, ...rest } = BASE;
      assert.equal(loadConfig({ ...rest, REGISTRAR_KEY_FILE: file }).chainKey, KEY);
      assert.deepEqual(problems({ ...BASE, REGISTRAR_KEY_FILE: file }), ["REGISTRAR_KEY_FILE: set either REGISTRAR_KEY or REGISTRAR_KEY_FILE, not both"]);
      assert.deepEqual(problems({ ...rest, REGISTRAR_KEY_FILE: path.join(dir, "none") }), [`REGISTRAR_KEY_FILE: cannot read '${path.join(dir, "none")}' (ENOENT)`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names every problem at once, never a secret", () => {
    const found = problems({
      REGISTRAR_KEY: "0xnot-a-key",
      REGISTRAR_API_TOKEN: "short-secret",
      REGISTRAR_NOTIFIER_URL: "http://127.0.0.1:8549",
      REGISTRAR_PORT: "80000",
      REGISTRAR_BATCH_GAS: "1000",
      REGISTRAR_LANGUAGE: "de",
    });
    assert.deepEqual(found, [
      "REGISTRAR_RPC_URL: missing, expected an http(s) URL of a JSON-RPC node (RPC_URL is read too)",
      "REGISTRAR_NOTIFIER_TOKEN: missing, expected a token of at least 16 characters",
      "REGISTRAR_BATCH_GAS: got 1000, expected 0 (three quarters of the block gas limit) or at least 200000",
      "REGISTRAR_CUSTODY_URL: missing, expected the custody service's http(s) URL",
      "REGISTRAR_LANGUAGE: got 'de', expected one of ru, en",
      "REGISTRAR_PORT: got '80000', expected a whole number 0–65535",
      "REGISTRAR_KEY: expected a private key of 64 hex digits (the value is not shown)",
      "REGISTRAR_API_TOKEN: expected at least 16 characters (the value is not shown)",
      "REGISTRAR_CUSTODY_TOKEN: missing, expected a token of at least 16 characters",
    ]);
    assert.ok(found.every((p) => !p.includes("short-secret") && !p.includes("not-a-key")));
  });
});
