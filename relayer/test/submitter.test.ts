/**
 * The submitter against a real local node: a stuck transaction (priced under the base fee, or dropped
 * from the node's pool) is replaced with the same nonce and a bumped fee and the ballot lands; a batch
 * that cannot land whole is split until the bad part is isolated; a batch that passed simulation and
 * then reverted when mined is split and its ballots land.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet, ZeroAddress } from "ethers";
import { meetingHallInterface } from "../src/chain.js";
import { deployFixture, startChainProcess, type ChainProcess, type Fixture } from "./helpers/chain.js";
import { request, waitFor } from "./helpers/http.js";
import { castCounts } from "./helpers/verify.js";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteBallotStore } from "../src/sqlite-queue.js";
import { metricsAuth, startInProcess } from "./helpers/services.js";
import { startProxy, type TcpProxy } from "./helpers/proxy.js";
import type { RunningServices } from "./helpers/services.js";

let chain: ChainProcess;
let fx: Fixture;
let services: RunningServices;
let relayer: string;
// The relayer reaches the node through this proxy, so that a block whose contract code the test
// replaces for a moment is mined and restored between two of the relayer's requests.
let proxy: TcpProxy;

async function startRelayer() {
  services = await startInProcess(fx, {
    RELAYER_SENDER_KEYS: (await import("./helpers/chain.js")).devAccount(1).privateKey,
    RELAYER_STUCK_AFTER_MS: "1500",
    RELAYER_DB_PATH: path.join(fx.tmpDir, "submitter.sqlite"),
    RPC_URL: proxy.url,
  });
  relayer = services.relayerUrl!;
}

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 12, meetings: 1 });
  proxy = await startProxy(chain.url);
  await startRelayer();
});

after(async () => {
  await services?.stop();
  await proxy?.close();
  fx?.cleanup();
  await chain?.stop();
});

async function pauseMining() {
  await fx.provider.send("evm_setIntervalMining", [0]);
  await fx.provider.send("evm_setAutomine", [false]);
}

async function resumeMining() {
  await fx.provider.send("evm_setIntervalMining", [1000]);
}

async function submitted(id: string): Promise<{ hash: string; nonce: number }> {
  let hash = "";
  let pending: { nonce: string } | null = null;
  // The status names a transaction once it is recorded, just before it is broadcast.
  await waitFor(async () => {
    const s = (await request(`${relayer}/v1/ballots/${id}`)).body;
    hash = s.txHash ?? "";
    if (s.status !== "submitted" || hash === "") return false;
    pending = await fx.provider.send("eth_getTransactionByHash", [hash]);
    return pending !== null;
  }, 30_000, "the ballot's transaction to reach the node");
  return { hash, nonce: Number(BigInt(pending!.nonce)) };
}

async function confirmed(id: string): Promise<any> {
  let s: any;
  await waitFor(async () => {
    s = (await request(`${relayer}/v1/ballots/${id}`)).body;
    return s.status === "confirmed" || s.status === "rejected";
  }, 90_000, "the ballot to be confirmed");
  return s;
}

async function counter(name: string): Promise<number> {
  const text = await fetch(`${relayer}/metrics`, { headers: metricsAuth }).then((r) => r.text());
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)![1]);
}

const replacements = () => counter("relayer_transactions_replaced_total");

describe("stuck transactions", () => {
  it("replaces a transaction priced under the base fee, and the ballot lands", async () => {
    await pauseMining();
    const b = fx.sign(fx.voters[0]!, fx.meetings[0]!);
    assert.equal((await request(`${relayer}/v1/ballots`, { body: b.body })).status, 202);
    const { hash: first, nonce } = await submitted(b.id);
    const before = await replacements();

    await fx.provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x" + (1000n * 10n ** 9n).toString(16)]);
    await fx.provider.send("evm_mine", []);
    assert.equal(await fx.provider.send("eth_getTransactionReceipt", [first]), null, "too cheap for the new base fee");
    await resumeMining();

    const s = await confirmed(b.id);
    assert.equal(s.status, "confirmed");
    assert.notEqual(s.txHash, first, "landed in a replacement");
    assert.ok((await replacements()) > before);
    const tx = await fx.provider.getTransaction(s.txHash);
    assert.equal(tx!.nonce, nonce, "same nonce");
  });

  it("replaces a transaction dropped from the node's pool, and the ballot lands", async () => {
    await pauseMining();
    const b = fx.sign(fx.voters[1]!, fx.meetings[0]!);
    assert.equal((await request(`${relayer}/v1/ballots`, { body: b.body })).status, 202);
    const { hash: first, nonce } = await submitted(b.id);
    assert.equal(await fx.provider.send("hardhat_dropTransaction", [first]), true);
    await resumeMining();

    const s = await confirmed(b.id);
    assert.equal(s.status, "confirmed");
    assert.notEqual(s.txHash, first, "landed in a replacement");
    assert.equal((await fx.provider.getTransaction(s.txHash))!.nonce, nonce, "same nonce");
  });
});

describe("batches that cannot land", () => {
  it("splits a reverting batch down to the ballots that revert, rejecting only those", async () => {
    // Ballots for a meeting that does not exist cannot reach the queue through intake; write them
    // into the queue database directly, as a faulty or older instance might have.
    const store = new SqliteBallotStore(path.join(fx.tmpDir, "submitter.sqlite"));
    const ids: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const b = fx.sign(fx.voters[i]!, 999n);
        store.insert({
          id: b.id,
          meetingId: 999n,
          voter: b.body.voter,
          choices: BigInt(b.body.choices),
          signature: b.body.signature,
          representative: ZeroAddress,
          powerOfAttorney: 0n,
          deadline: BigInt(b.body.deadline),
        });
        ids.push(b.id);
      }
    } finally {
      store.close();
    }
    const good = fx.sign(fx.voters[2]!, fx.meetings[0]!);
    assert.equal((await request(`${relayer}/v1/ballots`, { body: good.body })).status, 202);
    for (const id of ids) {
      const s = await confirmed(id);
      assert.equal(s.status, "rejected");
      assert.equal(s.reason, "reverted:MeetingHallUnknownMeeting");
    }
    assert.equal((await confirmed(good.id)).status, "confirmed");
    const db = new DatabaseSync(path.join(fx.tmpDir, "submitter.sqlite"));
    try {
      const split = db.prepare("SELECT COUNT(*) AS n FROM batches WHERE meeting_id = '999' AND state = 'split'").get() as { n: number };
      assert.ok(split.n >= 3, `the batch of 4 was split down to single ballots (${split.n} splits)`);
    } finally {
      db.close();
    }
  });

  it("settles a batch by the contract's events: a discarded ballot by its place in the batch, a rejected one by its id", async () => {
    // Ballots intake would refuse (a forged signature, a voter without weight), written into the
    // queue directly as a faulty instance might have, beside a good one posted as usual.
    const forged = fx.sign(fx.voters[10]!, fx.meetings[0]!);
    forged.body.signature = fx.sign(Wallet.createRandom(), fx.meetings[0]!).body.signature;
    const nobody = fx.sign(Wallet.createRandom(), fx.meetings[0]!);
    await pauseMining();
    const store = new SqliteBallotStore(path.join(fx.tmpDir, "submitter.sqlite"));
    try {
      for (const b of [forged, nobody]) {
        store.insert({
          id: b.id,
          meetingId: fx.meetings[0]!,
          voter: b.body.voter,
          choices: BigInt(b.body.choices),
          signature: b.body.signature,
          representative: ZeroAddress,
          powerOfAttorney: 0n,
          deadline: BigInt(b.body.deadline),
        });
      }
    } finally {
      store.close();
    }
    const good = fx.sign(fx.voters[11]!, fx.meetings[0]!);
    assert.equal((await request(`${relayer}/v1/ballots`, { body: good.body })).status, 202);
    const hashes = new Set([(await submitted(forged.id)).hash, (await submitted(nobody.id)).hash, (await submitted(good.id)).hash]);
    await resumeMining();
    assert.equal(hashes.size, 1, "the three travel in one batch");
    const [f, n, g] = [await confirmed(forged.id), await confirmed(nobody.id), await confirmed(good.id)];
    assert.deepEqual([f.status, f.reason], ["rejected", "bad_signature"], "BallotDiscarded names its place in the batch");
    assert.deepEqual([n.status, n.reason], ["rejected", "not_eligible"], "BallotRejected names the ballot by its id");
    assert.equal(g.status, "confirmed");
    const receipt = await fx.provider.getTransactionReceipt(g.txHash);
    const names = receipt!.logs.map((l) => meetingHallInterface.parseLog(l)?.name);
    assert.deepEqual(names.filter((x) => x !== "BallotCast").sort(), ["BallotDiscarded", "BallotRejected"]);
  });

  /**
   * Mines one block in which the hall's code only reverts: the state changes between simulation and
   * inclusion. Returns the transactions of that block, each checked to have reverted.
   */
  async function mineReverting(): Promise<Set<string>> {
    const hall = fx.deployment.contracts.MeetingHall.address;
    const code = await fx.provider.getCode(hall);
    // The relayer must not simulate against the reverting code: its requests wait at the proxy
    // (those already on their way are answered first) until the code is back.
    proxy.hold();
    await new Promise((r) => setTimeout(r, 100));
    try {
      await fx.provider.send("hardhat_setCode", [hall, "0x60006000fd"]); // PUSH1 0 PUSH1 0 REVERT
      await fx.provider.send("evm_mine", []);
      await fx.provider.send("hardhat_setCode", [hall, code]);
    } finally {
      proxy.release();
    }
    const mined = new Set<string>((await fx.provider.send("eth_getBlockByNumber", ["latest", false])).transactions);
    for (const hash of mined) {
      const receipt = await fx.provider.send("eth_getTransactionReceipt", [hash]);
      assert.equal(receipt?.status, "0x0", `${hash} mined and reverted`);
    }
    return mined;
  }

  /** Waits until a transaction carrying the ballot, other than those in `seen`, has reached the node. */
  async function sentAgain(id: string, seen: Set<string>): Promise<void> {
    let hash = "";
    await waitFor(async () => {
      const s = (await request(`${relayer}/v1/ballots/${id}`)).body;
      hash = s.txHash ?? "";
      return s.status === "submitted" && hash !== "" && !seen.has(hash) && (await fx.provider.send("eth_getTransactionByHash", [hash])) !== null;
    }, 30_000, "the ballot to be sent again");
    seen.add(hash);
  }

  /** Sends `ballots`, makes every transaction carrying them revert when mined, and waits until they land. */
  async function revertAtInclusion(ballots: ReturnType<Fixture["sign"]>[]): Promise<void> {
    await pauseMining();
    const answers = await Promise.all(ballots.map((b) => request(`${relayer}/v1/ballots`, { body: b.body })));
    assert.deepEqual(answers.map((a) => a.status), ballots.map(() => 202));
    const sent = new Set<string>();
    for (const b of ballots) sent.add((await submitted(b.id)).hash);
    const reverts = await counter("relayer_transactions_reverted_total");
    const mined = await mineReverting();
    for (const hash of sent) assert.ok(mined.has(hash), `${hash} mined in the reverting block`);
    await resumeMining();

    for (const b of ballots) {
      const s = await confirmed(b.id);
      assert.equal(s.status, "confirmed");
      assert.ok(!sent.has(s.txHash), "landed in a transaction sent after the revert");
    }
    assert.equal(await counter("relayer_transactions_reverted_total"), reverts + sent.size);
    const counts = await castCounts(fx, fx.provider);
    for (const b of ballots) assert.equal(counts.get(`${b.body.meetingId}:${b.body.voter}`), 1, "counted exactly once");
  }

  it("splits a batch that passed simulation and reverted when mined, and its ballots land", async () => {
    await revertAtInclusion([4, 5, 6, 7].map((i) => fx.sign(fx.voters[i]!, fx.meetings[0]!)));
    const db = new DatabaseSync(path.join(fx.tmpDir, "submitter.sqlite"));
    try {
      const split = db.prepare("SELECT COUNT(*) AS n FROM batches WHERE meeting_id = ? AND state = 'split'").get(fx.meetings[0]!.toString()) as { n: number };
      assert.ok(split.n >= 1, "the reverted batch was split");
    } finally {
      db.close();
    }
  });

  it("tries a ballot alone in a batch that reverted when mined again, and it lands", async () => {
    await revertAtInclusion([fx.sign(fx.voters[8]!, fx.meetings[0]!)]);
  });

  it("gives a lone ballot up when its third try reverts, counting the tries made before a restart", async () => {
    const b = fx.sign(fx.voters[9]!, fx.meetings[0]!);
    await pauseMining();
    try {
      assert.equal((await request(`${relayer}/v1/ballots`, { body: b.body })).status, 202);
      const seen = new Set<string>();
      // Each try is mined in a block of its own (or its replacement, should one outlast the stuck time).
      for (let i = 0; i < 2; i++) {
        await sentAgain(b.id, seen);
        const mined = await mineReverting();
        assert.equal(mined.size, 1, `try ${i + 1} mined and reverted`);
        for (const hash of mined) seen.add(hash);
      }
      // Sent a third time; the relayer restarts before that transaction is mined.
      await sentAgain(b.id, seen);
      await services.stop();
      await startRelayer();
      assert.equal((await mineReverting()).size, 1, "the third try mined and reverted");
    } finally {
      await resumeMining();
    }
    const s = await confirmed(b.id);
    assert.equal(s.status, "rejected", "a restart did not start the count of its tries over");
    assert.equal(s.reason, "reverted");
    const counts = await castCounts(fx, fx.provider);
    assert.equal(counts.get(`${b.body.meetingId}:${b.body.voter}`), undefined, "not counted");
  });
});
