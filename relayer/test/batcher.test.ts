/**
 * The batcher: how it plans batches from the queue (size and wait limits, a meeting's batches held
 * while one is in flight, one meeting a batch, the gas bound, oldest first, a closing meeting first
 * and at once) over a real queue, and
 * how it simulates a batch against a real node before it is sent.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, afterEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Wallet, ZeroAddress } from "ethers";
import { Batcher, TX_GAS_CAP, encodeCastBallotsBySig, type BatcherOptions } from "../src/batcher.js";
import { createProvider, meetingHallInterface } from "../src/chain.js";
import type { NewBallot } from "../src/queue.js";
import { SqliteBallotStore } from "../src/sqlite-queue.js";
import { CHOICES, devAccount, type signedBallot } from "./helpers/chain.js";
import { startDeployedChain, type DeployedChain } from "./helpers/local-chain.js";

let chain: DeployedChain;
before(async () => {
  chain = await startDeployedChain({ owners: 12 });
});
after(() => chain?.close());

let store: SqliteBallotStore;
beforeEach(() => {
  store = new SqliteBallotStore(":memory:", 0);
});
afterEach(() => store.close());

let serial = 0;
/** A ballot of the queue (planning never reads its signature). */
function queued(meetingId: bigint): NewBallot {
  serial++;
  const word = (n: number, bytes: number) => "0x" + n.toString(16).padStart(bytes * 2, "0");
  return { id: word(serial, 32), meetingId, voter: word(serial, 20), choices: CHOICES, signature: word(serial, 65), representative: ZeroAddress, powerOfAttorney: 0n, deadline: 2000n };
}
function fill(meetingId: bigint, n: number): NewBallot[] {
  const ballots = Array.from({ length: n }, () => queued(meetingId));
  for (const b of ballots) assert.equal(store.insert(b).kind, "inserted");
  return ballots;
}

const OPTIONS: BatcherOptions = {
  batchSize: 100,
  batchWaitMs: 200,
  maxBatchGas: 15_000_000,
  maxPlanned: 100,
  maxHoldMs: 3_000,
  forwarderAddress: "0x" + "f0".repeat(20),
};
const batcher = (options: Partial<BatcherOptions> = {}) => new Batcher(store, chain.provider, chain.deployment.contracts.MeetingHall.address, { ...OPTIONS, ...options });
const oldest = () => Math.min(...store.queuedMeetings().map((m) => m.oldest));
/** Sizes of the planned batches, oldest first, with their meetings. */
const planned = () => store.plannedBatches(1_000).map((b) => ({ meetingId: b.meetingId, size: b.ballots.length }));

describe("Batcher.plan: size and wait", () => {
  it("plans full batches at once, never more than batchSize ballots, and leaves the rest to wait", () => {
    fill(1n, 250);
    assert.equal(batcher().plan(oldest()), 2);
    assert.deepEqual(planned(), [
      { meetingId: 1n, size: 100 },
      { meetingId: 1n, size: 100 },
    ]);
    assert.equal(store.counts().queued, 50);
  });

  it("holds a partial batch until its oldest ballot has waited batchWaitMs", () => {
    fill(1n, 5);
    const b = batcher();
    const t = oldest();
    assert.equal(b.plan(t + 199), 0);
    assert.equal(b.plan(t + 200), 1);
    assert.deepEqual(planned(), [{ meetingId: 1n, size: 5 }]);
  });

  it("holds a partial batch while a batch of its meeting is planned or sent, up to maxHoldMs more", () => {
    fill(1n, 3);
    const b = batcher();
    assert.equal(b.plan(oldest() + 200), 1);
    const first = store.plannedBatches(1)[0]!;
    fill(1n, 4);
    const t = oldest();
    assert.equal(b.plan(t + 200), 0, "a batch of the meeting is planned");
    store.recordSent(first.id, tx(first.id, 0));
    assert.equal(b.plan(t + 200), 0, "a batch of the meeting is sent, not mined");
    assert.equal(b.plan(t + 3_199), 0);
    assert.equal(b.plan(t + 3_200), 1, "held no longer than maxHoldMs");
    assert.deepEqual(planned(), [{ meetingId: 1n, size: 4 }]);
  });

  it("holds a partial batch no longer once the meeting's batch in flight is mined", () => {
    const sent = fill(1n, 3);
    const b = batcher();
    b.plan(oldest() + 200);
    const first = store.plannedBatches(1)[0]!;
    store.recordSent(first.id, tx(first.id, 0));
    fill(1n, 4);
    const t = oldest();
    assert.equal(b.plan(t + 200), 0);
    const mined = (voter: string, i: number) => ({ voter, txHash: first.txs[0]?.hash ?? tx(first.id, 0).hash, blockNumber: 10, logIndex: i, weight: "1" });
    store.completeBatch(first.id, { confirmed: sent.map((x, i) => mined(x.voter, i)), rejected: [] });
    assert.equal(b.plan(t + 200), 1);
    assert.deepEqual(planned(), [{ meetingId: 1n, size: 4 }]);
  });

  it("plans only full batches of a meeting in a pass: the rest waits, as a batch of its meeting is then in flight", () => {
    fill(1n, 130);
    const b = batcher();
    const t = oldest();
    assert.equal(b.plan(t + 200), 1);
    assert.deepEqual(planned(), [{ meetingId: 1n, size: 100 }]);
    const rest = oldest();
    assert.ok(rest >= t);
    assert.equal(b.plan(rest + 200), 0, "the remaining 30 wait for the first batch");
    assert.equal(b.plan(rest + 3_200), 1, "held no longer than maxHoldMs");
    assert.deepEqual(planned().map((p) => p.size), [100, 30]);
  });
});

describe("Batcher.plan: meetings and order", () => {
  it("never mixes meetings in a batch", () => {
    for (let i = 0; i < 3; i++) for (const m of [1n, 2n, 3n]) fill(m, 2);
    assert.equal(batcher().plan(Date.now() + 200), 3);
    const batches = store.plannedBatches(10);
    assert.deepEqual(batches.map((b) => b.ballots.length), [6, 6, 6]);
    for (const batch of batches) assert.ok(batch.ballots.every((x) => x.meetingId === batch.meetingId));
    assert.deepEqual(new Set(batches.map((b) => b.meetingId)), new Set([1n, 2n, 3n]));
  });

  it("takes the meeting whose oldest ballot waited longest first when room is short, and a meeting's oldest ballots first", async () => {
    const early = fill(2n, 3);
    await sleep(5);
    fill(1n, 3);
    await sleep(5);
    // Ids that sort before the earlier ones: order is by arrival, not by id.
    const late = Array.from({ length: 3 }, (_, i) => ({ ...queued(2n), id: "0x" + "00".repeat(31) + String(i + 1).padStart(2, "0") }));
    for (const b of late) assert.equal(store.insert(b).kind, "inserted");
    const b = batcher({ maxPlanned: 1, batchSize: 3 });
    assert.equal(b.plan(Date.now() + 200), 1);
    const [batch] = store.plannedBatches(10);
    assert.equal(batch!.meetingId, 2n);
    assert.deepEqual(batch!.ballots.map((x) => x.id), early.map((x) => x.id));
    assert.equal(b.plan(Date.now() + 200), 0, "no room: one batch may wait for a sender");
  });

  it("sends a meeting about to close first and at once: no batch window, no hold, ahead of every other meeting's batches", async () => {
    fill(2n, 3);
    await sleep(5);
    const closing = fill(1n, 2);
    const b = batcher({ maxPlanned: 1, closingSoon: (m) => m === 1n });
    assert.equal(b.plan(oldest()), 1, "planned before its batch window has passed, though another meeting waited longer");
    const [first] = store.plannedBatches(10);
    assert.equal(first!.meetingId, 1n);
    assert.deepEqual(first!.ballots.map((x) => x.id), closing.map((x) => x.id));
    fill(1n, 2);
    const roomy = batcher({ closingSoon: (m) => m === 1n });
    assert.equal(roomy.plan(oldest() + 200), 2, "a batch of the closing meeting in flight does not hold its next one");
    assert.deepEqual(store.plannedBatches(10).map((x) => x.meetingId), [1n, 1n, 2n], "the closing meeting's batches go to senders first");
  });

  it("stops at maxPlanned batches waiting for a sender", () => {
    fill(1n, 500);
    assert.equal(batcher({ maxPlanned: 2 }).plan(oldest()), 2);
    assert.equal(store.countPlanned(), 2);
    assert.equal(store.counts().queued, 300);
  });
});

describe("Batcher: the gas bound", () => {
  it("splits a meeting's queue into batches that fit RELAYER_MAX_BATCH_GAS at the gas a ballot is expected to cost", () => {
    // 300,000 for the batch and a first guess of 40,000 a ballot: ten ballots fit in 700,000.
    fill(1n, 25);
    const b = batcher({ maxBatchGas: 700_000 });
    assert.equal(b.limit, 10);
    assert.equal(b.plan(oldest()), 2);
    assert.deepEqual(planned().map((p) => p.size), [10, 10]);
    assert.equal(store.counts().queued, 5);
  });

  it("learns a ballot's gas from mined batches: dearer ballots make smaller batches, cheaper ones larger", () => {
    const b = batcher({ maxBatchGas: 700_000, batchSize: 500 });
    assert.equal(b.limit, 10);
    for (let i = 0; i < 10; i++) b.observe(300_000n + 10n * 80_000n, 10);
    assert.ok(b.limit < 10 && b.limit >= 5, `at about 80,000 a ballot: ${b.limit}`);
    for (let i = 0; i < 20; i++) b.observe(300_000n + 10n * 14_000n, 10);
    assert.ok(b.limit > 20, `at about 14,000 a ballot: ${b.limit}`);
    b.observe(100_000n, 1);
    b.observe(0n, 0);
    assert.ok(b.limit > 20, "a batch that used less than its overhead teaches nothing");
  });

  it("gives a batch a gas limit with room to spare, never above the per-transaction cap", () => {
    const b = batcher();
    assert.ok(b.gasLimitFor(10) >= 300_000n + 10n * 40_000n);
    assert.ok(b.gasLimitFor(10) > b.gasLimitFor(9));
    assert.equal(b.gasLimitFor(100_000), BigInt(TX_GAS_CAP));
    assert.equal(b.limit, 100, "batchSize binds when the gas bound is loose");
    assert.equal(batcher({ maxBatchGas: 100_000 }).limit, 1, "at least one ballot a batch");
  });
});

describe("Batcher.simulate, against a real node", () => {
  let meetingId: bigint;
  before(async () => {
    meetingId = await chain.announce();
  });

  const sender = () => devAccount(1).address;
  const enqueue = (ballots: Array<ReturnType<typeof signedBallot>>, meeting = meetingId) => {
    for (const x of ballots) {
      store.insert({
        id: x.id,
        meetingId: meeting,
        voter: x.body.voter,
        choices: BigInt(x.body.choices),
        signature: x.body.signature,
        representative: ZeroAddress,
        powerOfAttorney: 0n,
        deadline: BigInt(x.body.deadline),
      });
    }
    const b = batcher();
    b.plan(Date.now() + 1_000);
    return { b, batch: store.plannedBatches(1)[0]! };
  };

  it("runs a batch of good ballots with the calldata and gas limit it will be sent with", async () => {
    const ballots = chain.owners.slice(0, 3).map((w) => chain.sign(w, meetingId));
    const { b, batch } = enqueue(ballots);
    const sim = await b.simulate(batch, sender());
    assert.equal(sim.kind, "ok");
    assert.ok(sim.kind === "ok");
    const ballotsInOrder = batch.ballots.map((x) => ({
      voter: x.voter,
      representative: x.representative,
      powerOfAttorney: x.powerOfAttorney,
      choices: x.choices,
      deadline: x.deadline,
      signature: x.signature,
    }));
    assert.equal(sim.data, meetingHallInterface.encodeFunctionData("castBallotsBySig", [meetingId, ballotsInOrder]));
    assert.equal(sim.gasLimit, b.gasLimitFor(3));
    const needed = await chain.provider.estimateGas({ from: sender(), to: chain.deployment.contracts.MeetingHall.address, data: sim.data });
    assert.ok(needed < sim.gasLimit, `the batch needs ${needed}, its limit is ${sim.gasLimit}`);
  });

  it("passes a batch whose bad ballots the contract will skip", async () => {
    const stranger = chain.sign(Wallet.createRandom(), meetingId);
    const own = chain.sign(chain.owners[4]!, meetingId);
    const forged = { id: "0x" + "77".repeat(32), body: { ...own.body, signature: chain.sign(chain.owners[5]!, meetingId).body.signature } };
    const { b, batch } = enqueue([stranger, forged]);
    assert.equal(batch.ballots.length, 2);
    assert.equal((await b.simulate(batch, sender())).kind, "ok");
  });

  it("names the contract's error when the whole batch cannot land", async () => {
    const { b, batch } = enqueue([chain.sign(chain.owners[6]!, 999n)], 999n);
    assert.deepEqual(await b.simulate(batch, sender()), { kind: "revert", error: "MeetingHallUnknownMeeting" });
  });

  it("reports a node it cannot reach as unreachable, not as a revert", async () => {
    const { batch } = enqueue([chain.sign(chain.owners[7]!, meetingId)]);
    const gone = createProvider("http://127.0.0.1:9", chain.chainId, 2_000);
    try {
      const b = new Batcher(store, gone, chain.deployment.contracts.MeetingHall.address, OPTIONS);
      assert.equal((await b.simulate(batch, sender())).kind, "unreachable");
    } finally {
      gone.destroy();
    }
  });

  it("encodes castBallotsBySig as the ABI coder does, a representative's ballots among them", () => {
    const ballots = chain.owners.slice(0, 4).map((w, i) => {
      const x = chain.sign(w, meetingId, BigInt(i + 1) | (1n << 126n), i % 2 ? { voter: chain.owners[i + 4]!.address, powerOfAttorney: BigInt(i) << 200n } : {});
      return {
        voter: x.body.voter,
        representative: i % 2 ? w.address : ZeroAddress,
        powerOfAttorney: BigInt(i % 2 ? (x.body as { powerOfAttorney: string }).powerOfAttorney : 0),
        choices: BigInt(x.body.choices),
        deadline: BigInt(x.body.deadline),
        signature: i === 3 ? x.body.signature + "ab".repeat(40) : x.body.signature,
      };
    });
    for (let n = 0; n <= ballots.length; n++) {
      assert.equal(encodeCastBallotsBySig(meetingId, ballots.slice(0, n)), meetingHallInterface.encodeFunctionData("castBallotsBySig", [meetingId, ballots.slice(0, n)]));
    }
  });
});

function tx(batchId: number, nonce: number) {
  return {
    hash: "0x" + batchId.toString(16).padStart(64, "0"),
    batchId,
    sender: devAccount(1).address,
    nonce,
    raw: "0x02",
    maxFeePerGas: 2n,
    maxPriorityFeePerGas: 1n,
    gasLimit: 1_000_000n,
    sentAt: Date.now(),
    broadcast: true,
  };
}
