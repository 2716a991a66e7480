/**
 * EIP-1559 fees of the relayer's transactions: twice the latest base fee plus the node's tip (read
 * from a real node), the cap RELAYER_MAX_FEE_GWEI, replacements bumped by the configured percent,
 * chains without fees, and one reading of the node for all callers within its time to live. Where a
 * test needs answers a real node will not give (no tip method, a tip above the cap, no base fee),
 * the node's answers are scripted at ethers' transport, below everything FeeOracle uses.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { createProvider } from "../src/chain.js";
import { isUnreachable } from "#lib/rpc.js";
import { FeeOracle, type Fees } from "../src/fees.js";

const GWEI = 1_000_000_000n;
const gwei = (n: number) => BigInt(Math.round(n * 1e9));

/** A node that answers the two reads of FeeOracle as scripted, and counts them. */
class ScriptedNode extends JsonRpcProvider {
  baseFee: bigint | undefined = 10n * GWEI;
  /** undefined: the node does not know eth_maxPriorityFeePerGas. */
  tip: bigint | undefined = GWEI;
  readonly calls: string[] = [];

  constructor() {
    super("http://127.0.0.1:9", Network.from(31337), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    return (Array.isArray(payload) ? payload : [payload]).map((p) => {
      this.calls.push(p.method);
      if (p.method === "eth_getBlockByNumber") {
        return { id: p.id, result: { number: "0x10", ...(this.baseFee === undefined ? {} : { baseFeePerGas: "0x" + this.baseFee.toString(16) }) } };
      }
      if (p.method === "eth_maxPriorityFeePerGas" && this.tip !== undefined) return { id: p.id, result: "0x" + this.tip.toString(16) };
      return { id: p.id, error: { code: -32601, message: `the method ${p.method} does not exist/is not available` } };
    }) as JsonRpcResult[];
  }
}

function scripted(setup: (node: ScriptedNode) => void = () => undefined) {
  const node = new ScriptedNode();
  setup(node);
  return node;
}

describe("FeeOracle.current", () => {
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  before(async () => {
    chain = await startLocalChain();
    provider = createProvider(chain.url, 31337);
  });
  after(async () => {
    provider?.destroy();
    await chain?.close();
  });

  it("offers twice the latest base fee plus the node's suggested tip, as a real node reports them", async () => {
    await provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x" + gwei(7).toString(16)]);
    await provider.send("evm_mine", []);
    const tip = BigInt(await provider.send("eth_maxPriorityFeePerGas", []));
    assert.ok(tip > 0n);
    const fees = await new FeeOracle(provider, 0, 0).current();
    assert.deepEqual(fees, { maxFeePerGas: 2n * gwei(7) + tip, maxPriorityFeePerGas: tip });
  });

  it("follows the base fee as it moves, and prices a chain with no base fee at the tip alone", async () => {
    const oracle = new FeeOracle(provider, 0, 0);
    await provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x" + gwei(40).toString(16)]);
    await provider.send("evm_mine", []);
    const tip = BigInt(await provider.send("eth_maxPriorityFeePerGas", []));
    assert.equal((await oracle.current()).maxFeePerGas, 2n * gwei(40) + tip);
    await provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x0"]);
    await provider.send("evm_mine", []);
    assert.deepEqual(await oracle.current(), { maxFeePerGas: tip, maxPriorityFeePerGas: tip });
  });

  it("takes a tip of 1 gwei from a node that suggests none", async () => {
    const node = scripted((n) => (n.tip = undefined));
    assert.deepEqual(await new FeeOracle(node, 0, 0).current(), { maxFeePerGas: 21n * GWEI, maxPriorityFeePerGas: GWEI });
  });

  it("caps the fee at RELAYER_MAX_FEE_GWEI, and the tip at the fee; 0 means no cap", async () => {
    const node = scripted((n) => (n.baseFee = 100n * GWEI));
    assert.deepEqual(await new FeeOracle(node, 50, 0).current(), { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI });
    node.tip = 80n * GWEI;
    assert.deepEqual(await new FeeOracle(node, 50, 0).current(), { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 50n * GWEI });
    assert.deepEqual(await new FeeOracle(node, 0, 0).current(), { maxFeePerGas: 280n * GWEI, maxPriorityFeePerGas: 80n * GWEI });
    assert.deepEqual(await new FeeOracle(node, 281, 0).current(), { maxFeePerGas: 280n * GWEI, maxPriorityFeePerGas: 80n * GWEI }, "under the cap: as it is");
  });

  it("prices a zero-fee chain (no base fee, no tip) at zero", async () => {
    const node = scripted((n) => {
      n.baseFee = undefined;
      n.tip = 0n;
    });
    assert.deepEqual(await new FeeOracle(node, 10_000, 0).current(), { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
  });

  it("reads the node once for all callers within its time to live, and again after it", async () => {
    const node = scripted();
    const oracle = new FeeOracle(node, 0, 100);
    const together = await Promise.all(Array.from({ length: 5 }, () => oracle.current()));
    assert.ok(together.every((f) => f.maxFeePerGas === 21n * GWEI));
    assert.deepEqual(node.calls.sort(), ["eth_getBlockByNumber", "eth_maxPriorityFeePerGas"]);
    node.baseFee = 20n * GWEI;
    assert.equal((await oracle.current()).maxFeePerGas, 21n * GWEI, "cached");
    await sleep(120);
    assert.equal((await oracle.current()).maxFeePerGas, 41n * GWEI, "read again");
    assert.equal(node.calls.filter((c) => c === "eth_getBlockByNumber").length, 2);
  });

  it("rejects while the node cannot be reached, and asks again on the next call", async () => {
    const gone = createProvider("http://127.0.0.1:9", 31337, 2_000);
    try {
      const oracle = new FeeOracle(gone, 0, 10_000);
      const err = await oracle.current().then(
        () => assert.fail("fees without a node"),
        (e: unknown) => e,
      );
      assert.ok(isUnreachable(err), String(err));
      await assert.rejects(oracle.current(), (e: unknown) => isUnreachable(e));
    } finally {
      gone.destroy();
    }
  });
});

describe("FeeOracle.bumped", () => {
  const previous: Fees = { maxFeePerGas: 30n * GWEI, maxPriorityFeePerGas: 2n * GWEI };

  it("raises both fees by the configured percent and a wei, as a node's replacement rule asks", async () => {
    const node = scripted((n) => (n.baseFee = 5n * GWEI));
    for (const percent of [10, 25, 100]) {
      const bumped = await new FeeOracle(node, 0, 0).bumped(previous, percent);
      assert.deepEqual(bumped, {
        maxFeePerGas: (previous.maxFeePerGas * BigInt(100 + percent)) / 100n + 1n,
        maxPriorityFeePerGas: (previous.maxPriorityFeePerGas * BigInt(100 + percent)) / 100n + 1n,
      });
      assert.ok(bumped.maxFeePerGas * 100n >= previous.maxFeePerGas * BigInt(100 + percent));
    }
  });

  it("offers at least what a new transaction would pay now", async () => {
    const node = scripted((n) => {
      n.baseFee = 100n * GWEI;
      n.tip = 5n * GWEI;
    });
    assert.deepEqual(await new FeeOracle(node, 0, 0).bumped(previous, 10), { maxFeePerGas: 205n * GWEI, maxPriorityFeePerGas: 5n * GWEI });
  });

  it("keeps the fee at or above the tip, even bumping a transaction whose tip was above its fee", async () => {
    const node = scripted((n) => (n.baseFee = 0n));
    const bumped = await new FeeOracle(node, 0, 0).bumped({ maxFeePerGas: GWEI, maxPriorityFeePerGas: 2n * GWEI }, 10);
    assert.deepEqual(bumped, { maxFeePerGas: (22n * GWEI) / 10n + 1n, maxPriorityFeePerGas: (22n * GWEI) / 10n + 1n });
  });

  it("stops at the cap: a replacement there is no dearer than the stuck transaction", async () => {
    const node = scripted((n) => (n.baseFee = 10n * GWEI));
    const capped = await new FeeOracle(node, 33, 0).bumped(previous, 25);
    assert.deepEqual(capped, { maxFeePerGas: 33n * GWEI, maxPriorityFeePerGas: 2n * GWEI * 125n / 100n + 1n });
    const again = await new FeeOracle(node, 33, 0).bumped(capped, 25);
    assert.equal(again.maxFeePerGas, capped.maxFeePerGas, "the submitter then offers the same transaction again");
  });

  it("bumps on a zero-fee chain from nothing to a wei, and on from there", async () => {
    const node = scripted((n) => {
      n.baseFee = undefined;
      n.tip = 0n;
    });
    const oracle = new FeeOracle(node, 10_000, 0);
    const first = await oracle.bumped({ maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, 10);
    assert.deepEqual(first, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
    assert.deepEqual(await oracle.bumped(first, 10), { maxFeePerGas: 2n, maxPriorityFeePerGas: 2n });
  });
});
