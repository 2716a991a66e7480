/**
 * The local network for real: 4 geth signers and an observer generated and started by the network
 * tool on 127.0.0.1. Blocks are sealed by every signer and followed by the observer; the contracts
 * deploy and count a ballot; one signer killed does not stop the chain and catches up when restarted;
 * a partition of the signers into two halves forks the chain and its healing leaves one; Clique votes
 * add a fifth signer and remove one; and the whole network stopped and started keeps its chain and the
 * contracts' state. The tests run in order on one network, each leaving it whole for the next.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { JsonRpcProvider, NonceManager, Wallet, ZeroAddress, getAddress } from "ethers";
import { MeetingHall__factory } from "#typechain/index.js";
import { deployDigitalHome } from "../../dev/deploy.js";
import { QUESTION_SETS, SCENARIO_PARAMETERS, announce, connectWorld, randomChoices, random, registerBuilding, relay, signBallot, type World } from "../../dev/scenario.js";
import { LocalNetwork, createNetwork, type Head } from "../local-network.js";
import { sleep, waitFor } from "../wait.js";
import { gethSkipReason } from "./helpers/geth.js";
import { partitionOnce } from "./helpers/partition.js";

const skip = await gethSkipReason();

describe("the local geth Clique network", { skip, timeout: 600_000 }, () => {
  let dir: string;
  let network: LocalNetwork;
  let world: World;
  let meetingId: bigint;
  let voter: string;
  const signers = () => network.nodes("signer").map((n) => n.name);
  const nameOf = (address: string) => network.spec.nodes.find((n) => n.address === getAddress(address))!.name;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "dh-net-"));
    network = await createNetwork(path.join(dir, "net"), { signers: 4, observers: 1 });
    await network.startAll();
  });

  after(async () => {
    await network?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("seals blocks by all four signers, and the observer follows the same chain", { timeout: 60_000 }, async () => {
    const genesisSigners = network.spec.genesisSigners;
    assert.equal(genesisSigners.length, 4);
    for (const name of network.spec.nodes.map((n) => n.name)) assert.deepEqual(await network.signers(name), genesisSigners);
    // from now on every signer is up and peered; a signer that started late may have synced first
    const from = (await network.head("signer-1")).number;
    const heads = await network.waitForHead(from + 9);
    const sealers = new Set<string>();
    for (let n = from + 1; n <= from + 8; n++) sealers.add(await network.sealer("signer-1", n));
    assert.deepEqual([...sealers].sort(), [...genesisSigners].sort(), "every signer sealed some of 8 consecutive blocks");
    assert.ok(heads.get("observer-1")!.number >= from + 9);
    assert.equal(await network.blockHash("observer-1", from + 8), await network.blockHash("signer-1", from + 8));
    assert.deepEqual(await network.peers("observer-1"), signers(), "the observer is connected to every signer");
  });

  it("deploys the contracts with the funded deployer and counts a relayed ballot, seen by the observer too", { timeout: 120_000 }, async () => {
    const { deployer } = await network.accounts();
    const provider = new JsonRpcProvider(network.url("signer-1"), network.spec.chainId, { pollingInterval: 200, cacheTimeout: -1, staticNetwork: true });
    const operator = new NonceManager(new Wallet(deployer.privateKey, provider));
    const deployment = await deployDigitalHome(operator, { network: "geth-test", parameters: SCENARIO_PARAMETERS });
    assert.equal(deployment.chainId, network.spec.chainId);
    world = connectWorld(provider, operator, deployment);
    const building = await registerBuilding(world, 14, 6, 4);
    const questions = QUESTION_SETS.courtyard;
    const meeting = await announce(world, building.buildingId, questions, { delay: 3, window: 3600 });
    meetingId = meeting.meetingId;
    await waitFor("the voting window to open", async () => ((await provider.getBlock("latest"))!.timestamp >= meeting.votingStart ? true : undefined), { timeoutMs: 30_000 });
    const choices = randomChoices(random(7), questions.length);
    let owner: Wallet | undefined;
    for (const o of building.owners) if ((await world.hall.checkBallot(meetingId, o.address, ZeroAddress, 0n, choices)).ok) owner = o;
    assert.ok(owner, "some owner of the building may vote");
    voter = owner.address;
    const [receipt] = await relay(world, meetingId, [await signBallot(world, owner, meetingId, choices)]);
    assert.equal(receipt!.status, 1);
    assert.equal(await world.hall.hasVoted(meetingId, voter), true);
    const tallies = await world.hall.getResults(meetingId);
    assert.ok(tallies.some((t) => t.forWeight + t.againstWeight + t.abstainWeight > 0n), "the ballot's weight is in the tallies");

    const observer = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, new JsonRpcProvider(network.url("observer-1"), network.spec.chainId, { staticNetwork: true }));
    await waitFor("the observer to hold the ballot", async () => (await observer.hasVoted(meetingId, voter)) || undefined, { timeoutMs: 20_000 });
    (observer.runner as { provider: JsonRpcProvider }).provider.destroy();
  });

  it("keeps sealing with one signer killed, and the restarted signer catches up", { timeout: 120_000 }, async () => {
    const killed = "signer-4";
    assert.ok(await network.kill(killed), "signer-4 was running");
    assert.equal(await network.isRunning(killed), false);
    const from = (await network.head("signer-1")).number;
    // a block the killed signer sealed just before may still be on its way: count from the one after
    const heads = await network.waitForHead(from + 6, { nodes: ["signer-1", "signer-2", "signer-3", "observer-1"], timeoutMs: 40_000 });
    const sealers = new Set<string>();
    for (let n = from + 2; n <= from + 6; n++) sealers.add(nameOf(await network.sealer("signer-1", n)));
    assert.ok(!sealers.has(killed), "the killed signer sealed none of the blocks");
    assert.ok(sealers.size === 3, `the three others take turns (${[...sealers].join(", ")})`);

    await network.start(killed);
    const target = heads.get("signer-1")!;
    await waitFor(`${killed} to catch up with block ${target.number}`, async () => (await network.blockHash(killed, target.number)) === (await network.blockHash("signer-1", target.number)) || undefined, { timeoutMs: 60_000 });
    await network.waitForFullMesh();
    const back = (await network.head(killed)).number;
    await waitFor(`${killed} to seal again`, async () => {
      const head = await network.head("signer-1");
      for (let n = back + 1; n <= head.number; n++) if (nameOf(await network.sealer("signer-1", n)) === killed) return true;
      return undefined;
    }, { timeoutMs: 40_000, intervalMs: 500 });
  });

  it("forks when the signers are split into two halves, and healing leaves one chain", { timeout: 240_000 }, async (t) => {
    for (let attempt = 1; ; attempt++) {
      const outcome = await partitionOnce(network);
      if (outcome) {
        const { height, hashes, winner, loserNodes } = outcome;
        t.diagnostic(`try ${attempt}: blocks ${hashes.map((h) => h.slice(0, 10)).join(" and ")} at height ${height}; ${loserNodes.join(", ")} reorganized onto ${winner.slice(0, 10)}`);
        assert.notEqual(hashes[0], hashes[1], `the halves sealed different blocks at height ${height}`);
        assert.ok(hashes.includes(winner), "the final chain is one of the two halves' chains");
        for (const name of loserNodes) assert.equal(await network.blockHash(name, height), winner, `${name} reorganized onto the other half's chain`);
        break;
      }
      assert.ok(attempt < 4, "a partition produced a fork within 4 tries");
    }
  });

  it("adds a fifth signer and removes one by Clique votes", { timeout: 180_000 }, async () => {
    const added = await network.addNode("signer", { start: true });
    assert.equal(added.name, "signer-5");
    await network.waitForFullMesh();
    const voters = await network.propose(added.address!, true);
    assert.equal(voters.length, 5, "every running signer votes, the candidate too");
    for (const node of network.spec.nodes) await network.waitForSigner(node.name, added.address!, true);
    await network.discard(added.address!);
    assert.equal((await network.signers("observer-1")).length, 5);
    const since = (await network.head("signer-1")).number;
    await waitFor("the new signer to seal a block", async () => {
      const head = await network.head("signer-1");
      for (let n = since + 1; n <= head.number; n++) if (getAddress(await network.sealer("signer-1", n)) === added.address) return true;
      return undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });

    const removed = network.node("signer-1").address!;
    await network.propose(removed, false);
    for (const node of network.spec.nodes) await network.waitForSigner(node.name, removed, false);
    await network.discard(removed);
    const after = (await network.head("signer-2")).number;
    await network.waitForHead(after + 4, { nodes: ["signer-2", "observer-1"] });
    for (let n = after + 1; n <= after + 4; n++) assert.notEqual(await network.sealer("signer-2", n), removed, `block ${n} is not sealed by the removed signer`);
    assert.deepEqual((await network.signers("observer-1")).length, 4);
  });

  it("keeps the chain and the contracts' state when the whole network is stopped and started", { timeout: 180_000 }, async () => {
    const meetingsBefore = await world.hall.meetingCount();
    world.provider.destroy();
    // signers first, so that no block is sealed after the observer's last one
    for (const name of signers()) await network.stop(name);
    await sleep(1_500);
    const observerHead: Head = await network.head("observer-1");
    await network.stop("observer-1");
    for (const n of network.spec.nodes) assert.equal(await network.isRunning(n.name), false, `${n.name} stopped`);

    await network.start("observer-1");
    assert.deepEqual(await network.head("observer-1"), observerHead, "the observer restarts at the head it stopped at");
    const provider = new JsonRpcProvider(network.url("observer-1"), network.spec.chainId, { staticNetwork: true, cacheTimeout: -1 });
    const hall = MeetingHall__factory.connect(world.deployment.contracts.MeetingHall.address, provider);
    assert.equal(await hall.meetingCount(), meetingsBefore);
    assert.equal(await hall.hasVoted(meetingId, voter), true, "the ballot is still counted");
    provider.destroy();

    await network.startAll();
    const heads = await network.waitForHead(observerHead.number + 3);
    const checkpoint = observerHead.number - 2;
    const expected = await network.blockHash("observer-1", checkpoint);
    for (const name of heads.keys()) assert.equal(await network.blockHash(name, checkpoint), expected, `${name} holds the same chain`);
  });
});
