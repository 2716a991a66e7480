/**
 * All of Digital Home on the local geth network, started as a user starts it (`npm start -- --network
 * local`), and the faults a real network has: a whole meeting through custody, the relayer, 4 signers
 * and the query node on the observer, recounted by the audit tool against the observer alone; a signer
 * killed under ballot load; a partition of the signers that reorganizes the head; a signer voted in
 * and one voted out while ballots flow; everything stopped with Ctrl-C and started again; and an
 * auditor's own observer, made from the published genesis and one enode, syncing and recounting.
 * Every ballot the relayer acknowledges is checked to be counted exactly once on the final chain.
 *
 * The same restart against the embedded `npm start` shows what the network mode is for: there, every
 * check of the restart fails, since the embedded chain forgets everything.
 *
 * The tests run in order on one system, each leaving it whole for the next.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { JsonRpcProvider, NonceManager, Wallet, getAddress, parseEther, type Signer } from "ethers";
import { MeetingHall__factory } from "#typechain/index.js";
import { ballotDomain } from "#lib/ballot.js";
import { readDeployment, type Deployment } from "#lib/deployment.js";
import { Choice, OrganiserRole } from "#lib/domain.js";
import { QUESTION_SETS, announce, connectWorld, registerBuilding, type Announced, type World } from "../../dev/scenario.js";
import { GethProvider } from "../geth-provider.js";
import { LocalNetwork } from "../local-network.js";
import { sleep, waitFor } from "../wait.js";
import { gethSkipReason } from "./helpers/geth.js";
import { BallotLoad, CAST_TOPIC, ballotsOf, castsOnChain, countAcknowledged, type CountResult, type LoadItem } from "./helpers/load.js";
import { partitionOnce } from "./helpers/partition.js";
import { audit, ballotState, custodyLogin, graphql, json, networkTool, npmStart, settled, startScript, voteThroughCustody, type RunningSystem, type SystemUrls } from "./helpers/system.js";

const skip = await gethSkipReason();
/** What the relayer, the index and the notifier wait on 4 signers (network/finality.ts). */
const CONFIRMATIONS = 4;
/**
 * A short notice and window, so that the first start seeds the demo quickly and a meeting finishes
 * within the test; and room for the five meetings the deployer announces at once in the test's building.
 */
const PARAMETERS = { DH_MIN_NOTICE: "5", DH_MIN_WINDOW: "20", DH_MAX_OPEN_PER_INITIATOR: "8" };

function assertCountedOnce(result: CountResult, what: string) {
  assert.ok(result.acked > 0, `${what}: ballots were acknowledged`);
  assert.deepEqual(result.lost, [], `${what}: no acknowledged ballot lost`);
  assert.deepEqual(result.twice, [], `${what}: no ballot counted twice`);
  assert.deepEqual(result.misplaced, [], `${what}: the relayer's record of each ballot is where the final chain holds it`);
  assert.equal(result.confirmed, result.acked);
}

interface Snapshot {
  checkpoint: { number: number; hash: string };
  record: Deployment;
  meetings: Array<{ id: string; status: string; ballotCount: number; participatingWeight: string }>;
  indexedBlock: number;
  ballots: Map<string, { txHash?: string; status: string } | undefined>;
  resident: { id: string; address: string; ballot: string };
}

const MEETINGS_QUERY = "{ _meta { block { number } } meetings(first: 1000, orderBy: meetingId) { id status ballotCount participatingWeight } }";

/** What a restart must keep: the chain, the deployment, every meeting and ballot, a resident's key. */
async function snapshot(urls: SystemUrls, followed: string[], resident: { id: string; ballot: string }, checkpointAt?: number): Promise<Snapshot> {
  const provider = new JsonRpcProvider(urls.rpc, undefined, { cacheTimeout: -1 });
  try {
    const number = checkpointAt ?? (await provider.getBlockNumber()) - 8;
    const block = await provider.getBlock(number);
    const data = await graphql(urls.graphql, MEETINGS_QUERY);
    const ballots = new Map<string, { txHash?: string; status: string } | undefined>();
    for (const id of followed) {
      const s = await ballotState(urls.relayer, id);
      ballots.set(id, s && { txHash: s.txHash, status: s.status });
    }
    const { address } = await custodyLogin(urls.custody, resident.id);
    return {
      checkpoint: { number, hash: block?.hash ?? "(none)" },
      record: await readDeployment(urls.deploymentFile),
      meetings: data.meetings,
      indexedBlock: data._meta.block.number,
      ballots,
      resident: { ...resident, address },
    };
  } finally {
    provider.destroy();
  }
}

/** Every way in which `after` has lost or changed what `before` held. */
function lostInRestart(before: Snapshot, after: Snapshot): string[] {
  const lost: string[] = [];
  if (after.checkpoint.hash !== before.checkpoint.hash) lost.push(`block ${before.checkpoint.number} was ${before.checkpoint.hash}, is ${after.checkpoint.hash}: another chain`);
  for (const contract of ["BuildingRegistry", "MeetingHall", "LegalRules", "Forwarder"] as const) {
    const [b, a] = [before.record.contracts[contract], after.record.contracts[contract]];
    if (a.transactionHash !== b.transactionHash || a.deploymentBlock !== b.deploymentBlock) lost.push(`${contract} deployed again (transaction ${b.transactionHash} became ${a.transactionHash})`);
  }
  const afterMeetings = new Map(after.meetings.map((m) => [m.id, m]));
  for (const m of before.meetings) {
    const a = afterMeetings.get(m.id);
    if (!a) lost.push(`meeting ${m.id} is gone from the index`);
    else if (a.status !== m.status || a.ballotCount < m.ballotCount || a.participatingWeight !== m.participatingWeight) {
      lost.push(`meeting ${m.id}: ${m.status}, ${m.ballotCount} ballots, weight ${m.participatingWeight} became ${a.status}, ${a.ballotCount}, ${a.participatingWeight}`);
    }
  }
  if (after.indexedBlock < before.indexedBlock) lost.push(`the index went back from block ${before.indexedBlock} to ${after.indexedBlock}`);
  let unknown = 0;
  for (const [id, b] of before.ballots) {
    const a = after.ballots.get(id);
    if (!a) unknown++;
    else if (a.status !== b?.status || a.txHash !== b?.txHash) lost.push(`ballot ${id}: ${b?.status} in ${b?.txHash} became ${a.status} in ${a.txHash}`);
  }
  if (unknown) lost.push(`${unknown} of ${before.ballots.size} acknowledged ballots are unknown to the relayer`);
  if (after.resident.address !== before.resident.address) lost.push(`${before.resident.id}'s custodial key changed from ${before.resident.address} to ${after.resident.address}`);
  return lost;
}

describe("Digital Home on the local geth network", { skip, timeout: 1_800_000 }, () => {
  let dir: string;
  let system: RunningSystem;
  let network: LocalNetwork;
  let deployment: Deployment;
  let observer: JsonRpcProvider;
  let world: World;
  let secrets: { registrarToken: string; custodyClientToken: string; metricsToken: string };
  let seeded: { residents: string[]; meetings: { open: string } };
  let loadItems: Map<string, LoadItem[]>;
  let voters: Wallet[];
  /** Every ballot acknowledged in the tests, followed across the restart. */
  const followed: string[] = [];
  /** Loads and watchers a test started, stopped after it however it ended. */
  const cleanups: Array<() => Promise<void>> = [];
  const env = () => ({ DH_LOCAL_DIR: path.join(dir, "local"), ...PARAMETERS });
  const relayerUrl = () => system.urls.relayer;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "dh-system-"));
    system = await npmStart(["--network", "local"], env());
    network = await LocalNetwork.open(path.join(dir, "local", "network"));
    deployment = await readDeployment(system.urls.deploymentFile);
    observer = new JsonRpcProvider(system.urls.rpc, deployment.chainId, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
    secrets = JSON.parse(readFileSync(path.join(dir, "local", "secrets.json"), "utf8"));
    const state = JSON.parse(readFileSync(path.join(dir, "local", "state.json"), "utf8"));
    seeded = state.seed;
    // the test's own transactions go through signer-2: signer-1 (the relayer's) is the one killed
    const provider = new GethProvider(network.url("signer-2"), deployment.chainId, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
    const operator = new NonceManager(new Wallet((await network.accounts()).deployer.privateKey, provider));
    world = connectWorld(provider, operator, deployment);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  });

  after(async () => {
    if (system) {
      const { left } = await system.interrupt().catch(() => ({ left: ["(interrupt failed)"] }));
      if (left.length) system.kill();
    }
    await network?.stopAll().catch(() => undefined);
    world?.provider.destroy();
    observer?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("makes the network on the first start, deploys once, seeds the demo, and keeps its secrets to its owner", async () => {
    const output = system.output();
    assert.match(output, /creating the local network in .*\(4 signers, 1 observer, one block a second\)/);
    assert.match(output, /Digital Home is running \(a new local network\)/);
    assert.match(output, /Confirmations +4 blocks/);
    assert.match(output, /JSON-RPC +http:\/\/127\.0\.0\.1:\d+ +\(observer-1, public; chain id 31338\)/);
    const status = await network.status();
    assert.deepEqual(status.map((s) => [s.name, s.running]), [["signer-1", true], ["signer-2", true], ["signer-3", true], ["signer-4", true], ["observer-1", true]]);
    assert.equal(status.find((s) => s.name === "observer-1")!.peers!.length, 4);
    assert.equal(deployment.network, "local");
    assert.equal(deployment.chainId, 31338);
    assert.equal(path.relative(path.join(dir, "local"), system.urls.deploymentFile), path.join("deployments", "local.json"));
    const mode = (f: string) => statSync(path.join(dir, "local", f)).mode & 0o777;
    assert.equal(mode("."), 0o700, "the data folder is its owner's");
    assert.equal(mode("secrets.json"), 0o600);
    assert.equal(mode(path.join("network", "accounts.json")), 0o600);
    const { meetings } = await graphql(system.urls.graphql, "{ meetings { id status } }");
    assert.deepEqual(meetings.map((m: { status: string }) => m.status).sort(), ["Announced", "Announced", "Finalized"]);
    assert.equal((await fetch(`${system.urls.relayer}/v1/health`)).status, 200);
    // a second start on the same folder while this one runs is refused, and touches nothing
    const second = await startScript(["--network", "local"], env());
    assert.equal(second.code, 1, second.output);
    assert.match(second.output, /is in use by another start \(pid \d+\)/);
    assert.doesNotMatch(second.output, /starting the nodes|stopped the nodes/);
    for (const s of await network.status()) assert.equal(s.running, true, `${s.name} still runs`);

    // voters for the load of the tests below: a building of the test's own, and three meetings in it
    const building = await registerBuilding(world, 41, 300, 300);
    voters = building.owners;
    const ids: Announced[] = [];
    for (let m = 0; m < 8; m++) ids.push(await announce(world, building.buildingId, QUESTION_SETS.courtyard, { delay: 8, window: 3600 }));
    const domain = ballotDomain(deployment.chainId, deployment.contracts.MeetingHall.address);
    const ballots = (meetings: Announced[]) => ballotsOf(domain, voters, meetings, QUESTION_SETS.courtyard.length);
    // the partition may take a few tries: its load lasts long enough for all of them (six meetings
    // at 14 ballots a second, over two minutes), and each meeting has a batch of its own to send
    loadItems = new Map([["kill", ballots([ids[0]!])], ["partition", ballots(ids.slice(1, 7))], ["votes", ballots([ids[7]!])]]);
    const opens = ids[0]!.votingStart;
    await waitFor("the load's meetings to open", async () => ((await observer.getBlock("latest"))!.timestamp >= opens ? true : undefined), { timeoutMs: 60_000 });
  });

  it("holds a whole meeting through custody, the relayer and 4 signers, and the index on the observer and the audit against the observer alone agree with the contract", async (t) => {
    // a new meeting in the demo's first building, announced by a management organisation the
    // registrar names for it (the demo's own organisation announces through custody; this one pays gas)
    const organiserKey = Wallet.createRandom();
    await (await world.operator.sendTransaction({ to: organiserKey.address, value: parseEther("1") })).wait();
    await (await world.registry.setOrganiser(1n, organiserKey.address, OrganiserRole.ManagementOrganisation)).wait();
    const organiser = new NonceManager(organiserKey.connect(world.provider)) as Signer;
    const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, organiser);
    const meeting = await announce({ ...world, operator: organiser, hall }, 1n, QUESTION_SETS.courtyard, { delay: 8, window: 30 });
    await waitFor("the voting window to open", async () => ((await observer.getBlock("latest"))!.timestamp >= meeting.votingStart ? true : undefined), { timeoutMs: 60_000 });
    const accepted: string[] = [];
    const refused: string[] = [];
    const answers = [Choice.For, Choice.Against, Choice.Abstain];
    for (const [i, residentId] of seeded.residents.entries()) {
      const { token } = await custodyLogin(system.urls.custody, residentId);
      const vote = await voteThroughCustody(system.urls.custody, token, meeting.meetingId, QUESTION_SETS.courtyard.map((_, q) => answers[(i + q) % 3]!));
      if (vote.status === 202) accepted.push(vote.body.id);
      else refused.push(`${residentId}: ${vote.body?.error?.code}`);
    }
    t.diagnostic(`${accepted.length} owners voted through custody; refused: ${refused.join(", ")}`);
    assert.ok(accepted.length >= 10, "the building's owners voted");
    assert.ok(refused.every((r) => /not_eligible/.test(r)), "only those who own nothing in the building are refused");
    const states = await settled(system.urls.relayer, accepted);
    assert.ok([...states.values()].every((s) => s.status === "confirmed"), "every ballot is confirmed by the relayer");
    followed.push(...accepted);

    await waitFor("the voting window to close", async () => ((await observer.getBlock("latest"))!.timestamp > meeting.votingEnd ? true : undefined), { timeoutMs: 90_000 });
    // the keeper that npm start runs finalizes it once its window has passed and the close is final
    const id = meeting.meetingId.toString();
    const indexed = await waitFor("the index to hold the finalized meeting", async () => {
      const { meeting: m } = await graphql(system.urls.graphql, `{ meeting(id: "${id}") { status ballotCount participatingWeight quorumReached questions(orderBy: index) { forWeight againstWeight abstainWeight passed } } }`);
      return m?.status === "Finalized" ? m : undefined;
    }, { timeoutMs: 120_000 });

    const onObserver = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, observer);
    const tallies = await onObserver.getResults(meeting.meetingId);
    assert.equal(indexed.ballotCount, accepted.length);
    assert.deepEqual(
      indexed.questions.map((q: Record<string, string | boolean>) => [q.forWeight, q.againstWeight, q.abstainWeight, q.passed]),
      tallies.map((q) => [q.forWeight.toString(), q.againstWeight.toString(), q.abstainWeight.toString(), q.passed]),
      "the index on the observer agrees with the contract",
    );
    const relayed = [...states.values()].reduce((sum, s) => sum + BigInt(s.weight!), 0n);
    assert.equal(relayed.toString(), indexed.participatingWeight, "the weights the relayer confirmed add up to the participation the index shows");

    const recount = await audit(["recount", id, "--rpc", system.urls.rpc, "--deployment", system.urls.deploymentFile, "--graphql", system.urls.graphql, "--json"]);
    assert.equal(recount.code, 0, recount.stdout + recount.stderr);
    const r = JSON.parse(recount.stdout);
    assert.equal(r.status, "Finalized");
    assert.equal(r.ballots.length, accepted.length);
    assert.equal(String(r.participatingWeight), indexed.participatingWeight);
    assert.deepEqual(r.differences, []);
    assert.deepEqual(
      r.questions.map((q: Record<string, unknown>) => [String(q.forWeight), String(q.againstWeight), String(q.abstainWeight), q.passed]),
      tallies.map((q) => [q.forWeight.toString(), q.againstWeight.toString(), q.abstainWeight.toString(), q.passed]),
      "the recount from the observer's events agrees with the contract",
    );
  });

  it("keeps sealing while the relayer's signer is killed under ballot load, and counts every acknowledged ballot once when it is back", async (t) => {
    const items = loadItems.get("kill")!;
    const load = new BallotLoad(relayerUrl, items, 12, secrets.custodyClientToken);
    cleanups.push(() => load.stop());
    await waitFor("ballots to flow", async () => load.count >= 30, { timeoutMs: 60_000 });
    const killed = "signer-1";
    assert.ok(await network.kill(killed), `${killed} was running`);
    const ackedAtKill = load.count;
    const from = (await network.head("observer-1")).number;
    const heads = await network.waitForHead(from + 6, { nodes: ["signer-2", "signer-3", "signer-4", "observer-1"], timeoutMs: 60_000 });
    const sealers = new Set<string>();
    for (let n = from + 2; n <= from + 6; n++) sealers.add(await network.sealer("signer-2", n));
    assert.ok(!sealers.has(network.node(killed).address!), "the killed signer sealed none of the blocks");
    await network.start(killed);
    const target = heads.get("signer-2")!;
    assert.equal(await network.blockHash(killed, target.number), await network.blockHash("signer-2", target.number), `${killed} caught up`);
    await load.finish();
    t.diagnostic(`${load.count} ballots acknowledged (${ackedAtKill} before the kill), ${load.refused.size} refused`);
    const result = await countAcknowledged(system.urls.relayer, observer, deployment, load.ackedItems(), CONFIRMATIONS);
    assertCountedOnce(result, "signer killed");
    assert.ok(load.count > ackedAtKill, "ballots were acknowledged after the kill");
    followed.push(...load.acked);
  });

  it("survives a partition of the signers that reorganizes the head: the index shows only what the final chain holds, the relayer re-sends what the reorg dropped", async (t) => {
    const items = loadItems.get("partition")!;
    const meetingIds = [...new Set(items.map((i) => i.meetingId.toString()))];
    const load = new BallotLoad(relayerUrl, items, 14, secrets.custodyClientToken);
    cleanups.push(() => load.stop());
    // everything the query node ever showed of the meeting while the network split and healed
    const shown = new Map<string, { id: string; meetingId: string; transactionHash: string; voter: string; blockNumber: string }>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const meetingId of meetingIds) {
          const data = await graphql(system.urls.graphql, `{ ballots(first: 1000, where: { meeting: "${meetingId}" }) { id meeting { id } transactionHash voter blockNumber } }`).catch(() => undefined);
          for (const b of data?.ballots ?? []) shown.set(b.id, { ...b, meetingId: b.meeting.id });
        }
        await sleep(300);
      }
    })();
    cleanups.push(async () => {
      watching = false;
      await watcher;
    });
    await waitFor("ballots to flow", async () => load.count >= 30, { timeoutMs: 60_000 });
    /** A transaction the halves sealed, with the `meetingId:voter` of each ballot it counted. */
    type SplitTx = { hash: string; voters: string[] };
    const sealedBy = async (node: string, heights: number[]): Promise<SplitTx[]> => {
      const txs: SplitTx[] = [];
      for (const n of heights) {
        const block = await network.rpc(node).call<{ transactions: Array<{ hash: string }> } | null>("eth_getBlockByNumber", ["0x" + n.toString(16), true]);
        for (const tx of block?.transactions ?? []) {
          const receipt = await network.rpc(node).call<{ logs: Array<{ topics: string[] }> }>("eth_getTransactionReceipt", [tx.hash]);
          txs.push({ hash: tx.hash, voters: receipt.logs.filter((l) => l.topics[0] === CAST_TOPIC).map((l) => `${BigInt(l.topics[1]!)}:${getAddress("0x" + l.topics[2]!.slice(26))}`) });
        }
      }
      return txs;
    };
    let dropped: SplitTx[] = [];
    let outcome;
    let forked: Awaited<ReturnType<typeof partitionOnce>>;
    for (let attempt = 1; ; attempt++) {
      dropped = [];
      outcome = await partitionOnce(network, {
        observer: "loser",
        loserHolds: "signer-1",
        beforeHeal: async ({ height, loserNodes, winnerNodes }) => {
          // the ballots the losing half sealed that the winning half did not, read before the reorg drops them
          const kept = new Set((await sealedBy(winnerNodes[0]!, [height, height + 1])).map((x) => x.hash));
          dropped = (await sealedBy(loserNodes[0]!, [height, height + 1])).filter((x) => x.voters.length > 0 && !kept.has(x.hash));
        },
      });
      if (outcome && outcome.loserNodes.includes("signer-1") && dropped.length > 0) break;
      if (outcome) forked = outcome;
      t.diagnostic(`try ${attempt}: ${outcome ? `the losing half (${outcome.loserNodes.join(", ")}) sealed no ballot of its own` : "a block was sealed before the split took hold"}`);
      if (attempt >= 8) {
        // Whether a batch of the relayer lands in the losing half alone is timing; the fork, the
        // reorganization and every count below are checked on the last fork all the same, and the
        // relayer's broadcast of a dropped batch is proven in relayer/test/reorg.test.ts.
        assert.ok(forked, "a partition that forked the chain within 8 tries");
        t.diagnostic("no split in 8 tries left a batch of the relayer in the losing half alone: the checks below run on the last fork, whose reorganization dropped no ballot");
        outcome = forked;
        dropped = [];
        break;
      }
    }
    const { height, hashes, winner, loserNodes } = outcome;
    assert.notEqual(hashes[0], hashes[1], `the halves sealed different blocks at height ${height}`);
    for (const name of loserNodes) assert.equal(await network.blockHash(name, height), winner, `${name} reorganized onto the other half's chain`);
    await sleep(3_000);
    await load.stop();
    const result = await countAcknowledged(system.urls.relayer, observer, deployment, load.ackedItems(), CONFIRMATIONS);
    watching = false;
    await watcher;
    assertCountedOnce(result, "partition");
    followed.push(...load.acked);

    // what the reorg dropped is on the final chain: the same transaction sealed again, or the relayer's replacement
    const casts = await castsOnChain(observer, deployment);
    let sealedAgain = 0;
    for (const d of dropped) {
      if ((await observer.getTransactionReceipt(d.hash)) !== null) sealedAgain++;
      for (const key of d.voters) {
        assert.equal((casts.get(key.toLowerCase()) ?? []).length, 1, `the dropped ballot ${key} is counted once on the final chain`);
      }
    }
    // Which of the two re-sent it is a race: the node that held the dropped block takes its transactions
    // back into its pool and they are often sealed again before the relayer's next look; when the
    // relayer sees a receipt vanish it broadcasts the transaction again itself (relayer/test/reorg.test.ts,
    // where the node forgets it).
    const metrics = await fetch(`${system.urls.relayer}/metrics`, { headers: { authorization: `Bearer ${secrets.metricsToken}` } }).then((r) => r.text());
    const reorged = Number(/^relayer_transactions_reorged_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
    const ballots = dropped.reduce((n, d) => n + d.voters.length, 0);
    t.diagnostic(`split at height ${height}: ${loserNodes.join(", ")} lost; the reorg dropped ${dropped.length} transactions with ${ballots} ballots: ${sealedAgain} sealed again as they were, ${dropped.length - sealedAgain} replaced; the relayer broadcast ${reorged} dropped batch(es) again`);
    // the index never showed a ballot that the final chain does not hold
    assert.ok(shown.size > 0, "the index showed ballots of the meeting meanwhile");
    for (const b of shown.values()) {
      const receipt = await observer.getTransactionReceipt(b.transactionHash);
      assert.ok(receipt !== null && receipt.status === 1, `ballot ${b.id} shown by the index is in transaction ${b.transactionHash} of the final chain`);
      assert.equal(String(receipt.blockNumber), b.blockNumber, `ballot ${b.id} shown at the block where the final chain holds it`);
      const onChain = casts.get(`${b.meetingId}:${b.voter.toLowerCase()}`) ?? [];
      assert.deepEqual(onChain.map((c) => c.txHash), [b.transactionHash]);
    }
  });

  it("adds a signer and removes one by Clique votes while ballots flow", async (t) => {
    const items = loadItems.get("votes")!;
    const load = new BallotLoad(relayerUrl, items, 10, secrets.custodyClientToken);
    cleanups.push(() => load.stop());
    await waitFor("ballots to flow", async () => load.count >= 20, { timeoutMs: 60_000 });
    const added = await network.addNode("signer", { start: true });
    assert.equal(added.name, "signer-5");
    await network.propose(added.address!, true);
    for (const node of network.spec.nodes) await network.waitForSigner(node.name, added.address!, true, { timeoutMs: 90_000 });
    await network.discard(added.address!);
    const since = (await network.head("signer-2")).number;
    await waitFor("the new signer to seal a block", async () => {
      const head = await network.head("signer-2");
      for (let n = since + 1; n <= head.number; n++) if ((await network.sealer("signer-2", n)) === added.address) return true;
      return undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });

    const removed = network.node("signer-4").address!;
    await network.propose(removed, false);
    for (const node of network.spec.nodes) await network.waitForSigner(node.name, removed, false, { timeoutMs: 90_000 });
    await network.discard(removed);
    const after = (await network.head("signer-2")).number;
    await network.waitForHead(after + 5, { nodes: ["signer-2", "observer-1"] });
    for (let n = after + 1; n <= after + 5; n++) assert.notEqual(await network.sealer("signer-2", n), removed, `block ${n} is not sealed by the removed signer`);
    assert.equal((await network.signers("observer-1")).length, 4);
    await load.finish();
    t.diagnostic(`${load.count} ballots acknowledged while the signers changed`);
    const result = await countAcknowledged(system.urls.relayer, observer, deployment, load.ackedItems(), CONFIRMATIONS);
    assertCountedOnce(result, "signer votes");
    followed.push(...load.acked);
  });

  it("keeps everything when stopped with Ctrl-C and started again: nothing missing, nothing counted twice, the index resumes", async (t) => {
    // a resident votes in the demo's open meeting just before the stop
    const anna = await custodyLogin(system.urls.custody, "ivanova.anna");
    const vote = await voteThroughCustody(system.urls.custody, anna.token, BigInt(seeded.meetings.open), [Choice.For, Choice.Against, Choice.For, Choice.For]);
    assert.equal(vote.status, 202, JSON.stringify(vote.body));
    await settled(system.urls.relayer, [vote.body.id]);
    followed.push(vote.body.id);
    const { entries: logBefore } = await json(`${system.urls.notifier}/v1/delivery-log`, { token: secrets.registrarToken });
    // the index holds the resident's ballot before the stop
    await waitFor("the index to hold the last ballot", async () => {
      const { meeting } = await graphql(system.urls.graphql, `{ meeting(id: "${seeded.meetings.open}") { ballots(where: { voter: "${anna.address.toLowerCase()}" }) { id } } }`);
      return meeting.ballots.length === 1;
    }, { timeoutMs: 30_000 });
    const before = await snapshot(system.urls, followed, { id: "ivanova.anna", ballot: vote.body.id });

    const stopped = await system.interrupt();
    assert.deepEqual(stopped.left, [], "no process of npm start is left");
    const stoppedNodes = /stopped the nodes (.*)\./.exec(system.output())?.[1]?.split(", ").sort();
    assert.deepEqual(stoppedNodes, ["observer-1", "signer-1", "signer-2", "signer-3", "signer-4", "signer-5"], "Ctrl-C stops every node, the signer voted in too");
    for (const s of await network.status()) assert.equal(s.running, false, `${s.name} is stopped`);

    system = await npmStart(["--network", "local"], env());
    const output = system.output();
    assert.match(output, /Digital Home is running \(resumed at block \d+ of the local network\)/);
    assert.doesNotMatch(output, /creating the local network|deploying the forwarder|seeding the demo/, "nothing is made again");
    const resumedAt = Number(/its index resumes after block (\d+)/.exec(output)?.[1]);
    assert.ok(resumedAt >= before.indexedBlock, `the index resumes after block ${resumedAt}, at or past the ${before.indexedBlock} it had reached`);

    const after = await snapshot(system.urls, followed, before.resident, before.checkpoint.number);
    assert.deepEqual(lostInRestart(before, after), []);
    // nothing counted twice: every ballot once on the chain, the resident's second vote refused
    const casts = await castsOnChain(observer, deployment);
    assert.deepEqual([...casts.entries()].filter(([, c]) => c.length !== 1).map(([k]) => k), [], "no voter is counted twice in any meeting");
    const again = await voteThroughCustody(system.urls.custody, (await custodyLogin(system.urls.custody, "ivanova.anna")).token, BigInt(seeded.meetings.open), [Choice.Against, Choice.Against, Choice.Against, Choice.Against]);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.match(again.body.error.code, /already_voted|already_queued/);
    // the notifier resumes from its cursor: every notice of before still logged, none sent twice
    await sleep(5_000);
    const { entries: logAfter } = await json(`${system.urls.notifier}/v1/delivery-log`, { token: secrets.registrarToken });
    const sent = (entries: Array<{ id: number; noticeId: string; address: string; channel: string; outcome: string }>) => entries.filter((e) => e.outcome === "sent");
    assert.deepEqual(sent(logAfter).filter((e) => e.id <= Math.max(0, ...logBefore.map((x: { id: number }) => x.id))).map((e) => e.id), sent(logBefore).map((e: { id: number }) => e.id));
    const keys = sent(logAfter).map((e) => `${e.noticeId}:${e.address}:${e.channel}`);
    assert.equal(new Set(keys).size, keys.length, "no notice is sent twice on a channel");
    t.diagnostic(`${followed.length} acknowledged ballots followed across the restart; ${sent(logAfter).length} notices sent, ${sent(logAfter).length - sent(logBefore).length} of them after it`);
  });

  it("lets an auditor start an observer from the published genesis and one node's enode, which syncs, and the audit recounts against it", async () => {
    const auditorDir = path.join(dir, "auditor");
    const enode = network.node("observer-1").enode;
    const join = await networkTool(["join", "--genesis", network.genesisFile, "--peer", enode, "--dir", auditorDir]);
    assert.equal(join.code, 0, join.stdout + join.stderr);
    try {
      const up = await networkTool(["up", "--dir", auditorDir]);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      assert.match(up.stdout, /Following +enode:\/\//);
      const url = /observer-1 +(http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)![1]!;
      const own = new JsonRpcProvider(url, deployment.chainId, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const head = await observer.getBlock("latest");
        await waitFor(`the auditor's node to reach block ${head!.number}`, async () => ((await own.getBlock(head!.number))?.hash === head!.hash ? true : undefined), { timeoutMs: 180_000, intervalMs: 500 });
        const recount = await audit(["recount", "--all", "--rpc", url, "--deployment", system.urls.deploymentFile, "--json"]);
        assert.equal(recount.code, 0, recount.stdout + recount.stderr);
        const summary = JSON.parse(recount.stdout);
        const { meetings } = await graphql(system.urls.graphql, MEETINGS_QUERY);
        assert.equal(summary.meetings, meetings.length);
        assert.equal(summary.ballots, meetings.reduce((n: number, m: { ballotCount: number }) => n + m.ballotCount, 0), "the auditor's node holds every ballot the index shows");
        assert.equal(summary.differing, 0);
      } finally {
        own.destroy();
      }
    } finally {
      const down = await networkTool(["down", "--dir", auditorDir]);
      assert.equal(down.code, 0, down.stderr);
    }
  });
});

describe("the same restart on the embedded chain", { timeout: 900_000 }, () => {
  it("loses the chain, the ballots and the keys: the restart checks that pass on the network fail here", async (t) => {
    let system = await npmStart([], {});
    try {
      const anna = await custodyLogin(system.urls.custody, "ivanova.anna");
      const vote = await voteThroughCustody(system.urls.custody, anna.token, 2n, [Choice.For, Choice.Against, Choice.For, Choice.For]);
      assert.equal(vote.status, 202, JSON.stringify(vote.body));
      await settled(system.urls.relayer, [vote.body.id]);
      const before = await snapshot(system.urls, [vote.body.id], { id: "ivanova.anna", ballot: vote.body.id });
      const stopped = await system.interrupt();
      assert.deepEqual(stopped.left, []);
      system = await npmStart([], {});
      const after = await snapshot(system.urls, [vote.body.id], before.resident, before.checkpoint.number);
      const lost = lostInRestart(before, after);
      t.diagnostic(`what the embedded chain lost in a restart:\n${lost.map((l) => `  - ${l}`).join("\n")}`);
      assert.ok(lost.some((l) => /another chain/.test(l)), "the chain is another one");
      assert.ok(lost.some((l) => /acknowledged ballots are unknown to the relayer/.test(l)), "the acknowledged ballot is unknown");
      assert.ok(lost.some((l) => /custodial key changed/.test(l)), "the resident's key is another one");
      assert.ok(lost.some((l) => /meeting 2: .* ballots/.test(l)), "the open meeting lost the ballot");
    } finally {
      const { left } = await system.interrupt().catch(() => ({ left: ["(interrupt failed)"] }));
      if (left.length) system.kill();
    }
  });
});
