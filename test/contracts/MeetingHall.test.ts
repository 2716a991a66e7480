import { expect } from "chai";
import { ZeroHash, id } from "ethers";
import { BALLOT_TYPES, ballotDigest, ballotDomain, packChoices } from "#lib/ballot.js";
import { Choice, Kind, RejectReason, SHARE_UNIT, Status, Threshold } from "#lib/domain.js";
import {
  DAY,
  FIVE_QUESTIONS,
  announce,
  deployBuilding,
  ethers,
  networkHelpers,
  question,
  signedBallot,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;
const { For, Against, Abstain } = Choice;
const ALL_FOR = packChoices([For, For, For, For, For]);

async function openMeeting() {
  const f = await deployBuilding();
  const meeting = await announce(f.hall, f.a, f.buildingId);
  await time.increaseTo(meeting.votingStart);
  return { ...f, ...meeting };
}

async function announcedPoll() {
  const f = await deployBuilding();
  const now = await time.latest();
  const votingStart = now + 100;
  const votingEnd = votingStart + 7 * DAY;
  await f.hall.connect(f.m).announcePoll(1, votingStart - 1, votingStart, votingEnd, id("poll"), [id("Paint the hall green?")]);
  const meetingId = await f.hall.meetingCount();
  return { ...f, meetingId, votingStart, votingEnd };
}

describe("MeetingHall", function () {
  describe("constructor", function () {
    it("keeps the deployment parameters", async function () {
      const { hall, registry } = await loadFixture(deployBuilding);
      expect(await hall.registry()).to.equal(await registry.getAddress());
      expect(await hall.minNotice()).to.equal(10n * BigInt(DAY));
      expect(await hall.minWindow()).to.equal(7n * BigInt(DAY));
      expect(await hall.maxWindow()).to.equal(60n * BigInt(DAY));
    });

    it("rejects an empty or inverted window", async function () {
      const { registry, hall } = await loadFixture(deployBuilding);
      const factory = await ethers.getContractFactory("MeetingHall");
      await expect(factory.deploy(await registry.getAddress(), 0, 0, 10))
        .to.be.revertedWithCustomError(hall, "MeetingHallInvalidParameters")
        .withArgs(0, 0, 10);
      await expect(factory.deploy(await registry.getAddress(), 0, 11, 10))
        .to.be.revertedWithCustomError(hall, "MeetingHallInvalidParameters")
        .withArgs(0, 11, 10);
    });
  });

  describe("announceMeeting", function () {
    it("records the agenda and emits MeetingAnnounced with all of it", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      const votingStart = now + 10 * DAY + 5;
      const votingEnd = votingStart + 14 * DAY;
      const snapshot = now + 1;
      await expect(hall.connect(a).announceMeeting(1, snapshot, votingStart, votingEnd, id("agenda"), FIVE_QUESTIONS))
        .to.emit(hall, "MeetingAnnounced")
        .withArgs(
          1,
          1,
          a.address,
          Kind.Meeting,
          snapshot,
          votingStart,
          votingEnd,
          id("agenda"),
          FIVE_QUESTIONS.map((q) => [q.textRef, q.threshold]),
        );
      const m = await hall.getMeeting(1);
      expect(m.buildingId).to.equal(1n);
      expect(m.kind).to.equal(BigInt(Kind.Meeting));
      expect(m.status).to.equal(BigInt(Status.Announced));
      expect(m.questionCount).to.equal(5n);
      expect(m.initiator).to.equal(a.address);
      expect([m.snapshot, m.votingStart, m.votingEnd]).to.deep.equal([BigInt(snapshot), BigInt(votingStart), BigInt(votingEnd)]);
      const [agendaRef, questions] = await hall.getAgenda(1);
      expect(agendaRef).to.equal(id("agenda"));
      expect(questions.map((q) => [q.textRef, q.threshold])).to.deep.equal(
        FIVE_QUESTIONS.map((q) => [q.textRef, BigInt(q.threshold)]),
      );
    });

    it("lets an organiser announce", async function () {
      const { hall, m, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, m, buildingId);
      expect((await hall.getMeeting(meetingId)).initiator).to.equal(m.address);
    });

    it("refuses a resident who owns nothing and a stranger", async function () {
      const { hall, r, outsider, buildingId } = await loadFixture(deployBuilding);
      for (const who of [r, outsider]) {
        await expect(announce(hall, who, buildingId))
          .to.be.revertedWithCustomError(hall, "MeetingHallNotInitiator")
          .withArgs(1, who.address);
      }
    });

    it("refuses an unknown building", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      await expect(announce(hall, a, 9n)).to.be.revertedWithCustomError(hall, "MeetingHallUnknownBuilding").withArgs(9);
    });

    it("needs 1 to 64 questions", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      await expect(announce(hall, a, buildingId, [])).to.be.revertedWithCustomError(hall, "MeetingHallAgendaSize").withArgs(0);
      const many = Array.from({ length: 65 }, (_, i) => question(`q${i}`, Threshold.MajorityOfParticipants));
      await expect(announce(hall, a, buildingId, many)).to.be.revertedWithCustomError(hall, "MeetingHallAgendaSize").withArgs(65);
      await announce(hall, a, buildingId, many.slice(0, 64));
    });

    it("refuses a consultative question on a meeting's agenda", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      await expect(announce(hall, a, buildingId, [FIVE_QUESTIONS[0], question("x", Threshold.Consultative)]))
        .to.be.revertedWithCustomError(hall, "MeetingHallInvalidThreshold")
        .withArgs(1, Threshold.Consultative);
    });

    it("enforces the minimum notice", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      const votingStart = now + 10 * DAY - 10;
      await expect(
        hall.connect(a).announceMeeting(1, now, votingStart, votingStart + 7 * DAY, ZeroHash, FIVE_QUESTIONS),
      )
        .to.be.revertedWithCustomError(hall, "MeetingHallNoticeTooShort")
        .withArgs(votingStart, now + 1 + 10 * DAY);
    });

    it("enforces the window bounds of 7 to 60 days", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      const start = now + 11 * DAY;
      for (const length of [7 * DAY - 1, 60 * DAY + 1, 0]) {
        await expect(hall.connect(a).announceMeeting(1, now, start, start + length, ZeroHash, FIVE_QUESTIONS))
          .to.be.revertedWithCustomError(hall, "MeetingHallWindowLength")
          .withArgs(length, 7 * DAY, 60 * DAY);
      }
      await hall.connect(a).announceMeeting(1, now, start, start + 60 * DAY, ZeroHash, FIVE_QUESTIONS);
    });

    it("needs the snapshot before voting starts", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const start = (await time.latest()) + 11 * DAY;
      await expect(hall.connect(a).announceMeeting(1, start, start, start + 7 * DAY, ZeroHash, FIVE_QUESTIONS))
        .to.be.revertedWithCustomError(hall, "MeetingHallSnapshotNotBeforeStart")
        .withArgs(start, start);
    });
  });

  describe("announcePoll", function () {
    it("records a consultative poll without the notice period", async function () {
      const { hall, m, meetingId, votingStart, votingEnd } = await loadFixture(announcedPoll);
      const meeting = await hall.getMeeting(meetingId);
      expect(meeting.kind).to.equal(BigInt(Kind.Poll));
      expect(meeting.initiator).to.equal(m.address);
      expect([meeting.votingStart, meeting.votingEnd]).to.deep.equal([BigInt(votingStart), BigInt(votingEnd)]);
      const [, questions] = await hall.getAgenda(meetingId);
      expect(questions[0].threshold).to.equal(BigInt(Threshold.Consultative));
    });

    it("emits MeetingAnnounced with the poll kind and consultative questions", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      await expect(hall.connect(a).announcePoll(1, now, now + 10, now + 10 + 7 * DAY, ZeroHash, [id("q")]))
        .to.emit(hall, "MeetingAnnounced")
        .withArgs(1, 1, a.address, Kind.Poll, now, now + 10, now + 10 + 7 * DAY, ZeroHash, [[id("q"), Threshold.Consultative]]);
    });

    it("refuses a start in the past", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      await expect(hall.connect(a).announcePoll(1, now - 10, now - 5, now + 7 * DAY, ZeroHash, [id("q")]))
        .to.be.revertedWithCustomError(hall, "MeetingHallNoticeTooShort")
        .withArgs(now - 5, now + 1);
    });
  });

  describe("cancel", function () {
    it("lets the initiator cancel before voting starts", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      await expect(hall.connect(a).cancel(meetingId)).to.emit(hall, "MeetingCancelled").withArgs(meetingId, a.address);
      expect((await hall.getMeeting(meetingId)).status).to.equal(BigInt(Status.Cancelled));
    });

    it("refuses anyone but the initiator", async function () {
      const { hall, a, b, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      await expect(hall.connect(b).cancel(meetingId))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotMeetingInitiator")
        .withArgs(meetingId, b.address);
    });

    it("refuses once voting has started, and a second time", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId, votingStart } = await announce(hall, a, buildingId);
      const second = await announce(hall, a, buildingId);
      await hall.connect(a).cancel(second.meetingId);
      await expect(hall.connect(a).cancel(second.meetingId))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotCancellable")
        .withArgs(second.meetingId, Status.Cancelled, second.votingStart);
      await time.increaseTo(votingStart);
      await expect(hall.connect(a).cancel(meetingId))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotCancellable")
        .withArgs(meetingId, Status.Announced, votingStart);
    });

    it("refuses an unknown meeting", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      await expect(hall.connect(a).cancel(5)).to.be.revertedWithCustomError(hall, "MeetingHallUnknownMeeting").withArgs(5);
    });
  });

  describe("castBallot", function () {
    it("counts the voter's weight at the snapshot on every question", async function () {
      const { hall, b, meetingId } = await loadFixture(openMeeting);
      const choices = packChoices([For, Against, Abstain, For, Against]);
      const weight = 3000n * SHARE_UNIT;
      await expect(hall.connect(b).castBallot(meetingId, choices))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, b.address, weight, choices);
      expect(await hall.hasVoted(meetingId, b.address)).to.equal(true);
      const results = await hall.getResults(meetingId);
      expect(results.map((t) => [t.forWeight, t.againstWeight, t.abstainWeight])).to.deep.equal([
        [weight, 0n, 0n],
        [0n, weight, 0n],
        [0n, 0n, weight],
        [weight, 0n, 0n],
        [0n, weight, 0n],
      ]);
      const m = await hall.getMeeting(meetingId);
      expect([m.ballots, m.participatingWeight]).to.deep.equal([1n, weight]);
    });

    it("refuses a second ballot: a vote is final", async function () {
      const { hall, a, meetingId } = await loadFixture(openMeeting);
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      await expect(hall.connect(a).castBallot(meetingId, packChoices([Against, Against, Against, Against, Against])))
        .to.be.revertedWithCustomError(hall, "MeetingHallAlreadyVoted")
        .withArgs(meetingId, a.address);
    });

    it("refuses a voter without weight at the snapshot, even one who bought in later", async function () {
      const { hall, registrar, registry, r, outsider, meetingId } = await loadFixture(openMeeting);
      await registry.connect(registrar).setOwners(1, [outsider.address], [SHARE_UNIT]);
      for (const who of [r, outsider]) {
        await expect(hall.connect(who).castBallot(meetingId, ALL_FOR))
          .to.be.revertedWithCustomError(hall, "MeetingHallNotEligible")
          .withArgs(meetingId, who.address);
      }
    });

    it("lets a seller who sold during voting still vote the weight held at the snapshot", async function () {
      const { hall, registrar, registry, a, outsider, meetingId } = await loadFixture(openMeeting);
      await registry.connect(registrar).setOwners(1, [outsider.address], [SHARE_UNIT]);
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, 5000n * SHARE_UNIT, ALL_FOR);
    });

    it("refuses malformed choices", async function () {
      const { hall, a, meetingId } = await loadFixture(openMeeting);
      const unanswered = packChoices([For, For, For, For]);
      const extra = packChoices([For, For, For, For, For, For]);
      for (const choices of [unanswered, extra, 0n]) {
        await expect(hall.connect(a).castBallot(meetingId, choices))
          .to.be.revertedWithCustomError(hall, "MeetingHallMalformedChoices")
          .withArgs(meetingId, choices);
      }
    });

    it("refuses before the start and at the end of the window", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId, votingStart, votingEnd } = await announce(hall, a, buildingId);
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR))
        .to.be.revertedWithCustomError(hall, "MeetingHallVotingClosed")
        .withArgs(meetingId, votingStart, votingEnd);
      await time.setNextBlockTimestamp(votingEnd);
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR))
        .to.be.revertedWithCustomError(hall, "MeetingHallVotingClosed")
        .withArgs(meetingId, votingStart, votingEnd);
    });

    it("refuses a cancelled meeting", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId, votingStart, votingEnd } = await announce(hall, a, buildingId);
      await hall.connect(a).cancel(meetingId);
      await time.increaseTo(votingStart);
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR))
        .to.be.revertedWithCustomError(hall, "MeetingHallVotingClosed")
        .withArgs(meetingId, votingStart, votingEnd);
    });

    it("gives one vote to each resident or owner in a poll", async function () {
      const { hall, a, r, outsider, meetingId, votingStart } = await loadFixture(announcedPoll);
      await time.increaseTo(votingStart);
      await expect(hall.connect(a).castBallot(meetingId, packChoices([For])))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, 1, packChoices([For]));
      await expect(hall.connect(r).castBallot(meetingId, packChoices([Against])))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, r.address, 1, packChoices([Against]));
      await expect(hall.connect(outsider).castBallot(meetingId, packChoices([For])))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotEligible")
        .withArgs(meetingId, outsider.address);
      const [tally] = await hall.getResults(meetingId);
      expect([tally.forWeight, tally.againstWeight]).to.deep.equal([1n, 1n]);
    });

    it("lets a contract wallet that owns a flat vote directly", async function () {
      const { hall, registry, registrar, outsider, m, buildingId } = await loadFixture(deployBuilding);
      const wallet = await ethers.deployContract("OwnedWallet", [outsider.address]);
      await registry.connect(registrar).setOwners(4, [await wallet.getAddress()], [SHARE_UNIT]);
      const { meetingId, votingStart } = await announce(hall, m, buildingId);
      await time.increaseTo(votingStart);
      const data = hall.interface.encodeFunctionData("castBallot", [meetingId, ALL_FOR]);
      await expect(wallet.connect(outsider).execute(await hall.getAddress(), data))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, await wallet.getAddress(), 6000n * SHARE_UNIT, ALL_FOR);
    });
  });

  describe("castBallotsBySig", function () {
    it("counts a batch of signed ballots submitted by anyone", async function () {
      const { hall, a, b, c, d, outsider, meetingId } = await loadFixture(openMeeting);
      const ballots = [
        await signedBallot(hall, a, meetingId, ALL_FOR),
        await signedBallot(hall, b, meetingId, packChoices([Against, For, For, For, For])),
        await signedBallot(hall, c, meetingId, packChoices([Abstain, For, For, For, For])),
      ];
      const tx = hall.connect(outsider).castBallotsBySig(meetingId, ballots);
      await expect(tx).to.emit(hall, "BallotCast").withArgs(meetingId, a.address, 5000n * SHARE_UNIT, ALL_FOR);
      await expect(tx).to.emit(hall, "BallotCast").withArgs(meetingId, b.address, 3000n * SHARE_UNIT, ballots[1].choices);
      await expect(tx).not.to.emit(hall, "BallotRejected");
      const [gates, door] = await hall.getResults(meetingId);
      expect([gates.forWeight, gates.againstWeight, gates.abstainWeight]).to.deep.equal([
        5000n * SHARE_UNIT,
        3000n * SHARE_UNIT,
        3000n * SHARE_UNIT,
      ]);
      expect(door.forWeight).to.equal(11000n * SHARE_UNIT);
      expect((await hall.getMeeting(meetingId)).ballots).to.equal(3n);
      expect(await hall.castBallotsBySig.staticCall(meetingId, [await signedBallot(hall, d, meetingId, ALL_FOR)])).to.equal(1n);
    });

    it("skips each invalid ballot with its reason and counts the valid ones", async function () {
      const { hall, a, b, c, d, r, outsider, meetingId } = await loadFixture(openMeeting);
      await hall.connect(d).castBallot(meetingId, ALL_FOR);
      const good = await signedBallot(hall, a, meetingId, ALL_FOR);
      const forged = { ...(await signedBallot(hall, outsider, meetingId, ALL_FOR)), voter: b.address };
      const tampered = { ...(await signedBallot(hall, c, meetingId, ALL_FOR)), choices: packChoices([Against, For, For, For, For]) };
      const ineligible = await signedBallot(hall, r, meetingId, ALL_FOR);
      const already = await signedBallot(hall, d, meetingId, ALL_FOR);
      const malformed = await signedBallot(hall, a, meetingId, packChoices([For, For]));
      const twice = await signedBallot(hall, a, meetingId, packChoices([Against, Against, Against, Against, Against]));
      const tx = hall.connect(outsider).castBallotsBySig(meetingId, [good, forged, tampered, ineligible, already, malformed, twice]);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, b.address, RejectReason.BadSignature);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, c.address, RejectReason.BadSignature);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, r.address, RejectReason.NotEligible);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, d.address, RejectReason.AlreadyVoted);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, a.address, RejectReason.MalformedChoices);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, a.address, RejectReason.AlreadyVoted);
      await expect(tx).to.emit(hall, "BallotCast").withArgs(meetingId, a.address, 5000n * SHARE_UNIT, ALL_FOR);
      const m = await hall.getMeeting(meetingId);
      expect([m.ballots, m.participatingWeight]).to.deep.equal([2n, 8000n * SHARE_UNIT]);
      expect(await hall.hasVoted(meetingId, b.address)).to.equal(false);
    });

    it("rejects a ballot signed for another meeting or another contract", async function () {
      const { hall, registry, a, b, meetingId } = await loadFixture(openMeeting);
      const otherMeeting = await signedBallot(hall, a, meetingId + 1n, ALL_FOR);
      const { chainId } = await ethers.provider.getNetwork();
      const otherHall = await ethers.deployContract("MeetingHall", [await registry.getAddress(), 0, 1, 100]);
      const otherContract = {
        voter: b.address,
        choices: ALL_FOR,
        signature: await b.signTypedData(ballotDomain(chainId, await otherHall.getAddress()), BALLOT_TYPES, {
          meetingId,
          voter: b.address,
          choices: ALL_FOR,
        }),
      };
      const tx = hall.castBallotsBySig(meetingId, [otherMeeting, otherContract]);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, a.address, RejectReason.BadSignature);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, b.address, RejectReason.BadSignature);
    });

    it("skips every ballot when voting is not open", async function () {
      const { hall, a, b, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      const tx = hall.castBallotsBySig(meetingId, [await signedBallot(hall, a, meetingId, ALL_FOR), await signedBallot(hall, b, meetingId, ALL_FOR)]);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, a.address, RejectReason.NotOpen);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, b.address, RejectReason.NotOpen);
      await expect(tx).not.to.emit(hall, "BallotCast");
    });

    it("accepts an ERC-1271 contract wallet's signature", async function () {
      const { hall, registry, registrar, outsider, m, buildingId } = await loadFixture(deployBuilding);
      const wallet = await ethers.deployContract("OwnedWallet", [outsider.address]);
      const walletAddress = await wallet.getAddress();
      await registry.connect(registrar).setOwners(4, [walletAddress], [SHARE_UNIT]);
      const { meetingId, votingStart } = await announce(hall, m, buildingId);
      await time.increaseTo(votingStart);
      const { chainId } = await ethers.provider.getNetwork();
      const signature = await outsider.signTypedData(ballotDomain(chainId, await hall.getAddress()), BALLOT_TYPES, {
        meetingId,
        voter: walletAddress,
        choices: ALL_FOR,
      });
      const wrongSigner = await m.signTypedData(ballotDomain(chainId, await hall.getAddress()), BALLOT_TYPES, {
        meetingId,
        voter: walletAddress,
        choices: ALL_FOR,
      });
      const tx = hall.castBallotsBySig(meetingId, [
        { voter: walletAddress, choices: ALL_FOR, signature: wrongSigner },
        { voter: walletAddress, choices: ALL_FOR, signature },
      ]);
      await expect(tx).to.emit(hall, "BallotRejected").withArgs(meetingId, walletAddress, RejectReason.BadSignature);
      await expect(tx).to.emit(hall, "BallotCast").withArgs(meetingId, walletAddress, 6000n * SHARE_UNIT, ALL_FOR);
    });

    it("refuses an empty batch and an unknown meeting", async function () {
      const { hall, a, meetingId } = await loadFixture(openMeeting);
      await expect(hall.castBallotsBySig(meetingId, [])).to.be.revertedWithCustomError(hall, "MeetingHallEmptyBatch");
      await expect(hall.castBallotsBySig(42, [await signedBallot(hall, a, 42n, ALL_FOR)]))
        .to.be.revertedWithCustomError(hall, "MeetingHallUnknownMeeting")
        .withArgs(42);
    });
  });

  describe("finalize", function () {
    it("decides each question by its threshold once quorum is reached", async function () {
      // total 200 m²; A 50, B 30, C 30, D 30, E 60
      const { hall, a, b, c, d, e, meetingId, votingEnd } = await loadFixture(openMeeting);
      // gates (2/3 of all): For A+B+C+E = 170 ≥ 133.3 → passed
      // door (majority of participants): For A+B = 80 of 200 participating → not passed
      // doorkeeper (majority of participants): For A+B+C+D+E... see choices below
      await hall.connect(a).castBallot(meetingId, packChoices([For, For, For, For, For]));
      await hall.connect(b).castBallot(meetingId, packChoices([For, For, Against, For, For]));
      await hall.connect(c).castBallot(meetingId, packChoices([For, Against, Against, Against, For]));
      await hall.connect(d).castBallot(meetingId, packChoices([Against, Abstain, For, Against, For]));
      await hall.connect(e).castBallot(meetingId, packChoices([For, Against, For, Abstain, For]));
      await time.increaseTo(votingEnd);
      const total = 20000n * SHARE_UNIT;
      const tx = hall.finalize(meetingId);
      await expect(tx).to.emit(hall, "MeetingFinalized").withArgs(meetingId, total, total, 5, true);
      const w = (m2: number) => BigInt(m2) * 100n * SHARE_UNIT;
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 0, Threshold.TwoThirdsOfAll, w(170), w(30), 0, true);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 1, Threshold.MajorityOfParticipants, w(80), w(90), w(30), false);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 2, Threshold.MajorityOfParticipants, w(140), w(60), 0, true);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 3, Threshold.MajorityOfAll, w(80), w(60), w(60), false);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 4, Threshold.Unanimous, w(200), 0, 0, true);
      const m = await hall.getMeeting(meetingId);
      expect([m.status, m.totalWeight, m.quorumReached]).to.deep.equal([BigInt(Status.Finalized), total, true]);
      expect((await hall.getResults(meetingId)).map((t) => t.passed)).to.deep.equal([true, false, true, false, true]);
    });

    it("passes nothing without a quorum of more than half of all votes", async function () {
      // A + C = 50 + 30 = 80 m² of 200: no quorum even though they vote For everything
      const { hall, a, c, meetingId, votingEnd } = await loadFixture(openMeeting);
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      await hall.connect(c).castBallot(meetingId, ALL_FOR);
      await time.increaseTo(votingEnd);
      await expect(hall.finalize(meetingId)).to.emit(hall, "MeetingFinalized").withArgs(meetingId, 20000n * SHARE_UNIT, 8000n * SHARE_UNIT, 2, false);
      expect((await hall.getResults(meetingId)).every((t) => !t.passed)).to.equal(true);
    });

    it("decides a poll by the answers, counting people", async function () {
      const { hall, a, b, r, meetingId, votingStart, votingEnd } = await loadFixture(announcedPoll);
      await time.increaseTo(votingStart);
      await hall.connect(a).castBallot(meetingId, packChoices([For]));
      await hall.connect(b).castBallot(meetingId, packChoices([For]));
      await hall.connect(r).castBallot(meetingId, packChoices([Against]));
      await time.increaseTo(votingEnd);
      const tx = hall.finalize(meetingId);
      await expect(tx).to.emit(hall, "MeetingFinalized").withArgs(meetingId, 6, 3, 3, false);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 0, Threshold.Consultative, 2, 1, 0, true);
    });

    it("refuses before the end, a second time, and a cancelled meeting", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId, votingEnd } = await announce(hall, a, buildingId);
      await expect(hall.finalize(meetingId))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotFinalizable")
        .withArgs(meetingId, Status.Announced, votingEnd);
      await time.increaseTo(votingEnd);
      await hall.finalize(meetingId);
      await expect(hall.finalize(meetingId))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotFinalizable")
        .withArgs(meetingId, Status.Finalized, votingEnd);
      const cancelled = await announce(hall, a, buildingId);
      await hall.connect(a).cancel(cancelled.meetingId);
      await time.increaseTo(cancelled.votingEnd);
      await expect(hall.finalize(cancelled.meetingId))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotFinalizable")
        .withArgs(cancelled.meetingId, Status.Cancelled, cancelled.votingEnd);
    });
  });

  describe("decides", function () {
    it("applies the thresholds at their exact boundaries", async function () {
      const { hall } = await loadFixture(deployBuilding);
      const T = Threshold;
      // majority of participants: strictly more than half
      expect(await hall.decides(T.MajorityOfParticipants, 50, 100, 300, true)).to.equal(false);
      expect(await hall.decides(T.MajorityOfParticipants, 51, 100, 300, true)).to.equal(true);
      // majority of all
      expect(await hall.decides(T.MajorityOfAll, 150, 200, 300, true)).to.equal(false);
      expect(await hall.decides(T.MajorityOfAll, 151, 200, 300, true)).to.equal(true);
      // two thirds of all: not less than 2/3
      expect(await hall.decides(T.TwoThirdsOfAll, 200, 300, 300, true)).to.equal(true);
      expect(await hall.decides(T.TwoThirdsOfAll, 199, 300, 300, true)).to.equal(false);
      expect(await hall.decides(T.TwoThirdsOfAll, 667, 1000, 1001, true)).to.equal(false); // 667/1001 < 2/3
      expect(await hall.decides(T.TwoThirdsOfAll, 668, 1000, 1001, true)).to.equal(true);
      // unanimous
      expect(await hall.decides(T.Unanimous, 299, 300, 300, true)).to.equal(false);
      expect(await hall.decides(T.Unanimous, 300, 300, 300, true)).to.equal(true);
      // no quorum, nothing binding passes; a consultative answer does
      expect(await hall.decides(T.Unanimous, 300, 300, 300, false)).to.equal(false);
      expect(await hall.decides(T.Consultative, 2, 3, 100, false)).to.equal(true);
    });
  });

  describe("checkBallot and ballotDigest", function () {
    it("tells the relayer whether a ballot would count, and why not", async function () {
      const { hall, a, r, meetingId } = await loadFixture(openMeeting);
      expect(await hall.checkBallot(meetingId, a.address, ALL_FOR)).to.deep.equal([true, 0n, 5000n * SHARE_UNIT]);
      expect(await hall.checkBallot(meetingId, r.address, ALL_FOR)).to.deep.equal([false, BigInt(RejectReason.NotEligible), 0n]);
      expect((await hall.checkBallot(meetingId, a.address, 1n))[1]).to.equal(BigInt(RejectReason.MalformedChoices));
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      expect((await hall.checkBallot(meetingId, a.address, ALL_FOR))[1]).to.equal(BigInt(RejectReason.AlreadyVoted));
    });

    it("reports a closed meeting as NotOpen", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      expect(await hall.checkBallot(meetingId, a.address, ALL_FOR)).to.deep.equal([false, BigInt(RejectReason.NotOpen), 5000n * SHARE_UNIT]);
    });

    it("refuses an unknown meeting in every view", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      for (const call of [
        hall.getMeeting(3),
        hall.getAgenda(3),
        hall.getResults(3),
        hall.hasVoted(3, a.address),
        hall.checkBallot(3, a.address, ALL_FOR),
      ]) {
        await expect(call).to.be.revertedWithCustomError(hall, "MeetingHallUnknownMeeting").withArgs(3);
      }
    });

    it("agrees with the shared TypeScript EIP-712 definition", async function () {
      const { hall, a, meetingId } = await loadFixture(openMeeting);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = ballotDomain(chainId, await hall.getAddress());
      expect(await hall.ballotDigest(meetingId, a.address, ALL_FOR)).to.equal(
        ballotDigest(domain, { meetingId, voter: a.address, choices: ALL_FOR }),
      );
      expect(await hall.DOMAIN_SEPARATOR()).to.equal(ethers.TypedDataEncoder.hashDomain(domain));
    });
  });
});
