/**
 * Eligibility against a real node: a voter's weight at the meeting's snapshot (a sale after it
 * changes nothing), one a person in a poll (owners and registered residents), the cache (one
 * warm-up per building, snapshot and kind, then no call for anyone the register's events named;
 * one call for the voters asked about together), an unknown meeting or building, and a node that
 * cannot be reached.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet, ZeroHash, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { SHARE_UNIT } from "#lib/domain.js";
import { HttpJsonRpcProvider } from "#lib/rpc.js";
import { IBuildingRegistry__factory } from "#typechain/index.js";
import { createProvider } from "../src/chain.js";
import { Eligibility } from "../src/eligibility.js";
import { KIND_POLL, MeetingDirectory, STATUS_ANNOUNCED, type MeetingInfo } from "../src/meetings.js";
import { codeOf } from "./helpers/intake.js";
import { BUILDING, startDeployedChain, type DeployedChain } from "./helpers/local-chain.js";

const VOTERS_AT = IBuildingRegistry__factory.createInterface().getFunction("votersAt")!.selector;

/** The relayer's transport, logging each call: its method, and for eth_call the function. */
class LoggedProvider extends HttpJsonRpcProvider {
  readonly calls: string[] = [];

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    for (const p of Array.isArray(payload) ? payload : [payload]) {
      const data = (p.params as Array<{ data?: string }> | undefined)?.[0]?.data;
      this.calls.push(p.method === "eth_call" && data?.startsWith(VOTERS_AT) ? "votersAt" : p.method);
    }
    return super._send(payload);
  }
}

let chain: DeployedChain;
let logged: LoggedProvider;
/** The register before and after a sale: owner 0 sells their flat to the buyer after `before`. */
let snapshots: { before: number; after: number };
const buyer = Wallet.createRandom();
const resident = Wallet.createRandom();
/** Spouses holding a flat jointly (bought after `before`), one of them a parking space alone too. */
const spouses = [Wallet.createRandom(), Wallet.createRandom()];

before(async () => {
  chain = await startDeployedChain({ owners: 6 });
  logged = new LoggedProvider(chain.url, chain.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  await (await chain.registry.setResidents(BUILDING, [resident.address], true)).wait();
  await chain.advance(5);
  const early = await chain.now();
  await chain.advance(5);
  await (await chain.registry.setOwners(1n, [{ holders: [buyer.address], share: SHARE_UNIT }])).wait();
  await (
    await chain.registry.addPremises(BUILDING, [
      { area: 4000n, kind: 0, ref: ZeroHash, holdings: [{ holders: spouses.map((w) => w.address), share: SHARE_UNIT }] },
      { area: 1500n, kind: 2, ref: ZeroHash, holdings: [{ holders: [spouses[0]!.address], share: SHARE_UNIT }] },
    ])
  ).wait();
  await chain.advance(5);
  snapshots = { before: early, after: await chain.now() };
  await chain.advance(5);
});
after(async () => {
  logged?.destroy();
  await chain?.close();
});

function meeting(snapshot: number, options: { kind?: number; meetingId?: bigint; buildingId?: bigint } = {}): MeetingInfo {
  return {
    meetingId: options.meetingId ?? 1n,
    buildingId: options.buildingId ?? BUILDING,
    kind: options.kind ?? 0,
    status: STATUS_ANNOUNCED,
    questionCount: 3,
    snapshot,
    votingStart: snapshot + 1,
    votingEnd: snapshot + 86_400,
  };
}
const eligibility = () => new Eligibility(logged, chain.deployment.contracts.BuildingRegistry.address, chain.deployment.startBlock);
/** The weight a voter holds alone at the meeting's snapshot, as the standing gives it. */
const weightOf = async (e: Eligibility, m: MeetingInfo, voter: string) => (await e.standing(m, voter)).weight;

describe("Eligibility.weight", () => {
  it("weighs a voter at the meeting's snapshot, not as the register stands now", async () => {
    const e = eligibility();
    const [seller] = chain.owners;
    const weightAt = (voter: string, t: number) => chain.registry.weightAt(BUILDING, voter, t);
    const sold = await weightAt(seller!.address, snapshots.before);
    assert.ok(sold > 0n);
    assert.equal(await weightOf(e, meeting(snapshots.before), seller!.address), sold);
    assert.equal(await weightOf(e, meeting(snapshots.before), buyer.address), 0n, "bought after the snapshot");
    assert.equal(await weightOf(e, meeting(snapshots.after), seller!.address), 0n, "sold before the snapshot");
    assert.equal(await weightOf(e, meeting(snapshots.after), buyer.address), sold);
    for (const [i, owner] of chain.owners.entries()) {
      if (i === 0) continue;
      assert.equal(await weightOf(e, meeting(snapshots.after), owner.address), await weightAt(owner.address, snapshots.after));
    }
    assert.equal(await weightOf(e, meeting(snapshots.after), resident.address), 0n, "a resident who owns nothing has no share");
    assert.equal(await weightOf(e, meeting(snapshots.after), Wallet.createRandom().address), 0n);
  });

  it("counts one a person in a poll: every owner and registered resident at its snapshot", async () => {
    const e = eligibility();
    const poll = (t: number) => meeting(t, { kind: KIND_POLL, meetingId: 2n });
    assert.equal(await weightOf(e, poll(snapshots.before), chain.owners[0]!.address), 1n);
    assert.equal(await weightOf(e, poll(snapshots.before), chain.owners[3]!.address), 1n);
    assert.equal(await weightOf(e, poll(snapshots.before), resident.address), 1n);
    assert.equal(await weightOf(e, poll(snapshots.before), buyer.address), 0n);
    assert.equal(await weightOf(e, poll(snapshots.after), chain.owners[0]!.address), 0n);
    assert.equal(await weightOf(e, poll(snapshots.after), buyer.address), 1n);
    assert.equal(await weightOf(e, poll(snapshots.after), Wallet.createRandom().address), 0n);
  });
});

describe("Eligibility.standing: joint owners", () => {
  it("gives each joint owner their weight alone and the joint group they hold the flat through, at the snapshot", async () => {
    const e = eligibility();
    const group = await chain.registry.jointGroupOf(BUILDING, spouses.map((w) => w.address));
    const [husband, wife] = await Promise.all(spouses.map((w) => e.standing(meeting(snapshots.after), w.address)));
    assert.equal(husband!.weight, 1500n * SHARE_UNIT, "the parking space he holds alone");
    assert.equal(wife!.weight, 0n, "she holds nothing alone");
    for (const s of [husband!, wife!]) {
      assert.deepEqual(
        s.groups.map((g) => [g.group, g.weight]),
        [[group, 4000n * SHARE_UNIT]],
        "the jointly held flat, whole, through their group",
      );
    }
    const before = await e.standing(meeting(snapshots.before), spouses[1]!.address);
    assert.deepEqual([before.weight, before.groups], [0n, []], "before they bought it, nothing");
    const group0 = await e.standing(meeting(snapshots.after), group);
    assert.deepEqual([group0.weight, group0.groups], [0n, []], "the group itself is no voter");
  });

  it("counts each joint owner one person in a poll, with no groups", async () => {
    const e = eligibility();
    for (const w of spouses) {
      const s = await e.standing(meeting(snapshots.after, { kind: KIND_POLL, meetingId: 3n }), w.address);
      assert.deepEqual([s.weight, s.groups], [1n, []]);
    }
  });
});

describe("Eligibility: the cache", () => {
  it("loads everyone the register's events name at the first lookup of a building and snapshot, then asks nothing for them", async () => {
    const e = eligibility();
    logged.calls.length = 0;
    const m = meeting(snapshots.after);
    await weightOf(e, m, chain.owners[2]!.address);
    assert.deepEqual(logged.calls, ["eth_getLogs", "votersAt"], "one read of the events, one call for every member");
    for (const v of [...chain.owners, buyer, resident]) await weightOf(e, m, v.address);
    await weightOf(e, meeting(snapshots.after, { meetingId: 7n }), chain.owners[4]!.address);
    assert.deepEqual(logged.calls, ["eth_getLogs", "votersAt"], "members, and another meeting with the same register, from the cache");

    await weightOf(e, meeting(snapshots.after, { kind: KIND_POLL }), chain.owners[4]!.address);
    await weightOf(e, meeting(snapshots.before), chain.owners[4]!.address);
    assert.deepEqual(logged.calls.slice(2), ["eth_getLogs", "votersAt", "eth_getLogs", "votersAt"], "a poll, and another snapshot, are other registers");
  });

  it("asks for voters the events did not name once, together, and remembers them", async () => {
    const e = eligibility();
    const m = meeting(snapshots.after);
    await e.prepare(m);
    logged.calls.length = 0;
    const strangers = [Wallet.createRandom().address, Wallet.createRandom().address];
    const weights = await Promise.all([weightOf(e, m, strangers[0]!), weightOf(e, m, strangers[1]!), weightOf(e, m, strangers[0]!)]);
    assert.deepEqual(weights, [0n, 0n, 0n]);
    assert.deepEqual(logged.calls, ["votersAt"], "one call for the voters asked about together");
    await weightOf(e, m, strangers[1]!);
    assert.deepEqual(logged.calls, ["votersAt"]);
  });

  it("asks for one voter once however many ballots ask at the same time", async () => {
    const e = eligibility();
    logged.calls.length = 0;
    const m = meeting(snapshots.before);
    const all = await Promise.all(Array.from({ length: 20 }, () => weightOf(e, m, chain.owners[1]!.address)));
    assert.ok(all.every((w) => w === all[0] && w > 0n));
    assert.deepEqual(logged.calls, ["eth_getLogs", "votersAt"]);
  });
});

describe("Eligibility: the cache's bound", () => {
  it("evicts the voters used least recently when full, instead of forgetting everyone", async () => {
    const e = new Eligibility(logged, chain.deployment.contracts.BuildingRegistry.address, chain.deployment.startBlock, 2, { cacheLimit: 5 });
    const m = meeting(snapshots.after);
    const strangers = Array.from({ length: 12 }, () => Wallet.createRandom().address);
    for (const v of strangers) await weightOf(e, m, v);
    logged.calls.length = 0;
    for (const v of strangers.slice(-4)) await weightOf(e, m, v);
    assert.deepEqual(logged.calls, [], "the most recent voters are still answered from the cache");
    await weightOf(e, m, strangers[0]!);
    assert.deepEqual(logged.calls, ["votersAt"], "the coldest was evicted and is asked again");
    for (let i = 0; i < 3; i++) await weightOf(e, m, strangers.at(-1)!);
    assert.deepEqual(logged.calls, ["votersAt"]);
    assert.ok(e.cachedStandings <= 5);
  });
});

describe("Eligibility: unknown meetings and buildings, and the node gone", () => {
  it("never reaches eligibility for a meeting the hall does not know: the directory answers unknown_meeting", async () => {
    const directory = new MeetingDirectory(chain.provider, chain.deployment.contracts.MeetingHall.address);
    try {
      assert.equal((await codeOf(directory.meeting(999n))).code, "unknown_meeting");
    } finally {
      directory.stop();
    }
  });

  it("weighs nobody in a building the registry does not know", async () => {
    const e = eligibility();
    assert.equal(await weightOf(e, meeting(snapshots.after, { buildingId: 99n }), chain.owners[2]!.address), 0n);
  });

  it("refuses as chain_unavailable when the node cannot be reached, and keeps no failure as an answer", async () => {
    const gone = createProvider("http://127.0.0.1:9", chain.chainId, 2_000);
    try {
      const e = new Eligibility(gone, chain.deployment.contracts.BuildingRegistry.address, chain.deployment.startBlock);
      assert.equal((await codeOf(weightOf(e, meeting(snapshots.after), chain.owners[2]!.address))).code, "chain_unavailable");
      assert.equal((await codeOf(weightOf(e, meeting(snapshots.after), chain.owners[2]!.address))).code, "chain_unavailable", "a failure is not cached");
    } finally {
      gone.destroy();
    }
  });
});
