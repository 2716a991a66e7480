/**
 * A reorganization that drops a mined batch before it has its confirmations, as on a Clique chain:
 * the node here forgets the block and its transaction (evm_revert to a snapshot taken before the
 * ballot), so only the relayer can bring it back. It broadcasts the same transaction again at once,
 * long before it would replace it as stuck, and the ballot is confirmed once, where it landed.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { deployFixture, devAccount, startChainProcess, type ChainProcess, type Fixture } from "./helpers/chain.js";
import { request, waitFor } from "./helpers/http.js";
import { metricsAuth, startInProcess, type RunningServices } from "./helpers/services.js";
import { castCounts } from "./helpers/verify.js";

let chain: ChainProcess;
let fx: Fixture;
let services: RunningServices;
let relayer: string;

async function counter(name: string): Promise<number> {
  const text = await fetch(`${relayer}/metrics`, { headers: metricsAuth }).then((r) => r.text());
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)![1]);
}

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 4, meetings: 1 });
  services = await startInProcess(fx, {
    RELAYER_SENDER_KEYS: devAccount(1).privateKey,
    RELAYER_CONFIRMATIONS: "4",
    // a replacement as stuck would come only after a minute: what brings the ballot back is the re-send
    RELAYER_STUCK_AFTER_MS: "60000",
    RELAYER_DB_PATH: path.join(fx.tmpDir, "reorg.sqlite"),
  });
  relayer = services.relayerUrl;
});

after(async () => {
  await services?.stop();
  fx?.cleanup();
  await chain?.stop();
});

describe("a reorganization that drops a mined batch", () => {
  it("broadcasts the same transaction again at once, and the ballot is confirmed once where it landed", async () => {
    await fx.provider.send("evm_setIntervalMining", [0]);
    await fx.provider.send("evm_setAutomine", [false]);
    const snapshot = await fx.provider.send("evm_snapshot", []);
    const b = fx.sign(fx.voters[0]!, fx.meetings[0]!);
    assert.equal((await request(`${relayer}/v1/ballots`, { body: b.body })).status, 202);
    let hash = "";
    await waitFor(async () => {
      const s = (await request(`${relayer}/v1/ballots/${b.id}`)).body;
      hash = s.txHash ?? "";
      return s.status === "submitted" && (await fx.provider.send("eth_getTransactionByHash", [hash])) !== null;
    }, 30_000, "the batch to reach the node");
    await fx.provider.send("evm_mine", []);
    assert.notEqual(await fx.provider.send("eth_getTransactionReceipt", [hash]), null, "the batch is mined");
    // the relayer sees the receipt on its next round (every 100 ms) and waits for confirmations
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await request(`${relayer}/v1/ballots/${b.id}`)).body.status, "submitted", "one block is not enough confirmations");
    const reorgedBefore = await counter("relayer_transactions_reorged_total");
    const replacedBefore = await counter("relayer_transactions_replaced_total");

    assert.equal(await fx.provider.send("evm_revert", [snapshot]), true);
    assert.equal(await fx.provider.send("eth_getTransactionByHash", [hash]), null, "the node has forgotten the transaction");
    await fx.provider.send("evm_setIntervalMining", [1000]);

    let s: { status: string; txHash?: string; blockNumber?: number } = { status: "" };
    await waitFor(async () => {
      s = (await request(`${relayer}/v1/ballots/${b.id}`)).body;
      return s.status === "confirmed";
    }, 30_000, "the ballot to be confirmed after the reorganization");
    assert.equal(s.txHash, hash, "the same transaction, broadcast again");
    assert.equal(await counter("relayer_transactions_reorged_total"), reorgedBefore + 1);
    assert.equal(await counter("relayer_transactions_replaced_total"), replacedBefore, "not replaced as stuck");
    const receipt = await fx.provider.getTransactionReceipt(hash);
    assert.equal(receipt!.blockNumber, s.blockNumber, "confirmed in the block where it landed the second time");
    const counts = await castCounts(fx, fx.provider);
    assert.equal(counts.get(`${fx.meetings[0]}:${fx.voters[0]!.address}`), 1, "counted once");
  });
});
