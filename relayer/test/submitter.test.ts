/**
 * The submitter against a real local node: a stuck transaction (priced under the base fee, or dropped
 * from the node's pool) is replaced with the same nonce and a bumped fee and the ballot lands; a batch
 * that cannot land whole is split until the bad part is isolated.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deployFixture, signedBallot, startChainProcess, type ChainProcess, type Fixture } from "./helpers/chain.js";
import { request, waitFor } from "./helpers/http.js";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteBallotStore } from "../src/relayer/sqlite-queue.js";
import { startInProcess } from "./helpers/services.js";
import type { RunningServices } from "../src/services.js";

let chain: ChainProcess;
let fx: Fixture;
let services: RunningServices;
let relayer: string;

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 4, meetings: 1 });
  services = await startInProcess(fx, {
    SERVICES: "relayer",
    RELAYER_SENDER_KEYS: (await import("./helpers/chain.js")).devAccount(1).privateKey,
    RELAYER_STUCK_AFTER_MS: "1500",
    RELAYER_DB_PATH: path.join(fx.tmpDir, "submitter.sqlite"),
  });
  relayer = services.relayerUrl!;
});

after(async () => {
  await services?.stop();
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
  await waitFor(async () => {
    const s = (await request(`${relayer}/v1/ballots/${id}`)).body;
    hash = s.txHash ?? "";
    return s.status === "submitted" && hash !== "";
  }, 30_000, "the ballot to be submitted");
  const pending = await fx.provider.send("eth_getTransactionByHash", [hash]);
  assert.ok(pending, "the transaction reached the node");
  return { hash, nonce: Number(BigInt(pending.nonce)) };
}

async function confirmed(id: string): Promise<any> {
  let s: any;
  await waitFor(async () => {
    s = (await request(`${relayer}/v1/ballots/${id}`)).body;
    return s.status === "confirmed" || s.status === "rejected";
  }, 90_000, "the ballot to be confirmed");
  return s;
}

async function replacements(): Promise<number> {
  const text = await fetch(`${relayer}/metrics`).then((r) => r.text());
  return Number(/relayer_transactions_replaced_total (\d+)/.exec(text)![1]);
}

describe("stuck transactions", () => {
  it("replaces a transaction priced under the base fee, and the ballot lands", async () => {
    await pauseMining();
    const b = signedBallot(fx.domain, fx.voters[0]!, fx.meetings[0]!);
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
    const b = signedBallot(fx.domain, fx.voters[1]!, fx.meetings[0]!);
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
        const b = signedBallot(fx.domain, fx.voters[i]!, 999n);
        store.insert({ id: b.id, meetingId: 999n, voter: b.body.voter, choices: BigInt(b.body.choices), signature: b.body.signature });
        ids.push(b.id);
      }
    } finally {
      store.close();
    }
    const good = signedBallot(fx.domain, fx.voters[2]!, fx.meetings[0]!);
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
});
