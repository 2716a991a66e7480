/**
 * Residents' tokens at the notifier: its own audience by default (a token issued for custody is
 * refused), logout that revokes the token until it expires, across a restart, and no cross-site
 * form posts on the endpoints that change state.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#lib/log.js";
import { loadConfig } from "../src/config.js";
import { startNotifier, type RunningNotifier } from "../src/service.js";
import { get, notifierEnv, register, startIdentityProvider, startWorld, type IdentityProvider, type TestWorld } from "./helpers.js";

let t: TestWorld;
let idp: IdentityProvider;
let notifier: RunningNotifier;
const owner = "0x00000000000000000000000000000000000000a1";

/** The notifier with its default audience (the tests' helpers otherwise set one). */
const start = () =>
  startNotifier(
    loadConfig({ ...notifierEnv(t, { NOTIFIER_JWKS_URL: idp.jwksUrl, NOTIFIER_DB_PATH: path.join(t.dir, "tokens.sqlite") }), NOTIFIER_JWT_AUDIENCE: undefined }),
    { deployment: t.world.deployment, logger: createLogger("silent") },
  );

before(async () => {
  t = await startWorld();
  idp = await startIdentityProvider();
  notifier = await start();
  assert.equal((await register(notifier.url, "flat-1", { address: owner, email: "flat-1@example.org" })).status, 201);
});

after(async () => {
  await notifier?.stop();
  await idp?.close();
  await t?.close();
});

describe("the notifier's tokens", () => {
  it("has its own audience: a token issued for custody is refused, one for the notifier accepted", async () => {
    assert.equal(loadConfig(notifierEnv(t, { NOTIFIER_JWT_AUDIENCE: undefined })).jwtAudience, "digital-home-notifier");
    const forCustody = await idp.token("flat-1", { audience: "digital-home-custody" });
    assert.equal((await get(`${notifier.url}/v1/feed`, forCustody)).status, 401);
    const forNotifier = await idp.token("flat-1", { audience: "digital-home-notifier" });
    assert.equal((await get(`${notifier.url}/v1/feed`, forNotifier)).status, 200);
  });

  it("revokes a token at logout, and still refuses it after a restart", async () => {
    const token = await idp.token("flat-1", { audience: "digital-home-notifier" });
    assert.equal((await get(`${notifier.url}/v1/me/preferences`, token)).status, 200);
    const out = await fetch(`${notifier.url}/v1/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
    assert.equal(out.status, 200);
    const refused = await get(`${notifier.url}/v1/me/preferences`, token);
    assert.deepEqual([refused.status, refused.json.error.code], [401, "unauthenticated"]);
    await notifier.stop();
    notifier = await start();
    assert.equal((await get(`${notifier.url}/v1/feed`, token)).status, 401, "still revoked after the restart");
    assert.equal((await get(`${notifier.url}/v1/feed`, await idp.token("flat-1", { audience: "digital-home-notifier" }))).status, 200);
  });

  it("refuses a cross-site form post: state changes must be sent as application/json", async () => {
    const token = await idp.token("flat-1", { audience: "digital-home-notifier" });
    const r = await fetch(`${notifier.url}/v1/me/preferences`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" }, body: JSON.stringify({ language: "en" }) });
    assert.equal(r.status, 415);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, "unsupported_media_type");
    assert.equal((await get(`${notifier.url}/v1/me/preferences`, token)).json.language, "ru", "nothing changed");
  });
});
