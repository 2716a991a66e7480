/**
 * Who may upload: a service with its own token, or a resident with a token of the identity provider
 * for this store's audience. No token, another scheme, an unknown token, a token for custody's or
 * the notifier's audience, an expired one, another issuer's or one signed by another key are all
 * refused 401 and store nothing; without an identity provider a resident's token is answered 503.
 * Logout revokes a token across a restart. And the whole path with the real custody service as the
 * identity provider: a resident signs in with a one-time code, custody's own token is refused here,
 * the token custody issues for this store's audience uploads.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { keccak256 } from "ethers";
import { PROJECT_ROOT, writeDeployment } from "#lib/deployment.js";
import { get, KEEPER_TOKEN, spawnDocuments, startIdentityProvider, startStore, tempDir, upload, type IdentityProvider, type StartedStore } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let idp: IdentityProvider;
let s: StartedStore;

before(async () => {
  tmp = tempDir();
  idp = await startIdentityProvider();
  s = await startStore(path.join(tmp.dir, "store"), { DOCUMENTS_JWKS_URL: idp.jwksUrl });
});

after(async () => {
  await s?.documents.stop();
  await idp?.close();
  tmp?.remove();
});

const text = (n: number) => `Вопрос для проверки входа номер ${n}`;
const stored = async (t: string) => (await get(`${s.url}/v1/documents/${keccak256(Buffer.from(t))}`)).status === 200;

describe("who may upload", () => {
  it("refuses an upload without credentials, or with another scheme or an unknown token, and stores nothing", async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ["no Authorization", {}],
      ["Basic", { authorization: `Basic ${Buffer.from(`keeper:${KEEPER_TOKEN}`).toString("base64")}` }],
      ["an unknown token", { authorization: "Bearer not-a-token-of-anyone-here" }],
      ["a service token with a character changed", { authorization: `Bearer ${KEEPER_TOKEN.slice(0, -1)}X` }],
    ];
    for (const [what, headers] of cases) {
      const put = await upload(s.url, text(1), { headers });
      assert.deepEqual([put.status, put.json.error.code], [401, "unauthenticated"], what);
    }
    assert.equal(await stored(text(1)), false);
  });

  it("refuses a resident's token for another audience, expired, of another issuer or signed by another key", async () => {
    const stranger = await startIdentityProvider();
    try {
      const cases: Array<[string, string]> = [
        ["custody's audience", await idp.token("flat-1", { audience: "digital-home-custody" })],
        ["the notifier's audience", await idp.token("flat-1", { audience: "digital-home-notifier" })],
        ["expired", await idp.token("flat-1", { expiresAt: Math.floor(Date.now() / 1000) - 120 })],
        ["another issuer", await idp.token("flat-1", { issuer: "someone-else" })],
        ["another key", await stranger.token("flat-1")],
      ];
      for (const [what, token] of cases) {
        const put = await upload(s.url, text(2), { token });
        assert.deepEqual([put.status, put.json.error.code], [401, "unauthenticated"], what);
      }
      assert.equal(await stored(text(2)), false);
      assert.equal((await upload(s.url, text(2), { token: await idp.token("flat-1") })).status, 201, "the store's own audience is accepted");
    } finally {
      await stranger.close();
    }
  });

  it("records a service by its name and a resident by their id", async () => {
    const byService = await upload(s.url, text(3), { token: KEEPER_TOKEN });
    assert.equal(byService.json.document.uploader, "service:keeper");
    const byResident = await upload(s.url, text(4), { token: await idp.token("flat-12") });
    assert.equal(byResident.json.document.uploader, "resident:flat-12");
    const meta = await get(`${s.url}/v1/documents/${byResident.json.document.id}/meta`, { headers: { authorization: `Bearer ${KEEPER_TOKEN}` } });
    assert.equal(meta.json.document.uploader, "resident:flat-12", "a service reads who uploaded");
    const refused = await get(`${s.url}/v1/documents/${byResident.json.document.id}/meta`, { headers: { authorization: "Bearer forged-token-abcdefghijklmnop" } });
    assert.equal(refused.status, 401, "a read that names a bad credential is refused, not answered as anonymous");
  });

  it("revokes a token at logout, still after a restart", async () => {
    const token = await idp.token("flat-5");
    assert.equal((await upload(s.url, text(5), { token })).status, 201);
    const out = await fetch(`${s.url}/v1/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
    assert.equal(out.status, 200);
    assert.equal((await upload(s.url, text(6), { token })).status, 401);
    await s.documents.stop();
    s = await startStore(path.join(tmp.dir, "store"), { DOCUMENTS_JWKS_URL: idp.jwksUrl });
    assert.equal((await upload(s.url, text(6), { token })).status, 401, "still revoked");
    assert.equal((await upload(s.url, text(6), { token: await idp.token("flat-5") })).status, 201);
  });

  it("answers a resident's token 503 when no identity provider is configured, and still takes services'", async () => {
    const alone = await startStore(path.join(tmp.dir, "no-idp"));
    try {
      const put = await upload(alone.url, text(7), { token: await idp.token("flat-1") });
      assert.deepEqual([put.status, put.json.error.code], [503, "auth_not_configured"]);
      assert.equal((await upload(alone.url, text(7), { token: KEEPER_TOKEN })).status, 201);
    } finally {
      await alone.documents.stop();
    }
  });
});

describe("with the real custody service as the identity provider", () => {
  const REGISTRAR = "registrar-token-for-documents-tests";
  let custody: ChildProcess | undefined;
  let custodyUrl: string;
  let store: ReturnType<typeof spawnDocuments> | undefined;
  let storeUrl: string;

  before(async () => {
    const deployment = await writeDeployment(
      {
        network: "documents-test",
        chainId: 31337,
        startBlock: 1,
        contracts: Object.fromEntries(
          ["BuildingRegistry", "MeetingHall", "LegalRules", "Forwarder"].map((name, i) => [name, { address: `0x${String(i + 1).repeat(40)}`, deploymentBlock: 1, transactionHash: `0x${"ab".repeat(32)}` }]),
        ) as never,
        parameters: { minNotice: 0, minWindow: 60, maxWindow: 3600, maxOpenPerInitiator: 3 },
        admin: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        registrar: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        deployedAt: new Date(0).toISOString(),
      },
      path.join(tmp.dir, "deployment.json"),
    );
    custody = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "custody/src/main.ts"], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        DEPLOYMENT: deployment,
        LOG_LEVEL: "silent",
        CUSTODY_PORT: "0",
        CUSTODY_DB_PATH: path.join(tmp.dir, "custody.sqlite"),
        CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
        CUSTODY_REGISTRAR_TOKEN: REGISTRAR,
        CUSTODY_REVEAL_OTP: "true",
        CUSTODY_DEMO_AUDIENCES: "digital-home-notifier,digital-home-documents",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    custodyUrl = await new Promise<string>((resolve, reject) => {
      createInterface({ input: custody!.stdout! }).on("line", (line) => {
        if (line.includes('"msg":"ready"')) resolve((JSON.parse(line) as { custodyUrl: string }).custodyUrl);
      });
      custody!.once("exit", (code) => reject(new Error(`custody exited with ${code}`)));
    });
    store = spawnDocuments([], {
      DOCUMENTS_PORT: "0",
      DOCUMENTS_DIR: path.join(tmp.dir, "with-custody"),
      DOCUMENTS_JWKS_URL: `${custodyUrl}/.well-known/jwks.json`,
      LOG_LEVEL: "silent",
    });
    const ready = await store.ready;
    assert.ok("ready" in ready, JSON.stringify(ready));
    storeUrl = ready.ready.documentsUrl as string;
  });

  after(async () => {
    for (const child of [store?.child, custody]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    }
  });

  const post = async (url: string, body: unknown, token?: string) => {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as any };
  };

  it("takes the token custody issues for the store's audience, and refuses custody's own", async () => {
    assert.equal((await post(`${custodyUrl}/v1/residents`, { residentId: "flat-21" }, REGISTRAR)).status, 201);
    const { json: code } = await post(`${custodyUrl}/v1/auth/code`, { residentId: "flat-21" });
    const { json: login } = await post(`${custodyUrl}/v1/auth/token`, { residentId: "flat-21", code: code.code });
    assert.equal(typeof login.token, "string");

    const withCustodyToken = await upload(storeUrl, text(21), { token: login.token });
    assert.deepEqual([withCustodyToken.status, withCustodyToken.json.error.code], [401, "unauthenticated"], "custody's own audience is refused");
    const forNotifier = await post(`${custodyUrl}/v1/auth/exchange`, { audience: "digital-home-notifier" }, login.token);
    assert.equal((await upload(storeUrl, text(21), { token: forNotifier.json.token })).status, 401, "the notifier's too");

    const exchanged = await post(`${custodyUrl}/v1/auth/exchange`, { audience: "digital-home-documents" }, login.token);
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.json));
    const put = await upload(storeUrl, text(21), { token: exchanged.json.token });
    assert.equal(put.status, 201, JSON.stringify(put.json));
    assert.equal(put.json.document.uploader, "resident:flat-21");
    assert.equal((await get(`${storeUrl}/v1/documents/${put.json.document.id}`)).bytes.toString("utf8"), text(21));
  });
});
