/** How the web server tells the page to sign in, and the one other origin its policy then allows. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { checkOidcLogin } from "../src/login-config.js";
import { contentSecurityPolicy } from "../src/security-headers.js";
import { startWebServer } from "../src/server.js";

const login = { issuer: "https://id.city.example/realms/residents", clientId: "digital-home-page", redirectUri: "https://vote.city.example/", scope: "openid custody", resource: "https://custody.city.example" };

function problems(value: Parameters<typeof checkOidcLogin>[0]): string[] {
  try {
    checkOidcLogin(value);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

describe("the page's login configuration", () => {
  it("allows the provider's origin, not its path, in connect-src and form-action, and nothing more", () => {
    const { providerOrigin } = checkOidcLogin(login);
    assert.equal(providerOrigin, "https://id.city.example");
    assert.equal(
      contentSecurityPolicy(providerOrigin),
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://id.city.example; font-src 'self'; base-uri 'none'; form-action 'self' https://id.city.example; frame-ancestors 'none'",
    );
    assert.equal(contentSecurityPolicy(), contentSecurityPolicy(undefined));
    assert.match(contentSecurityPolicy(), /connect-src 'self';/);
  });

  it("refuses a provider over plain http off loopback, credentials in a URL, a scope without openid and a malformed client id", () => {
    assert.deepEqual(problems({ ...login, issuer: "http://id.city.example" }), ["oidc.issuer: got 'http://id.city.example', expected an https URL (http only on 127.0.0.1, ::1 or localhost)"]);
    assert.deepEqual(problems({ ...login, issuer: "http://127.0.0.1:9000" }), []);
    assert.deepEqual(problems({ ...login, redirectUri: "https://user:pw@vote.city.example/" }), ["oidc.redirectUri: got 'https://user:pw@vote.city.example/', expected a URL without credentials or fragment"]);
    assert.deepEqual(problems({ ...login, scope: "custody profile" }), ["oidc.scope: got 'custody profile', expected space-separated scopes including openid"]);
    assert.deepEqual(problems({ ...login, clientId: "a client" }), ["oidc.clientId: got 'a client', expected 1–200 printable characters"]);
    assert.deepEqual(problems({ ...login, resource: "not a uri" }), ["oidc.resource: got 'not a uri', expected an absolute URI (RFC 8707)"]);
  });

  it("serves the page its login mode, one-time codes unless a provider is configured", async () => {
    const base = { graphqlUrl: "http://127.0.0.1:1/graphql", custodyUrl: "http://127.0.0.1:1", relayerUrl: "http://127.0.0.1:1", logger: createLogger("silent") };
    const plain = await startWebServer(base);
    const withProvider = await startWebServer({ ...base, oidc: login });
    try {
      assert.deepEqual(await (await fetch(`${plain.url}/api/login`)).json(), { mode: "code" });
      const answer = await fetch(`${withProvider.url}/api/login`);
      assert.deepEqual(await answer.json(), { mode: "oidc", ...login });
      assert.match(answer.headers.get("content-security-policy") ?? "", /connect-src 'self' https:\/\/id\.city\.example;/);
    } finally {
      await plain.close();
      await withProvider.close();
    }
    await assert.rejects(startWebServer({ ...base, oidc: { ...login, issuer: "ftp://id" } }), ConfigError);
  });
});
