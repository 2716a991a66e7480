/**
 * Nonces of the sender accounts against a real node: one sequence a sender, continuing after the
 * node's pending count, and after every nonce the queue has recorded (a transaction signed and
 * recorded whose broadcast failed keeps its nonce: the submitter broadcasts it again).
 */
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { JsonRpcProvider, ZeroAddress, type HDNodeWallet } from "ethers";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { createProvider } from "../src/chain.js";
import { NonceManager } from "../src/nonce.js";
import type { TxRecord } from "../src/queue.js";
import { SqliteBallotStore } from "../src/sqlite-queue.js";
import { CHOICES, devAccount } from "./helpers/chain.js";

let chain: LocalChain;
let provider: JsonRpcProvider;
let direct: JsonRpcProvider;
before(async () => {
  chain = await startLocalChain();
  provider = createProvider(chain.url, 31337);
  direct = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
});
after(async () => {
  provider?.destroy();
  direct?.destroy();
  await chain?.close();
});

let store: SqliteBallotStore;
beforeEach(() => {
  store = new SqliteBallotStore(":memory:", 0);
});
afterEach(() => store.close());

/** Sends `n` transactions from the account directly, as another holder of its key would. */
async function sendDirect(account: HDNodeWallet, n: number): Promise<void> {
  const signer = account.connect(direct);
  for (let i = 0; i < n; i++) await (await signer.sendTransaction({ to: devAccount(19).address, value: 1n })).wait();
}

let ballots = 0;
/** Records a signed transaction of the sender with `nonce` in the queue, not broadcast. */
function record(sender: string, nonce: number): void {
  ballots++;
  const word = (n: number, bytes: number) => "0x" + n.toString(16).padStart(bytes * 2, "0");
  store.insert({ id: word(ballots, 32), meetingId: 1n, voter: word(ballots, 20), choices: CHOICES, signature: word(ballots, 65), representative: ZeroAddress, powerOfAttorney: 0n, deadline: 2000n });
  const { batchId } = store.planBatch(1n, 1)!;
  const tx: TxRecord = {
    hash: word(1_000_000 + ballots, 32),
    batchId,
    sender,
    nonce,
    raw: "0x02",
    maxFeePerGas: 2n,
    maxPriorityFeePerGas: 1n,
    gasLimit: 500_000n,
    sentAt: Date.now(),
    broadcast: false,
  };
  store.recordSent(batchId, tx);
}

describe("NonceManager", () => {
  it("hands out each sender's nonces in one sequence of its own, after those the node has mined", async () => {
    const a = devAccount(11);
    const b = devAccount(12);
    await sendDirect(a, 2);
    const nonces = new NonceManager(provider, store);
    await nonces.init(a.address);
    await nonces.init(b.address);
    assert.deepEqual([nonces.take(a.address), nonces.take(a.address), nonces.take(b.address), nonces.take(a.address), nonces.take(b.address)], [2, 3, 0, 4, 1]);
    assert.equal(nonces.peek(a.address), 5);
    assert.equal(nonces.peek(b.address), 2);
  });

  it("continues after transactions still pending at the node", async () => {
    const c = devAccount(13);
    await direct.send("evm_setAutomine", [false]);
    try {
      const signer = c.connect(direct);
      await signer.sendTransaction({ to: devAccount(19).address, value: 1n, nonce: 0 });
      await signer.sendTransaction({ to: devAccount(19).address, value: 1n, nonce: 1 });
      assert.equal(await direct.getTransactionCount(c.address, "latest"), 0, "nothing mined yet");
      const nonces = new NonceManager(provider, store);
      await nonces.init(c.address);
      assert.equal(nonces.take(c.address), 2);
    } finally {
      await direct.send("evm_mine", []);
      await direct.send("evm_setAutomine", [true]);
    }
  });

  it("after a restart, skips a recorded nonce whose broadcast failed, leaving it to the recorded transaction", async () => {
    const d = devAccount(14);
    const before = new NonceManager(provider, store);
    await before.init(d.address);
    const n = before.take(d.address);
    assert.equal(n, 0);
    record(d.address, n); // signed and recorded; the broadcast never reached the node

    const after = new NonceManager(provider, store);
    await after.init(d.address);
    assert.equal(await provider.getTransactionCount(d.address, "pending"), 0, "the node has not seen nonce 0");
    assert.equal(after.take(d.address), 1, "nonce 0 stays with the recorded transaction");
    assert.equal(store.sentBatches().flatMap((b) => b.txs).find((t) => t.nonce === 0 && t.sender === d.address)?.broadcast, false, "which waits to be broadcast again");
  });

  it("continues after the higher of the node's count and the queue's highest recorded nonce", async () => {
    const e = devAccount(15);
    const f = devAccount(16);
    await sendDirect(e, 3);
    record(e.address, 1);
    record(f.address, 6);
    const nonces = new NonceManager(provider, store);
    await nonces.init(e.address);
    await nonces.init(f.address);
    assert.equal(nonces.take(e.address), 3, "the node is ahead of the queue");
    assert.equal(nonces.take(f.address), 7, "the queue is ahead of the node");
  });

  it("hands out no nonce for a sender it has not been told about", async () => {
    const nonces = new NonceManager(provider, store);
    const g = devAccount(17).address;
    assert.equal(nonces.isReady(g), false);
    assert.equal(nonces.peek(g), undefined);
    assert.throws(() => nonces.take(g));
    await nonces.init(g);
    assert.equal(nonces.isReady(g), true);
    assert.equal(nonces.take(g), 0);
  });

  it("rejects the start of a sender when the node cannot be reached", async () => {
    const gone = createProvider("http://127.0.0.1:9", 31337, 2_000);
    try {
      const nonces = new NonceManager(gone, store);
      await assert.rejects(nonces.init(devAccount(18).address));
      assert.equal(nonces.isReady(devAccount(18).address), false, "no guess instead of the node's count");
    } finally {
      gone.destroy();
    }
  });
});
