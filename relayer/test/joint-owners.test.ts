/**
 * Joint owners and representatives at the relayer against a real node (one-second blocks): spouses
 * who hold nothing but their joint flat race, and exactly one is acknowledged, the other told whose
 * ballot took the flat; spouses one of whom holds a parking space alone are both acknowledged and
 * both counted, the flat once, and the second's status says who voted it; a representative's ballot
 * counts the principal's weight and names both accounts, and the principal's own ballot is then
 * refused.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { SHARE_UNIT } from "#lib/domain.js";
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";
import { CHOICES, deployFixture, startChainProcess, type ChainProcess, type Fixture } from "./helpers/chain.js";
import { request, waitFor } from "./helpers/http.js";
import { startInProcess, type RunningServices } from "./helpers/services.js";

let chain: ChainProcess;
let fx: Fixture;
let services: RunningServices;
let relayer: string;
const spouses = [Wallet.createRandom(), Wallet.createRandom()];
/** Joint owners of a flat, the second also sole owner of a parking space. */
const couple = [Wallet.createRandom(), Wallet.createRandom()];

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 4, meetings: 1 });
  await fx.addPremises([
    { area: 6000n, holdings: [{ holders: spouses.map((w) => w.address), share: SHARE_UNIT }] },
    { area: 7000n, holdings: [{ holders: couple.map((w) => w.address), share: SHARE_UNIT }] },
    { area: 1500n, holdings: [{ holders: [couple[1]!.address], share: SHARE_UNIT }] },
  ]);
  services = await startInProcess(fx);
  relayer = services.relayerUrl;
});

after(async () => {
  await services?.stop();
  fx?.cleanup();
  await chain?.stop();
});

const post = (body: unknown) => request(`${relayer}/v1/ballots`, { body });

async function settled(id: string): Promise<any> {
  let s: any;
  await waitFor(async () => {
    s = (await request(`${relayer}/v1/ballots/${id}`)).body;
    return s.status === "confirmed" || s.status === "rejected";
  }, 90_000, `ballot ${id}`);
  return s;
}

const registry = () => BuildingRegistry__factory.connect(fx.deployment.contracts.BuildingRegistry.address, fx.provider);
const hall = () => MeetingHall__factory.connect(fx.deployment.contracts.MeetingHall.address, fx.provider);

describe("joint owners racing at the relayer", () => {
  it("acknowledges one of two spouses who hold nothing but their joint flat, and tells the other whose ballot took it", async () => {
    const meetingId = await fx.announce();
    const group = await registry().jointGroupOf(1n, spouses.map((w) => w.address));
    const [a, b] = spouses.map((w) => fx.sign(w, meetingId));
    const answers = await Promise.all([post(a!.body), post(b!.body)]);
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [202, 409], JSON.stringify(answers.map((r) => r.body)));
    const won = answers.findIndex((r) => r.status === 202);
    const lost = answers[1 - won]!;
    assert.equal(lost.body.error.code, "already_queued");
    const winner = spouses[won]!.address;
    assert.deepEqual(lost.body.error.details, { jointGroups: [{ group, voter: winner, ballotId: [a, b][won]!.id }] });

    const s = await settled([a, b][won]!.id);
    assert.equal(s.status, "confirmed");
    assert.equal(s.weight, (6000n * SHARE_UNIT).toString(), "the whole flat");
    assert.deepEqual(s.jointGroups, [{ group, weight: (6000n * SHARE_UNIT).toString(), counted: true, votedBy: winner }]);
    assert.equal(await hall().hasVoted(meetingId, group), true);
    const again = await post([a, b][1 - won]!.body);
    assert.deepEqual([again.status, again.body.error.code], [409, "already_voted"], "once counted, the loser has voted through the flat");
  });

  it("acknowledges and counts both spouses when one holds a share alone: the flat once, and the second's status names who voted it", async () => {
    const meetingId = await fx.announce();
    const group = await registry().jointGroupOf(1n, couple.map((w) => w.address));
    const first = fx.sign(couple[0]!, meetingId);
    const second = fx.sign(couple[1]!, meetingId, 3n | (3n << 2n) | (3n << 4n));
    const r1 = await post(first.body);
    const r2 = await post(second.body);
    assert.deepEqual([r1.status, r2.status], [202, 202], JSON.stringify([r1.body, r2.body]));
    const [s1, s2] = [await settled(first.id), await settled(second.id)];
    assert.deepEqual([s1.status, s2.status], ["confirmed", "confirmed"]);
    assert.equal(s1.weight, (7000n * SHARE_UNIT).toString(), "the first counted the flat");
    assert.equal(s2.weight, (1500n * SHARE_UNIT).toString(), "the second counted the parking space alone");
    assert.deepEqual(s2.jointGroups, [{ group, weight: (7000n * SHARE_UNIT).toString(), counted: false, votedBy: couple[0]!.address }], "and says who voted the flat");
    const joint = await hall().queryFilter(hall().filters.JointGroupVoted(meetingId, group));
    assert.equal(joint.length, 1, "the flat counted once");
    assert.ok(s1.blockNumber < s2.blockNumber, "the first lands before the second could take its flat");
  });
});

describe("a representative's ballot at the relayer", () => {
  it("counts the principal's weight under a power of attorney, names both, and refuses the principal's own ballot after", async () => {
    const meetingId = await fx.announce();
    const principal = fx.voters[0]!;
    const rep = Wallet.createRandom();
    const [powerId] = await fx.recordPowers([{ principal: principal.address, representative: rep.address }], meetingId);
    const byRep = fx.sign(rep, meetingId, CHOICES, { voter: principal.address, powerOfAttorney: powerId! });
    const wrongPower = fx.sign(rep, meetingId, CHOICES, { voter: principal.address, powerOfAttorney: powerId! + 1n });
    const refused = await post(wrongPower.body);
    assert.deepEqual([refused.status, refused.body.error.code, refused.body.error.details.reason], [403, "no_power_of_attorney", "unknown"]);
    const r = await post(byRep.body);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = await settled(byRep.id);
    assert.equal(s.status, "confirmed");
    assert.deepEqual([s.voter, s.representative, s.powerOfAttorney], [principal.address, rep.address, powerId!.toString()]);
    assert.equal(s.weight, (await registry().weightOf(1n, principal.address)).toString(), "the principal's weight");
    const cast = await hall().queryFilter(hall().filters.BallotCast(meetingId, principal.address));
    assert.equal(cast[0]!.args.representative, rep.address);
    const own = await post(fx.sign(principal, meetingId).body);
    assert.deepEqual([own.status, own.body.error.code], [409, "already_voted"]);
  });
});
