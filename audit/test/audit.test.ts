/**
 * The audit tool run as a user runs it (a child process talking JSON-RPC to a real node), on meetings
 * with random ownership layouts: sole owners, co-owners and joint owners racing for their joint
 * holding, representatives under powers of attorney (valid, out of date, revoked; before and after
 * their principal), paper decisions with void and unanswered questions entered by an administrator
 * without ether, an initiator without ether announcing through the forwarder, a sale during voting,
 * rejected and discarded ballots, random histories that mix all of it, and a poll. A node that alters
 * one event (a representative swapped, a void mask flipped, a joint group's holder changed, a rules
 * version's rule changed) is caught and named.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Interface, Wallet, ZeroAddress, id, type TransactionReceipt } from "ethers";
import { DatabaseSync } from "node:sqlite";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { BuildingRegistry__factory, LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";
import { QueryNode } from "../../query-node/src/query-node.js";
import { loadConfig as loadDocumentsConfig } from "../../documents/src/config.js";
import { startDocuments } from "../../documents/src/service.js";
import { DocumentsClient } from "#lib/documents-client.js";
import { encodeBigInt } from "../../query-node/src/store/codec.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { PROJECT_ROOT, contractSources, writeDeployment } from "#lib/deployment.js";
import { ballotDigest, ballotDomain } from "#lib/ballot.js";
import { Choice, MAJORITY_OF_PARTICIPANTS, RuleBase, SHARE_UNIT } from "#lib/domain.js";
import { RULES_2024_09_01, questionTypeIndex } from "#lib/legal-rules.js";
import {
  QUESTION_SETS,
  advance,
  allAnswered,
  announce,
  deployWorld,
  enterPaper,
  finalize,
  fund,
  holdersOf,
  paperDecision,
  random,
  randomChoices,
  randomQuestions,
  randomVoting,
  recordPower,
  registerBuilding,
  relay,
  revokePower,
  signBallot,
  latestTimestamp,
  type Building,
  type SignedBallot,
  type World,
} from "../../dev/scenario.js";
import { alterEvent, startTamperingRpc, type Tamper } from "./helpers/tampering-rpc.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function audit(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", "audit.ts"), ...args],
      { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const hallInterface = new Interface(MeetingHall__factory.abi);
const registryInterface = new Interface(BuildingRegistry__factory.abi);
const rulesInterface = new Interface(LegalRules__factory.abi);

describe("audit tool", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let world: World;
  let dir: string;
  let deploymentFile: string;
  let common: string[];
  const meetings: Record<string, bigint> = {};
  const randomMeetings: bigint[] = [];
  let relayedTx = "";
  let discardedTx = "";
  let representativeTx = "";
  let paperTx = "";
  let countedBallotId = "";
  let a: Building;
  const person = (name: string) => new Wallet(id(`audit test ${name}`), world.provider);
  let cast: Record<string, Wallet>;

  /** Whether `voter`'s own ballot (or a representative's) could count now. */
  const canCount = async (meetingId: bigint, voter: string, questionCount = 4) => (await world.hall.checkBallot(meetingId, voter, ZeroAddress, 0n, allAnswered(questionCount)))[0];

  before(async function () {
    chain = await startLocalChain({ port: 0 });
    world = await deployWorld(chain.url);
    dir = await mkdtemp(path.join(tmpdir(), "dh-audit-"));
    deploymentFile = path.join(dir, "scenario.json");
    await writeDeployment(world.deployment, deploymentFile);
    common = ["--rpc", chain.url, "--deployment", deploymentFile];

    const rnd = random(7);
    const questions = QUESTION_SETS.courtyard;
    a = await registerBuilding(world, 101, 60, 40, 6, { joint: 0.1 });
    const b = await registerBuilding(world, 202, 15, 10, 0);

    // the people of the special cases, each with premises of their own
    cast = Object.fromEntries(
      ["initiator", "admin", "j", "k", "p", "q", "l", "r1", "r2", "r3", "r4", "r5", "paper1", "paper2", "rep1", "rep2", "rep3", "buyer"].map((n) => [n, person(n)]),
    );
    const c = cast;
    const sole = (w: Wallet, area: number) => ({ area: BigInt(area), kind: 0, ref: id(`audit ${w.address}`), holdings: [{ holders: [w.address], share: SHARE_UNIT }] });
    await (
      await world.registry.addPremises(a.buildingId, [
        sole(c.initiator, 4200),
        { area: 4000n, kind: 0, ref: id("audit joint J K"), holdings: [{ holders: [c.j.address, c.k.address], share: SHARE_UNIT }] },
        sole(c.j, 1000),
        { area: 3000n, kind: 2, ref: id("audit joint P Q + L"), holdings: [{ holders: [c.q.address, c.p.address], share: SHARE_UNIT / 2n }, { holders: [c.l.address], share: SHARE_UNIT / 2n }] },
        sole(c.q, 2000),
        ...["r1", "r2", "r3", "r4", "r5", "paper1", "paper2"].map((n, i) => sole(c[n], 2500 + 100 * i)),
      ])
    ).wait();
    await fund(world, [c.rep3]);
    const power = (principal: Wallet, representative: Wallet, extra: Partial<Parameters<typeof recordPower>[1]> = {}) =>
      recordPower(world, { principal: principal.address, representative: representative.address, buildingId: a.buildingId, ...extra });

    // meeting 1 in building A: an annual meeting announced by an owner without ether through the
    // forwarder, with an administrator of its own (also without ether)
    const m1 = await announce(world, a.buildingId, questions, { forwardedBy: c.initiator, administrator: c.admin.address, meetingType: "Annual" });
    meetings.finalized = m1.meetingId;
    const pow1 = await power(c.r1, c.rep1); // all meetings, by the registrar
    const pow2 = await power(c.r2, c.rep2);
    const pow3 = await power(c.r3, c.rep3, { meetingId: m1.meetingId }); // this meeting only, by its administrator
    const now = await latestTimestamp(world);
    const pow4 = await power(c.r4, c.rep1, { validFrom: now - 172_800, validTo: now - 86_400 }); // ran out yesterday
    const pow5 = await power(c.r5, c.rep2);
    await revokePower(world, pow5);
    const pow6 = await recordPower(world, { principal: c.paper2.address, representative: c.rep3.address, buildingId: a.buildingId, meetingId: m1.meetingId }, { forwardedBy: c.admin });
    await advance(world, 10);

    // owners holding nothing jointly vote in the plain ways
    const jointly = new Set(a.premises.flatMap((p) => p.holdings.filter((h) => h.holders.length > 1).flatMap((h) => h.holders)));
    const plain: Wallet[] = [];
    for (const w of holdersOf(a)) if (!jointly.has(w.address) && (await canCount(m1.meetingId, w.address))) plain.push(w);
    expect(plain.length).to.be.at.least(23, "the layout gives owners enough");
    const direct = plain.slice(0, 6);
    await fund(world, direct);
    for (const voter of direct) await (await world.hall.connect(voter).castBallot(m1.meetingId, randomChoices(rnd, questions.length))).wait();
    // a sale after the snapshot: the buyer has no weight in this meeting, the seller keeps theirs
    await (await world.registry.setOwners(a.premisesIds[3], [{ holders: [c.buyer.address], share: SHARE_UNIT }])).wait();
    const choices = () => randomChoices(rnd, questions.length);
    const signed: SignedBallot[] = [];
    for (const voter of plain.slice(6, 20)) signed.push(await signBallot(world, voter, m1.meetingId, choices()));
    signed.push(await signBallot(world, c.buyer, m1.meetingId, choices())); // not eligible
    signed.push(await signBallot(world, a.residents[0], m1.meetingId, choices())); // a resident: not eligible
    signed.push(await signBallot(world, direct[0], m1.meetingId, choices())); // already voted
    const forged = await signBallot(world, plain[21], m1.meetingId, choices());
    signed.push({ ...forged, voter: plain[22].address }); // a signature not the voter's: discarded
    signed.push(await signBallot(world, c.j, m1.meetingId, choices())); // J first: his flat and the joint one
    signed.push(await signBallot(world, c.k, m1.meetingId, choices())); // K holds nothing else: already voted
    signed.push(await signBallot(world, c.p, m1.meetingId, choices())); // P: the joint half of the parking space
    signed.push(await signBallot(world, c.q, m1.meetingId, choices())); // Q: still his own flat
    signed.push(await signBallot(world, c.rep1, m1.meetingId, choices(), { voter: c.r1.address, powerOfAttorney: pow1 })); // representative first
    signed.push(await signBallot(world, c.r1, m1.meetingId, choices())); // then the principal: already voted
    signed.push(await signBallot(world, c.r2, m1.meetingId, choices())); // principal first
    signed.push(await signBallot(world, c.rep2, m1.meetingId, choices(), { voter: c.r2.address, powerOfAttorney: pow2 })); // then the representative: already voted
    signed.push(await signBallot(world, c.rep1, m1.meetingId, choices(), { voter: c.r4.address, powerOfAttorney: pow4 })); // power out of date
    signed.push(await signBallot(world, c.rep2, m1.meetingId, choices(), { voter: c.r5.address, powerOfAttorney: pow5 })); // power revoked
    signed.push(await signBallot(world, plain[20], m1.meetingId, choices(), { deadline: BigInt(await latestTimestamp(world)) - 1n })); // past its deadline
    signed.push(await signBallot(world, a.owners[23], m1.meetingId, 1n << 8n)); // malformed
    const receipts = await relay(world, m1.meetingId, signed, 8);
    const names = (r: TransactionReceipt) => r.logs.map((l) => hallInterface.parseLog(l)?.name);
    relayedTx = receipts.find((r) => names(r).includes("BallotCast") && names(r).includes("BallotRejected"))!.hash;
    discardedTx = receipts.find((r) => names(r).includes("BallotDiscarded"))!.hash;
    const domain = ballotDomain(world.chainId, world.deployment.contracts.MeetingHall.address);
    countedBallotId = ballotDigest(domain, { meetingId: m1.meetingId, voter: signed[0].voter, choices: signed[0].choices, representative: signed[0].representative, deadline: signed[0].deadline });
    // a representative casts directly; the administrator enters two paper decisions through the forwarder
    representativeTx = (await (await world.hall.connect(c.rep3).castBallotFor(m1.meetingId, c.r3.address, pow3, choices())).wait())!.hash;
    paperTx = (
      await enterPaper(
        world,
        m1.meetingId,
        [paperDecision(c.paper1.address, [Choice.For, "void", "unanswered", Choice.Against]), paperDecision(c.paper2.address, [Choice.Abstain, Choice.For, Choice.For, "unanswered"], { representative: c.rep3.address, powerOfAttorney: pow6 })],
        { forwardedBy: c.admin },
      )
    ).hash;
    await finalize(world, m1);

    // a poll in building A: owners (joint owners too) and residents, one vote each
    const poll = await announce(world, a.buildingId, questions.slice(0, 2), { poll: true });
    meetings.poll = poll.meetingId;
    await advance(world, 10);
    const answering: Wallet[] = [];
    for (const w of holdersOf(a)) if (answering.length < 5 && (await canCount(poll.meetingId, w.address, 2))) answering.push(w);
    const answers = [];
    for (const voter of [...answering, ...a.residents]) answers.push(await signBallot(world, voter, poll.meetingId, randomChoices(rnd, 2)));
    await relay(world, poll.meetingId, answers, 50);
    await finalize(world, poll);

    // random histories in building C: every form of ballot, joint holdings, representatives, paper
    const cBuilding = await registerBuilding(world, 303, 36, 24, 4, { joint: 0.3 });
    const cAdmin = person("administrator of C");
    for (const seed of [1, 2, 3]) {
      const r = random(seed);
      const kind = seed === 3 ? { poll: true } : {};
      const meeting = await announce(world, cBuilding.buildingId, randomQuestions(r, r.int(1, 6)), { ...kind, ...(seed === 2 ? { administrator: cAdmin.address, meetingType: "Annual" as const } : {}) });
      await advance(world, 10);
      await randomVoting(world, cBuilding, meeting, r, seed === 2 ? { administrator: cAdmin } : {});
      await finalize(world, meeting);
      randomMeetings.push(meeting.meetingId);
    }

    // a meeting in building B still open
    const m3 = await announce(world, b.buildingId, questions);
    meetings.open = m3.meetingId;
    await advance(world, 10);
    const open = [];
    for (const voter of b.owners.slice(0, 7)) open.push(await signBallot(world, voter, m3.meetingId, randomChoices(rnd, questions.length)));
    await relay(world, m3.meetingId, open, 100);
  });

  after(async function () {
    world?.provider.destroy();
    await chain?.close();
  });

  const TOTAL_MEETINGS = 6;
  const recountJson = async (meetingId: bigint, extra: string[] = []) => {
    const run = await audit(["recount", String(meetingId), "--json", ...common, ...extra]);
    return { run, report: JSON.parse(run.stdout) };
  };

  describe("recount", function () {
    for (const which of ["finalized", "poll", "open"] as const) {
      it(`agrees with the contract on the ${which} meeting and exits 0`, async function () {
        const { run, report } = await recountJson(meetings[which]);
        expect(run.stderr).to.equal("");
        expect(run.code).to.equal(0);
        expect(report.differences).to.deep.equal([]);
        const results = await world.hall.getResults(meetings[which]);
        const view = await world.hall.getMeeting(meetings[which]);
        expect(report.questions.map((q: { forWeight: string }) => q.forWeight)).to.deep.equal(results.map((r) => r.forWeight.toString()));
        expect(report.questions.map((q: { againstWeight: string }) => q.againstWeight)).to.deep.equal(results.map((r) => r.againstWeight.toString()));
        expect(report.participatingWeight).to.equal(view.participatingWeight.toString());
        expect(report.countedBallots).to.equal(Number(view.ballots));
        expect(report.ballots.length).to.equal(Number(view.ballots));
      });
    }

    it("agrees with the contract on random histories mixing every form of ballot, joint holdings, representatives and paper", async function () {
      for (const meetingId of randomMeetings) {
        const { run, report } = await recountJson(meetingId);
        expect(report.differences, `meeting ${meetingId}`).to.deep.equal([]);
        expect(run.code).to.equal(0);
        const view = await world.hall.getMeeting(meetingId);
        const results = await world.hall.getResults(meetingId);
        expect(report.participatingWeight).to.equal(view.participatingWeight.toString());
        expect(report.totalWeight).to.equal(view.totalWeight.toString());
        expect(report.quorumReached).to.equal(view.quorumReached);
        expect(report.questions.map((q: { passed: boolean }) => q.passed)).to.deep.equal(results.map((r) => r.passed));
        expect(report.questions.map((q: { abstainWeight: string }) => q.abstainWeight)).to.deep.equal(results.map((r) => r.abstainWeight.toString()));
      }
      // between them the histories hold every form and case
      const reports = await Promise.all(randomMeetings.map(async (m) => (await recountJson(m)).report));
      const ballots = reports.flatMap((r) => r.ballots);
      for (const form of ["Direct", "Relayed", "Paper"]) expect(ballots.some((b: { form: string }) => b.form === form), form).to.equal(true);
      expect(ballots.some((b: { representative: string | null }) => b.representative !== null)).to.equal(true);
      expect(ballots.some((b: { jointGroups: unknown[] }) => b.jointGroups.length > 0)).to.equal(true);
      expect(ballots.some((b: { answers: string[] }) => b.answers.includes("void"))).to.equal(true);
      const reasons = new Set(reports.flatMap((r) => r.rejected.map((x: { reason: string }) => x.reason)));
      for (const reason of ["AlreadyVoted", "NoPowerOfAttorney", "NotEligible"]) expect(reasons.has(reason), reason).to.equal(true);
      expect(reports.some((r) => r.discarded.length > 0)).to.equal(true);
    });

    it("names the rejected ballots by what they prove and their reasons, and counts the discarded one", async function () {
      const { report } = await recountJson(meetings.finalized);
      const reasons = report.rejected.map((r: { reason: string }) => r.reason).sort();
      expect(reasons).to.deep.equal(["AlreadyVoted", "AlreadyVoted", "AlreadyVoted", "AlreadyVoted", "Expired", "MalformedChoices", "NoPowerOfAttorney", "NoPowerOfAttorney", "NotEligible", "NotEligible"]);
      for (const r of report.rejected) {
        expect(r.signatureValid, `${r.voter} ${r.reason}`).to.equal(true);
        expect(r.expectedReason).to.equal(r.reason);
        expect(r.signer).to.equal(r.representative ?? r.voter);
      }
      const byRepresentative = report.rejected.filter((r: { representative: string | null }) => r.representative !== null).map((r: { signer: string; voter: string; reason: string }) => [r.signer, r.voter, r.reason]);
      expect(byRepresentative).to.deep.include.members([
        [cast.rep2.address, cast.r2.address, "AlreadyVoted"],
        [cast.rep1.address, cast.r4.address, "NoPowerOfAttorney"],
        [cast.rep2.address, cast.r5.address, "NoPowerOfAttorney"],
      ]);
      expect(report.discarded).to.have.length(1);
      expect(report.discarded[0]).to.not.have.property("voter");
      expect(report.discarded[0].signatureInvalid).to.equal(true);
    });

    it("checks every relayed signature, every direct sender and every paper decision's administrator", async function () {
      const { report } = await recountJson(meetings.finalized);
      const logs = await world.provider.getLogs({ address: world.deployment.contracts.MeetingHall.address, fromBlock: 0, topics: [hallInterface.getEvent("BallotCast")!.topicHash, "0x" + meetings.finalized.toString(16).padStart(64, "0")] });
      const forms = logs.map((l) => Number(hallInterface.parseLog(l)!.args.form));
      const via = report.ballots.map((b: { via: string; signatureValid: boolean }) => `${b.via}:${b.signatureValid}`);
      expect(via.filter((v: string) => v === "direct:true")).to.have.length(7); // six owners and a representative
      expect(via.filter((v: string) => v === "direct:true")).to.have.length(forms.filter((f) => f === 0).length);
      expect(via.filter((v: string) => v === "relayed:true")).to.have.length(forms.filter((f) => f === 1).length);
      expect(via.filter((v: string) => v === "relayed:true").length).to.be.at.least(14 + 4);
      expect(via.filter((v: string) => v === "paper:true")).to.have.length(2);
      expect(report.ballots.every((b: { signatureValid?: boolean }) => b.signatureValid === true)).to.equal(true);
    });

    it("counts the joint holding once: with the first joint owner's ballot, and the other's own weight only", async function () {
      const { report } = await recountJson(meetings.finalized);
      const of = (w: Wallet) => report.ballots.find((b: { voter: string }) => b.voter === w.address);
      const j = of(cast.j);
      expect(j.jointGroups).to.have.length(1);
      expect(j.jointGroups[0].holders.sort()).to.deep.equal([cast.j.address, cast.k.address].sort());
      expect(j.weight).to.equal((5000n * SHARE_UNIT).toString());
      expect(of(cast.k)).to.equal(undefined);
      expect(report.rejected.find((r: { voter: string }) => r.voter === cast.k.address).reason).to.equal("AlreadyVoted");
      expect(of(cast.p).weight).to.equal((1500n * SHARE_UNIT).toString());
      expect(of(cast.q).weight).to.equal((2000n * SHARE_UNIT).toString());
      expect(of(cast.q).jointGroups).to.deep.equal([]);
    });

    it("shows representatives' ballots with the principal's weight and the power of attorney, and paper decisions with void and unanswered questions", async function () {
      const { report } = await recountJson(meetings.finalized);
      const of = (w: Wallet) => report.ballots.find((b: { voter: string }) => b.voter === w.address);
      expect(of(cast.r1)).to.include({ representative: cast.rep1.address, signer: cast.rep1.address, form: "Relayed", weight: (2500n * SHARE_UNIT).toString() });
      expect(of(cast.r3)).to.include({ representative: cast.rep3.address, form: "Direct", via: "direct", weight: (2700n * SHARE_UNIT).toString() });
      expect(of(cast.r3).powerOfAttorney).to.be.a("string");
      expect(of(cast.r2)).to.include({ representative: null, form: "Relayed" });
      const p1 = of(cast.paper1);
      expect(p1).to.include({ form: "Paper", via: "paper", administrator: cast.admin.address });
      expect(p1.answers).to.deep.equal(["For", "void", "unanswered", "Against"]);
      expect(of(cast.paper2)).to.include({ form: "Paper", representative: cast.rep3.address });
      const q2 = report.questions[1];
      expect(BigInt(q2.noAnswerWeight)).to.equal(BigInt(p1.weight));
    });

    it("recounts from events alone with --no-signatures: the same figures, no calldata read", async function () {
      const checked = (await recountJson(meetings.finalized)).report;
      const { run, report } = await recountJson(meetings.finalized, ["--no-signatures"]);
      expect(run.code).to.equal(0);
      expect(report.differences).to.deep.equal([]);
      expect(report.questions).to.deep.equal(checked.questions);
      expect(report.participatingWeight).to.equal(checked.participatingWeight);
      expect(report.ballots.every((b: { signatureValid?: boolean; ballotId: string | null }) => b.signatureValid === undefined && b.ballotId === null)).to.equal(true);
      expect(report.rejected.map((r: { reason: string }) => r.reason)).to.deep.equal(checked.rejected.map((r: { reason: string }) => r.reason));
      expect(report.rejected.every((r: { expectedReason?: string }) => r.expectedReason === undefined)).to.equal(true);
      // without calldata a representative's power is the one valid when the ballot counted
      const r3 = report.ballots.find((b: { voter: string }) => b.voter === cast.r3.address);
      expect(r3.powerOfAttorney).to.equal(checked.ballots.find((b: { voter: string }) => b.voter === cast.r3.address).powerOfAttorney);
    });

    it("recounts every meeting with --all and prints a summary", async function () {
      const run = await audit(["recount", "--all", ...common]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(new RegExp(`${TOTAL_MEETINGS} meetings, \\d+ ballots recounted in [\\d.]+ s: ${TOTAL_MEETINGS} agree, 0 differ`));
      expect(run.stderr).to.contain(`${TOTAL_MEETINGS}/${TOTAL_MEETINGS}`);
    });

    it("detects a published result that differs, naming the field, and exits 1", async function () {
      const out = path.join(dir, "published");
      expect((await audit(["protocol", String(meetings.finalized), "--out", out, ...common])).code).to.equal(0);
      const file = path.join(out, `protocol-${meetings.finalized}.json`);
      const published = JSON.parse(await readFile(file, "utf8"));
      published.questions[1].forWeight = (BigInt(published.questions[1].forWeight) + 1n).toString();
      await writeFile(file, JSON.stringify(published));
      const run = await audit(["recount", String(meetings.finalized), "--expect", file, ...common]);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain("published result, question 2: forWeight expected");
    });
  });

  describe("recount through a node that alters one event", function () {
    /** Runs the recount through a node applying `tamper`; it must exit 1 and name the difference. */
    async function tampered(meetingId: bigint, tamper: Tamper) {
      const node = await startTamperingRpc(chain.url, tamper);
      try {
        const run = await audit(["recount", String(meetingId), "--json", "--rpc", node.url, "--deployment", deploymentFile]);
        expect(node.altered(), "the node altered a log").to.be.greaterThan(0);
        expect(run.code, run.stderr).to.equal(1);
        return JSON.parse(run.stdout).differences as Array<{ where: string; field: string; expected: string; actual: string }>;
      } finally {
        await node.close();
      }
    }
    const hall = () => world.deployment.contracts.MeetingHall.address;

    it("names a representative swapped in BallotCast", async function () {
      const differences = await tampered(
        meetings.finalized,
        alterEvent(hallInterface, hall(), "BallotCast", (args) => args[2] === cast.rep3.address && args[1] === cast.r3.address, (args) => [args[0], args[1], cast.rep1.address, ...args.slice(3)]),
      );
      const at = differences.filter((d) => d.where.startsWith(`ballot of ${cast.r3.address}`));
      expect(at.map((d) => d.field)).to.include.members(["power of attorney", "sender"]);
      expect(at.find((d) => d.field === "sender")).to.include({ expected: cast.rep1.address, actual: cast.rep3.address });
    });

    it("names a void mask flipped in PaperDecisionEntered", async function () {
      // question 3 of paper1's decision was unanswered; the node says it was marked twice
      const differences = await tampered(
        meetings.finalized,
        alterEvent(hallInterface, hall(), "PaperDecisionEntered", (args) => args[1] === cast.paper1.address, (args) => [args[0], args[1], args[2], (args[3] as bigint) ^ 0b100n, args[4]]),
      );
      const d = differences.find((x) => x.field === "voidMask (calldata)");
      expect(d, JSON.stringify(differences)).to.not.equal(undefined);
      expect(d!.where).to.contain(`ballot of ${cast.paper1.address}`);
      expect(d).to.include({ expected: "2", actual: "6" });
    });

    it("names a joint group's holder changed in OwnershipChanged", async function () {
      const stranger = person("stranger");
      const differences = await tampered(
        meetings.finalized,
        alterEvent(
          registryInterface,
          world.deployment.contracts.BuildingRegistry.address,
          "OwnershipChanged",
          (args) => (args[2] as Array<[string[], bigint]>).some(([holders]) => holders.includes(cast.k.address)),
          (args) => [args[0], args[1], (args[2] as Array<[string[], bigint]>).map(([holders, share]) => [holders.map((h) => (h === cast.k.address ? stranger.address : h)), share])],
        ),
      );
      expect(differences.some((d) => d.where.includes("joint group") && d.where.includes(stranger.address)), JSON.stringify(differences)).to.equal(true);
      expect(differences.some((d) => d.where.startsWith(`ballot of ${cast.j.address}`) && d.field.startsWith("joint group"))).to.equal(true);
    });

    it("names a rules version's rule changed in RulesPublished", async function () {
      const gates = questionTypeIndex(RULES_2024_09_01, "44.2.2");
      const majority = [RuleBase[MAJORITY_OF_PARTICIPANTS.base], MAJORITY_OF_PARTICIPANTS.numerator, MAJORITY_OF_PARTICIPANTS.denominator, MAJORITY_OF_PARTICIPANTS.strict];
      const differences = await tampered(
        meetings.finalized,
        alterEvent(rulesInterface, world.deployment.contracts.LegalRules.address, "RulesPublished", () => true, (args) => [
          args[0],
          args[1],
          args[2],
          (args[3] as Array<[string, unknown[]]>).map(([code, rule], i) => [code, i === gates ? majority : rule]),
        ]),
      );
      const d = differences.find((x) => x.where === `rules version 1, question type ${gates} '44.2.2' (questionType)` && x.field === "rule");
      expect(d, JSON.stringify(differences)).to.include({ expected: "> 1/2 of Participants", actual: "≥ 2/3 of All" });
      expect(differences.some((x) => x.where.startsWith("rules version 1, lib/legal-rules.ts") && x.field === "rule")).to.equal(true);
    });
  });

  describe("recount against the subgraph", function () {
    let node: QueryNode;
    let endpoint: string;
    let dbFile: string;

    before(async function () {
      dbFile = path.join(dir, "subgraph.sqlite");
      node = await QueryNode.open({
        buildDir: path.join(PROJECT_ROOT, "subgraph", "build"),
        databaseFile: dbFile,
        name: "digital-home",
        rpcUrl: chain.url,
        pollIntervalMs: 50,
        overrides: contractSources(world.deployment),
      });
      const server = await node.start();
      endpoint = `${server.url}/subgraphs/name/digital-home`;
      const head = await world.provider.getBlockNumber();
      for (let i = 0; ; i++) {
        const response = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ _meta { block { number } } }" }) });
        const body = (await response.json()) as { data?: { _meta: { block: { number: number } } } };
        if (body.data?._meta.block.number === head) break;
        if (i > 600) throw new Error("the query node did not reach the chain head");
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    after(async function () {
      await node?.close();
    });

    it("agrees with the subgraph on every meeting", async function () {
      const run = await audit(["recount", "--all", "--graphql", endpoint, ...common]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain(`${TOTAL_MEETINGS} agree, 0 differ`);
    });

    it("detects a tampered row in the subgraph's store, naming the ballot and the field", async function () {
      const report = JSON.parse((await audit(["recount", String(meetings.finalized), "--json", ...common])).stdout);
      const target = report.ballots[3];
      const db = new DatabaseSync(dbFile);
      try {
        const rows = db
          .prepare(`SELECT vid FROM ballot WHERE "voter" = ? AND "meeting" = ?`)
          .all(Buffer.from(target.voter.slice(2), "hex"), String(meetings.finalized)) as Array<{ vid: number }>;
        expect(rows).to.have.length(1);
        db.prepare(`UPDATE ballot SET "weight" = ? WHERE vid = ?`).run(encodeBigInt(BigInt(target.weight) + 1n), rows[0].vid);
      } finally {
        db.close();
      }
      const run = await audit(["recount", String(meetings.finalized), "--graphql", endpoint, ...common]);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain(`subgraph, ballot of ${target.voter} (tx ${target.transactionHash}, log ${target.logIndex}): weight expected ${target.weight}, found ${BigInt(target.weight) + 1n}`);
    });

    it("detects a rejected ballot whose signer was changed in the subgraph's store", async function () {
      const report = JSON.parse((await audit(["recount", String(meetings.finalized), "--json", ...common])).stdout);
      const target = report.rejected.find((r: { representative: string | null }) => r.representative !== null);
      const db = new DatabaseSync(dbFile);
      try {
        const rows = db.prepare(`SELECT vid FROM rejected_ballot WHERE "ballotId" = ?`).all(Buffer.from(target.ballotId.slice(2), "hex")) as Array<{ vid: number }>;
        expect(rows).to.have.length(1);
        db.prepare(`UPDATE rejected_ballot SET "signer" = ? WHERE vid = ?`).run(Buffer.from(target.voter.slice(2), "hex"), rows[0].vid);
      } finally {
        db.close();
      }
      const run = await audit(["recount", String(meetings.finalized), "--graphql", endpoint, ...common]);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain(`subgraph, rejected ballot of ${target.voter} (tx ${target.transactionHash}, log ${target.logIndex}): signer expected ${target.signer}, found ${target.voter}`);
    });

    it("reports an unreachable GraphQL endpoint with exit 4", async function () {
      const run = await audit(["recount", String(meetings.poll), "--graphql", "http://127.0.0.1:9/subgraphs/name/x", ...common]);
      expect(run.code).to.equal(4);
      expect(run.stderr).to.contain("GraphQL endpoint");
    });
  });

  async function pdfText(file: string): Promise<string> {
    const pdf = await getDocument({ data: new Uint8Array(await readFile(file)) }).promise;
    let text = "";
    for (let p = 1; p <= pdf.numPages; p++) {
      const content = await (await pdf.getPage(p)).getTextContent();
      text += content.items.map((i) => ("str" in i ? i.str : "")).join(" ") + "\n";
    }
    return text;
  }

  describe("protocol", function () {
    it("writes PDF, JSON and CSV whose figures match the recount; the PDF renders Cyrillic", async function () {
      const out = path.join(dir, "protocol");
      const texts = path.join(dir, "texts.json");
      await writeFile(texts, JSON.stringify(QUESTION_SETS.courtyard.map((q) => q.text)));
      const run = await audit(["protocol", String(meetings.finalized), "--out", out, "--texts", texts, ...common]);
      expect(run.code).to.equal(0);
      const recount = JSON.parse((await audit(["recount", String(meetings.finalized), "--json", ...common])).stdout);
      const doc = JSON.parse(await readFile(path.join(out, `protocol-${meetings.finalized}.json`), "utf8"));
      expect(doc.questions.map((q: { forWeight: string }) => q.forWeight)).to.deep.equal(recount.questions.map((q: { forWeight: string }) => q.forWeight));
      expect(doc.totalWeight).to.equal(recount.totalWeight);
      expect(doc.questions[0].text).to.equal(QUESTION_SETS.courtyard[0].text);

      const csv = (await readFile(path.join(out, `protocol-${meetings.finalized}-questions.csv`), "utf8")).trim().split("\n");
      expect(csv).to.have.length(1 + QUESTION_SETS.courtyard.length);
      const header = csv[0].split(",");
      const q1 = csv[1].split(",");
      expect(q1[header.indexOf("forWeight")]).to.equal(recount.questions[0].forWeight);
      expect(q1[header.indexOf("passed")]).to.equal(String(recount.questions[0].passed));
      expect(q1[header.indexOf("code")]).to.equal("44.2.2");
      const ballotsCsv = (await readFile(path.join(out, `protocol-${meetings.finalized}-ballots.csv`), "utf8")).trim().split("\n");
      expect(ballotsCsv).to.have.length(1 + recount.ballots.length);

      const text = await pdfText(path.join(out, `protocol-${meetings.finalized}.pdf`));
      expect(text).to.contain("ПРОТОКОЛ общего собрания собственников");
      expect(text).to.contain(QUESTION_SETS.courtyard[0].text);
      for (const q of doc.questions) expect(text).to.contain(q.forSquareMetres);
      expect(text).to.contain(doc.totalSquareMetres);
      expect(text).to.contain(recount.ballots[0].voter);
    });

    it("reads the wordings from the document store with --documents, each checked against its hash; a wording the store lacks is named", async function () {
      const token = "audit-test-seed-token-0001";
      const documents = await startDocuments(loadDocumentsConfig({ DOCUMENTS_PORT: "0", DOCUMENTS_DIR: path.join(dir, "documents"), DOCUMENTS_SERVICE_TOKENS: `seed=${token}`, LOG_LEVEL: "silent" }));
      try {
        const store = new DocumentsClient(documents.url, { token });
        const [first, ...rest] = QUESTION_SETS.courtyard;
        await store.put(Buffer.from(first!.text, "utf8"), { contentType: "text/plain", name: "q.txt" });
        const missing = await audit(["protocol", String(meetings.finalized), "--out", path.join(dir, "protocol-store-missing"), "--documents", documents.url, ...common]);
        expect(missing.code).to.equal(2);
        expect(missing.stderr).to.contain(`no wording of question 2 (${id(rest[0]!.text)})`);
        for (const q of rest) await store.put(Buffer.from(q.text, "utf8"), { contentType: "text/plain", name: "q.txt" });
        const out = path.join(dir, "protocol-store");
        const run = await audit(["protocol", String(meetings.finalized), "--out", out, "--documents", documents.url, ...common]);
        expect(run.code, run.stderr).to.equal(0);
        const doc = JSON.parse(await readFile(path.join(out, `protocol-${meetings.finalized}.json`), "utf8"));
        expect(doc.questions.map((q: { text: string }) => q.text)).to.deep.equal(QUESTION_SETS.courtyard.map((q) => q.text));
        const both = await audit(["protocol", String(meetings.finalized), "--out", out, "--documents", documents.url, "--texts", "x.json", ...common]);
        expect(both.code).to.equal(2);
      } finally {
        await documents.stop();
      }
    });

    it("states the meeting's type, its administrator, each question's type with its name, article and rule, and the quorum rule", async function () {
      const out = path.join(dir, "protocol-types");
      expect((await audit(["protocol", String(meetings.finalized), "--out", out, ...common])).code).to.equal(0);
      const doc = JSON.parse(await readFile(path.join(out, `protocol-${meetings.finalized}.json`), "utf8"));
      expect(doc).to.include({ meetingType: "Annual", administrator: cast.admin.address, initiator: cast.initiator.address });
      const gates = RULES_2024_09_01.questionTypes[questionTypeIndex(RULES_2024_09_01, "44.2.2")];
      expect(doc.questions[0]).to.include({ code: "44.2.2", typeName: gates.name.ru, article: gates.article, threshold: "не менее 2/3 голосов всех собственников" });
      expect(doc.questions[1]).to.include({ code: "other", threshold: "более 50 % голосов собственников, принявших участие" });
      expect(doc.questions[3]).to.include({ code: "44.2.4.7", threshold: "более 50 % голосов всех собственников" });
      expect(doc.rules).to.include({ version: 1, effectiveFrom: RULES_2024_09_01.effectiveFrom, quorumText: "более 50 % голосов всех собственников", quorumArticle: "ЖК РФ ст. 45 ч. 3" });
      const text = await pdfText(path.join(out, `protocol-${meetings.finalized}.pdf`));
      expect(text).to.contain("годовое");
      expect(text).to.contain(cast.admin.address);
      expect(text).to.contain(gates.article);
      expect(text).to.contain("не менее 2/3 голосов всех собственников");
    });

    it("lists paper and representative ballots, rejected ballots by what they prove, and the count of discarded ones", async function () {
      const out = path.join(dir, "protocol-ballots");
      expect((await audit(["protocol", String(meetings.finalized), "--out", out, "--lang", "en", ...common])).code).to.equal(0);
      const doc = JSON.parse(await readFile(path.join(out, `protocol-${meetings.finalized}.json`), "utf8"));
      const paper = doc.ballots.find((b: { voter: string }) => b.voter === cast.paper1.address);
      expect(paper).to.include({ form: "Paper" });
      expect(paper.answers).to.deep.equal(["For", "void", "unanswered", "Against"]);
      expect(doc.ballots.find((b: { voter: string }) => b.voter === cast.r3.address)).to.include({ representative: cast.rep3.address });
      expect(doc.ballotsByForm).to.deep.equal({ direct: 7, relayed: doc.ballotCount - 9, paper: 2, representative: 3 });
      expect(doc.rejected).to.have.length(10);
      expect(doc.rejected.every((r: { signatureChecked: boolean }) => r.signatureChecked)).to.equal(true);
      expect(doc.discardedCount).to.equal(1);
      const text = await pdfText(path.join(out, `protocol-${meetings.finalized}.pdf`));
      expect(text).to.contain("paper decision");
      expect(text).to.contain(`representative ${cast.rep3.address}`);
      expect(text).to.contain("Rejected ballots: signed by their signer, not counted");
      expect(text).to.contain(`signed by ${cast.rep2.address} as representative of ${cast.r5.address}`);
      expect(text).to.contain("the representative held no valid power of attorney");
      expect(text).to.match(/Ballots whose signature is not their signer's \(they name nobody and did not count\):\s+1/);
    });

    it("words a poll as a poll: consultative, no quorum, no thresholds", async function () {
      const out = path.join(dir, "protocol-poll");
      expect((await audit(["protocol", String(meetings.poll), "--out", out, ...common])).code).to.equal(0);
      const doc = JSON.parse(await readFile(path.join(out, `protocol-${meetings.poll}.json`), "utf8"));
      expect(doc.kind).to.equal("Poll");
      expect(doc.rules).to.equal(null);
      expect(doc.questions.every((q: { code: string | null }) => q.code === null)).to.equal(true);
      const text = await pdfText(path.join(out, `protocol-${meetings.poll}.pdf`));
      expect(text).to.contain("ИТОГИ ОПРОСА ЖИТЕЛЕЙ");
      expect(text).to.contain("консультативный");
      expect(text).to.contain("Большинство ответивших «за»");
      for (const word of ["ПРОТОКОЛ", "Кворум", "ПРИНЯТО", "Решение принимается", "кв. м"]) expect(text).to.not.contain(word);
    });
  });

  describe("verify", function () {
    it("shows every ballot of a relayed transaction, counted and rejected", async function () {
      const run = await audit(["verify", relayedTx, ...common]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain("✓ counted in meeting");
      expect(run.stdout).to.contain("EIP-712 signature by the voter: valid");
      expect(run.stdout).to.match(/✗ rejected: .* reason (NotEligible|AlreadyVoted|NoPowerOfAttorney|Expired|MalformedChoices)/);
      expect(run.stdout).to.match(/proves +signed by 0x[0-9a-fA-F]{40}.* ballot id 0x[0-9a-f]{64} \(signature valid\)/);
    });

    it("shows a discarded ballot by its place in the batch, naming nobody", async function () {
      const run = await audit(["verify", discardedTx, "--json", ...common]);
      expect(run.code).to.equal(0);
      const discarded = JSON.parse(run.stdout).ballots.filter((b: { status: string }) => b.status === "discarded");
      expect(discarded).to.have.length(1);
      expect(discarded[0]).to.not.have.property("voter");
      expect(discarded[0].signatureInvalid).to.equal(true);
    });

    it("finds a ballot by its id and shows voter, weight, choices and block", async function () {
      const run = await audit(["verify", countedBallotId, "--json", ...common]);
      expect(run.code).to.equal(0);
      const v = JSON.parse(run.stdout);
      expect(v.kind).to.equal("ballotId");
      expect(v.ballots[0].status).to.equal("counted");
      expect(v.ballots[0].ballot.ballotId).to.equal(countedBallotId);
      expect(v.ballots[0].weightMatchesRegister).to.equal(true);
      expect(v.ballots[0].ballot.signatureValid).to.equal(true);
    });

    it("shows a representative's ballot and a paper decision with who cast and who entered them", async function () {
      const rep = await audit(["verify", representativeTx, ...common]);
      expect(rep.code).to.equal(0);
      expect(rep.stdout).to.contain(`voter      ${cast.r3.address}`);
      expect(rep.stdout).to.contain(`cast by    ${cast.rep3.address}, representative under power of attorney`);
      expect(rep.stdout).to.contain("cast by the representative's own transaction");
      const paper = await audit(["verify", paperTx, ...common]);
      expect(paper.code).to.equal(0);
      expect(paper.stdout).to.contain(`paper decision entered by the administrator ${cast.admin.address}`);
      expect(paper.stdout).to.contain("2: void, 3: unanswered");
    });
  });

  describe("events", function () {
    it("prints the meeting's decoded events as JSON lines", async function () {
      const run = await audit(["events", String(meetings.poll), ...common]);
      expect(run.code).to.equal(0);
      const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines[0].event).to.equal("MeetingAnnounced");
      expect(lines[0].args.kind).to.equal("1");
      expect(lines.filter((l) => l.event === "BallotCast")).to.have.length(11);
      expect(lines.at(-1).event).to.equal("MeetingFinalized");
    });

    it("prints a meeting's rules version, paper decisions, joint groups, rejections and powers of attorney", async function () {
      const run = await audit(["events", String(meetings.finalized), ...common]);
      expect(run.code).to.equal(0);
      const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines[0]).to.include({ event: "RulesPublished", contract: "LegalRules" });
      const events = new Set(lines.map((l) => l.event));
      for (const e of ["MeetingAnnounced", "PowerOfAttorneyRecorded", "PaperDecisionEntered", "JointGroupVoted", "BallotCast", "BallotRejected", "BallotDiscarded", "QuestionDecided", "MeetingFinalized"]) expect(events.has(e), e).to.equal(true);
      expect(lines.filter((l) => l.event === "PowerOfAttorneyRecorded").every((l) => l.args.meetingId === String(meetings.finalized))).to.equal(true);
    });
  });

  describe("built package", function () {
    it("runs as plain JavaScript from the built package (npx digital-home-audit)", async function () {
      await new Promise<void>((resolve, reject) =>
        execFile("npx", ["tsx", "scripts/build-audit.ts"], { cwd: PROJECT_ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())),
      );
      const run = await new Promise<Run>((resolve) =>
        execFile(process.execPath, [path.join(PROJECT_ROOT, "dist", "audit", "src", "main.js"), "recount", String(meetings.poll), ...common], (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain("the recount agrees with every source compared");
    });
  });

  describe("bad arguments", function () {
    it("refuses a malformed meeting id with exit 2", async function () {
      const run = await audit(["recount", "abc", ...common]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain("meeting id 'abc': expected a whole number");
    });

    it("refuses a malformed ballot id with exit 2", async function () {
      const run = await audit(["verify", "0x1234", ...common]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain("expected a ballot id or transaction hash");
    });

    it("reports an unknown meeting with exit 3", async function () {
      const run = await audit(["recount", "99", ...common]);
      expect(run.code).to.equal(3);
      expect(run.stderr).to.contain("meeting 99 was never announced");
    });

    it("reports a ballot id that is nowhere with exit 3", async function () {
      const run = await audit(["verify", id("nothing"), ...common]);
      expect(run.code).to.equal(3);
    });

    it("reports an unreachable endpoint with exit 4", async function () {
      const run = await audit(["recount", "1", "--rpc", "http://127.0.0.1:9", "--deployment", common[3]]);
      expect(run.code).to.equal(4);
      expect(run.stderr).to.contain("unreachable");
    });

    it("refuses an unknown command and a missing deployment record with exit 2", async function () {
      expect((await audit(["recount-everything"])).code).to.equal(2);
      const run = await audit(["recount", "1", "--deployment", path.join(dir, "none.json")]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain("cannot be read");
    });
  });
});
