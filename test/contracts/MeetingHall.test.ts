import { expect } from "chai";
import { ZeroAddress, ZeroHash, id, keccak256, toUtf8Bytes } from "ethers";
import { BALLOT_TYPE, BALLOT_TYPES, BallotHasher, ballotDigest, ballotDomain, packChoices } from "#lib/ballot.js";
import { LAW_PARAMETERS } from "#lib/deployment.js";
import { BallotForm, Choice, Kind, MeetingType, RejectReason, SHARE_UNIT, Status } from "#lib/domain.js";
import { RULES_2024_09_01 } from "#lib/legal-rules.js";
import {
  ALL_FOR,
  DAY,
  FAR_DEADLINE,
  FIVE_QUESTIONS,
  TYPE,
  announce,
  announcedPoll,
  deployBuilding,
  ethers,
  networkHelpers,
  openMeeting,
  question,
  signedBallot,
  sole,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;
const { For, Against, Abstain } = Choice;
const agendaOf = (questions: typeof FIVE_QUESTIONS) => questions.map((q) => [q.textRef, q.questionType]);

describe("MeetingHall", function () {
  describe("constructor", function () {
    it("keeps the deployment parameters and its registry, rules and forwarder", async function () {
      const { hall, registry, rules, forwarder } = await loadFixture(deployBuilding);
      expect(await hall.registry()).to.equal(await registry.getAddress());
      expect(await hall.rules()).to.equal(await rules.getAddress());
      expect(await hall.trustedForwarder()).to.equal(await forwarder.getAddress());
      expect(await hall.isTrustedForwarder(await forwarder.getAddress())).to.equal(true);
      const p = await hall.parameters();
      expect([p.minNotice, p.minWindow, p.maxWindow, p.maxOpenPerInitiator]).to.deep.equal([
        10n * BigInt(DAY),
        7n * BigInt(DAY),
        60n * BigInt(DAY),
        BigInt(LAW_PARAMETERS.maxOpenPerInitiator),
      ]);
    });

    it("rejects an empty or inverted window, no open meetings allowed, and a missing registry or rules", async function () {
      const { registry, rules, forwarder, hall } = await loadFixture(deployBuilding);
      const factory = await ethers.getContractFactory("MeetingHall");
      const [r, l, fw] = await Promise.all([registry.getAddress(), rules.getAddress(), forwarder.getAddress()]);
      const params = { minNotice: 0, minWindow: 1, maxWindow: 10, maxOpenPerInitiator: 1 };
      for (const [reg, rul, p] of [
        [r, l, { ...params, minWindow: 0 }],
        [r, l, { ...params, minWindow: 11 }],
        [r, l, { ...params, maxOpenPerInitiator: 0 }],
        [ZeroAddress, l, params],
        [r, ZeroAddress, params],
      ] as const) {
        await expect(factory.deploy(reg, rul, fw, p)).to.be.revertedWithCustomError(hall, "MeetingHallInvalidParameters");
      }
      await factory.deploy(r, l, ZeroAddress, params);
    });
  });

  describe("announceMeeting", function () {
    it("records the agenda, the rules version and the snapshot at the announcement, and emits all of it", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      const votingStart = now + 10 * DAY + 5;
      const votingEnd = votingStart + 14 * DAY;
      await time.setNextBlockTimestamp(now + 3);
      await expect(
        hall.connect(a).announceMeeting(1, MeetingType.Extraordinary, ZeroAddress, votingStart, votingEnd, id("agenda"), FIVE_QUESTIONS),
      )
        .to.emit(hall, "MeetingAnnounced")
        .withArgs(
          1,
          1,
          a.address,
          Kind.Meeting,
          MeetingType.Extraordinary,
          a.address,
          1,
          now + 3,
          votingStart,
          votingEnd,
          id("agenda"),
          agendaOf(FIVE_QUESTIONS),
        );
      const m = await hall.getMeeting(1);
      expect(m.buildingId).to.equal(1n);
      expect(m.kind).to.equal(BigInt(Kind.Meeting));
      expect(m.meetingType).to.equal(BigInt(MeetingType.Extraordinary));
      expect(m.status).to.equal(BigInt(Status.Announced));
      expect(m.questionCount).to.equal(5n);
      expect(m.rulesVersion).to.equal(1n);
      expect(m.initiator).to.equal(a.address);
      expect(m.administrator).to.equal(a.address);
      expect([m.announcedAt, m.snapshot, m.votingStart, m.votingEnd]).to.deep.equal(
        [now + 3, now + 3, votingStart, votingEnd].map(BigInt),
      );
      const [agendaRef, questions] = await hall.getAgenda(1);
      expect(agendaRef).to.equal(id("agenda"));
      expect(questions.map((q) => [q.textRef, q.questionType])).to.deep.equal(
        FIVE_QUESTIONS.map((q) => [q.textRef, BigInt(q.questionType)]),
      );
      expect(await hall.openMeetingsOf(1, a.address)).to.equal(1n);
    });

    it("records an annual meeting with an administrator other than the initiator", async function () {
      const { hall, a, m } = await loadFixture(deployBuilding);
      const { meetingId, tx } = await announce(hall, a, 1n, FIVE_QUESTIONS, { meetingType: MeetingType.Annual, administrator: m.address });
      await expect(tx).to.emit(hall, "MeetingAnnounced");
      const meeting = await hall.getMeeting(meetingId);
      expect(meeting.meetingType).to.equal(BigInt(MeetingType.Annual));
      expect([meeting.initiator, meeting.administrator]).to.deep.equal([a.address, m.address]);
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
      const { hall, a, m, buildingId } = await loadFixture(deployBuilding);
      await expect(announce(hall, a, buildingId, [])).to.be.revertedWithCustomError(hall, "MeetingHallAgendaSize").withArgs(0);
      const many = Array.from({ length: 65 }, (_, i) => question(`q${i}`, TYPE.other));
      await expect(announce(hall, a, buildingId, many)).to.be.revertedWithCustomError(hall, "MeetingHallAgendaSize").withArgs(65);
      await announce(hall, m, buildingId, many.slice(0, 64));
    });

    it("refuses a question type that the current rules do not have", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const count = RULES_2024_09_01.questionTypes.length;
      await expect(announce(hall, a, buildingId, [FIVE_QUESTIONS[0], question("x", count)]))
        .to.be.revertedWithCustomError(hall, "MeetingHallInvalidQuestionType")
        .withArgs(1, count);
      await announce(hall, a, buildingId, [question("x", count - 1)]);
    });

    it("refuses a meeting before any rules are published", async function () {
      const { registry, forwarder, a } = await loadFixture(deployBuilding);
      const emptyRules = await ethers.deployContract("LegalRules", [a.address]);
      const hall = await ethers.deployContract("MeetingHall", [
        await registry.getAddress(),
        await emptyRules.getAddress(),
        await forwarder.getAddress(),
        LAW_PARAMETERS,
      ]);
      const start = (await time.latest()) + 11 * DAY;
      await expect(
        hall.connect(a).announceMeeting(1, 0, ZeroAddress, start, start + 7 * DAY, ZeroHash, FIVE_QUESTIONS),
      ).to.be.revertedWithCustomError(hall, "MeetingHallNoRules");
      // a poll needs no rules
      await hall.connect(a).announcePoll(1, start, start + 7 * DAY, ZeroHash, [id("q")]);
    });

    it("enforces the minimum notice", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      const votingStart = now + 10 * DAY - 10;
      await time.setNextBlockTimestamp(now + 5);
      await expect(hall.connect(a).announceMeeting(1, 0, ZeroAddress, votingStart, votingStart + 7 * DAY, ZeroHash, FIVE_QUESTIONS))
        .to.be.revertedWithCustomError(hall, "MeetingHallNoticeTooShort")
        .withArgs(votingStart, now + 5 + 10 * DAY);
    });

    it("enforces the window bounds of 7 to 60 days", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      const start = now + 11 * DAY;
      for (const length of [7 * DAY - 1, 60 * DAY + 1, 0]) {
        await expect(hall.connect(a).announceMeeting(1, 0, ZeroAddress, start, start + length, ZeroHash, FIVE_QUESTIONS))
          .to.be.revertedWithCustomError(hall, "MeetingHallWindowLength")
          .withArgs(length, 7 * DAY, 60 * DAY);
      }
      await hall.connect(a).announceMeeting(1, 0, ZeroAddress, start, start + 60 * DAY, ZeroHash, FIVE_QUESTIONS);
    });
  });

  describe("announcePoll", function () {
    it("records a consultative poll without the notice period, under no rules version", async function () {
      const { hall, m, meetingId, votingStart, votingEnd } = await loadFixture(announcedPoll);
      const meeting = await hall.getMeeting(meetingId);
      expect(meeting.kind).to.equal(BigInt(Kind.Poll));
      expect(meeting.meetingType).to.equal(BigInt(MeetingType.Extraordinary));
      expect([meeting.initiator, meeting.administrator]).to.deep.equal([m.address, m.address]);
      expect(meeting.rulesVersion).to.equal(0n);
      expect([meeting.votingStart, meeting.votingEnd]).to.deep.equal([BigInt(votingStart), BigInt(votingEnd)]);
      const [, questions] = await hall.getAgenda(meetingId);
      expect(questions[0].questionType).to.equal(0n);
    });

    it("emits MeetingAnnounced with the poll kind and questions of type 0", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      await time.setNextBlockTimestamp(now + 5);
      await expect(hall.connect(a).announcePoll(1, now + 10, now + 10 + 7 * DAY, ZeroHash, [id("q")]))
        .to.emit(hall, "MeetingAnnounced")
        .withArgs(1, 1, a.address, Kind.Poll, MeetingType.Extraordinary, a.address, 0, now + 5, now + 10, now + 10 + 7 * DAY, ZeroHash, [[id("q"), 0]]);
    });

    it("refuses a start in the past", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      const now = await time.latest();
      await time.setNextBlockTimestamp(now + 5);
      await expect(hall.connect(a).announcePoll(1, now - 5, now + 7 * DAY, ZeroHash, [id("q")]))
        .to.be.revertedWithCustomError(hall, "MeetingHallNoticeTooShort")
        .withArgs(now - 5, now + 5);
    });
  });

  describe("cancel", function () {
    it("lets the initiator cancel before voting starts", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      await expect(hall.connect(a).cancel(meetingId)).to.emit(hall, "MeetingCancelled").withArgs(meetingId, a.address);
      expect((await hall.getMeeting(meetingId)).status).to.equal(BigInt(Status.Cancelled));
      expect(await hall.openMeetingsOf(1, a.address)).to.equal(0n);
    });

    it("refuses anyone but the initiator, even the administrator", async function () {
      const { hall, a, b, m, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId, FIVE_QUESTIONS, { administrator: m.address });
      for (const who of [b, m]) {
        await expect(hall.connect(who).cancel(meetingId))
          .to.be.revertedWithCustomError(hall, "MeetingHallNotMeetingInitiator")
          .withArgs(meetingId, who.address);
      }
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
        .withArgs(meetingId, b.address, ZeroAddress, weight, choices, BallotForm.Direct);
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
      await registry.connect(registrar).setOwners(1, sole(outsider.address));
      for (const who of [r, outsider]) {
        await expect(hall.connect(who).castBallot(meetingId, ALL_FOR))
          .to.be.revertedWithCustomError(hall, "MeetingHallNotEligible")
          .withArgs(meetingId, who.address);
      }
    });

    it("lets a seller who sold during voting still vote the weight held at the snapshot", async function () {
      const { hall, registrar, registry, a, outsider, meetingId } = await loadFixture(openMeeting);
      await registry.connect(registrar).setOwners(1, sole(outsider.address));
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, ZeroAddress, 5000n * SHARE_UNIT, ALL_FOR, BallotForm.Direct);
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
        .withArgs(meetingId, a.address, ZeroAddress, 1, packChoices([For]), BallotForm.Direct);
      await expect(hall.connect(r).castBallot(meetingId, packChoices([Against])))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, r.address, ZeroAddress, 1, packChoices([Against]), BallotForm.Direct);
      await expect(hall.connect(outsider).castBallot(meetingId, packChoices([For])))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotEligible")
        .withArgs(meetingId, outsider.address);
      const [tally] = await hall.getResults(meetingId);
      expect([tally.forWeight, tally.againstWeight]).to.deep.equal([1n, 1n]);
    });

    it("lets a contract wallet that owns a flat vote directly", async function () {
      const { hall, registry, registrar, outsider, m, buildingId } = await loadFixture(deployBuilding);
      const wallet = await ethers.deployContract("OwnedWallet", [outsider.address]);
      await registry.connect(registrar).setOwners(4, sole(await wallet.getAddress()));
      const { meetingId, votingStart } = await announce(hall, m, buildingId);
      await time.increaseTo(votingStart);
      const data = hall.interface.encodeFunctionData("castBallot", [meetingId, ALL_FOR]);
      await expect(wallet.connect(outsider).execute(await hall.getAddress(), data))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, await wallet.getAddress(), ZeroAddress, 6000n * SHARE_UNIT, ALL_FOR, BallotForm.Direct);
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
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, ZeroAddress, 5000n * SHARE_UNIT, ALL_FOR, BallotForm.Relayed);
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, b.address, ZeroAddress, 3000n * SHARE_UNIT, ballots[1].choices, BallotForm.Relayed);
      await expect(tx).not.to.emit(hall, "BallotRejected");
      await expect(tx).not.to.emit(hall, "BallotDiscarded");
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

    it("skips each invalid ballot, discarding bad signatures and rejecting the rest with their reason", async function () {
      const { hall, a, b, c, d, r, outsider, meetingId } = await loadFixture(openMeeting);
      await hall.connect(d).castBallot(meetingId, ALL_FOR);
      const good = await signedBallot(hall, a, meetingId, ALL_FOR);
      const forged = { ...(await signedBallot(hall, outsider, meetingId, ALL_FOR)), voter: b.address };
      const tampered = { ...(await signedBallot(hall, c, meetingId, ALL_FOR)), choices: packChoices([Against, For, For, For, For]) };
      const ineligible = await signedBallot(hall, r, meetingId, ALL_FOR);
      const already = await signedBallot(hall, d, meetingId, ALL_FOR);
      const malformed = await signedBallot(hall, a, meetingId, packChoices([For, For]));
      const twice = await signedBallot(hall, a, meetingId, packChoices([Against, Against, Against, Against, Against]));
      const batch = [good, forged, tampered, ineligible, already, malformed, twice];
      const { chainId } = await ethers.provider.getNetwork();
      const domain = ballotDomain(chainId, await hall.getAddress());
      const digestOf = (x: (typeof batch)[number]) => ballotDigest(domain, { meetingId, ...x });
      const tx = hall.connect(outsider).castBallotsBySig(meetingId, batch);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 1);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 2);
      await expect(tx)
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, r.address, ZeroAddress, digestOf(ineligible), RejectReason.NotEligible);
      await expect(tx)
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, d.address, ZeroAddress, digestOf(already), RejectReason.AlreadyVoted);
      await expect(tx)
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, a.address, ZeroAddress, digestOf(malformed), RejectReason.MalformedChoices);
      await expect(tx)
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, a.address, ZeroAddress, digestOf(twice), RejectReason.AlreadyVoted);
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, ZeroAddress, 5000n * SHARE_UNIT, ALL_FOR, BallotForm.Relayed);
      const receipt = await (await tx).wait();
      const names = receipt!.logs.map((log) => hall.interface.parseLog(log)?.name);
      expect(names.filter((n) => n === "BallotRejected")).to.have.length(4);
      const m = await hall.getMeeting(meetingId);
      expect([m.ballots, m.participatingWeight]).to.deep.equal([2n, 8000n * SHARE_UNIT]);
      expect(await hall.hasVoted(meetingId, b.address)).to.equal(false);
      expect(await hall.hasVoted(meetingId, c.address)).to.equal(false);
    });

    it("discards a ballot signed for another meeting or another contract", async function () {
      const { hall, registry, rules, forwarder, a, b, meetingId } = await loadFixture(openMeeting);
      const otherMeeting = { ...(await signedBallot(hall, a, meetingId + 1n, ALL_FOR)) };
      const { chainId } = await ethers.provider.getNetwork();
      const otherHall = await ethers.deployContract("MeetingHall", [
        await registry.getAddress(),
        await rules.getAddress(),
        await forwarder.getAddress(),
        { minNotice: 0, minWindow: 1, maxWindow: 100, maxOpenPerInitiator: 1 },
      ]);
      const ballot = { meetingId, voter: b.address, choices: ALL_FOR, representative: ZeroAddress, deadline: FAR_DEADLINE };
      const otherContract = {
        ...ballot,
        powerOfAttorney: 0n,
        signature: await b.signTypedData(ballotDomain(chainId, await otherHall.getAddress()), BALLOT_TYPES, ballot),
      };
      const tx = hall.castBallotsBySig(meetingId, [otherMeeting, otherContract]);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 0);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 1);
      await expect(tx).not.to.emit(hall, "BallotRejected");
      await expect(tx).not.to.emit(hall, "BallotCast");
    });

    it("rejects every validly signed ballot when voting is not open", async function () {
      const { hall, a, b, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      const ballots = [await signedBallot(hall, a, meetingId, ALL_FOR), await signedBallot(hall, b, meetingId, ALL_FOR)];
      const { chainId } = await ethers.provider.getNetwork();
      const domain = ballotDomain(chainId, await hall.getAddress());
      const tx = hall.castBallotsBySig(meetingId, ballots);
      for (const [x, who] of [
        [ballots[0], a],
        [ballots[1], b],
      ] as const) {
        await expect(tx)
          .to.emit(hall, "BallotRejected")
          .withArgs(meetingId, who.address, ZeroAddress, ballotDigest(domain, { meetingId, ...x }), RejectReason.NotOpen);
      }
      await expect(tx).not.to.emit(hall, "BallotCast");
    });

    it("accepts an ERC-1271 contract wallet's signature and discards one its owner did not make", async function () {
      const { hall, registry, registrar, outsider, m, buildingId } = await loadFixture(deployBuilding);
      const wallet = await ethers.deployContract("OwnedWallet", [outsider.address]);
      const walletAddress = await wallet.getAddress();
      await registry.connect(registrar).setOwners(4, sole(walletAddress));
      const { meetingId, votingStart } = await announce(hall, m, buildingId);
      await time.increaseTo(votingStart);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = ballotDomain(chainId, await hall.getAddress());
      const ballot = { meetingId, voter: walletAddress, choices: ALL_FOR, representative: ZeroAddress, deadline: FAR_DEADLINE };
      const signature = await outsider.signTypedData(domain, BALLOT_TYPES, ballot);
      const wrongSigner = await m.signTypedData(domain, BALLOT_TYPES, ballot);
      const tx = hall.castBallotsBySig(meetingId, [
        { ...ballot, powerOfAttorney: 0n, signature: wrongSigner },
        { ...ballot, powerOfAttorney: 0n, signature },
      ]);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 0);
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, walletAddress, ZeroAddress, 6000n * SHARE_UNIT, ALL_FOR, BallotForm.Relayed);
    });

    it("counts a ballot at its deadline and rejects it one second later as Expired", async function () {
      const { hall, a, b, meetingId, votingStart } = await loadFixture(openMeeting);
      const deadline = BigInt(votingStart + 100);
      const onTime = await signedBallot(hall, a, meetingId, ALL_FOR, { deadline });
      const late = await signedBallot(hall, b, meetingId, ALL_FOR, { deadline });
      await time.setNextBlockTimestamp(votingStart + 100);
      await expect(hall.castBallotsBySig(meetingId, [onTime])).to.emit(hall, "BallotCast");
      await time.setNextBlockTimestamp(votingStart + 101);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = ballotDomain(chainId, await hall.getAddress());
      await expect(hall.castBallotsBySig(meetingId, [late]))
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, b.address, ZeroAddress, ballotDigest(domain, { meetingId, ...late }), RejectReason.Expired);
      expect(await hall.hasVoted(meetingId, b.address)).to.equal(false);
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
    it("decides each question by its type's rule once quorum is reached", async function () {
      // total 200 m²; A 50, B 30, C 30, D 30, E 60
      const { hall, a, b, c, d, e, meetingId, votingEnd } = await loadFixture(openMeeting);
      // gates (land plot, 2/3 of all): For A+B+C+E = 170 ≥ 133.3 → passed
      // door (other, majority of participants): For A+B = 80 of 200 participating → not passed
      // doorkeeper (other): For A+D+E = 140 of 200 → passed
      // management company (more than half of all): For A+B = 80 of 200 → not passed
      // reduce the common property (unanimous): For everyone → passed
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
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 0, TYPE.landPlot, w(170), w(30), 0, true);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 1, TYPE.other, w(80), w(90), w(30), false);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 2, TYPE.other, w(140), w(60), 0, true);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 3, TYPE.managementCompany, w(80), w(60), w(60), false);
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 4, TYPE.unanimous, w(200), 0, 0, true);
      const m = await hall.getMeeting(meetingId);
      expect([m.status, m.totalWeight, m.quorumReached]).to.deep.equal([BigInt(Status.Finalized), total, true]);
      expect((await hall.getResults(meetingId)).map((t) => t.passed)).to.deep.equal([true, false, true, false, true]);
      expect(await hall.openMeetingsOf(1, a.address)).to.equal(0n);
    });

    it("passes nothing without a quorum of more than half of all votes", async function () {
      // A + C = 50 + 30 = 80 m² of 200: no quorum even though they vote For everything
      const { hall, a, c, meetingId, votingEnd } = await loadFixture(openMeeting);
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      await hall.connect(c).castBallot(meetingId, ALL_FOR);
      await time.increaseTo(votingEnd);
      await expect(hall.finalize(meetingId))
        .to.emit(hall, "MeetingFinalized")
        .withArgs(meetingId, 20000n * SHARE_UNIT, 8000n * SHARE_UNIT, 2, false);
      expect((await hall.getResults(meetingId)).every((t) => !t.passed)).to.equal(true);
    });

    it("passes nothing of a meeting nobody voted in", async function () {
      const { hall, meetingId, votingEnd } = await loadFixture(openMeeting);
      await time.increaseTo(votingEnd);
      await expect(hall.finalize(meetingId)).to.emit(hall, "MeetingFinalized").withArgs(meetingId, 20000n * SHARE_UNIT, 0, 0, false);
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
      await expect(tx).to.emit(hall, "QuestionDecided").withArgs(meetingId, 0, 0, 2, 1, 0, true);
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

  describe("checkBallot and ballotDigest", function () {
    it("tells the relayer whether a ballot would count, and why not", async function () {
      const { hall, a, r, meetingId } = await loadFixture(openMeeting);
      const check = (voter: string, choices: bigint) => hall.checkBallot(meetingId, voter, ZeroAddress, 0, choices);
      expect(await check(a.address, ALL_FOR)).to.deep.equal([true, 0n, 5000n * SHARE_UNIT]);
      expect(await check(r.address, ALL_FOR)).to.deep.equal([false, BigInt(RejectReason.NotEligible), 0n]);
      expect((await check(a.address, 1n))[1]).to.equal(BigInt(RejectReason.MalformedChoices));
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      expect((await check(a.address, ALL_FOR))[1]).to.equal(BigInt(RejectReason.AlreadyVoted));
    });

    it("reports a closed meeting as NotOpen", async function () {
      const { hall, a, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      expect(await hall.checkBallot(meetingId, a.address, ZeroAddress, 0, ALL_FOR)).to.deep.equal([
        false,
        BigInt(RejectReason.NotOpen),
        5000n * SHARE_UNIT,
      ]);
    });

    it("refuses an unknown meeting in every view", async function () {
      const { hall, a } = await loadFixture(deployBuilding);
      for (const call of [
        hall.getMeeting(3),
        hall.getAgenda(3),
        hall.getResults(3),
        hall.hasVoted(3, a.address),
        hall.checkBallot(3, a.address, ZeroAddress, 0, ALL_FOR),
      ]) {
        await expect(call).to.be.revertedWithCustomError(hall, "MeetingHallUnknownMeeting").withArgs(3);
      }
    });

    it("agrees with the shared TypeScript EIP-712 definition and its fast hasher", async function () {
      const { hall, a, b, meetingId } = await loadFixture(openMeeting);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = ballotDomain(chainId, await hall.getAddress());
      expect(await hall.BALLOT_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(BALLOT_TYPE)));
      const hasher = new BallotHasher(domain);
      for (const [representative, deadline] of [
        [ZeroAddress, FAR_DEADLINE],
        [b.address, 1_700_000_000n],
      ] as const) {
        const expected = ballotDigest(domain, { meetingId, voter: a.address, choices: ALL_FOR, representative, deadline });
        expect(await hall.ballotDigest(meetingId, a.address, ALL_FOR, representative, deadline)).to.equal(expected);
        expect(hasher.digest(meetingId, a.address, ALL_FOR, representative, deadline)).to.equal(expected);
      }
      expect(await hall.DOMAIN_SEPARATOR()).to.equal(ethers.TypedDataEncoder.hashDomain(domain));
    });
  });
});
