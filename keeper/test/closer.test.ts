/**
 * The closer at the moments a process restart cannot be timed to: the node unreachable just after
 * the transaction was recorded (as if the keeper died between recording and broadcasting), and a
 * reorg that takes the mined finalize transaction out of the chain. Real chain, real contracts, the
 * real closer and its database.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Wallet, id } from "ethers";
import { createLogger } from "#lib/log.js";
import { HttpJsonRpcProvider, RpcError } from "#lib/rpc.js";
import { MeetingHall__factory } from "#typechain/index.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { QUESTION_SETS, advanceTo, announce, deployWorld, fund, registerBuilding, type World } from "../../dev/scenario.js";
import { Closer } from "../src/closer.js";
import { Database } from "../src/db.js";
import { Follower } from "../src/follower.js";

/** A node connection whose next broadcasts fail as an unreachable node's do. */
class FlakyProvider extends HttpJsonRpcProvider {
  failBroadcasts = 0;
  override async broadcastTransaction(raw: string) {
    if (this.failBroadcasts > 0) {
      this.failBroadcasts--;
      throw new RpcError("rpc_unreachable", "JSON-RPC: connection refused", "ECONNREFUSED", { retryable: true });
    }
    return super.broadcastTransaction(raw);
  }
}

let chain: LocalChain;
let world: World;
let dir: string;
const log = createLogger("silent");

before(async () => {
  chain = await startLocalChain({ port: 0 });
  world = await deployWorld(chain.url);
  dir = await mkdtemp(path.join(tmpdir(), "dh-closer-"));
});

after(async () => {
  world?.provider.destroy();
  await chain?.close();
  await rm(dir, { recursive: true, force: true });
});

async function setUp(name: string, confirmations: number) {
  const provider = new FlakyProvider(chain.url, world.deployment.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  const wallet = new Wallet(id(`closer test ${name}`), provider);
  await fund(world, [new Wallet(wallet.privateKey, world.provider)]);
  const db = new Database(path.join(dir, `${name}.sqlite`));
  const hallAddress = world.deployment.contracts.MeetingHall.address;
  const follower = new Follower(provider, db, { hall: hallAddress, startBlock: world.deployment.startBlock, confirmations: 0, logChunk: 1000 }, log);
  const closer = new Closer(provider, wallet, MeetingHall__factory.connect(hallAddress, wallet), db, { chainId: world.deployment.chainId, confirmations, gasLimit: 3_000_000 }, log);
  const building = await registerBuilding(world, name.length + 100, 6, 4);
  const meeting = await announce(world, building.buildingId, QUESTION_SETS.courtyard, { window: 60 });
  await advanceTo(world, meeting.votingEnd);
  const tick = async () => {
    const head = (await provider.getBlock("latest"))!;
    await follower.follow(head.number);
    await closer.tick({ number: head.number, timestamp: head.timestamp });
  };
  const sends = () => db.sql("SELECT state, broadcasts, tx_hash FROM sends WHERE meeting_id = ?").all(meeting.meetingId.toString()) as Array<{ state: string; broadcasts: number; tx_hash: string }>;
  return { provider, wallet, db, meeting, tick, sends };
}

describe("closer", () => {
  it("broadcasts the recorded transaction after a failure between recording and broadcast, and signs no second one", async () => {
    const s = await setUp("broadcast", 0);
    s.provider.failBroadcasts = 1;
    await assert.rejects(s.tick(), (err: Error) => err instanceof RpcError);
    assert.deepEqual(s.sends().map((x) => [x.state, x.broadcasts]), [["signed", 0]], "recorded, never broadcast");
    assert.equal((await world.hall.getMeeting(s.meeting.meetingId)).status, 1n);
    await s.tick(); // the follow-up finds it unknown, its nonce free: sends it as it was
    await s.tick();
    const [send, ...others] = s.sends();
    assert.deepEqual(others, []);
    assert.equal(send.state, "confirmed");
    assert.equal(send.broadcasts, 1);
    assert.equal((await world.hall.getMeeting(s.meeting.meetingId)).status, 3n);
    assert.equal(await world.provider.getTransactionCount(s.wallet.address, "latest"), 1, "one transaction from the keeper");
    s.db.close();
    s.provider.destroy();
  });

  it("notices a reorg that drops its mined transaction and sends it again, finalizing once", async () => {
    const s = await setUp("reorg", 3);
    const snapshot = await world.provider.send("evm_snapshot", []);
    await s.tick(); // signed and broadcast
    await s.tick(); // seen in a block, not yet under 3
    const [mined] = s.sends();
    assert.equal(mined.state, "mined");
    assert.ok(await world.provider.getTransactionReceipt(mined.tx_hash));
    // the block with it is replaced by another chain
    await world.provider.send("evm_revert", [snapshot]);
    await world.provider.send("evm_mine", []);
    assert.equal(await world.provider.getTransactionReceipt(mined.tx_hash), null, "the reorg took it out");
    assert.equal((await world.hall.getMeeting(s.meeting.meetingId)).status, 1n);
    await s.tick(); // noticed: broadcast again
    for (let i = 0; i < 4; i++) {
      await world.provider.send("evm_mine", []);
      await s.tick();
    }
    const [send, ...others] = s.sends();
    assert.deepEqual(others, [], "no second transaction signed");
    assert.equal(send.tx_hash, mined.tx_hash);
    assert.equal(send.state, "confirmed");
    assert.equal(send.broadcasts, 2, "sent again after the reorg");
    assert.equal((await world.hall.getMeeting(s.meeting.meetingId)).status, 3n);
    const finalized = await world.hall.queryFilter(world.hall.filters.MeetingFinalized(s.meeting.meetingId));
    assert.equal(finalized.length, 1);
    s.db.close();
    s.provider.destroy();
  });

  it("sends nothing for a meeting someone else finalized", async () => {
    const s = await setUp("other", 0);
    await (await world.hall.finalize(s.meeting.meetingId)).wait();
    await s.tick();
    assert.deepEqual(s.sends(), []);
    assert.equal((s.db.sql("SELECT state FROM meetings WHERE meeting_id = ?").get(s.meeting.meetingId.toString()) as { state: string }).state, "finalized");
    assert.equal(await world.provider.getTransactionCount(s.wallet.address, "latest"), 0);
    s.db.close();
    s.provider.destroy();
  });
});
