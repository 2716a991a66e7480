/**
 * The registrar and the keeper together, both real, on a finished meeting: a building's register is
 * imported through the registrar's API (its people onboarded at the real custody), a meeting is held
 * on chain, and the keeper — reading the registrar's annex over HTTP, in the one shape
 * lib/protocol/annex.ts defines — finalizes it, signs its protocol and stores it in the real document
 * store. The protocol carries the register's names and identity data, its signature verifies against
 * the operator's keys, every figure checks against the chain, and one byte changed fails the check.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider, JsonRpcSigner, Wallet, id, parseEther } from "ethers";
import { MeetingHall__factory } from "#typechain/index.js";
import { PROJECT_ROOT, writeDeployment, type Deployment } from "#lib/deployment.js";
import { packChoices } from "#lib/ballot.js";
import { Choice, MeetingType } from "#lib/domain.js";
import { DocumentsClient } from "#lib/documents-client.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import { createLogger } from "#lib/log.js";
import { parseAnnex } from "#lib/protocol/annex.js";
import { readOperatorRecord } from "#lib/protocol/operator-record.js";
import { parseJwks, verifyDetached } from "#lib/protocol/signer.js";
import { checkProtocolXml } from "#lib/protocol/verify.js";
import { ChainReader } from "#lib/recount/chain.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { deployDigitalHome } from "../../dev/deploy.js";
import { DEMO_AUDIENCES, startDemoDocuments, startDemoKeeper, startDemoRegistrar, waitForProtocol, type DemoDocuments, type DemoRegistrar } from "../../dev/services.js";
import { loadConfig as loadCustodyConfig } from "../../custody/src/config.js";
import { startCustody, type RunningCustody } from "../../custody/src/service.js";
import type { Keeper } from "../../keeper/src/service.js";

const EXAMPLE = path.join(PROJECT_ROOT, "registrar", "examples", "building.csv");

describe("the registrar's annex and the keeper, together", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let dir: string;
  let deployment: Deployment;
  let deploymentFile: string;
  let custody: RunningCustody;
  let documents: DemoDocuments;
  let registrar: DemoRegistrar;
  let keeper: Keeper;
  const custodyToken = randomBytes(24).toString("hex");

  before(async function () {
    chain = await startLocalChain({ port: 0, blockTimeMs: 0 });
    provider = new JsonRpcProvider(chain.url, undefined, { pollingInterval: 50, cacheTimeout: -1 });
    const funder = await provider.getSigner(0);
    const fresh = async () => {
      const w = Wallet.createRandom();
      await (await funder.sendTransaction({ to: w.address, value: parseEther("10") })).wait();
      return w;
    };
    const [registrarKey, keeperKey] = [await fresh(), await fresh()];
    deployment = await deployDigitalHome(funder, { network: "annex-test", registrar: registrarKey.address, parameters: { minNotice: 0, minWindow: 60, maxWindow: 10_000_000, maxOpenPerInitiator: 3 } });
    dir = await mkdtemp(path.join(tmpdir(), "annex-test-"));
    deploymentFile = await writeDeployment(deployment, path.join(dir, "deployment.json"));
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
      }),
      { deployment, logger: createLogger("silent") },
    );
    const access = { rpcUrl: chain.url, deploymentFile, dataDir: dir, logLevel: "silent" };
    documents = await startDemoDocuments(access, { port: 0, custodyUrl: custody.url });
    registrar = await startDemoRegistrar(access, { port: 0, chainKey: registrarKey.privateKey, custodyUrl: custody.url, custodyToken });
    keeper = await startDemoKeeper(access, {
      port: 0,
      chainKey: keeperKey.privateKey,
      registrarUrl: registrar.running.url,
      registrarToken: registrar.apiToken,
      documentsUrl: documents.running.url,
      documentsToken: documents.tokens.keeper,
    });
  });

  after(async function () {
    await keeper?.stop();
    await registrar?.running.stop();
    await documents?.running.stop();
    await custody?.stop();
    provider?.destroy();
    await chain?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** An account custody holds, sending as itself (the embedded chain lets a test speak for any address). */
  async function as(address: string): Promise<JsonRpcSigner> {
    await provider.send("hardhat_impersonateAccount", [address]);
    await provider.send("hardhat_setBalance", [address, "0xde0b6b3a7640000"]);
    return new JsonRpcSigner(provider, address);
  }

  it("files the protocol of a finished meeting with the registrar's annex, signed, every figure the chain's", async function () {
    const auth = { authorization: `Bearer ${registrar.apiToken}` };
    const started = await fetch(`${registrar.running.url}/v1/imports`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: await readFile(EXAMPLE) });
    expect(started.status).to.equal(202);
    const { importId } = (await started.json()) as { importId: string };
    for (let i = 0; ; i++) {
      const s = (await (await fetch(`${registrar.running.url}/v1/imports/${importId}`, { headers: auth })).json()) as { status: string; error?: unknown };
      if (s.status === "done") break;
      expect(s.status, JSON.stringify(s.error)).to.equal("running");
      expect(i).to.be.below(600);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { register } = (await (await fetch(`${registrar.running.url}/v1/buildings/1/register`, { headers: auth })).json()) as { register: { persons: Array<{ personId: string; address: string; name: string; identity: string }> } };
    const person = (personId: string) => register.persons.find((p) => p.personId === personId)!;
    const olga = person("smirnova.olga");
    const anna = person("ivanova.anna");

    // the owner of flat 2 announces and administers; she and a joint owner of flat 1 vote
    const wordings = ["Утвердить смету текущего ремонта на 2026 год", "Избрать совет дома"];
    const store = new DocumentsClient(documents.running.url, { token: documents.tokens.keeper });
    for (const w of wordings) await store.put(Buffer.from(w, "utf8"), { contentType: "text/plain; charset=utf-8", name: "question.txt" });
    const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, await as(olga.address));
    const now = (await provider.getBlock("latest"))!.timestamp;
    const type = questionTypeIndex(RULES_VERSIONS.at(-1)!, "other");
    await (await hall.announceMeeting(1n, MeetingType.Annual, olga.address, now + 2, now + 62, id("notice"), wordings.map((w) => ({ textRef: id(w), questionType: type })))).wait();
    const meetingId = await hall.meetingCount();
    await provider.send("evm_increaseTime", [5]);
    await provider.send("evm_mine", []);
    await (await hall.castBallot(meetingId, packChoices([Choice.For, Choice.For]))).wait();
    await (await hall.connect(await as(anna.address)).castBallot(meetingId, packChoices([Choice.Against, Choice.For]))).wait();
    await provider.send("evm_increaseTime", [120]);
    await provider.send("evm_mine", []);

    // the annex the keeper reads is the registrar's, in lib's shape
    const annex = await fetch(`${registrar.running.url}/v1/meetings/${meetingId}/annex`, { headers: auth });
    expect(annex.status).to.equal(200);
    const parsed = parseAnnex(await annex.json());
    expect(parsed.problems).to.deep.equal([]);
    expect(parsed.annex!.owners.find((o) => o.personId === "ivanova.anna")!.ownership).to.equal("joint");

    const files = await waitForProtocol(keeper.url, meetingId);
    expect((await hall.getMeeting(meetingId)).status).to.equal(3n, "finalized by the keeper");
    const xml = (await store.get(files.xml!.id))!;
    const text = xml.toString("utf8");
    for (const p of [olga, anna]) {
      expect(text).to.contain(p.name);
      expect(text).to.contain(p.identity);
    }
    // the operator's keys the keeper published verify both files' detached signatures
    const jwks = parseJwks((await readOperatorRecord(path.join(dir, "deployment.operator.json"))).protocolSigner.jwks);
    for (const role of ["xml", "pdf"] as const) {
      const bytes = (await store.get(files[role]!.id))!;
      const signature = (await store.get(files[`${role}Signature`]!.id))!.toString("utf8");
      expect(verifyDetached(bytes, signature, jwks).keyId).to.equal(keeper.keyId);
      const changed = Buffer.from(bytes);
      changed[changed.length >> 1] ^= 1;
      expect(() => verifyDetached(changed, signature, jwks)).to.throw(/signature/);
    }
    // and every figure is the chain's, the annex the register on chain at the snapshot
    const reader = new ChainReader(chain.url, deployment);
    try {
      const check = await checkProtocolXml(reader, xml);
      expect(check.meetingId).to.equal(meetingId);
      expect(check.differences).to.deep.equal([]);
    } finally {
      reader.provider.destroy();
    }
  });
});
