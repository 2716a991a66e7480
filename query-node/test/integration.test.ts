/**
 * Integration: deploy on a local node, hold meetings and a poll through the contracts — own, relayed
 * and representatives' ballots, a joint owner's ballot (and the other joint owner refused), a paper
 * decision with a void and an unanswered question, rejected and discarded ballots, finalization — let
 * the embedded query node follow the chain, and compare every meeting's results from GraphQL with the
 * contract's getMeeting / getResults and with a recount from the raw events.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Interface, ZeroAddress, type Log } from "ethers";
import { unpackChoices } from "#lib/ballot.js";
import {
  ANSWERS,
  BALLOT_FORMS,
  Choice,
  KINDS,
  MEETING_TYPES,
  MeetingType,
  REJECT_REASONS,
  RULE_BASES,
  SHARE_UNIT,
  STATUSES,
  nameAt,
} from "#lib/domain.js";
import { QueryNode } from "../src/query-node.js";
import { BUILD_DIR } from "../../subgraph/scripts/paths.js";
import { data, eventually, graphql } from "./helpers/query-client.js";
import {
  JOINT_FLAT_AREA,
  PARKING_AREA,
  TYPE,
  announceOpenMeeting,
  enterPaper,
  finalizeAfterWindow,
  recordPower,
  signedBallot,
  startScenario,
  vote,
  voteFor,
  type Scenario,
} from "./helpers/scenario.js";

const { For, Against, Abstain } = Choice;

const lower = (a: string) => a.toLowerCase();
const orNull = (a: string) => (a === ZeroAddress ? null : lower(a));

interface EventBallot {
  meetingId: string;
  voter: string;
  representative: string | null;
  form: string;
  weight: bigint;
  choices: bigint;
  voidMask: bigint;
  /** Log ids (tx hash + log index) of the JointGroupVoted events counted within it. */
  jointGroupVotes: Array<{ group: string; weight: bigint; tx: string; logIndex: number }>;
  tx: string;
  block: number;
  logIndex: number;
}

interface Recount {
  ballots: EventBallot[];
  rejected: Array<{ meetingId: string; voter: string; representative: string | null; ballotId: string; reason: string }>;
  /** Discarded ballots' places, by meeting and transaction. */
  discarded: Map<string, bigint[]>;
  paper: Array<{ meetingId: string; voter: string; administrator: string; voidMask: bigint; scanHash: string; tx: string; logIndex: number }>;
}

/**
 * The index's facts rebuilt from MeetingHall's logs alone: each ballot with the joint groups and the
 * paper decision whose events precede it in its transaction.
 */
async function recountFromEvents(s: Scenario): Promise<Recount> {
  const hall = new Interface(s.hall.interface.fragments);
  const logs: Log[] = await s.provider.getLogs({ address: s.deployment.contracts.MeetingHall.address, fromBlock: 0, toBlock: "latest" });
  const out: Recount = { ballots: [], rejected: [], discarded: new Map(), paper: [] };
  let pendingGroups: EventBallot["jointGroupVotes"] = [];
  let pendingVoidMask = 0n;
  for (const log of logs) {
    const parsed = hall.parseLog(log);
    const args = parsed?.args;
    if (parsed?.name === "JointGroupVoted") {
      pendingGroups.push({ group: lower(args!.group), weight: args!.weight, tx: log.transactionHash, logIndex: log.index });
      continue;
    }
    if (parsed?.name === "PaperDecisionEntered") {
      pendingVoidMask = args!.voidMask;
      out.paper.push({
        meetingId: args!.meetingId.toString(),
        voter: lower(args!.voter),
        administrator: lower(args!.administrator),
        voidMask: args!.voidMask,
        scanHash: args!.scanHash,
        tx: log.transactionHash,
        logIndex: log.index,
      });
      continue;
    }
    if (parsed?.name === "BallotCast") {
      const form = nameAt(BALLOT_FORMS, args!.form)!;
      out.ballots.push({
        meetingId: args!.meetingId.toString(),
        voter: lower(args!.voter),
        representative: orNull(args!.representative),
        form,
        weight: args!.weight,
        choices: args!.choices,
        voidMask: form === "Paper" ? pendingVoidMask : 0n,
        jointGroupVotes: pendingGroups,
        tx: log.transactionHash,
        block: log.blockNumber,
        logIndex: log.index,
      });
    } else if (parsed?.name === "BallotRejected") {
      out.rejected.push({
        meetingId: args!.meetingId.toString(),
        voter: lower(args!.voter),
        representative: orNull(args!.representative),
        ballotId: args!.ballotId,
        reason: nameAt(REJECT_REASONS, args!.reason)!,
      });
    } else if (parsed?.name === "BallotDiscarded") {
      const key = `${args!.meetingId}-${log.transactionHash}`;
      out.discarded.set(key, [...(out.discarded.get(key) ?? []), args!.index]);
    }
    pendingGroups = [];
    pendingVoidMask = 0n;
  }
  return out;
}

const ballotLogId = (tx: string, logIndex: number) => {
  const le = Buffer.alloc(4);
  le.writeInt32LE(logIndex);
  return lower(tx) + le.toString("hex");
};

const MEETING_QUERY = `query ($id: ID!) {
  meeting(id: $id) {
    id kind meetingType status initiator administrator rulesVersion rules { id } snapshot votingStart votingEnd
    ballotCount rejectedBallotCount discardedBallotCount participatingWeight totalWeight quorumReached questionCount
    questions(orderBy: index) {
      index questionType type { id } code ruleBase ruleNumerator ruleDenominator ruleStrict
      forWeight againstWeight abstainWeight voidWeight unansweredWeight participatingWeight decided passed
    }
    ballots(first: 1000, orderBy: logIndex) {
      id voter representative form weight ownWeight choices voidMask answers answeredQuestions voidQuestions unansweredQuestions
      jointGroupVotes { id group { address } voter weight }
      paperDecision { id voter administrator voidMask voidQuestions scanHash }
      transactionHash blockNumber logIndex
    }
    rejectedBallots(first: 1000) { voter representative signer ballotId reason }
    discardedBatches(first: 1000) { id count indexes transactionHash }
    paperDecisions(first: 1000) { id voter administrator voidMask scanHash }
  }
}`;

describe("embedded query node over a local chain", () => {
  let s: Scenario;
  let node: QueryNode;
  let endpoint: string;
  const meetingIds: bigint[] = [];
  /** The block that announced meeting 5, the last one. */
  let lastAnnouncementBlock = 0;
  const powers: bigint[] = [];

  before(async () => {
    s = await startScenario({ owners: 6, wallets: 5, jointOwners: true });
    const [a, b, c, d, e, f] = s.owners;
    const [w0, w1, w2, w3, w4] = s.wallets;
    const [spouse, otherSpouse] = s.spouses;
    const representative = s.neighbour;
    const administrator = s.registrar;

    // 1: an annual meeting with a question of each kind of rule, every form of ballot and each kind of refusal.
    const m1 = await announceOpenMeeting(s, [TYPE.other, TYPE.landPlot, TYPE.managementCompany, TYPE.unanimous], {
      meetingType: MeetingType.Annual,
      administrator: await administrator.getAddress(),
    });
    const forE = await recordPower(s, administrator, e!.address, representative.address, { meetingId: m1 });
    const forW4 = await recordPower(s, administrator, w4!.address, representative.address);
    powers.push(forE, forW4);
    await vote(s, a!, m1, [For, For, For, For]);
    await vote(s, b!, m1, [For, Against, Abstain, For]);
    await vote(s, c!, m1, [Against, For, For, For]);
    await voteFor(s, representative, e!.address, forE, m1, [For, For, Against, For]);
    await vote(s, spouse!, m1, [For, For, For, Abstain]);
    const forged = await signedBallot(s, w1!, m1, [For, For, For, For]);
    await (
      await s.hall.castBallotsBySig(m1, [
        await signedBallot(s, w0!, m1, [Abstain, For, Against, For]),
        { ...forged, voter: w2!.address }, // not w2's signature: discarded, naming nobody
        await signedBallot(s, a!, m1, [Against, Against, Against, Against]), // already voted
        await signedBallot(s, s.resident, m1, [For, For, For, For]), // owns nothing
        await signedBallot(s, w3!, m1, [For]), // one answer for four questions
        await signedBallot(s, d!, m1, [For, For, For, Against]),
        await signedBallot(s, otherSpouse!, m1, [Against, Against, Against, Against]), // the joint flat is voted
        await signedBallot(s, representative, m1, [Abstain, Abstain, For, For], { voter: w4!.address, powerOfAttorney: forW4 }),
        await signedBallot(s, representative, m1, [For, For, For, For], { voter: w1!.address }), // no power of attorney
        await signedBallot(s, w2!, m1, [For, For, For, For], { deadline: 1n }), // expired
      ])
    ).wait();
    await enterPaper(s, administrator, m1, [{ voter: f!.address, answers: [For, "void", "unanswered", Against] }]);
    await finalizeAfterWindow(s, m1);

    // 2: a poll, where the resident answers too and every answer weighs one.
    const m2 = await announceOpenMeeting(s, [0, 0], { poll: true });
    await vote(s, s.resident, m2, [For, Against]);
    await vote(s, e!, m2, [For, For]);
    await finalizeAfterWindow(s, m2);

    // 3: a meeting without quorum; 4: cancelled before voting; 5: still open (live tallies).
    const m3 = await announceOpenMeeting(s, [TYPE.other]);
    await vote(s, f!, m3, [For]);
    await finalizeAfterWindow(s, m3);
    const now = (await s.provider.getBlock("latest"))!.timestamp;
    await (
      await s.hall
        .connect(a!)
        .announceMeeting(1, MeetingType.Extraordinary, ZeroAddress, now + 100, now + 300, `0x${"11".repeat(32)}`, [
          { textRef: `0x${"22".repeat(32)}`, questionType: TYPE.other },
        ])
    ).wait();
    const m4 = await s.hall.meetingCount();
    await (await s.hall.connect(a!).cancel(m4)).wait();
    const m5 = await announceOpenMeeting(s, [TYPE.other, TYPE.landPlot], { window: 100_000 });
    lastAnnouncementBlock = (await s.provider.getBlockNumber()) - 1; // announceOpenMeeting mines one block after it
    await vote(s, b!, m5, [For, Against]);
    await (await s.hall.castBallotsBySig(m5, [await signedBallot(s, w1!, m5, [Abstain, For])])).wait();
    meetingIds.push(m1, m2, m3, m4, m5);

    node = await QueryNode.open({
      buildDir: BUILD_DIR,
      databaseFile: path.join(s.dataDir, "index.sqlite"),
      name: "digital-home",
      overrides: s.overrides,
      rpcUrl: s.chain.url,
      pollIntervalMs: 50,
    });
    const server = await node.start();
    endpoint = `${server.url}/subgraphs/name/digital-home`;
    const head = await s.provider.getBlockNumber();
    await eventually(async () => {
      const d = await data(endpoint, "{ _meta { block { number } } }");
      return d._meta.block.number === head;
    }, 60_000, "the query node to reach the chain head");
  });

  after(async () => {
    await node?.close();
    await s?.close();
  });

  it("reports the chain head and the deployment in _meta", async () => {
    const head = await s.provider.getBlock("latest");
    const d = await data(endpoint, "{ _meta { block { number hash timestamp } deployment hasIndexingErrors } }");
    assert.equal(d._meta.block.number, head!.number);
    assert.equal(d._meta.block.hash, head!.hash);
    assert.equal(d._meta.block.timestamp, head!.timestamp);
    assert.match(d._meta.deployment, /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
    assert.equal(d._meta.hasIndexingErrors, false);
  });

  it("matches the contract's meeting data, agenda rules and getResults for every meeting", async () => {
    for (const id of meetingIds) {
      const { meeting } = await data(endpoint, MEETING_QUERY, { id: id.toString() });
      const onChain = await s.hall.getMeeting(id);
      const [, agenda] = await s.hall.getAgenda(id);
      const results = await s.hall.getResults(id);
      const status = nameAt(STATUSES, onChain.status);
      assert.equal(meeting.status, status, `meeting ${id} status`);
      assert.equal(meeting.kind, nameAt(KINDS, onChain.kind));
      assert.equal(meeting.meetingType, nameAt(MEETING_TYPES, onChain.meetingType));
      assert.equal(meeting.initiator, lower(onChain.initiator));
      assert.equal(meeting.administrator, lower(onChain.administrator));
      assert.equal(meeting.rulesVersion, Number(onChain.rulesVersion));
      assert.equal(meeting.rules?.id ?? null, onChain.rulesVersion === 0n ? null : onChain.rulesVersion.toString());
      assert.equal(meeting.snapshot, onChain.snapshot.toString());
      assert.equal(meeting.votingStart, onChain.votingStart.toString());
      assert.equal(meeting.ballotCount, Number(onChain.ballots), `meeting ${id} ballots`);
      assert.equal(meeting.participatingWeight, onChain.participatingWeight.toString(), `meeting ${id} participation`);
      assert.equal(meeting.questionCount, Number(onChain.questionCount));
      if (status === "Finalized") {
        assert.equal(meeting.totalWeight, onChain.totalWeight.toString());
        assert.equal(meeting.quorumReached, onChain.quorumReached);
      } else {
        assert.equal(meeting.totalWeight, null);
        assert.equal(meeting.quorumReached, null);
      }
      assert.equal(meeting.questions.length, results.length);
      for (const [i, tally] of results.entries()) {
        const q = meeting.questions[i];
        assert.equal(q.forWeight, tally.forWeight.toString(), `meeting ${id} question ${i} For`);
        assert.equal(q.againstWeight, tally.againstWeight.toString(), `meeting ${id} question ${i} Against`);
        assert.equal(q.abstainWeight, tally.abstainWeight.toString(), `meeting ${id} question ${i} Abstain`);
        assert.equal(q.participatingWeight, onChain.participatingWeight.toString(), `meeting ${id} question ${i} participation`);
        assert.equal(q.decided, status === "Finalized");
        assert.equal(q.passed, status === "Finalized" ? tally.passed : null, `meeting ${id} question ${i} passed`);
        assert.equal(q.questionType, Number(agenda[i]!.questionType));
        if (onChain.rulesVersion === 0n) {
          assert.deepEqual([q.type, q.code, q.ruleBase, q.ruleStrict], [null, null, null, null], `poll ${id} question ${i} has no rule`);
          continue;
        }
        const type = await s.rules.questionType(onChain.rulesVersion, agenda[i]!.questionType);
        assert.equal(q.type.id, `${onChain.rulesVersion}-${agenda[i]!.questionType}`);
        assert.equal(q.code, Buffer.from(type.code.slice(2), "hex").toString("utf8").replace(/\0+$/, ""));
        assert.equal(q.ruleBase, nameAt(RULE_BASES, type.rule.base));
        assert.equal(q.ruleNumerator, type.rule.numerator.toString());
        assert.equal(q.ruleDenominator, type.rule.denominator.toString());
        assert.equal(q.ruleStrict, type.rule.strict);
      }
    }
  });

  it("holds exactly the ballots, joint groups, paper decisions, rejections and discards of the raw events, recounted to the same tallies", async () => {
    const recount = await recountFromEvents(s);
    for (const id of meetingIds) {
      const { meeting } = await data(endpoint, MEETING_QUERY, { id: id.toString() });
      const events = recount.ballots.filter((b) => b.meetingId === id.toString());
      assert.deepEqual(
        meeting.ballots
          .map((b: any) => [b.id, b.voter, b.representative, b.form, b.weight, b.choices, b.voidMask, b.transactionHash, Number(b.blockNumber), Number(b.logIndex)])
          .sort(),
        events
          .map((b) => [ballotLogId(b.tx, b.logIndex), b.voter, b.representative, b.form, b.weight.toString(), b.choices.toString(), b.voidMask.toString(), b.tx, b.block, b.logIndex])
          .sort(),
      );
      for (const b of meeting.ballots) {
        const event = events.find((e) => ballotLogId(e.tx, e.logIndex) === b.id)!;
        assert.deepEqual(
          b.jointGroupVotes.map((v: any) => [v.id, v.group.address, v.voter, v.weight]),
          event.jointGroupVotes.map((v) => [ballotLogId(v.tx, v.logIndex), v.group, b.voter, v.weight.toString()]),
        );
        const jointWeight = event.jointGroupVotes.reduce((n, v) => n + v.weight, 0n);
        assert.equal(b.ownWeight, (event.weight - jointWeight).toString());
        const answers = unpackChoices(BigInt(b.choices), meeting.questionCount);
        const isVoid = (q: number) => ((event.voidMask >> BigInt(q)) & 1n) === 1n;
        const indexes = answers.map((_, q) => q);
        assert.deepEqual(
          b.answers,
          answers.filter((c) => c !== 0).map((c) => ANSWERS[c]),
        );
        assert.deepEqual(b.answeredQuestions, indexes.filter((q) => answers[q] !== 0));
        assert.deepEqual(b.voidQuestions, indexes.filter((q) => answers[q] === 0 && isVoid(q)));
        assert.deepEqual(b.unansweredQuestions, indexes.filter((q) => answers[q] === 0 && !isVoid(q)));
        assert.equal(b.paperDecision === null, b.form !== "Paper");
      }
      // For, Against, Abstain, void, unanswered per question, from the events alone
      const tallies = Array.from({ length: meeting.questionCount }, () => [0n, 0n, 0n, 0n, 0n]);
      for (const b of events) {
        unpackChoices(b.choices, meeting.questionCount).forEach((c, q) => {
          const slot = c !== 0 ? c - 1 : ((b.voidMask >> BigInt(q)) & 1n) === 1n ? 3 : 4;
          tallies[q]![slot]! += b.weight;
        });
      }
      tallies.forEach(([f, a, ab, v, u], q) => {
        assert.equal(meeting.questions[q].forWeight, f!.toString());
        assert.equal(meeting.questions[q].againstWeight, a!.toString());
        assert.equal(meeting.questions[q].abstainWeight, ab!.toString());
        assert.equal(meeting.questions[q].voidWeight, v!.toString());
        assert.equal(meeting.questions[q].unansweredWeight, u!.toString());
      });
      assert.deepEqual(
        meeting.paperDecisions.map((p: any) => [p.id, p.voter, p.administrator, p.voidMask, p.scanHash]).sort(),
        recount.paper
          .filter((p) => p.meetingId === id.toString())
          .map((p) => [ballotLogId(p.tx, p.logIndex), p.voter, p.administrator, p.voidMask.toString(), p.scanHash])
          .sort(),
      );
      assert.deepEqual(
        meeting.rejectedBallots.map((r: any) => [r.voter, r.representative, r.signer, r.ballotId, r.reason]).sort(),
        recount.rejected
          .filter((r) => r.meetingId === id.toString())
          .map((r) => [r.voter, r.representative, r.representative ?? r.voter, r.ballotId, r.reason])
          .sort(),
      );
      const discarded = [...recount.discarded].filter(([key]) => key.startsWith(`${id}-`));
      assert.deepEqual(
        meeting.discardedBatches.map((d: any) => [d.id, d.count, d.indexes]).sort(),
        discarded.map(([key, indexes]) => [key, indexes.length, indexes.map(String)]).sort(),
      );
      assert.equal(meeting.discardedBallotCount, discarded.reduce((n, [, indexes]) => n + indexes.length, 0));
      assert.equal(meeting.rejectedBallotCount, meeting.rejectedBallots.length);
    }
    const reasons = new Set(recount.rejected.map((r) => r.reason));
    for (const reason of ["Expired", "AlreadyVoted", "NotEligible", "MalformedChoices", "NoPowerOfAttorney"]) assert.ok(reasons.has(reason), reason);
    assert.equal(recount.discarded.size, 1, "the forged ballot was discarded, naming nobody");
  });

  it("shows a representative's, a joint owner's and a paper ballot by what they are, and the other joint owner refused", async () => {
    const [, , , , e, f] = s.owners;
    const [spouse, otherSpouse] = s.spouses;
    const w4 = s.wallets[4]!;
    const representative = lower(s.neighbour.address);
    const group = lower(await s.registry.jointGroupOf(1, [spouse!.address, otherSpouse!.address]));
    const m1 = meetingIds[0]!;
    const { meeting } = await data(endpoint, MEETING_QUERY, { id: m1.toString() });
    const ballotOf = (voter: string) => meeting.ballots.find((b: any) => b.voter === lower(voter));

    assert.deepEqual([ballotOf(e!.address).representative, ballotOf(e!.address).form], [representative, "Direct"]);
    assert.deepEqual([ballotOf(w4.address).representative, ballotOf(w4.address).form], [representative, "Relayed"]);
    assert.equal(ballotOf(e!.address).weight, (await s.registry.weightOf(1, e!.address)).toString(), "the principal's weight counts");

    const joint = ballotOf(spouse!.address);
    assert.equal(joint.weight, ((JOINT_FLAT_AREA + PARKING_AREA) * SHARE_UNIT).toString(), "the whole joint flat and the own parking space");
    assert.equal(joint.ownWeight, (PARKING_AREA * SHARE_UNIT).toString());
    assert.deepEqual(joint.jointGroupVotes.map((v: any) => [v.group.address, v.weight]), [[group, (JOINT_FLAT_AREA * SHARE_UNIT).toString()]]);
    assert.equal(await s.hall.hasVoted(m1, group), true);
    assert.equal(ballotOf(otherSpouse!.address), undefined, "the other joint owner's ballot does not count");
    const refused = meeting.rejectedBallots.find((r: any) => r.voter === lower(otherSpouse!.address));
    assert.deepEqual([refused.reason, refused.signer, refused.representative], ["AlreadyVoted", lower(otherSpouse!.address), null]);

    const paper = ballotOf(f!.address);
    assert.equal(paper.form, "Paper");
    assert.deepEqual([paper.answers, paper.answeredQuestions, paper.voidQuestions, paper.unansweredQuestions], [["For", "Against"], [0, 3], [1], [2]]);
    assert.deepEqual(
      [paper.paperDecision.voter, paper.paperDecision.administrator, paper.paperDecision.voidQuestions],
      [lower(f!.address), lower(await s.registrar.getAddress()), [1]],
    );
    const fWeight = (await s.registry.weightOf(1, f!.address)).toString();
    assert.equal(meeting.questions[1].voidWeight, fWeight);
    assert.equal(meeting.questions[2].unansweredWeight, fWeight);

    const noPower = meeting.rejectedBallots.find((r: any) => r.reason === "NoPowerOfAttorney");
    assert.deepEqual([noPower.voter, noPower.representative, noPower.signer], [lower(s.wallets[1]!.address), representative, representative]);
  });

  it("keeps owners' and joint groups' current weights, holdings and the building's totals", async () => {
    const d = await data(
      endpoint,
      `{ building(id: "1") {
          totalWeight electorateSize premisesCount
          members(first: 100) { account weight jointWeight isOwner isJointGroup isResident jointGroups { address } }
          premises(first: 100) { premisesId area holdings { holders share joint shared group { address } holder { account } } }
          jointGroups { address holders holderMembers { account } member { weight } }
        } }`,
    );
    assert.equal(d.building.totalWeight, (await s.registry.totalWeight(1)).toString());
    assert.equal(d.building.premisesCount, Number(await s.registry.premisesCount()));
    assert.equal(d.building.electorateSize, (await s.registry.electorateAt(1, await latestBlockTime())).toString());
    for (const m of d.building.members) {
      assert.equal(m.weight, (await s.registry.weightOf(1, m.account)).toString(), m.account);
      assert.equal(m.isResident, await s.registry.isResident(1, m.account));
      const holders = await s.registry.jointHolders(1, m.account);
      assert.equal(m.isJointGroup, holders.length > 0, m.account);
      const groups = m.isJointGroup ? [] : await s.registry.jointGroupsOf(1, m.account);
      assert.deepEqual(m.jointGroups.map((g: any) => g.address), groups.map(lower));
      let jointWeight = 0n;
      for (const g of groups) jointWeight += await s.registry.weightOf(1, g);
      assert.equal(m.jointWeight, jointWeight.toString(), m.account);
      assert.equal(m.isOwner, await s.registry.isOwnerAt(1, m.account, await latestBlockTime()), m.account);
    }
    for (const p of d.building.premises) {
      const [, area, , holdings] = await s.registry.premises(p.premisesId);
      assert.equal(p.area, area.toString());
      assert.deepEqual(
        p.holdings.map((h: any) => [h.holders, h.share, h.joint, h.shared]),
        holdings.map((h) => [h.holders.map(lower), h.share.toString(), h.holders.length > 1, holdings.length > 1]),
      );
      for (const h of p.holdings) {
        const expected = h.joint ? lower(await s.registry.jointGroupOf(1, h.holders)) : h.holders[0];
        assert.equal(h.holder.account, expected);
        assert.equal(h.group?.address ?? null, h.joint ? expected : null);
      }
    }
    assert.equal(d.building.jointGroups.length, 1);
    for (const g of d.building.jointGroups) {
      assert.deepEqual(g.holders, (await s.registry.jointHolders(1, g.address)).map(lower));
      assert.deepEqual(g.holderMembers.map((m: any) => m.account), g.holders);
      assert.equal(g.member.weight, (await s.registry.weightOf(1, g.address)).toString());
    }

    async function latestBlockTime() {
      return (await s.provider.getBlock("latest"))!.timestamp;
    }
  });

  it("holds the powers of attorney and the rules versions as the contracts do", async () => {
    const d = await data(
      endpoint,
      `{ powerOfAttorneys(orderBy: powerId) { powerId building { id } principal representative meeting { id } allMeetings validFrom validTo documentHash recordedBy revoked }
         rulesVersions { version sourceRef quorumBase quorumNumerator quorumDenominator quorumStrict questionTypeCount
           questionTypes(first: 1000, orderBy: index) { index code codeBytes base numerator denominator strict } } }`,
    );
    assert.deepEqual(d.powerOfAttorneys.map((p: any) => p.powerId), powers.map(String));
    for (const p of d.powerOfAttorneys) {
      const [power, revoked, recordedBy] = await s.hall.powerOfAttorney(p.powerId);
      assert.deepEqual(
        [p.building.id, p.principal, p.representative, p.meeting?.id ?? null, p.allMeetings, p.validFrom, p.validTo, p.documentHash, p.recordedBy, p.revoked],
        [
          power.buildingId.toString(),
          lower(power.principal),
          lower(power.representative),
          power.meetingId === 0n ? null : power.meetingId.toString(),
          power.meetingId === 0n,
          power.validFrom.toString(),
          power.validTo.toString(),
          power.documentHash,
          lower(recordedBy),
          revoked,
        ],
      );
    }
    assert.equal(d.rulesVersions.length, Number(await s.rules.currentVersion()));
    for (const v of d.rulesVersions) {
      const quorum = await s.rules.quorumRule(v.version);
      assert.deepEqual(
        [v.sourceRef, v.quorumBase, v.quorumNumerator, v.quorumDenominator, v.quorumStrict, v.questionTypeCount],
        [await s.rules.sourceRefOf(v.version), nameAt(RULE_BASES, quorum.base), quorum.numerator.toString(), quorum.denominator.toString(), quorum.strict, Number(await s.rules.questionTypeCount(v.version))],
      );
      for (const t of v.questionTypes) {
        const onChain = await s.rules.questionType(v.version, t.index);
        assert.deepEqual(
          [t.codeBytes, t.base, t.numerator, t.denominator, t.strict],
          [onChain.code, nameAt(RULE_BASES, onChain.rule.base), onChain.rule.numerator.toString(), onChain.rule.denominator.toString(), onChain.rule.strict],
        );
      }
    }
  });

  it("follows new blocks, and resumes from its persisted cursor after a restart", async () => {
    const [, , , , e] = s.owners;
    await vote(s, e!, meetingIds[4]!, [Abstain, Abstain]);
    const head = await s.provider.getBlockNumber();
    await eventually(async () => (await data(endpoint, `{ meeting(id: "${meetingIds[4]}") { ballotCount } }`)).meeting.ballotCount === 3);

    await node.close();
    const [, , , , , f] = s.owners;
    await vote(s, f!, meetingIds[4]!, [For, For]);
    node = await QueryNode.open({
      buildDir: BUILD_DIR,
      databaseFile: path.join(s.dataDir, "index.sqlite"),
      name: "digital-home",
      overrides: s.overrides,
      rpcUrl: s.chain.url,
    });
    assert.equal(node.store.cursor()!.number, head, "the cursor survives the restart");
    await node.indexer.syncToHead();
    const server = await node.listen();
    endpoint = `${server.url}/subgraphs/name/digital-home`;
    const { meeting } = await data(endpoint, MEETING_QUERY, { id: meetingIds[4]!.toString() });
    const results = await s.hall.getResults(meetingIds[4]!);
    assert.equal(meeting.ballotCount, 4);
    assert.equal(new Set(meeting.ballots.map((b: any) => b.transactionHash + b.logIndex)).size, 4);
    assert.equal(meeting.questions[0].forWeight, results[0]!.forWeight.toString());
    assert.equal(meeting.questions[0].abstainWeight, results[0]!.abstainWeight.toString());
  });

  it("stops at a mapping error and shows it in _meta instead of skipping the event", async () => {
    // A MeetingHall data source that starts after meeting 5 was announced sees ballots of an unknown meeting.
    const failing = await QueryNode.open({
      buildDir: BUILD_DIR,
      databaseFile: path.join(s.dataDir, "failing.sqlite"),
      name: "failing",
      overrides: {
        ...s.overrides,
        MeetingHall: { ...s.overrides.MeetingHall!, startBlock: lastAnnouncementBlock + 1 },
      },
      rpcUrl: s.chain.url,
    });
    try {
      await failing.indexer.syncToHead();
      const server = await failing.listen();
      const url = `${server.url}/subgraphs/name/failing`;
      const meta = await data(url, "{ _meta { block { number } hasIndexingErrors } }");
      assert.equal(meta._meta.hasIndexingErrors, true);
      const error = failing.store.fatalError()!;
      assert.match(error.message, /^handle\w+ \(log \d+ of transaction 0x[0-9a-f]{64}\): .*meeting 5 was never announced/);
      assert.equal(meta._meta.block.number, error.block.number - 1, "the failed block is not committed");
      const denied = await graphql(url, "{ meetings { id } }");
      assert.deepEqual(denied.errors?.map((e) => e.message), ["indexing_error"]);
      const allowed = await graphql(url, "{ meetings(subgraphError: allow) { id } }");
      assert.ok(Array.isArray(allowed.data?.meetings));
      assert.equal(await failing.indexer.step(), "failed", "indexing stays stopped");
    } finally {
      await failing.close();
    }
  });
});
