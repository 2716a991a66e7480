import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { packChoices, packPaperChoices } from "#lib/ballot.js";
import { BallotForm, Choice, RejectReason, SHARE_UNIT } from "#lib/domain.js";
import {
  ALL_FOR,
  announce,
  deployBuilding,
  networkHelpers,
  openMeeting,
  paperDecision,
  power,
  recordPower,
  signedBallot,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;
const { For, Against, Abstain } = Choice;

/** deployBuilding with a meeting announced by A naming the organiser M its administrator, voting open. */
async function administeredMeeting() {
  const f = await deployBuilding();
  const meeting = await announce(f.hall, f.a, f.buildingId, undefined, { administrator: f.m.address });
  await time.increaseTo(meeting.votingStart);
  return { ...f, ...meeting };
}

describe("MeetingHall paper decisions", function () {
  describe("enterPaperDecisions", function () {
    it("counts a decision with a void question and an unanswered one for participation and for no answer there", async function () {
      const { hall, m, b, meetingId } = await loadFixture(administeredMeeting);
      // gates For, door void (marked twice), doorkeeper unanswered, company Against, reduction Abstain
      const paper = packPaperChoices([For, "void", "unanswered", Against, Abstain]);
      const decision = paperDecision(b.address, paper.choices, { voidMask: paper.voidMask });
      const tx = hall.connect(m).enterPaperDecisions(meetingId, [decision]);
      await expect(tx)
        .to.emit(hall, "PaperDecisionEntered")
        .withArgs(meetingId, b.address, m.address, paper.voidMask, decision.scanHash);
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, b.address, ZeroAddress, 3000n * SHARE_UNIT, paper.choices, BallotForm.Paper);
      const weight = 3000n * SHARE_UNIT;
      expect((await hall.getResults(meetingId)).map((t) => [t.forWeight, t.againstWeight, t.abstainWeight])).to.deep.equal([
        [weight, 0n, 0n],
        [0n, 0n, 0n],
        [0n, 0n, 0n],
        [0n, weight, 0n],
        [0n, 0n, weight],
      ]);
      const meeting = await hall.getMeeting(meetingId);
      expect([meeting.ballots, meeting.participatingWeight]).to.deep.equal([1n, weight]);
      expect(await hall.hasVoted(meetingId, b.address)).to.equal(true);
    });

    it("counts a void or unanswered question in the participants a majority of participants is measured on", async function () {
      const { hall, m, a, b, c, e, meetingId, votingEnd } = await loadFixture(administeredMeeting);
      // door (majority of participants): For A 50 + C 30 = 80 of 200 participating (E's 60 void, B's 30 unanswered)
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      await hall.connect(c).castBallot(meetingId, ALL_FOR);
      const voidDoor = packPaperChoices([For, "void", For, For, For]);
      const noDoor = packPaperChoices([For, "unanswered", For, For, For]);
      await hall.connect(m).enterPaperDecisions(meetingId, [
        paperDecision(e.address, voidDoor.choices, { voidMask: voidDoor.voidMask }),
        paperDecision(b.address, noDoor.choices),
      ]);
      await time.increaseTo(votingEnd);
      const tx = hall.finalize(meetingId);
      const w = (m2: number) => BigInt(m2) * 100n * SHARE_UNIT;
      await expect(tx).to.emit(hall, "MeetingFinalized").withArgs(meetingId, w(200), w(170), 4, true);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 1, 0, w(80), 0, 0, false);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 2, 0, w(170), 0, 0, true);
    });

    it("lets only the meeting's administrator enter decisions", async function () {
      const { hall, a, m, b, meetingId } = await loadFixture(administeredMeeting);
      for (const who of [a, b]) {
        await expect(hall.connect(who).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR)]))
          .to.be.revertedWithCustomError(hall, "MeetingHallNotAdministrator")
          .withArgs(meetingId, who.address);
      }
      await hall.connect(m).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR)]);
    });

    it("makes the initiator the administrator when the announcement names none", async function () {
      const { hall, a, b, meetingId } = await loadFixture(openMeeting);
      await expect(hall.connect(a).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR)])).to.emit(hall, "PaperDecisionEntered");
    });

    it("accepts decisions only during the voting window", async function () {
      const { hall, a, b, buildingId } = await loadFixture(deployBuilding);
      const { meetingId, votingStart, votingEnd } = await announce(hall, a, buildingId);
      await expect(hall.connect(a).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR)]))
        .to.be.revertedWithCustomError(hall, "MeetingHallVotingClosed")
        .withArgs(meetingId, votingStart, votingEnd);
      await time.increaseTo(votingEnd);
      await expect(hall.connect(a).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR)]))
        .to.be.revertedWithCustomError(hall, "MeetingHallVotingClosed")
        .withArgs(meetingId, votingStart, votingEnd);
    });

    it("enters none of a batch when one cannot count, naming the first", async function () {
      const { hall, m, a, b, c, r, meetingId } = await loadFixture(administeredMeeting);
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      const cases: Array<[ReturnType<typeof paperDecision>, number]> = [
        [paperDecision(a.address, ALL_FOR), RejectReason.AlreadyVoted],
        [paperDecision(r.address, ALL_FOR), RejectReason.NotEligible],
        [paperDecision(b.address, packChoices([For, For, For, For, For, For])), RejectReason.MalformedChoices],
        [paperDecision(b.address, ALL_FOR, { representative: r.address, powerOfAttorney: 1n }), RejectReason.NoPowerOfAttorney],
      ];
      for (const [bad, reason] of cases) {
        const good = paperDecision(bad.voter === b.address ? c.address : b.address, ALL_FOR);
        await expect(hall.connect(m).enterPaperDecisions(meetingId, [good, bad]))
          .to.be.revertedWithCustomError(hall, "MeetingHallPaperDecisionRejected")
          .withArgs(1, reason);
      }
      expect(await hall.hasVoted(meetingId, b.address)).to.equal(false);
      expect(await hall.hasVoted(meetingId, c.address)).to.equal(false);
      expect((await hall.getMeeting(meetingId)).ballots).to.equal(1n);
    });

    it("refuses a void mask on an answered question or past the last question", async function () {
      const { hall, m, b, meetingId } = await loadFixture(administeredMeeting);
      const paper = packPaperChoices([For, "void", For, For, For]);
      for (const voidMask of [0b1n, 0b100000n, paper.voidMask | (1n << 63n)]) {
        await expect(hall.connect(m).enterPaperDecisions(meetingId, [paperDecision(b.address, paper.choices, { voidMask })]))
          .to.be.revertedWithCustomError(hall, "MeetingHallMalformedVoidMask")
          .withArgs(meetingId, voidMask);
      }
    });

    it("refuses an empty batch and an unknown meeting", async function () {
      const { hall, m, b, meetingId } = await loadFixture(administeredMeeting);
      await expect(hall.connect(m).enterPaperDecisions(meetingId, [])).to.be.revertedWithCustomError(hall, "MeetingHallEmptyBatch");
      await expect(hall.connect(m).enterPaperDecisions(9, [paperDecision(b.address, ALL_FOR)]))
        .to.be.revertedWithCustomError(hall, "MeetingHallUnknownMeeting")
        .withArgs(9);
    });

    it("counts an owner's first ballot in any form: a paper decision first makes the electronic ones void", async function () {
      const { hall, m, b, meetingId } = await loadFixture(administeredMeeting);
      await hall.connect(m).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR)]);
      await expect(hall.connect(b).castBallot(meetingId, ALL_FOR))
        .to.be.revertedWithCustomError(hall, "MeetingHallAlreadyVoted")
        .withArgs(meetingId, b.address);
      await expect(hall.castBallotsBySig(meetingId, [await signedBallot(hall, b, meetingId, ALL_FOR)])).to.emit(hall, "BallotRejected");
      await expect(hall.connect(m).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR)]))
        .to.be.revertedWithCustomError(hall, "MeetingHallPaperDecisionRejected")
        .withArgs(0, RejectReason.AlreadyVoted);
      expect((await hall.getMeeting(meetingId)).ballots).to.equal(1n);
    });

    it("counts a decision signed by a representative under a valid power, naming both", async function () {
      const { hall, registrar, m, b, r, meetingId } = await loadFixture(administeredMeeting);
      const powerId = await recordPower(hall, registrar, await power(b.address, r.address));
      await expect(hall.connect(m).enterPaperDecisions(meetingId, [paperDecision(b.address, ALL_FOR, { representative: r.address, powerOfAttorney: powerId })]))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, b.address, r.address, 3000n * SHARE_UNIT, ALL_FOR, BallotForm.Paper);
    });
  });
});
