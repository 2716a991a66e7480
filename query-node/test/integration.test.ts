/**
 * Integration: deploy on a local node, hold meetings and a poll through the contracts (direct and
 * relayed ballots, rejections, finalization), let the embedded query node follow the chain, and
 * compare every meeting's results from GraphQL with the contract's getResults and with a recount
 * from the raw events.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Interface } from "ethers";
import { unpackChoices } from "#lib/ballot.js";
import { ANSWERS, Choice, KINDS, REJECT_REASONS, STATUSES, nameAt } from "#lib/domain.js";
import { QueryNode } from "../src/query-node.js";
import { BUILD_DIR } from "../../subgraph/scripts/paths.js";
import { data, eventually, graphql } from "./helpers/query-client.js";
import {
  announceOpenMeeting,
  finalizeAfterWindow,
  signedBallot,
  startScenario,
  vote,
  type Scenario,
} from "./helpers/scenario.js";

const { For, Against, Abstain } = Choice;

interface Recount {
  ballots: Array<{ meetingId: string; voter: string; weight: bigint; choices: bigint; tx: string; block: number; logIndex: number }>;
  rejected: Array<{ meetingId: string; voter: string; reason: string }>;
}

async function recountFromEvents(s: Scenario): Promise<Recount> {
  const hall = new Interface(s.hall.interface.fragments);
  const logs = await s.provider.getLogs({ address: s.deployment.contracts.MeetingHall.address, fromBlock: 0, toBlock: "latest" });
  const out: Recount = { ballots: [], rejected: [] };
  for (const log of logs) {
    const parsed = hall.parseLog(log);
    if (parsed?.name === "BallotCast") {
      out.ballots.push({
        meetingId: parsed.args.meetingId.toString(),
        voter: (parsed.args.voter as string).toLowerCase(),
        weight: parsed.args.weight as bigint,
        choices: parsed.args.choices as bigint,
        tx: log.transactionHash,
        block: log.blockNumber,
        logIndex: log.index,
      });
    } else if (parsed?.name === "BallotRejected") {
      out.rejected.push({
        meetingId: parsed.args.meetingId.toString(),
        voter: (parsed.args.voter as string).toLowerCase(),
        reason: nameAt(REJECT_REASONS, parsed.args.reason as bigint)!,
      });
    }
  }
  return out;
}

const MEETING_QUERY = `query ($id: ID!) {
  meeting(id: $id) {
    id kind status ballotCount rejectedBallotCount participatingWeight totalWeight quorumReached questionCount
    questions(orderBy: index) { index threshold forWeight againstWeight abstainWeight participatingWeight decided passed }
    ballots(first: 1000, orderBy: logIndex) { voter weight choices answers transactionHash blockNumber logIndex }
    rejectedBallots(first: 1000) { voter reason }
  }
}`;

describe("embedded query node over a local chain", () => {
  let s: Scenario;
  let node: QueryNode;
  let endpoint: string;
  const meetingIds: bigint[] = [];

  before(async () => {
    s = await startScenario({ owners: 6, wallets: 4 });
    const [a, b, c, d, e, f] = s.owners;
    const [w0, w1, w2, w3] = s.wallets;

    // 1: a meeting with every threshold, direct and relayed ballots, and each kind of rejection.
    const m1 = await announceOpenMeeting(s, [0, 1, 2, 3]);
    await vote(s, a!, m1, [For, For, For, For]);
    await vote(s, b!, m1, [For, Against, Abstain, For]);
    await vote(s, c!, m1, [Against, For, For, For]);
    const forged = await signedBallot(s, w1!, m1, [For, For, For, For]);
    await (
      await s.hall.castBallotsBySig(m1, [
        await signedBallot(s, w0!, m1, [Abstain, For, Against, For]),
        { ...forged, voter: w2!.address },
        await signedBallot(s, a!, m1, [Against, Against, Against, Against]),
        await signedBallot(s, s.resident, m1, [For, For, For, For]),
        { ...(await signedBallot(s, w3!, m1, [For])), choices: 1n },
        await signedBallot(s, d!, m1, [For, For, For, Against]),
      ])
    ).wait();
    await finalizeAfterWindow(s, m1);

    // 2: a poll, where the resident answers too and every answer weighs one.
    const m2 = await announceOpenMeeting(s, [4, 4], { poll: true });
    await vote(s, s.resident, m2, [For, Against]);
    await vote(s, e!, m2, [For, For]);
    await finalizeAfterWindow(s, m2);

    // 3: a meeting without quorum; 4: cancelled before voting; 5: still open (live tallies).
    const m3 = await announceOpenMeeting(s, [0]);
    await vote(s, f!, m3, [For]);
    await finalizeAfterWindow(s, m3);
    const now = (await s.provider.getBlock("latest"))!.timestamp;
    await (await s.hall.connect(a!).announceMeeting(1, now + 100, now + 200, now + 300, `0x${"11".repeat(32)}`, [{ textRef: `0x${"22".repeat(32)}`, threshold: 0 }])).wait();
    const m4 = await s.hall.meetingCount();
    await (await s.hall.connect(a!).cancel(m4)).wait();
    const m5 = await announceOpenMeeting(s, [0, 2], { window: 100_000 });
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

  it("matches the contract's meeting data and getResults for every meeting", async () => {
    for (const id of meetingIds) {
      const { meeting } = await data(endpoint, MEETING_QUERY, { id: id.toString() });
      const onChain = await s.hall.getMeeting(id);
      const results = await s.hall.getResults(id);
      const status = nameAt(STATUSES, onChain.status);
      assert.equal(meeting.status, status, `meeting ${id} status`);
      assert.equal(meeting.kind, nameAt(KINDS, onChain.kind));
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
      results.forEach((tally, i) => {
        const q = meeting.questions[i];
        assert.equal(q.forWeight, tally.forWeight.toString(), `meeting ${id} question ${i} For`);
        assert.equal(q.againstWeight, tally.againstWeight.toString(), `meeting ${id} question ${i} Against`);
        assert.equal(q.abstainWeight, tally.abstainWeight.toString(), `meeting ${id} question ${i} Abstain`);
        assert.equal(q.decided, status === "Finalized");
        assert.equal(q.passed, status === "Finalized" ? tally.passed : null, `meeting ${id} question ${i} passed`);
      });
    }
  });

  it("holds exactly the ballots and rejections of the raw events, recounted to the same tallies", async () => {
    const recount = await recountFromEvents(s);
    for (const id of meetingIds) {
      const { meeting } = await data(endpoint, MEETING_QUERY, { id: id.toString() });
      const events = recount.ballots.filter((b) => b.meetingId === id.toString());
      assert.deepEqual(
        meeting.ballots.map((b: any) => [b.voter, b.weight, b.choices, b.transactionHash, Number(b.blockNumber), Number(b.logIndex)]).sort(),
        events.map((b) => [b.voter, b.weight.toString(), b.choices.toString(), b.tx, b.block, b.logIndex]).sort(),
      );
      for (const b of meeting.ballots) {
        assert.deepEqual(
          b.answers,
          unpackChoices(BigInt(b.choices), meeting.questionCount).map((c) => ANSWERS[c]),
        );
      }
      const tallies = Array.from({ length: meeting.questionCount }, () => [0n, 0n, 0n]);
      for (const b of events) {
        unpackChoices(b.choices, meeting.questionCount).forEach((c, q) => (tallies[q]![c - 1]! += b.weight));
      }
      tallies.forEach(([f, a, ab], q) => {
        assert.equal(meeting.questions[q].forWeight, f!.toString());
        assert.equal(meeting.questions[q].againstWeight, a!.toString());
        assert.equal(meeting.questions[q].abstainWeight, ab!.toString());
      });
      assert.deepEqual(
        meeting.rejectedBallots.map((r: any) => [r.voter, r.reason]).sort(),
        recount.rejected.filter((r) => r.meetingId === id.toString()).map((r) => [r.voter, r.reason]).sort(),
      );
    }
    const reasons = new Set(recount.rejected.map((r) => r.reason));
    for (const reason of ["BadSignature", "AlreadyVoted", "NotEligible", "MalformedChoices"]) assert.ok(reasons.has(reason), reason);
  });

  it("keeps owners' current weights and the building's totals", async () => {
    const d = await data(endpoint, `{ building(id: "1") { totalWeight electorateSize premisesCount members(first: 100) { account weight isOwner isResident } } }`);
    assert.equal(d.building.totalWeight, (await s.registry.totalWeight(1)).toString());
    assert.equal(d.building.premisesCount, Number(await s.registry.premisesCount()));
    for (const m of d.building.members) {
      assert.equal(m.weight, (await s.registry.weightOf(1, m.account)).toString(), m.account);
      assert.equal(m.isResident, await s.registry.isResident(1, m.account));
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
        MeetingHall: { ...s.overrides.MeetingHall!, startBlock: (await s.provider.getBlockNumber()) - 6 },
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
      assert.match(error.message, /^handle\w+ \(log \d+ of transaction 0x[0-9a-f]{64}\): .*was never announced/);
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
