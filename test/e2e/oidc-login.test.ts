/**
 * A resident signs in at the city's OpenID Connect provider in headless Chromium: a real provider
 * (dev/oidc-provider.ts, panva's oidc-provider) with the page registered as a public client for its
 * redirect URI; the page runs the authorization code flow with PKCE, checks the ID token, presents
 * the access token to custody (jwt mode, verified against the provider's JWKS), which answers
 * /v1/me and signs a ballot that the relayer confirms on chain. Logout revokes the token at custody
 * and offers the provider's end-session URL. An answer that does not belong to the sign-in started
 * in the tab is refused. All under the page's Content-Security-Policy, which names the provider.
 */
import { expect } from "chai";
import { createServer } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import { createLogger } from "#lib/log.js";
import { listenOidcProvider, type ListeningOidcProvider, type RunningOidcProvider } from "../../dev/oidc-provider.js";
import { CHOICES, deployFixture, startChainProcess, type ChainProcess, type Fixture } from "../../relayer/test/helpers/chain.js";
import { REGISTRAR_TOKEN, startWithCustody, type RunningServices } from "../../relayer/test/helpers/services.js";
import { startWebServer, type WebServer } from "../../web/src/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CLIENT_ID = "digital-home-page";
const CUSTODY_RESOURCE = "https://custody.digital-home.test";
const CUSTODY_AUDIENCE = "digital-home-custody";
const USER = { username: "anna.petrova", password: "a long and real passphrase", residentId: "flat-7", name: "Anna Petrova" };

/** A port that was free a moment ago: the page's redirect URI names it before the web server listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

describe("signing in at an OpenID Connect provider from the web page", function () {
  this.timeout(300_000);
  let chain: ChainProcess;
  let fx: Fixture;
  let listening: ListeningOidcProvider;
  let provider: RunningOidcProvider;
  let services: RunningServices;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  let meetingId: bigint;
  const browserMessages: string[] = [];
  const tokenRequests: string[] = [];
  const authorizationRequests: string[] = [];

  before(async function () {
    chain = await startChainProcess(1000);
    fx = await deployFixture(chain.url, { voters: 1, meetings: 1 });
    listening = await listenOidcProvider();
    services = await startWithCustody(fx, {
      custody: {
        CUSTODY_AUTH_MODE: "jwt",
        CUSTODY_REVEAL_OTP: "false",
        // oidc-provider's JWKS path; checked against the discovery document below
        CUSTODY_JWKS_URL: `${listening.issuer}/jwks`,
        CUSTODY_JWT_ISSUER: listening.issuer,
        CUSTODY_JWT_AUDIENCE: CUSTODY_AUDIENCE,
        CUSTODY_TRUSTED_PROXIES: "127.0.0.1",
      },
    });
    const webPort = await freePort();
    web = await startWebServer({
      port: webPort,
      graphqlUrl: `${chain.url}/unused`,
      custodyUrl: services.custodyUrl!,
      relayerUrl: services.relayerUrl,
      logger: createLogger("silent"),
      oidc: { issuer: listening.issuer, clientId: CLIENT_ID, redirectUri: `http://127.0.0.1:${webPort}/`, scope: "openid profile custody", resource: CUSTODY_RESOURCE },
    });
    expect(web.url).to.equal(`http://127.0.0.1:${webPort}`);
    provider = await listening.start({
      clients: [{ clientId: CLIENT_ID, redirectUris: [`${web.url}/`], postLogoutRedirectUris: [`${web.url}/`] }],
      users: [USER],
      resources: [{ indicator: CUSTODY_RESOURCE, audience: CUSTODY_AUDIENCE, scope: "custody" }],
    });
    const discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    expect(discovery.jwks_uri).to.equal(`${listening.issuer}/jwks`);

    const onboarded = await fetch(`${services.custodyUrl}/v1/residents`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${REGISTRAR_TOKEN}` },
      body: JSON.stringify({ residentId: USER.residentId }),
    });
    expect(onboarded.status).to.equal(201);
    await fx.addOwners([((await onboarded.json()) as { address: string }).address]);
    meetingId = await fx.announce();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    page = await browser.newPage();
    page.on("console", (m) => browserMessages.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (err) => browserMessages.push(`pageerror: ${err.message}`));
    page.on("request", (r) => {
      if (r.url().startsWith(`${listening.issuer}/token`)) tokenRequests.push(r.postData() ?? "");
      if (r.url().startsWith(`${listening.issuer}/auth?`)) authorizationRequests.push(r.url());
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(`what the browser reported:\n${browserMessages.join("\n")}`);
  });

  after(async function () {
    await browser?.close();
    await web?.close();
    await services?.stop();
    await listening?.stop();
    fx?.cleanup();
    await chain?.stop();
  });

  it("names the provider's origin, and only it, in the page's Content-Security-Policy", async function () {
    const csp = (await fetch(`${web.url}/`)).headers.get("content-security-policy") ?? "";
    expect(csp).to.include(`connect-src 'self' ${listening.issuer};`);
    expect(csp).to.include(`form-action 'self' ${listening.issuer};`);
    expect(csp).to.include("script-src 'self';");
    const login = await (await fetch(`${web.url}/api/login`)).json();
    expect(login).to.deep.equal({ mode: "oidc", issuer: listening.issuer, clientId: CLIENT_ID, redirectUri: `${web.url}/`, scope: "openid profile custody", resource: CUSTODY_RESOURCE });
  });

  it("refuses an answer that does not belong to a sign-in started in this tab", async function () {
    await page.goto(`${web.url}/?code=forged-code&state=forged-state`);
    await page.waitForSelector("#login-status:has-text('no sign-in was started')");
    expect(page.url()).to.equal(`${web.url}/#/login`, "the answer is gone from the address");
    expect(tokenRequests).to.deep.equal([], "no code was exchanged");
    expect(await page.evaluate(() => sessionStorage.getItem("dh-session"))).to.equal(null);
  });

  it("signs the resident in with the code flow and PKCE, and custody answers /v1/me with the access token", async function () {
    await page.goto(`${web.url}/#/login`);
    await page.click("#sign-in-oidc");
    await page.waitForURL((u) => u.origin === listening.issuer);
    expect(authorizationRequests).to.have.length(1);
    const authorization = new URL(authorizationRequests[0]!);
    expect(authorization.searchParams.get("redirect_uri")).to.equal(`${web.url}/`);
    expect(authorization.searchParams.get("resource")).to.equal(CUSTODY_RESOURCE);
    await page.fill("#username", USER.username);
    await page.fill("#password", "not the password");
    await page.click("#sign-in-provider");
    await page.waitForSelector("#login-error");
    await page.fill("#username", USER.username);
    await page.fill("#password", USER.password);
    await page.click("#sign-in-provider");
    await page.waitForFunction(() => sessionStorage.getItem("dh-session") !== null, undefined, { timeout: 30_000 });
    expect(new URL(page.url()).search).to.equal("", "the code is gone from the address");
    expect(await page.locator("#who").innerText()).to.include(USER.residentId);

    // what the page sent: S256 and a verifier that matches the challenge sent to the authorization endpoint
    expect(tokenRequests).to.have.length(1);
    const exchange = new URLSearchParams(tokenRequests[0]);
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(exchange.get("code_verifier")!).digest("base64url")).to.equal(authorization.searchParams.get("code_challenge"));
    expect(authorization.searchParams.get("code_challenge_method")).to.equal("S256");
    expect(exchange.get("client_id")).to.equal(CLIENT_ID);
    expect(authorization.searchParams.get("state")).to.match(/^[A-Za-z0-9_-]{20,}$/);
    expect(authorization.searchParams.get("nonce")).to.match(/^[A-Za-z0-9_-]{20,}$/);

    const session = JSON.parse((await page.evaluate(() => sessionStorage.getItem("dh-session")))!);
    const access = claimsOf(session.token);
    expect([access.iss, access.aud, access.sub]).to.deep.equal([listening.issuer, CUSTODY_AUDIENCE, USER.residentId]);
    expect(claimsOf(session.idToken).nonce).to.equal(authorization.searchParams.get("nonce"));
    const me = await fetch(`${web.url}/api/custody/v1/me`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(me.status).to.equal(200);
    expect(((await me.json()) as { residentId: string }).residentId).to.equal(USER.residentId);
  });

  it("has custody sign the resident's ballot, which the relayer confirms", async function () {
    const ballot = await page.evaluate(
      async ({ meeting, choices, module }) => {
        const api = await import(module);
        return api.custody.vote(api.session.get().token, meeting, choices);
      },
      { meeting: meetingId.toString(), choices: CHOICES.toString(), module: "/api.js" },
    );
    expect(ballot.id).to.match(/^0x[0-9a-f]{64}$/);
    let status = "";
    for (let i = 0; i < 240 && status !== "confirmed" && status !== "rejected"; i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = ((await (await fetch(`${web.url}/api/relayer/v1/ballots/${ballot.id}`)).json()) as { status: string }).status;
    }
    expect(status).to.equal("confirmed");
  });

  it("logs out by revoking the token at custody, and offers the provider's end-session URL", async function () {
    const session = JSON.parse((await page.evaluate(() => sessionStorage.getItem("dh-session")))!);
    await page.click("#auth");
    await page.waitForSelector("#end-session");
    expect(await page.evaluate(() => sessionStorage.getItem("dh-session"))).to.equal(null);
    const end = new URL((await page.locator("#end-session").getAttribute("href"))!);
    expect(end.origin).to.equal(listening.issuer);
    expect(end.searchParams.get("client_id")).to.equal(CLIENT_ID);
    expect(end.searchParams.get("id_token_hint")).to.equal(session.idToken);
    expect(end.searchParams.get("post_logout_redirect_uri")).to.equal(`${web.url}/`);
    const me = await fetch(`${web.url}/api/custody/v1/me`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(me.status).to.equal(401);
    expect(((await me.json()) as { error: { code: string } }).error.code).to.equal("unauthenticated");
    await page.click("#end-session");
    await page.waitForURL((u) => u.origin === listening.issuer);
  });

  it("ran the page under its Content-Security-Policy with nothing refused", function () {
    const refused = browserMessages.filter((m) => /Content Security Policy|Refused to/i.test(m));
    expect(refused, refused.join("\n")).to.deep.equal([]);
  });
});
