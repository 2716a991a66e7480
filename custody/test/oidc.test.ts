/**
 * Custody in `jwt` mode against a real OpenID Connect provider (dev/oidc-provider.ts, panva's
 * oidc-provider): a resident signs in with the authorization code flow and PKCE, custody takes the
 * access token the provider issued for its audience, and refuses, each with its own code, a token
 * for another audience, an expired one, one signed by a key the provider does not publish, one from
 * another issuer, an unsigned one (`alg: none`) and one that names no resident. The provider itself
 * refuses a code exchanged with the wrong PKCE verifier.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SignJWT, generateKeyPair, importJWK } from "jose";
import { createLogger } from "#lib/log.js";
import { startOidcProvider, type RunningOidcProvider } from "../../dev/oidc-provider.js";
import { loadConfig } from "../src/config.js";
import { startCustody, type RunningCustody } from "../src/service.js";
import { REGISTRAR_TOKEN, deployment, request } from "./helpers.js";
import { authorize, discover, exchangeCode, signIn, type Discovery } from "./oidc-client.js";

const CLIENT = { clientId: "digital-home-page", redirectUri: "http://127.0.0.1:9/login/callback" };
const CUSTODY_RESOURCE = "https://custody.digital-home.test";
const CUSTODY_AUDIENCE = "digital-home-custody";
const NOTIFIER_RESOURCE = "https://notifier.digital-home.test";
const SHORT_RESOURCE = "https://custody-short.digital-home.test";

describe("custody and a real OpenID Connect provider", () => {
  let dir: string;
  let provider: RunningOidcProvider;
  let discovery: Discovery;
  let custody: RunningCustody;
  const registrar = { authorization: `Bearer ${REGISTRAR_TOKEN}` };
  const me = (token: string) => request(`${custody.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  const refusal = async (token: string) => {
    const r = await me(token);
    return [r.status, r.body?.error?.code, r.body?.error?.details?.reason];
  };
  /** A token signed with the provider's own EC key: what only the provider could have issued, with these claims. */
  const providerSigned = async (claims: Record<string, unknown>) => {
    const key = await importJWK(provider.signingKeys.ec, "ES256");
    return new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: provider.signingKeys.ec.kid!, typ: "at+jwt" }).sign(key);
  };
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "dh-custody-oidc-"));
    provider = await startOidcProvider({
      clients: [{ clientId: CLIENT.clientId, redirectUris: [CLIENT.redirectUri] }],
      users: [
        { username: "anna", password: "correct horse battery", residentId: "flat-7", name: "Anna" },
        { username: "boris", password: "another long secret", residentId: "flat-8" },
      ],
      resources: [
        { indicator: CUSTODY_RESOURCE, audience: CUSTODY_AUDIENCE, scope: "custody" },
        { indicator: NOTIFIER_RESOURCE, audience: "digital-home-notifier", scope: "notices" },
        { indicator: SHORT_RESOURCE, audience: CUSTODY_AUDIENCE, scope: "custody-short", ttlSeconds: 1 },
      ],
      defaultResource: CUSTODY_RESOURCE,
    });
    discovery = await discover(provider.issuer);
    custody = await startCustody(
      loadConfig({
        LOG_LEVEL: "silent",
        CUSTODY_PORT: "0",
        CUSTODY_DB_PATH: path.join(dir, "custody.sqlite"),
        CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
        CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
        CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
        CUSTODY_AUTH_MODE: "jwt",
        CUSTODY_JWKS_URL: discovery.jwks_uri,
        CUSTODY_JWT_ISSUER: discovery.issuer,
        CUSTODY_JWT_AUDIENCE: CUSTODY_AUDIENCE,
      }),
      { deployment, logger: createLogger("silent") },
    );
    for (const residentId of ["flat-7", "flat-8"]) assert.equal((await request(`${custody.url}/v1/residents`, { body: { residentId }, headers: registrar })).status, 201);
  });
  after(async () => {
    await custody?.stop();
    await provider?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("takes the access token the provider issued for custody's audience after a code flow with PKCE", async () => {
    assert.deepEqual(discovery.code_challenge_methods_supported, ["S256"]);
    const tokens = await signIn(discovery, { ...CLIENT, scope: "openid custody", resource: CUSTODY_RESOURCE }, "anna", "correct horse battery");
    const claims = JSON.parse(Buffer.from(tokens.access_token.split(".")[1]!, "base64url").toString());
    assert.deepEqual([claims.iss, claims.aud, claims.sub], [provider.issuer, CUSTODY_AUDIENCE, "flat-7"]);
    const r = await me(tokens.access_token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.residentId, "flat-7");
    // the ID token is the page's, not custody's: its audience is the client
    assert.deepEqual(await refusal(tokens.id_token), [401, "token_wrong_audience", "token_wrong_audience"]);
  });

  it("refuses a token the provider issued for another service's audience", async () => {
    const tokens = await signIn(discovery, { ...CLIENT, scope: "openid notices", resource: NOTIFIER_RESOURCE }, "boris", "another long secret");
    assert.equal(JSON.parse(Buffer.from(tokens.access_token.split(".")[1]!, "base64url").toString()).aud, "digital-home-notifier");
    assert.deepEqual(await refusal(tokens.access_token), [401, "token_wrong_audience", "token_wrong_audience"]);
  });

  it("refuses an access token of the provider once it has expired", async () => {
    const tokens = await signIn(discovery, { ...CLIENT, scope: "openid custody-short", resource: SHORT_RESOURCE }, "anna", "correct horse battery");
    const { exp } = JSON.parse(Buffer.from(tokens.access_token.split(".")[1]!, "base64url").toString());
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1100));
    assert.deepEqual(await refusal(tokens.access_token), [401, "token_expired", "token_expired"]);
  });

  it("refuses a token signed by a key the provider does not publish, even under its key id", async () => {
    const other = await generateKeyPair("ES256");
    const forged = await new SignJWT({ scope: "custody" })
      .setProtectedHeader({ alg: "ES256", kid: provider.signingKeys.ec.kid!, typ: "at+jwt" })
      .setIssuer(provider.issuer)
      .setAudience(CUSTODY_AUDIENCE)
      .setSubject("flat-7")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(other.privateKey);
    assert.deepEqual(await refusal(forged), [401, "token_unknown_key", "token_unknown_key"]);
    const unknownKid = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "someone-else" }).setIssuer(provider.issuer).setAudience(CUSTODY_AUDIENCE).setSubject("flat-7").setExpirationTime("5m").sign(other.privateKey);
    assert.deepEqual(await refusal(unknownKid), [401, "token_unknown_key", "token_unknown_key"]);
  });

  it("refuses a token from another issuer, though signed by a key custody trusts", async () => {
    const token = await providerSigned({ iss: "https://id.elsewhere.test", aud: CUSTODY_AUDIENCE, sub: "flat-7", iat: now(), exp: now() + 300 });
    assert.deepEqual(await refusal(token), [401, "token_wrong_issuer", "token_wrong_issuer"]);
    // the same claims with the provider's issuer pass: the issuer alone was wrong
    assert.equal((await me(await providerSigned({ iss: provider.issuer, aud: CUSTODY_AUDIENCE, sub: "flat-7", iat: now(), exp: now() + 300 }))).status, 200);
  });

  it("refuses an unsigned token (alg: none)", async () => {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const unsigned = `${part({ alg: "none", typ: "JWT" })}.${part({ iss: provider.issuer, aud: CUSTODY_AUDIENCE, sub: "flat-7", iat: now(), exp: now() + 300 })}.`;
    assert.deepEqual(await refusal(unsigned), [401, "token_algorithm_refused", "token_algorithm_refused"]);
    const hmac = await new SignJWT({ sub: "flat-7" }).setProtectedHeader({ alg: "HS256" }).setIssuer(provider.issuer).setAudience(CUSTODY_AUDIENCE).setExpirationTime("5m").sign(randomBytes(32));
    assert.deepEqual(await refusal(hmac), [401, "token_algorithm_refused", "token_algorithm_refused"]);
  });

  it("refuses a token that names no resident", async () => {
    const token = await providerSigned({ iss: provider.issuer, aud: CUSTODY_AUDIENCE, iat: now(), exp: now() + 300, scope: "custody" });
    assert.deepEqual(await refusal(token), [401, "token_no_subject", "token_no_subject"]);
    const odd = await providerSigned({ iss: provider.issuer, aud: CUSTODY_AUDIENCE, sub: "flat 7; drop", iat: now(), exp: now() + 300 });
    assert.deepEqual(await refusal(odd), [401, "token_no_subject", "token_no_subject"]);
  });

  it("names the resident by a configured claim instead of the subject when asked to", async () => {
    const byClaim = await startCustody(
      loadConfig({
        LOG_LEVEL: "silent",
        CUSTODY_PORT: "0",
        CUSTODY_DB_PATH: path.join(dir, "custody-claim.sqlite"),
        CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
        CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
        CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
        CUSTODY_AUTH_MODE: "jwt",
        CUSTODY_JWKS_URL: discovery.jwks_uri,
        CUSTODY_JWT_ISSUER: discovery.issuer,
        CUSTODY_JWT_AUDIENCE: CUSTODY_AUDIENCE,
        CUSTODY_JWT_SUBJECT_CLAIM: "resident_id",
      }),
      { deployment, logger: createLogger("silent") },
    );
    try {
      assert.equal((await request(`${byClaim.url}/v1/residents`, { body: { residentId: "flat-9" }, headers: registrar })).status, 201);
      const claims = { iss: provider.issuer, aud: CUSTODY_AUDIENCE, sub: "a1b2c3-opaque", iat: now(), exp: now() + 300 };
      const ok = await request(`${byClaim.url}/v1/me`, { headers: { authorization: `Bearer ${await providerSigned({ ...claims, resident_id: "flat-9" })}` } });
      assert.deepEqual([ok.status, ok.body.residentId], [200, "flat-9"]);
      const without = await request(`${byClaim.url}/v1/me`, { headers: { authorization: `Bearer ${await providerSigned(claims)}` } });
      assert.deepEqual([without.status, without.body.error.code], [401, "token_no_subject"], "the subject is not a fallback");
    } finally {
      await byClaim.stop();
    }
  });

  it("the provider refuses a code exchanged with another PKCE verifier, and redeems it once with the right one", async () => {
    const request = { ...CLIENT, scope: "openid custody", resource: CUSTODY_RESOURCE };
    const { code, state, sent, iss } = await authorize(discovery, request, "anna", "correct horse battery");
    assert.equal(state, sent.state, "the state comes back as sent");
    assert.equal(iss, provider.issuer, "the authorization response names its issuer");
    const wrong = await exchangeCode(discovery, request, code, randomBytes(32).toString("base64url"));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, "invalid_grant");
    assert.equal(wrong.body.access_token, undefined);
    // the verifier alone was wrong: the one the challenge was made from redeems the code, once
    const right = await exchangeCode(discovery, request, code, sent.verifier);
    assert.equal(right.status, 200, JSON.stringify(right.body));
    assert.equal((await me(right.body.access_token)).status, 200);
    const again = await exchangeCode(discovery, request, code, sent.verifier);
    assert.deepEqual([again.status, again.body.error], [400, "invalid_grant"], "a code is redeemed once");
  });

  it("the provider refuses a wrong password and issues no code", async () => {
    await assert.rejects(authorize(discovery, { ...CLIENT, scope: "openid custody", resource: CUSTODY_RESOURCE }, "anna", "wrong password"), /stopped at .* with 401/);
  });
});
