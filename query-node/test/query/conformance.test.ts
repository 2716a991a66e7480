/**
 * Query conformance: a table of queries against a known chain, one or more per argument and filter
 * of The Graph's query API, with the expected answers; time-travel reads before and after a
 * ballot; errors and limits; and a reorg on the local node (evm_snapshot / evm_revert) that the
 * index follows.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Interface } from "ethers";
import { unpackChoices } from "#lib/ballot.js";
import { ANSWERS, BALLOT_FORMS, Choice, nameAt } from "#lib/domain.js";
import { QueryNode } from "../../src/query-node.js";
import { BUILD_DIR } from "../../../subgraph/scripts/paths.js";
import { data, graphql } from "../helpers/query-client.js";
import { TYPE, announceOpenMeeting, finalizeAfterWindow, signedBallot, startScenario, vote, type Scenario } from "../helpers/scenario.js";

const { For, Against, Abstain } = Choice;

interface BallotFact {
  id: string;
  meeting: string;
  voter: string;
  form: string;
  weight: bigint;
  answers: string[];
  block: number;
}

interface World {
  ballots: BallotFact[];
  a: string;
  b: string;
  resident: string;
  blockA: number;
  blockB: number;
  hashA: string;
  head: number;
  /** Owners and residents of the building. */
  members: number;
}

function ballotId(txHash: string, logIndex: number): string {
  const le = Buffer.alloc(4);
  le.writeInt32LE(logIndex);
  return txHash.toLowerCase() + le.toString("hex");
}

const sortedIds = (ballots: BallotFact[]) => ballots.map((b) => b.id).sort();

interface Case {
  name: string;
  query: string;
  expect: (w: World) => unknown;
  /** Compare only this projection of the answer. */
  project?: (data: any) => unknown;
}

const CASES: Case[] = [
  {
    name: "entity by id",
    query: `{ meeting(id: "1") { id kind status questionCount } }`,
    expect: () => ({ meeting: { id: "1", kind: "Meeting", status: "Finalized", questionCount: 2 } }),
  },
  { name: "entity by id that does not exist", query: `{ meeting(id: "999") { id } }`, expect: () => ({ meeting: null }) },
  {
    name: "entity with a Bytes id",
    query: `{ ballots(first: 1) { id } }`,
    expect: (w) => [sortedIds(w.ballots)[0]],
    project: (d) => d.ballots.map((b: any) => b.id),
  },
  {
    name: "collection: first defaults to 100, ordered by id",
    query: `{ ballots { id } }`,
    expect: (w) => sortedIds(w.ballots).slice(0, 100),
    project: (d) => d.ballots.map((b: any) => b.id),
  },
  {
    name: "collection: first and skip",
    query: `{ ballots(first: 5, skip: 100) { id } }`,
    expect: (w) => sortedIds(w.ballots).slice(100, 105),
    project: (d) => d.ballots.map((b: any) => b.id),
  },
  {
    name: "collection: first up to 1000",
    query: `{ ballots(first: 1000) { id } }`,
    expect: (w) => sortedIds(w.ballots),
    project: (d) => d.ballots.map((b: any) => b.id),
  },
  {
    name: "orderBy a BigInt, descending",
    query: `{ ballots(first: 1000, orderBy: weight, orderDirection: desc) { weight } }`,
    expect: (w) => w.ballots.map((b) => b.weight).sort((x, y) => (x < y ? 1 : x > y ? -1 : 0)).map(String),
    project: (d) => d.ballots.map((b: any) => b.weight),
  },
  {
    name: "orderBy an Int, ascending",
    query: `{ questions(orderBy: index) { id } }`,
    expect: () => ["1-0", "2-0", "1-1"],
    project: (d) => d.questions.map((q: any) => q.id),
  },
  {
    name: "orderBy a child field",
    query: `{ ballots(first: 1, orderBy: meeting__votingEnd, orderDirection: desc) { meeting { id } } }`,
    expect: () => ({ ballots: [{ meeting: { id: "2" } }] }),
  },
  {
    name: "where: equality on Bytes",
    query: `query ($a: Bytes!) { ballots(where: { voter: $a }) { voter } }`,
    expect: (w) => ({ ballots: [{ voter: w.a }] }),
  },
  {
    name: "where: _not",
    query: `query ($a: Bytes!) { ballots(first: 1000, where: { voter_not: $a }) { id } }`,
    expect: (w) => w.ballots.length - 1,
    project: (d) => d.ballots.length,
  },
  {
    name: "where: _gt, _gte, _lt, _lte on BigInt",
    query: `query ($x: BigInt!) {
      gt: ballots(first: 1000, where: { weight_gt: $x }) { id }
      gte: ballots(first: 1000, where: { weight_gte: $x }) { id }
      lt: ballots(first: 1000, where: { weight_lt: $x }) { id }
      lte: ballots(first: 1000, where: { weight_lte: $x }) { id }
    }`,
    expect: (w) => {
      const x = w.ballots.find((b) => b.voter === w.b)!.weight;
      const n = (f: (v: bigint) => boolean) => w.ballots.filter((b) => f(b.weight)).length;
      return [n((v) => v > x), n((v) => v >= x), n((v) => v < x), n((v) => v <= x)];
    },
    project: (d) => [d.gt.length, d.gte.length, d.lt.length, d.lte.length],
  },
  {
    name: "where: _in and _not_in",
    query: `query ($a: Bytes!, $b: Bytes!) {
      in: ballots(where: { voter_in: [$a, $b] }, orderBy: weight) { voter }
      notIn: ballots(first: 1000, where: { voter_not_in: [$a, $b] }) { id }
      none: ballots(where: { voter_in: [] }) { id }
    }`,
    expect: (w) => [[w.a, w.b], w.ballots.length - 2, 0],
    project: (d) => [d.in.map((b: any) => b.voter), d.notIn.length, d.none.length],
  },
  {
    name: "where: enum equality, _not, _in",
    query: `{
      eq: questions(where: { ruleBase: All }) { id }
      not: questions(where: { ruleBase_not: All }, orderBy: id) { id }
      in: questions(where: { ruleBase_in: [Participants, All] }, orderBy: id) { id }
    }`,
    expect: () => ({ eq: [{ id: "1-1" }], not: [{ id: "1-0" }, { id: "2-0" }], in: [{ id: "1-0" }, { id: "1-1" }] }),
  },
  {
    name: "where: enum of an immutable entity, _in and _not_in",
    query: `{
      direct: ballots(first: 1000, where: { form: Direct }) { id }
      relayed: ballots(first: 1000, where: { form_in: [Relayed, Paper] }) { id }
      notDirect: ballots(first: 1000, where: { form_not_in: [Direct] }) { id }
    }`,
    expect: (w) => [w.ballots.filter((b) => b.form === "Direct").length, w.ballots.filter((b) => b.form !== "Direct").length, w.ballots.filter((b) => b.form !== "Direct").length],
    project: (d) => [d.direct.length, d.relayed.length, d.notDirect.length],
  },
  {
    name: "where: null and not null on a nullable reference",
    query: `{
      withRules: questions(where: { type_not: null }, orderBy: id) { id type { code } }
      withoutRules: questions(where: { type: null }) { id }
    }`,
    expect: () => ({ withRules: [{ id: "1-0", type: { code: "other" } }, { id: "1-1", type: { code: "44.2.2" } }], withoutRules: [{ id: "2-0" }] }),
  },
  {
    name: "where: Boolean and null",
    query: `{
      decided: questions(where: { decided: true }, orderBy: id) { id }
      undecided: questions(where: { passed: null }) { id }
      withResult: questions(where: { passed_not: null }, orderBy: id) { id }
    }`,
    expect: () => ({ decided: [{ id: "1-0" }, { id: "1-1" }], undecided: [{ id: "2-0" }], withResult: [{ id: "1-0" }, { id: "1-1" }] }),
  },
  {
    name: "where: String _contains, _not_contains, _starts_with, _ends_with and _nocase",
    query: `query ($aSuffix: ID!, $aPrefix: ID!, $aUpper: ID!) {
      contains: members(where: { id_contains: $aSuffix }) { id }
      notContains: members(first: 1000, where: { id_not_contains: $aSuffix }) { id }
      startsWith: members(where: { id_starts_with: $aPrefix }) { id }
      notStartsWith: members(first: 1000, where: { id_not_starts_with: $aPrefix }) { id }
      endsWith: members(where: { id_ends_with: $aSuffix }) { id }
      notEndsWith: members(first: 1000, where: { id_not_ends_with: $aSuffix }) { id }
      nocase: members(where: { id_contains_nocase: $aUpper }) { id }
      startsNocase: members(where: { id_starts_with_nocase: $aUpper }) { id }
    }`,
    expect: (w) => {
      const total = w.members;
      const a = `1-${w.a}`;
      return [[a], total - 1, [a], total - 1, [a], total - 1, [a], [a]];
    },
    project: (d) => [
      d.contains.map((m: any) => m.id),
      d.notContains.length,
      d.startsWith.map((m: any) => m.id),
      d.notStartsWith.length,
      d.endsWith.map((m: any) => m.id),
      d.notEndsWith.length,
      d.nocase.map((m: any) => m.id),
      d.startsNocase.map((m: any) => m.id),
    ],
  },
  {
    name: "where: Bytes _contains and _not_contains",
    query: `query ($part: Bytes!) {
      contains: ballots(where: { voter_contains: $part }) { voter }
      notContains: ballots(first: 1000, where: { voter_not_contains: $part }) { id }
    }`,
    expect: (w) => [[w.a], w.ballots.length - 1],
    project: (d) => [d.contains.map((b: any) => b.voter), d.notContains.length],
  },
  {
    name: "where: list _contains and _not_contains",
    query: `{
      contains: ballots(first: 1000, where: { answers_contains: [Against, Abstain] }) { id }
      notContains: ballots(first: 1000, where: { answers_not_contains: [Against] }) { id }
    }`,
    expect: (w) => [
      w.ballots.filter((b) => b.answers.includes("Against") && b.answers.includes("Abstain")).length,
      w.ballots.filter((b) => !b.answers.includes("Against")).length,
    ],
    project: (d) => [d.contains.length, d.notContains.length],
  },
  {
    name: "where: and / or",
    query: `query ($a: Bytes!, $b: Bytes!, $x: BigInt!) {
      or: ballots(where: { or: [{ voter: $a }, { voter: $b }] }, orderBy: weight) { voter }
      and: ballots(first: 1000, where: { and: [{ weight_gte: $x }, { meeting: "1" }] }) { id }
    }`,
    expect: (w) => {
      const x = w.ballots.find((b) => b.voter === w.b)!.weight;
      return [[w.a, w.b], w.ballots.filter((b) => b.weight >= x && b.meeting === "1").length];
    },
    project: (d) => [d.or.map((b: any) => b.voter), d.and.length],
  },
  {
    name: "where: nested filter on a reference",
    query: `{ ballots(where: { meeting_: { kind: Poll } }) { meeting { id } } }`,
    expect: () => ({ ballots: [{ meeting: { id: "2" } }] }),
  },
  {
    name: "where: nested filter on a @derivedFrom list",
    query: `query ($r: Bytes!) { meetings(where: { ballots_: { voter: $r } }) { id } }`,
    expect: () => ({ meetings: [{ id: "2" }] }),
  },
  {
    name: "@derivedFrom list with first, orderBy and where",
    query: `query ($a: Bytes!, $b: Bytes!) {
      meeting(id: "1") { ballots(first: 2, orderBy: weight, orderDirection: desc, where: { voter_in: [$a, $b] }) { voter } }
    }`,
    expect: (w) => ({ meeting: { ballots: [{ voter: w.b }, { voter: w.a }] } }),
  },
  {
    name: "where: _change_block",
    query: `query ($n: Int!) { ballots(where: { _change_block: { number_gte: $n } }, orderBy: blockNumber) { blockNumber } }`,
    expect: (w) => w.ballots.filter((b) => b.block >= w.blockB).map((b) => String(b.block)).sort(),
    project: (d) => d.ballots.map((b: any) => b.blockNumber),
  },
  {
    name: "time travel: block number before and at a ballot",
    query: `query ($before: Int!, $at: Int!) {
      before: question(id: "1-0", block: { number: $before }) { forWeight }
      at: question(id: "1-0", block: { number: $at }) { forWeight }
      ballotsBefore: ballots(block: { number: $before }) { id }
      meetingAt: meeting(id: "1", block: { number: $at }) { ballotCount status }
    }`,
    expect: (w) => ({
      before: { forWeight: "0" },
      at: { forWeight: w.ballots.find((b) => b.voter === w.a)!.weight.toString() },
      ballotsBefore: [],
      meetingAt: { ballotCount: 1, status: "Announced" },
    }),
  },
  {
    name: "time travel: block hash",
    query: `query ($hash: Bytes!) { meeting(id: "1", block: { hash: $hash }) { ballotCount } }`,
    expect: () => ({ meeting: { ballotCount: 1 } }),
  },
  {
    name: "time travel: number_gte within the indexed range",
    query: `query ($head: Int!) { meeting(id: "1", block: { number_gte: $head }) { status } }`,
    expect: () => ({ meeting: { status: "Finalized" } }),
  },
  {
    name: "_meta at a past block",
    query: `query ($at: Int!) { _meta(block: { number: $at }) { block { number hash } } }`,
    expect: (w) => ({ _meta: { block: { number: w.blockA, hash: w.hashA } } }),
  },
];

describe("query conformance", () => {
  let s: Scenario;
  let node: QueryNode;
  let endpoint: string;
  let world: World;
  let pollId: bigint;

  before(async () => {
    s = await startScenario({ owners: 3, wallets: 110 });
    const [a, b, c] = s.owners;
    const m1 = await announceOpenMeeting(s, [TYPE.other, TYPE.landPlot]);
    await vote(s, a!, m1, [For, For]);
    const answersOf = (i: number): Choice[] => [([For, Against, Abstain] as const)[i % 3]!, i % 2 === 0 ? For : Against];
    const relayed = await Promise.all(s.wallets.map((w, i) => signedBallot(s, w, m1, answersOf(i))));
    await (await s.hall.castBallotsBySig(m1, relayed)).wait();
    await vote(s, b!, m1, [Against, Abstain]);
    await finalizeAfterWindow(s, m1);
    pollId = await announceOpenMeeting(s, [0], { poll: true, window: 100_000 });
    await vote(s, s.resident, pollId, [For]);
    void c;

    const hall = new Interface(s.hall.interface.fragments);
    const logs = await s.provider.getLogs({ address: s.deployment.contracts.MeetingHall.address, fromBlock: 0 });
    const ballots: BallotFact[] = [];
    for (const log of logs) {
      const parsed = hall.parseLog(log);
      if (parsed?.name !== "BallotCast") continue;
      const meeting = parsed.args.meetingId.toString();
      ballots.push({
        id: ballotId(log.transactionHash, log.index),
        meeting,
        voter: (parsed.args.voter as string).toLowerCase(),
        form: nameAt(BALLOT_FORMS, parsed.args.form as bigint)!,
        weight: parsed.args.weight as bigint,
        answers: unpackChoices(parsed.args.choices as bigint, meeting === "1" ? 2 : 1).map((x) => ANSWERS[x]!),
        block: log.blockNumber,
      });
    }
    const aAddress = (await a!.getAddress()).toLowerCase();
    const bAddress = (await b!.getAddress()).toLowerCase();
    const blockA = ballots.find((x) => x.voter === aAddress)!.block;
    world = {
      ballots,
      a: aAddress,
      b: bAddress,
      resident: (await s.resident.getAddress()).toLowerCase(),
      blockA,
      blockB: ballots.find((x) => x.voter === bAddress)!.block,
      hashA: (await s.provider.getBlock(blockA))!.hash!,
      head: await s.provider.getBlockNumber(),
      members: s.owners.length + s.wallets.length + 1,
    };

    node = await QueryNode.open({
      buildDir: BUILD_DIR,
      databaseFile: path.join(s.dataDir, "conformance.sqlite"),
      name: "digital-home/conformance",
      overrides: s.overrides,
      rpcUrl: s.chain.url,
    });
    await node.indexer.syncToHead();
    endpoint = `${(await node.listen()).url}/subgraphs/name/digital-home/conformance`;
  });

  after(async () => {
    await node?.close();
    await s?.close();
  });

  const variables = (w: World) => ({
    a: w.a,
    b: w.b,
    r: w.resident,
    x: w.ballots.find((x) => x.voter === w.b)!.weight.toString(),
    part: "0x" + w.a.slice(6, 14),
    aSuffix: w.a.slice(-12),
    aPrefix: `1-${w.a.slice(0, 10)}`,
    aUpper: `1-0X${w.a.slice(2).toUpperCase()}`.slice(0, 20),
    n: w.blockB,
    before: w.blockA - 1,
    at: w.blockA,
    hash: w.hashA,
    head: w.head,
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const all = variables(world);
      const used = Object.fromEntries(Object.entries(all).filter(([k]) => new RegExp(`\\$${k}\\b`).test(c.query)));
      const d = await data(endpoint, c.query, used);
      assert.deepEqual(c.project ? c.project(d) : d, c.expect(world));
    });
  }

  describe("errors and limits", () => {
    const rejects = async (query: string, pattern: RegExp, variables?: Record<string, unknown>) => {
      const answer = await graphql(endpoint, query, variables);
      assert.equal(answer.data, undefined);
      assert.ok(answer.errors && answer.errors.length > 0, "an error is reported");
      assert.match(answer.errors![0]!.message, pattern);
    };

    it("rejects an unknown field", () => rejects(`{ meetings { id color } }`, /Cannot query field "color"/));
    it("rejects an unknown filter", () => rejects(`{ meetings(where: { color: 1 }) { id } }`, /color/));
    it("rejects a wrongly typed argument", () => rejects(`{ meetings(first: "ten") { id } }`, /Int cannot represent/));
    it("rejects first above 1000", () => rejects(`{ ballots(first: 1001) { id } }`, /`first` argument must be between 0 and 1000/));
    it("rejects a negative skip", () => rejects(`{ ballots(skip: -1) { id } }`, /`skip` argument/));
    it("rejects a block that is not indexed yet", () =>
      rejects(`query ($n: Int!) { meetings(block: { number: $n }) { id } }`, /has only indexed up to block number/, { n: world.head + 10 }));
    it("rejects number_gte beyond the head", () =>
      rejects(`query ($n: Int!) { meetings(block: { number_gte: $n }) { id } }`, /not yet available/, { n: world.head + 1 }));
    it("rejects an unknown block hash", () =>
      rejects(`{ meetings(block: { hash: "0x${"00".repeat(32)}" }) { id } }`, /no block with that hash/));
    it("rejects a query deeper than the limit", () => {
      const deep = "{ meetings { building { meetings { building { meetings { building { meetings { building { meetings { building { meetings { building { id } } } } } } } } } } } } }";
      return rejects(deep, /exceeds the limit of 12/);
    });
    it("rejects a value that does not fit its type", async () => {
      await rejects(`{ ballot(id: "0xzz") { id } }`, /invalid value for id \(Bytes\)/);
      await rejects(`{ ballots(where: { weight_gt: "many" }) { id } }`, /invalid value for weight \(BigInt\)/);
    });
    it("rejects a syntax error", () => rejects(`{ meetings { id `, /Syntax Error/));

    it("answers HTTP errors for bad requests and unknown subgraphs, and stays up", async () => {
      const bad = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
      assert.equal(bad.status, 400);
      const unknown = await fetch(endpoint.replace("conformance", "nope"), { method: "POST", body: JSON.stringify({ query: "{ _meta { deployment } }" }) });
      assert.equal(unknown.status, 404);
      const get = await fetch(`${endpoint}?query=${encodeURIComponent('{ meeting(id: "1") { id } }')}`);
      assert.deepEqual(await get.json(), { data: { meeting: { id: "1" } } });
    });

    it("limits the size of a result", async () => {
      const small = await QueryNode.open({
        buildDir: BUILD_DIR,
        databaseFile: path.join(s.dataDir, "conformance.sqlite"),
        name: "small",
        overrides: s.overrides,
        rpcUrl: s.chain.url,
        limits: { maxDepth: 12, maxEntities: 50, maxBodyBytes: 10_000 },
      });
      try {
        const answer = small.query({ query: "{ ballots(first: 100) { id } }" });
        assert.match(answer.errors![0]!.message, /exceeds the limit/);
        assert.equal(answer.data, undefined);
      } finally {
        small.store.close();
      }
    });
  });

  describe("reorgs and confirmations", () => {
    it("leaves the last blocks unindexed until they have the configured confirmations", async () => {
      const confirmed = await QueryNode.open({
        buildDir: BUILD_DIR,
        databaseFile: path.join(s.dataDir, "confirmed.sqlite"),
        name: "confirmed",
        overrides: s.overrides,
        rpcUrl: s.chain.url,
        confirmations: 2,
      });
      try {
        await confirmed.indexer.syncToHead();
        assert.equal(confirmed.store.cursor()!.number, (await s.provider.getBlockNumber()) - 2);
      } finally {
        await confirmed.close();
      }
    });

    it("reverts the entity changes of abandoned blocks and follows the new chain", async () => {
      const [a, , c] = s.owners;
      const snapshot = await s.provider.send("evm_snapshot", []);
      await vote(s, c!, pollId, [Against]);
      await node.indexer.syncToHead();
      const abandoned = node.store.cursor()!;
      const cVoter = (await c!.getAddress()).toLowerCase();
      let d = await data(endpoint, `{ meeting(id: "${pollId}") { ballotCount ballots { voter } questions { forWeight againstWeight } } }`);
      assert.equal(d.meeting.ballotCount, 2);
      assert.deepEqual(d.meeting.questions, [{ forWeight: "1", againstWeight: "1" }]);

      assert.equal(await s.provider.send("evm_revert", [snapshot]), true);
      await vote(s, a!, pollId, [For]);
      await s.provider.send("evm_mine", []);
      await node.indexer.syncToHead();

      const head = (await s.provider.getBlock("latest"))!;
      d = await data(
        endpoint,
        `query ($n: Int!) {
          meeting(id: "${pollId}") { ballotCount ballots { voter } questions { forWeight againstWeight } }
          atReplaced: meeting(id: "${pollId}", block: { number: $n }) { ballotCount }
          _meta { block { number hash } }
        }`,
        { n: abandoned.number },
      );
      assert.deepEqual(d._meta.block, { number: head.number, hash: head.hash });
      assert.notEqual(d._meta.block.hash, abandoned.hash);
      assert.equal(d.meeting.ballotCount, 2);
      assert.ok(!d.meeting.ballots.some((x: any) => x.voter === cVoter), "the abandoned ballot is gone");
      assert.deepEqual(d.meeting.questions, [{ forWeight: "2", againstWeight: "0" }]);
      assert.equal(d.atReplaced.ballotCount, 2);
      const gone = await graphql(endpoint, `{ meetings(block: { hash: "${abandoned.hash}" }) { id } }`);
      assert.match(gone.errors![0]!.message, /no block with that hash/);
      const results = await s.hall.getResults(pollId);
      assert.equal(d.meeting.questions[0].forWeight, results[0]!.forWeight.toString());
    });
  });
});
