/**
 * The keeper as the operator runs it: a child process against a real chain, the registrar's and the
 * document store's APIs served over HTTP. Two meetings and a poll close one after another; the keeper
 * is killed (SIGKILL) twice while it works and started again on the same database. Each meeting is
 * finalized once by the keeper's one transaction, each protocol produced once; the protocol's XML and
 * PDF, read back, state the figures of `npm run audit -- recount`; its signatures verify with the
 * operator's published key (and with jose, an independent JWS implementation), and a one-byte change
 * to either file fails `npm run audit -- protocol --verify`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Interface, Wallet, id } from "ethers";
import { createLocalJWKSet, flattenedVerify } from "jose";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { MeetingHall__factory } from "#typechain/index.js";
import { PROJECT_ROOT, writeDeployment } from "#lib/deployment.js";
import { squareMetres } from "#lib/protocol/format.js";
import { readOperatorRecord } from "#lib/protocol/operator-record.js";
import { validateProtocolXml } from "#lib/protocol/protocol-xml.js";
import { child, childrenNamed, readXml } from "#lib/protocol/xml.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { advanceTo, deployWorld, fund, type World } from "../../dev/scenario.js";
import { DOCUMENTS_TOKEN, REGISTRAR_TOKEN, startDocumentsApi, startRegistrarApi, upload, type DocumentsApi, type RegistrarApi } from "./helpers/apis.js";
import { startKeeperProcess, waitFor, type KeeperProcess } from "./helpers/process.js";
import { buildScene, type Scene } from "./helpers/world.js";

const hallInterface = new Interface(MeetingHall__factory.abi);

let chain: LocalChain;
let world: World;
let registrar: RegistrarApi;
let documents: DocumentsApi;
let dir: string;
let deploymentFile: string;
let scene: Scene;
let keeperKey: Wallet;
let env: Record<string, string>;

function audit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", path.join(PROJECT_ROOT, "scripts", "audit.ts"), ...args, "--rpc", chain.url, "--deployment", deploymentFile], { cwd: PROJECT_ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

async function health(keeper: KeeperProcess) {
  return (await (await fetch(`${keeper.url}/v1/health`)).json()) as { sends: Record<string, number>; meetings: Record<string, number>; protocols: Record<string, number> };
}

async function pdfText(bytes: Buffer): Promise<string> {
  const pdf = await getDocument({ data: new Uint8Array(bytes) }).promise;
  let text = "";
  for (let p = 1; p <= pdf.numPages; p++) {
    const content = await (await pdf.getPage(p)).getTextContent();
    text += content.items.map((i) => ("str" in i ? i.str : "")).join(" ") + "\n";
  }
  return text;
}

before(async () => {
  chain = await startLocalChain({ port: 0 });
  world = await deployWorld(chain.url);
  dir = await mkdtemp(path.join(tmpdir(), "dh-keeper-"));
  deploymentFile = path.join(dir, "scenario.json");
  await writeDeployment(world.deployment, deploymentFile);
  [registrar, documents] = await Promise.all([startRegistrarApi(), startDocumentsApi()]);
  scene = await buildScene(world, 41, [300, 600, 900]);
  for (const m of scene.meetings) {
    registrar.annexes.set(m.meetingId.toString(), { meetingId: m.meetingId.toString(), ...scene.annex });
    for (const q of m.agenda) await upload(documents, q.text, "agenda.txt");
  }
  keeperKey = new Wallet(id("keeper test chain key"), world.provider);
  await fund(world, [keeperKey]);
  const keyFile = path.join(dir, "keeper-chain.key");
  await writeFile(keyFile, keeperKey.privateKey + "\n", { mode: 0o600 });
  await chmod(keyFile, 0o600);
  env = {
    KEEPER_RPC_URL: chain.url,
    DEPLOYMENT: deploymentFile,
    KEEPER_PORT: "0",
    KEEPER_DB_PATH: path.join(dir, "keeper.sqlite"),
    KEEPER_CHAIN_KEY_FILE: keyFile,
    KEEPER_SIGNING_KEY_FILE: path.join(dir, "signing", "key.pem"),
    KEEPER_REGISTRAR_URL: registrar.url,
    KEEPER_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
    KEEPER_DOCUMENTS_URL: documents.url,
    KEEPER_DOCUMENTS_TOKEN: DOCUMENTS_TOKEN,
    KEEPER_PROTOCOLS_DIR: path.join(dir, "protocols"),
    KEEPER_POLL_INTERVAL_MS: "100",
    LOG_LEVEL: "info",
  };
});

after(async () => {
  await registrar?.close();
  await documents?.close();
  world?.provider.destroy();
  await chain?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("keeper", () => {
  const protocols = new Map<string, { documents: Record<string, { id: string; name: string }> }>();

  it("finalizes each meeting once after its window and produces each protocol once, though killed twice while it works", async () => {
    const [m1, m2, m3] = scene.meetings;
    let keeper = await startKeeperProcess(env);
    try {
      // nothing is due before the first window closes
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await health(keeper)).sends.sent ?? 0, 0);
      await advanceTo(world, m1.votingEnd);
      await waitFor("the first meeting finalized", async () => ((await world.hall.getMeeting(m1.meetingId)).status === 3n ? true : undefined));
      await keeper.kill();

      await advanceTo(world, m2.votingEnd);
      keeper = await startKeeperProcess(env);
      await waitFor("the second meeting finalized", async () => ((await world.hall.getMeeting(m2.meetingId)).status === 3n ? true : undefined));
      await keeper.kill();

      await advanceTo(world, m3.votingEnd);
      keeper = await startKeeperProcess(env);
      await waitFor("three protocols", async () => ((await health(keeper)).protocols.produced === 3 ? true : undefined), 120_000);
      const h = await health(keeper);
      assert.deepEqual(h.meetings, { finalized: 3 });
      assert.deepEqual(h.sends, { confirmed: 3 });
      for (const m of scene.meetings) {
        const res = await fetch(`${keeper.url}/v1/meetings/${m.meetingId}/protocol`);
        assert.equal(res.status, 200);
        protocols.set(m.meetingId.toString(), (await res.json()) as { documents: Record<string, { id: string; name: string }> });
      }
      // a restart after everything is done sends and stores nothing more
      const uploadsBefore = documents.uploads.length;
      await keeper.kill();
      keeper = await startKeeperProcess(env);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual((await health(keeper)).sends, { confirmed: 3 });
      assert.equal(documents.uploads.length, uploadsBefore);
      assert.equal(await keeper.stop(), 0, "SIGTERM stops it cleanly");
    } finally {
      if (keeper.child.exitCode === null) await keeper.kill();
    }

    // the keeper's account sent exactly one transaction a meeting, each its finalize, none failed
    assert.equal(await world.provider.getTransactionCount(keeperKey.address, "latest"), 3);
    const finalized = await world.provider.getLogs({ address: world.deployment.contracts.MeetingHall.address, topics: [hallInterface.getEvent("MeetingFinalized")!.topicHash], fromBlock: 0 });
    assert.equal(finalized.length, 3);
    for (const log of finalized) {
      const tx = await world.provider.getTransaction(log.transactionHash);
      assert.equal(tx!.from, keeperKey.address);
    }
    // each protocol built once: one XML and one PDF a meeting ever stored
    for (const m of scene.meetings) {
      const xmls = new Set(documents.uploads.filter((u) => u.name === `protocol-${m.meetingId}.xml`).map((u) => u.id));
      const pdfs = new Set(documents.uploads.filter((u) => u.name === `protocol-${m.meetingId}.pdf`).map((u) => u.id));
      assert.equal(xmls.size, 1, `one XML of meeting ${m.meetingId}`);
      assert.equal(pdfs.size, 1, `one PDF of meeting ${m.meetingId}`);
      assert.equal(protocols.get(m.meetingId.toString())!.documents.xml.id, [...xmls][0]);
      assert.equal(documents.documents.get([...xmls][0])!.type, "application/xml");
    }
  });

  it("states in the XML and the PDF the figures of the audit recount, with the annexes from the registrar", async () => {
    for (const m of scene.meetings) {
      const recount = JSON.parse((await audit(["recount", String(m.meetingId), "--json"])).stdout);
      assert.deepEqual(recount.differences, []);
      const docs = protocols.get(m.meetingId.toString())!.documents;
      const xml = readXml(documents.documents.get(docs.xml.id)!.bytes.toString("utf8"));
      assert.deepEqual(validateProtocolXml(xml), [], "the XML conforms to its schema");
      assert.equal(xml.attributes.kind, m.poll ? "poll" : "meeting");
      assert.equal(child(xml, "Number")!.text, String(m.meetingId));
      const votes = child(xml, "Votes")!.attributes;
      assert.equal(votes.totalWeight, recount.totalWeight);
      assert.equal(votes.participatingWeight, recount.participatingWeight);
      assert.equal(Number(votes.ballots), recount.countedBallots);
      if (!m.poll) assert.equal(votes.quorumReached, String(recount.quorumReached));
      const questions = childrenNamed(child(xml, "Agenda")!, "Question");
      assert.equal(questions.length, recount.questions.length);
      recount.questions.forEach((q: { forWeight: string; againstWeight: string; abstainWeight: string; passed: boolean }, i: number) => {
        const x = questions[i];
        assert.equal(child(x, "For")!.attributes.weight, q.forWeight);
        assert.equal(child(x, "Against")!.attributes.weight, q.againstWeight);
        assert.equal(child(x, "Abstain")!.attributes.weight, q.abstainWeight);
        assert.equal(child(x, "Wording")!.text, m.agenda[i].text);
        if (m.poll) {
          assert.equal(child(x, "Decision"), undefined, "a poll's result is no decision");
          assert.equal(child(x, "PollResult")!.attributes.majorityFor, String(q.passed));
        } else assert.equal(child(x, "Decision")!.attributes.passed, String(q.passed));
      });
      const annexes = child(xml, "Annexes")!;
      assert.equal(childrenNamed(child(annexes, "RegisterOfOwners")!, "Owner").length, scene.annex.owners.length);
      const participants = childrenNamed(child(annexes, "Participants")!, "Participant");
      assert.equal(participants.length, recount.countedBallots);
      assert.ok(participants.every((p) => child(p, "Name")?.text && child(p, "Identity")?.text), "every participant identified");
      assert.equal(child(child(xml, "Building")!, "Address")!.text, scene.annex.building.address);

      const text = await pdfText(documents.documents.get(docs.pdf.id)!.bytes);
      assert.ok(text.includes(m.poll ? "ИТОГИ ОПРОСА ЖИТЕЛЕЙ" : "ПРОТОКОЛ общего собрания собственников"));
      assert.ok(text.includes(scene.annex.building.address));
      for (const q of recount.questions as Array<{ forWeight: string; againstWeight: string }>) {
        const amount = (w: string) => (m.poll ? w : squareMetres(BigInt(w)));
        assert.ok(text.includes(amount(q.forWeight)), `PDF states For ${amount(q.forWeight)}`);
        assert.ok(text.includes(amount(q.againstWeight)), `PDF states Against ${amount(q.againstWeight)}`);
      }
      assert.ok(text.includes(m.poll ? recount.totalWeight : squareMetres(BigInt(recount.totalWeight))));
      if (m.poll) for (const word of ["ПРОТОКОЛ", "ПРИНЯТО", "Кворум"]) assert.ok(!text.includes(word), `a poll's result does not say ${word}`);
    }
  });

  it("signs both files with the operator's published key: they verify, and a one-byte change fails", async () => {
    const record = await readOperatorRecord(path.join(dir, "scenario.operator.json"));
    const jwks = createLocalJWKSet(record.protocolSigner.jwks as unknown as Parameters<typeof createLocalJWKSet>[0]);
    const m = scene.meetings[0];
    const docs = protocols.get(m.meetingId.toString())!.documents;
    const out = path.join(dir, "downloaded");
    await rm(out, { recursive: true, force: true });
    await (await import("node:fs/promises")).mkdir(out);
    for (const role of ["xml", "pdf"] as const) {
      const bytes = documents.documents.get(docs[role].id)!.bytes;
      const signature = documents.documents.get(docs[`${role}Signature`].id)!.bytes.toString("utf8");
      const [protectedHeader, , sig] = signature.split(".");
      // an independent implementation agrees
      const verified = await flattenedVerify({ protected: protectedHeader, payload: Buffer.from(bytes).toString("base64url"), signature: sig }, jwks);
      assert.equal(verified.protectedHeader?.cty, role === "xml" ? "application/xml" : "application/pdf");
      const file = path.join(out, docs[role].name);
      await writeFile(file, bytes);
      await writeFile(`${file}.jws`, signature);
      const ok = await audit(["protocol", "--verify", file]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /signature valid, key .* \(from the operator record/);
      assert.match(ok.stdout, /every figure agrees with the chain/);

      // one byte changed: a figure of the first question
      const changed = Buffer.from(bytes);
      if (role === "xml") {
        const at = changed.indexOf('participationPercent="') + 'participationPercent="'.length;
        changed[at] = changed[at] === 0x39 ? 0x38 : changed[at] + 1;
      } else {
        changed[Math.floor(changed.length / 2)] ^= 0x01;
      }
      await writeFile(file, changed);
      const bad = await audit(["protocol", "--verify", file, "--json"]);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      const report = JSON.parse(bad.stdout);
      assert.equal(report.signature.valid, false);
      assert.ok(report.differences.some((d: { field: string }) => d.field === "signature_mismatch"));
      if (role === "xml") assert.ok(report.differences.some((d: { where: string; field: string }) => d.where === "/Protocol/Votes[1]" && d.field === "@participationPercent"), JSON.stringify(report.differences));
    }
    // unsigned: exit 2
    const lone = path.join(out, "unsigned.xml");
    await writeFile(lone, documents.documents.get(docs.xml.id)!.bytes);
    assert.equal((await audit(["protocol", "--verify", lone])).code, 2);
  });

  it("answers where a protocol stands, refuses malformed ids and serves its public keys", async () => {
    const keeper = await startKeeperProcess(env);
    try {
      assert.equal((await fetch(`${keeper.url}/v1/meetings/abc/protocol`)).status, 400);
      const unknown = await fetch(`${keeper.url}/v1/meetings/999/protocol`);
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "unknown_meeting");
      const keys = (await (await fetch(`${keeper.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kty: string; d?: string }> };
      assert.equal(keys.keys[0].kty, "OKP");
      assert.equal(keys.keys[0].d, undefined, "no private part");
      const key = await (await import("node:fs/promises")).stat(env.KEEPER_SIGNING_KEY_FILE);
      assert.equal(key.mode & 0o777, 0o600, "the signing key is the owner's only");
    } finally {
      await keeper.stop();
    }
  });
});
