/**
 * Restricted documents against the real system: a chain with a building whose register the real
 * registrar imported (its people onboarded at the real custody, which signs residents in), a meeting
 * on it, and the store reading the chain and asking the registrar for each reader's account.
 *
 * - a protocol: the owners at the snapshot (sole, joint, shared, and one who has sold since), the
 *   initiator (an organisation) and the administrator read it; an owner who bought after the
 *   snapshot, a registered tenant, a stranger, no token: refused;
 * - a scan of a paper decision and a power of attorney's document: their uploader (also one the
 *   register does not know) and the administrator read them; other owners, the initiator, a stranger:
 *   refused; services read everything;
 * - public documents need no token; a bad access level is refused, and the same bytes keep the level
 *   they were first stored at.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { JsonRpcProvider, JsonRpcSigner, Wallet, id, keccak256, parseEther } from "ethers";
import { MeetingHall__factory } from "#typechain/index.js";
import { PROJECT_ROOT, writeDeployment, type Deployment } from "#lib/deployment.js";
import { MeetingType } from "#lib/domain.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import { createLogger } from "#lib/log.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { deployDigitalHome } from "../../dev/deploy.js";
import { DEMO_AUDIENCES, startDemoDocuments, startDemoRegistrar, type DemoDocuments, type DemoRegistrar } from "../../dev/services.js";
import { loadConfig as loadCustodyConfig } from "../../custody/src/config.js";
import { startCustody, type RunningCustody } from "../../custody/src/service.js";

const EXAMPLE = path.join(PROJECT_ROOT, "registrar", "examples", "building.csv");
const custodyToken = randomBytes(24).toString("hex");

let chain: LocalChain;
let provider: JsonRpcProvider;
let dir: string;
let deployment: Deployment;
let custody: RunningCustody;
let registrar: DemoRegistrar;
let documents: DemoDocuments;
let meetingId: bigint;
const tokens = new Map<string, string>();

async function call(url: string, init: { method?: string; token?: string; body?: string | Uint8Array; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.contentType) headers["content-type"] = init.contentType;
  const body = typeof init.body === "string" || init.body === undefined ? init.body : new Uint8Array(init.body).buffer;
  const res = await fetch(url, { method: init.method ?? "GET", headers, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, bytes, json };
}

/** A resident's token for the store's audience, from custody's demo sign-in. */
async function tokenOf(residentId: string): Promise<string> {
  const known = tokens.get(residentId);
  if (known) return known;
  const json = (path: string, body: unknown, token?: string) => call(`${custody.url}${path}`, { method: "POST", contentType: "application/json", body: JSON.stringify(body), token });
  const { code } = (await json("/v1/auth/code", { residentId })).json;
  const { token } = (await json("/v1/auth/token", { residentId, code })).json;
  const exchanged = await json("/v1/auth/exchange", { audience: "digital-home-documents" }, token);
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.json));
  tokens.set(residentId, exchanged.json.token);
  return exchanged.json.token;
}

async function importFile(bytes: Buffer) {
  const auth = registrar.apiToken;
  const started = await call(`${registrar.running.url}/v1/imports`, { method: "POST", token: auth, contentType: "text/csv", body: bytes });
  assert.equal(started.status, 202, JSON.stringify(started.json));
  for (let i = 0; ; i++) {
    const s = await call(`${registrar.running.url}/v1/imports/${started.json.importId}`, { token: auth });
    if (s.json.status === "done") return;
    assert.equal(s.json.status, "running", JSON.stringify(s.json.error));
    assert.ok(i < 600, "the import finished");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stores a document as `token` (a resident's or a service's) at the access level of `query`. */
function upload(bytes: Buffer, token: string, query: string) {
  return call(`${documents.running.url}/v1/documents?name=doc.pdf${query ? `&${query}` : ""}`, { method: "PUT", token, contentType: "application/octet-stream", body: bytes });
}

/** A small PDF the store accepts (the sniffer wants a header and the end marker). */
const pdf = (label: string) => Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${label}\ntrailer << /Root 1 0 R >>\n%%EOF\n`);

before(async () => {
  chain = await startLocalChain({ port: 0, blockTimeMs: 0 });
  provider = new JsonRpcProvider(chain.url, undefined, { pollingInterval: 50, cacheTimeout: -1 });
  const funder = await provider.getSigner(0);
  const registrarKey = Wallet.createRandom();
  await (await funder.sendTransaction({ to: registrarKey.address, value: parseEther("10") })).wait();
  deployment = await deployDigitalHome(funder, { network: "documents-access-test", registrar: registrarKey.address, parameters: { minNotice: 0, minWindow: 60, maxWindow: 10_000_000, maxOpenPerInitiator: 3 } });
  dir = await mkdtemp(path.join(tmpdir(), "documents-access-"));
  const deploymentFile = await writeDeployment(deployment, path.join(dir, "deployment.json"));
  custody = await startCustody(
    loadCustodyConfig({
      RPC_URL: chain.url,
      DEPLOYMENT: deploymentFile,
      LOG_LEVEL: "silent",
      CUSTODY_PORT: "0",
      CUSTODY_DB_PATH: path.join(dir, "custody.sqlite"),
      CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
      CUSTODY_REGISTRAR_TOKEN: custodyToken,
      CUSTODY_REVEAL_OTP: "true",
      CUSTODY_DEMO_AUDIENCES: DEMO_AUDIENCES,
      CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
      CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "0",
    }),
    { deployment, logger: createLogger("silent") },
  );
  const access = { rpcUrl: chain.url, deploymentFile, dataDir: dir, logLevel: "silent" };
  registrar = await startDemoRegistrar(access, { port: 0, chainKey: registrarKey.privateKey, custodyUrl: custody.url, custodyToken });
  documents = await startDemoDocuments(access, { port: 0, custodyUrl: custody.url, registrarUrl: registrar.running.url, registrarToken: registrar.apiToken });
  await importFile(await readFile(EXAMPLE));
  // people with custody accounts whom no register names: strangers, and a representative
  for (const residentId of ["stranger.1", "stranger.2", "representative.1"]) {
    const r = await call(`${custody.url}/v1/residents`, { method: "POST", token: custodyToken, contentType: "application/json", body: JSON.stringify({ residentId }) });
    assert.ok(r.status === 201, JSON.stringify(r.json));
  }

  // the management company announces; the owner of flats 2 and 8 administers
  const store = registrar.running.registrar.store;
  const organisation = store.person("uk.uyutny-dom")!.address;
  await provider.send("hardhat_impersonateAccount", [organisation]);
  await provider.send("hardhat_setBalance", [organisation, "0xde0b6b3a7640000"]);
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, new JsonRpcSigner(provider, organisation));
  const now = (await provider.getBlock("latest"))!.timestamp;
  await (await hall.announceMeeting(1n, MeetingType.Extraordinary, store.person("smirnova.olga")!.address, now + 5, now + 3600, id("notice"), [{ textRef: id("Вопрос"), questionType: questionTypeIndex(RULES_VERSIONS.at(-1)!, "other") }])).wait();
  meetingId = await hall.meetingCount();
  // after the snapshot, flat 7 is sold: its seller stays an owner at the snapshot, its buyer is not
  const sold = (await readFile(EXAMPLE, "utf8"))
    .replace(/^owner,(77:06:0004003:1056),,7,,,,,petrova\.nina,(.*)$/m, "owner,$1,,7,,,,,orlov.gleb,$2")
    .replace(/^(person,,,,,,,,petrova\.nina,.*)$/m, "$1\nperson,,,,,,,,orlov.gleb,Орлов Глеб Петрович,паспорт 45 21 000111,,,ru,,,,,");
  assert.match(sold, /orlov\.gleb,,,,,,1,sole/);
  await provider.send("evm_increaseTime", [10]);
  await importFile(Buffer.from(sold));
});

after(async () => {
  await documents?.running.stop();
  await registrar?.running.stop();
  await custody?.stop();
  provider?.destroy();
  await chain?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Each reader's answer for the document: 200 read, or the status and code of the refusal. */
async function answers(documentId: string, readers: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const reader of readers) {
    const token = reader === "(no token)" ? undefined : reader.startsWith("service:") ? documents.tokens[reader.slice(8) as "keeper"] : await tokenOf(reader);
    const r = await call(`${documents.running.url}/v1/documents/${documentId}`, { token });
    out[reader] = r.status === 200 ? "read" : `${r.status} ${r.json?.error?.code}`;
    if (r.status === 200) assert.equal(r.headers.get("cache-control"), "private, no-store", "a restricted document is never kept by a shared cache");
  }
  return out;
}

describe("restricted documents", () => {
  it("a protocol: the owners at the snapshot, the initiator and the administrator read it; nobody else", async () => {
    const bytes = pdf("protocol");
    const stored = await upload(bytes, documents.tokens.keeper, `access=restricted&purpose=protocol&meeting=${meetingId}`);
    assert.equal(stored.status, 201, JSON.stringify(stored.json));
    assert.deepEqual(stored.json.document.access, { level: "restricted", purpose: "protocol", meetingId: meetingId.toString() });
    assert.deepEqual(await answers(keccak256(bytes), ["smirnova.olga", "ivanov.petr", "kuznetsova.maria", "petrova.nina", "uk.uyutny-dom", "service:notifier", "orlov.gleb", "tenant.karimov", "stranger.1", "(no token)"]), {
      "smirnova.olga": "read", // the administrator, and an owner
      "ivanov.petr": "read", // a joint owner
      "kuznetsova.maria": "read", // a shared owner
      "petrova.nina": "read", // owned flat 7 at the snapshot, sold since
      "uk.uyutny-dom": "read", // the initiator, an organisation that owns nothing
      "service:notifier": "read",
      "orlov.gleb": "403 document_restricted", // bought flat 7 after the snapshot
      "tenant.karimov": "403 document_restricted", // a registered tenant, not an owner
      "stranger.1": "403 document_restricted", // signed in at custody, in no register
      "(no token)": "401 unauthenticated",
    });
    const meta = await call(`${documents.running.url}/v1/documents/${keccak256(bytes)}/meta`, { token: await tokenOf("stranger.1") });
    assert.equal(meta.status, 403, "nor its meta");
  });

  it("a scan of a paper decision and a power of attorney: their uploader and the administrator read them; nobody else", async () => {
    const scan = pdf("scan of a paper decision");
    assert.equal((await upload(scan, await tokenOf("lebedeva.elena"), `access=restricted&purpose=paper-decision&meeting=${meetingId}`)).status, 201);
    assert.deepEqual(await answers(keccak256(scan), ["lebedeva.elena", "smirnova.olga", "service:keeper", "popova.maria", "uk.uyutny-dom", "stranger.2"]), {
      "lebedeva.elena": "read",
      "smirnova.olga": "read",
      "service:keeper": "read",
      "popova.maria": "403 document_restricted", // another owner
      "uk.uyutny-dom": "403 document_restricted", // the initiator is not the administrator
      "stranger.2": "403 document_restricted",
    });
    // a representative the register does not know stores the power of attorney he holds
    const power = pdf("power of attorney");
    assert.equal((await upload(power, await tokenOf("representative.1"), `access=restricted&purpose=power-of-attorney&meeting=${meetingId}`)).status, 201);
    assert.deepEqual(await answers(keccak256(power), ["representative.1", "smirnova.olga", "ivanova.anna", "stranger.2"]), {
      "representative.1": "read",
      "smirnova.olga": "read",
      "ivanova.anna": "403 document_restricted",
      "stranger.2": "403 document_restricted",
    });
  });

  it("serves public documents to anyone, refuses a bad access level, and keeps the level the bytes were first stored at", async () => {
    const notice = Buffer.from("Уведомление о собрании", "utf8");
    const stored = await upload(notice, documents.tokens.keeper, "");
    assert.deepEqual(stored.json.document.access, { level: "public" });
    const read = await call(`${documents.running.url}/v1/documents/${keccak256(notice)}`);
    assert.equal(read.status, 200);
    assert.match(read.headers.get("cache-control") ?? "", /public/);
    const token = documents.tokens.keeper;
    const bytes = pdf("bad levels");
    for (const query of ["access=secret", "access=restricted", "access=restricted&purpose=protocol", "access=restricted&purpose=minutes&meeting=1", "access=restricted&purpose=protocol&meeting=0", "purpose=protocol&meeting=1", "access=public&meeting=1"]) {
      const r = await upload(bytes, token, query);
      assert.deepEqual([r.status, r.json.error.code], [400, "invalid_request"], query);
    }
    assert.equal((await call(`${documents.running.url}/v1/documents/${keccak256(bytes)}/meta`)).status, 404, "none of them stored anything");
    // the protocol's bytes again as public, the notice's as restricted: both refused, both unchanged
    const again = await upload(pdf("protocol"), token, "");
    assert.deepEqual([again.status, again.json.error.code, again.json.error.details.access.level], [409, "access_differs", "restricted"]);
    const tighter = await upload(notice, token, `access=restricted&purpose=protocol&meeting=${meetingId}`);
    assert.deepEqual([tighter.status, tighter.json.error.code], [409, "access_differs"]);
    assert.equal((await call(`${documents.running.url}/v1/documents/${keccak256(notice)}`)).status, 200);
    // the same level again is the same document
    assert.equal((await upload(pdf("protocol"), token, `access=restricted&purpose=protocol&meeting=${meetingId}`)).status, 200);
  });
});
