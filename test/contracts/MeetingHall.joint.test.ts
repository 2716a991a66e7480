import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { packChoices } from "#lib/ballot.js";
import { BallotForm, Choice, RejectReason, SHARE_UNIT } from "#lib/domain.js";
import { ALL_FOR, networkHelpers, openJointMeeting, paperDecision, power, recordPower, signedBallot, sole } from "./fixtures.js";

const { loadFixture, time } = networkHelpers;
const ALL_AGAINST = packChoices(Array(5).fill(Choice.Against));
// jointBuilding: J alone 10 m², the group of J and K 50 m² (flat 5 and half the parking space), L 10 m²
const J_ALONE = 1000n * SHARE_UNIT;
const GROUP = 5000n * SHARE_UNIT;

describe("MeetingHall joint owners", function () {
  it("counts the whole jointly held area with the first joint owner's ballot, and refuses the other's", async function () {
    const { hall, k, j, group, meetingId } = await loadFixture(openJointMeeting);
    const tx = hall.connect(k).castBallot(meetingId, ALL_FOR);
    await expect(tx).to.emit(hall, "JointGroupVoted").withArgs(meetingId, group, k.address, GROUP);
    await expect(tx).to.emit(hall, "BallotCast").withArgs(meetingId, k.address, ZeroAddress, GROUP, ALL_FOR, BallotForm.Direct);
    expect(await hall.hasVoted(meetingId, group)).to.equal(true);
    // J still votes the flat J holds alone, and only that
    await expect(hall.connect(j).castBallot(meetingId, ALL_AGAINST))
      .to.emit(hall, "BallotCast")
      .withArgs(meetingId, j.address, ZeroAddress, J_ALONE, ALL_AGAINST, BallotForm.Direct)
      .and.not.to.emit(hall, "JointGroupVoted");
    const [gates] = await hall.getResults(meetingId);
    expect([gates.forWeight, gates.againstWeight]).to.deep.equal([GROUP, J_ALONE]);
    expect((await hall.getMeeting(meetingId)).participatingWeight).to.equal(GROUP + J_ALONE);
  });

  it("counts a joint owner's own flat and the joint area in one ballot, once", async function () {
    const { hall, j, k, group, meetingId } = await loadFixture(openJointMeeting);
    await expect(hall.connect(j).castBallot(meetingId, ALL_FOR))
      .to.emit(hall, "JointGroupVoted")
      .withArgs(meetingId, group, j.address, GROUP)
      .and.to.emit(hall, "BallotCast")
      .withArgs(meetingId, j.address, ZeroAddress, J_ALONE + GROUP, ALL_FOR, BallotForm.Direct);
    // K holds nothing but the joint area, which J's ballot counted
    await expect(hall.connect(k).castBallot(meetingId, ALL_AGAINST))
      .to.be.revertedWithCustomError(hall, "MeetingHallAlreadyVoted")
      .withArgs(meetingId, k.address);
    expect(await hall.hasVoted(meetingId, k.address)).to.equal(false);
    expect((await hall.getMeeting(meetingId)).participatingWeight).to.equal(J_ALONE + GROUP);
  });

  it("lets two joint owners race in one batch: the first counts the whole area, the other is rejected", async function () {
    const { hall, j, k, group, meetingId } = await loadFixture(openJointMeeting);
    const tx = hall.castBallotsBySig(meetingId, [
      await signedBallot(hall, j, meetingId, ALL_FOR),
      await signedBallot(hall, k, meetingId, ALL_AGAINST),
    ]);
    await expect(tx).to.emit(hall, "JointGroupVoted").withArgs(meetingId, group, j.address, GROUP);
    await expect(tx).to.emit(hall, "BallotCast").withArgs(meetingId, j.address, ZeroAddress, J_ALONE + GROUP, ALL_FOR, BallotForm.Relayed);
    const receipt = await (await tx).wait();
    const events = receipt!.logs.map((l) => hall.interface.parseLog(l)!);
    expect(events.filter((e) => e.name === "BallotCast")).to.have.length(1);
    const rejected = events.filter((e) => e.name === "BallotRejected");
    expect(rejected.map((e) => [e.args.voter, e.args.reason])).to.deep.equal([[k.address, BigInt(RejectReason.AlreadyVoted)]]);
    const m = await hall.getMeeting(meetingId);
    expect([m.ballots, m.participatingWeight]).to.deep.equal([1n, J_ALONE + GROUP]);
    expect((await hall.getResults(meetingId))[0].againstWeight).to.equal(0n);
  });

  it("counts the joint area for a joint owner's representative and a paper decision alike, once", async function () {
    const { hall, registrar, a, j, k, l, group, meetingId } = await loadFixture(openJointMeeting);
    const powerId = await recordPower(hall, registrar, await power(k.address, l.address));
    await expect(hall.connect(l).castBallotFor(meetingId, k.address, powerId, ALL_FOR))
      .to.emit(hall, "JointGroupVoted")
      .withArgs(meetingId, group, k.address, GROUP)
      .and.to.emit(hall, "BallotCast")
      .withArgs(meetingId, k.address, l.address, GROUP, ALL_FOR, BallotForm.Direct);
    // A, the administrator, enters J's paper decision: J's own flat only
    await expect(
      hall.connect(a).enterPaperDecisions(meetingId, [paperDecision(j.address, ALL_FOR)]),
    )
      .to.emit(hall, "BallotCast")
      .withArgs(meetingId, j.address, ZeroAddress, J_ALONE, ALL_FOR, BallotForm.Paper);
  });

  it("gives the joint group no ballot of its own", async function () {
    const { hall, a, group, meetingId } = await loadFixture(openJointMeeting);
    expect(await hall.checkBallot(meetingId, group, ZeroAddress, 0, ALL_FOR)).to.deep.equal([false, BigInt(RejectReason.NotEligible), 0n]);
    await expect(
      hall.connect(a).enterPaperDecisions(meetingId, [paperDecision(group, ALL_FOR)]),
    )
      .to.be.revertedWithCustomError(hall, "MeetingHallPaperDecisionRejected")
      .withArgs(0, RejectReason.NotEligible);
  });

  it("reports through checkBallot the joint area a joint owner's ballot would still count", async function () {
    const { hall, j, k, meetingId } = await loadFixture(openJointMeeting);
    expect(await hall.checkBallot(meetingId, j.address, ZeroAddress, 0, ALL_FOR)).to.deep.equal([true, 0n, J_ALONE + GROUP]);
    expect(await hall.checkBallot(meetingId, k.address, ZeroAddress, 0, ALL_FOR)).to.deep.equal([true, 0n, GROUP]);
    await hall.connect(j).castBallot(meetingId, ALL_FOR);
    expect(await hall.checkBallot(meetingId, k.address, ZeroAddress, 0, ALL_FOR)).to.deep.equal([false, BigInt(RejectReason.AlreadyVoted), 0n]);
  });

  it("reads the joint area at the snapshot, whatever is sold during voting", async function () {
    const { hall, registry, registrar, k, l, outsider, meetingId } = await loadFixture(openJointMeeting);
    await registry.connect(registrar).setOwners(5, sole(outsider.address));
    await expect(hall.connect(k).castBallot(meetingId, ALL_FOR))
      .to.emit(hall, "BallotCast")
      .withArgs(meetingId, k.address, ZeroAddress, GROUP, ALL_FOR, BallotForm.Direct);
    await expect(hall.connect(outsider).castBallot(meetingId, ALL_FOR))
      .to.be.revertedWithCustomError(hall, "MeetingHallNotEligible")
      .withArgs(meetingId, outsider.address);
    await hall.connect(l).castBallot(meetingId, ALL_FOR);
    await time.increase(7 * 24 * 3600);
    await expect(hall.finalize(meetingId))
      .to.emit(hall, "MeetingFinalized")
      .withArgs(meetingId, 27000n * SHARE_UNIT, GROUP + 1000n * SHARE_UNIT, 2, false);
  });
});
