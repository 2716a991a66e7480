import { expect } from "chai";
import { ZeroAddress, id } from "ethers";
import { ballotDigest, ballotDomain, packChoices } from "#lib/ballot.js";
import { BallotForm, Choice, RejectReason, SHARE_UNIT } from "#lib/domain.js";
import {
  ALL_FOR,
  DAY,
  announce,
  deployBuilding,
  ethers,
  jointBuilding,
  networkHelpers,
  openMeeting,
  power,
  recordPower,
  signedBallot,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;
const ALL_AGAINST = packChoices(Array(5).fill(Choice.Against));

/** openMeeting with a power of attorney from A to the outsider for all meetings of building 1, recorded by the registrar. */
async function representedMeeting() {
  const f = await openMeeting();
  const p = await power(f.a.address, f.outsider.address);
  const powerId = await recordPower(f.hall, f.registrar, p);
  return { ...f, representative: f.outsider, powerId, power: p };
}

describe("MeetingHall representatives", function () {
  describe("recordPowerOfAttorney", function () {
    it("lets a registrar record a power for all meetings, emitting all of it", async function () {
      const { hall, registrar, a, outsider } = await loadFixture(deployBuilding);
      const p = await power(a.address, outsider.address);
      await expect(hall.connect(registrar).recordPowerOfAttorney(p))
        .to.emit(hall, "PowerOfAttorneyRecorded")
        .withArgs(1, a.address, outsider.address, 1, 0, p.validFrom, p.validTo, p.documentHash, registrar.address);
      const [stored, revoked, recordedBy] = await hall.powerOfAttorney(1);
      expect([stored.principal, stored.representative, stored.buildingId, stored.meetingId, stored.validFrom, stored.validTo, stored.documentHash]).to.deep.equal([
        a.address,
        outsider.address,
        1n,
        0n,
        BigInt(p.validFrom),
        BigInt(p.validTo),
        p.documentHash,
      ]);
      expect([revoked, recordedBy]).to.deep.equal([false, registrar.address]);
      expect(await hall.powersOfAttorney(1, a.address, outsider.address)).to.deep.equal([1n]);
      expect(await hall.powersOfAttorney(1, outsider.address, a.address)).to.deep.equal([]);
    });

    it("lets a meeting's administrator record a power for that meeting only, until it is finalized", async function () {
      const { hall, a, b, m, outsider, buildingId } = await loadFixture(deployBuilding);
      const { meetingId, votingEnd } = await announce(hall, a, buildingId, undefined, { administrator: m.address });
      const one = await power(b.address, outsider.address, { meetingId });
      await expect(hall.connect(m).recordPowerOfAttorney(one)).to.emit(hall, "PowerOfAttorneyRecorded");
      // the initiator is not the administrator here
      await expect(hall.connect(a).recordPowerOfAttorney(one)).to.be.revertedWithCustomError(hall, "MeetingHallNotRecorder").withArgs(a.address);
      // an administrator cannot record a power for every meeting
      await expect(hall.connect(m).recordPowerOfAttorney(await power(b.address, outsider.address)))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotRecorder")
        .withArgs(m.address);
      await time.increaseTo(votingEnd);
      await hall.finalize(meetingId);
      await expect(hall.connect(m).recordPowerOfAttorney(one)).to.be.revertedWithCustomError(hall, "MeetingHallNotRecorder").withArgs(m.address);
    });

    it("refuses a stranger", async function () {
      const { hall, a, outsider, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId);
      for (const p of [await power(a.address, outsider.address), await power(a.address, outsider.address, { meetingId })]) {
        await expect(hall.connect(outsider).recordPowerOfAttorney(p))
          .to.be.revertedWithCustomError(hall, "MeetingHallNotRecorder")
          .withArgs(outsider.address);
      }
    });

    it("refuses a malformed power: zero accounts, a principal representing themselves, an empty or inverted period, a meeting of another building", async function () {
      const { hall, registrar, registry, a, b, buildingId } = await loadFixture(deployBuilding);
      await registry.connect(registrar).registerBuilding(id("building 2"));
      const { meetingId } = await announce(hall, a, buildingId);
      const now = await time.latest();
      for (const p of [
        await power(ZeroAddress, b.address),
        await power(a.address, ZeroAddress),
        await power(a.address, a.address),
        await power(a.address, b.address, { validFrom: now + 10, validTo: now + 10 }),
        await power(a.address, b.address, { validFrom: now + 10, validTo: now + 9 }),
        await power(a.address, b.address, { buildingId: 2n, meetingId }),
      ]) {
        await expect(hall.connect(registrar).recordPowerOfAttorney(p)).to.be.revertedWithCustomError(hall, "MeetingHallInvalidPowerOfAttorney");
      }
    });

    it("refuses an unknown meeting or building and a joint group as principal", async function () {
      const { hall, registrar, j, group } = await loadFixture(jointBuilding);
      await expect(hall.connect(registrar).recordPowerOfAttorney(await power(j.address, registrar.address, { meetingId: 7n })))
        .to.be.revertedWithCustomError(hall, "MeetingHallUnknownMeeting")
        .withArgs(7);
      await expect(hall.connect(registrar).recordPowerOfAttorney(await power(j.address, registrar.address, { buildingId: 5n })))
        .to.be.revertedWithCustomError(hall, "MeetingHallUnknownBuilding")
        .withArgs(5);
      await expect(hall.connect(registrar).recordPowerOfAttorney(await power(group, j.address))).to.be.revertedWithCustomError(
        hall,
        "MeetingHallInvalidPowerOfAttorney",
      );
    });
  });

  describe("revokePowerOfAttorney", function () {
    it("lets the principal, the recorder, the meeting's administrator or a registrar revoke", async function () {
      const { hall, registrar, registry, admin, a, b, m, outsider, buildingId } = await loadFixture(deployBuilding);
      const { meetingId } = await announce(hall, a, buildingId, undefined, { administrator: m.address });
      await registry.connect(admin).grantRole(await registry.REGISTRAR_ROLE(), admin.address);
      const cases = [
        { recorder: registrar, revoker: b }, // the principal
        { recorder: registrar, revoker: registrar }, // the recorder
        { recorder: m, revoker: m }, // the meeting's administrator (and recorder)
        { recorder: registrar, revoker: m, meeting: true }, // the administrator of the power's meeting
        { recorder: m, revoker: admin }, // another registrar
      ];
      for (const c of cases) {
        const p = await power(b.address, outsider.address, c.meeting || c.recorder === m ? { meetingId } : {});
        const powerId = await recordPower(hall, c.recorder, p);
        await expect(hall.connect(c.revoker).revokePowerOfAttorney(powerId))
          .to.emit(hall, "PowerOfAttorneyRevoked")
          .withArgs(powerId, c.revoker.address);
        expect((await hall.powerOfAttorney(powerId))[1]).to.equal(true);
      }
    });

    it("refuses anyone else, a second revocation and an unknown power", async function () {
      const { hall, registrar, a, representative, powerId } = await loadFixture(representedMeeting);
      await expect(hall.connect(representative).revokePowerOfAttorney(powerId))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotRevoker")
        .withArgs(powerId, representative.address);
      await hall.connect(a).revokePowerOfAttorney(powerId);
      await expect(hall.connect(registrar).revokePowerOfAttorney(powerId))
        .to.be.revertedWithCustomError(hall, "MeetingHallAlreadyRevoked")
        .withArgs(powerId);
      for (const unknown of [0n, 9n]) {
        await expect(hall.revokePowerOfAttorney(unknown)).to.be.revertedWithCustomError(hall, "MeetingHallUnknownPowerOfAttorney").withArgs(unknown);
        await expect(hall.powerOfAttorney(unknown)).to.be.revertedWithCustomError(hall, "MeetingHallUnknownPowerOfAttorney").withArgs(unknown);
      }
    });

    it("leaves a ballot counted under the power counted", async function () {
      const { hall, a, representative, powerId, meetingId } = await loadFixture(representedMeeting);
      await hall.connect(representative).castBallotFor(meetingId, a.address, powerId, ALL_FOR);
      await hall.connect(a).revokePowerOfAttorney(powerId);
      expect(await hall.hasVoted(meetingId, a.address)).to.equal(true);
      expect((await hall.getMeeting(meetingId)).participatingWeight).to.equal(5000n * SHARE_UNIT);
    });
  });

  describe("castBallotFor", function () {
    it("casts the principal's ballot with the principal's weight, naming both, and leaves the representative's own vote", async function () {
      const { hall, a, b, registrar, meetingId } = await loadFixture(openMeeting);
      const powerId = await recordPower(hall, registrar, await power(a.address, b.address));
      await expect(hall.connect(b).castBallotFor(meetingId, a.address, powerId, ALL_FOR))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, b.address, 5000n * SHARE_UNIT, ALL_FOR, BallotForm.Direct);
      expect(await hall.hasVoted(meetingId, a.address)).to.equal(true);
      expect(await hall.hasVoted(meetingId, b.address)).to.equal(false);
      // the representative, an owner too, votes their own flat separately
      await expect(hall.connect(b).castBallot(meetingId, ALL_AGAINST))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, b.address, ZeroAddress, 3000n * SHARE_UNIT, ALL_AGAINST, BallotForm.Direct);
      const m = await hall.getMeeting(meetingId);
      expect([m.ballots, m.participatingWeight]).to.deep.equal([2n, 8000n * SHARE_UNIT]);
    });

    it("is void after the principal's own ballot", async function () {
      const { hall, a, representative, powerId, meetingId } = await loadFixture(representedMeeting);
      await hall.connect(a).castBallot(meetingId, ALL_FOR);
      await expect(hall.connect(representative).castBallotFor(meetingId, a.address, powerId, ALL_AGAINST))
        .to.be.revertedWithCustomError(hall, "MeetingHallAlreadyVoted")
        .withArgs(meetingId, a.address);
      expect((await hall.getResults(meetingId))[0].againstWeight).to.equal(0n);
    });

    it("makes the principal's own later ballot void", async function () {
      const { hall, a, representative, powerId, meetingId } = await loadFixture(representedMeeting);
      await hall.connect(representative).castBallotFor(meetingId, a.address, powerId, ALL_AGAINST);
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR))
        .to.be.revertedWithCustomError(hall, "MeetingHallAlreadyVoted")
        .withArgs(meetingId, a.address);
      const signed = await signedBallot(hall, a, meetingId, ALL_FOR);
      const { chainId } = await ethers.provider.getNetwork();
      await expect(hall.castBallotsBySig(meetingId, [signed]))
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, a.address, ZeroAddress, ballotDigest(ballotDomain(chainId, await hall.getAddress()), { meetingId, ...signed }), RejectReason.AlreadyVoted);
      expect((await hall.getResults(meetingId))[0].forWeight).to.equal(0n);
    });

    it("refuses a power of attorney outside its validity: before validFrom, after validTo, revoked, for another meeting or another building", async function () {
      const { hall, registrar, registry, a, b, c, d, e, outsider, meetingId, votingStart } = await loadFixture(openMeeting);
      await registry.connect(registrar).registerBuilding(id("building 2"));
      const second = await announce(hall, b, 1n);
      const now = await time.latest();
      const early = await recordPower(hall, registrar, await power(a.address, outsider.address, { validFrom: now + DAY, validTo: now + 3 * DAY }));
      const expired = await recordPower(hall, registrar, await power(b.address, outsider.address, { validFrom: votingStart - DAY, validTo: now + 10 }));
      const revoked = await recordPower(hall, registrar, await power(c.address, outsider.address));
      await hall.connect(c).revokePowerOfAttorney(revoked);
      const otherMeeting = await recordPower(hall, registrar, await power(d.address, outsider.address, { meetingId: second.meetingId }));
      const otherBuilding = await recordPower(hall, registrar, await power(e.address, outsider.address, { buildingId: 2n }));
      await time.increase(20);
      const cases: Array<[string, bigint]> = [
        [a.address, early],
        [b.address, expired],
        [c.address, revoked],
        [d.address, otherMeeting],
        [e.address, otherBuilding],
        [e.address, early], // another principal's power
        [a.address, 99n], // no such power
        [a.address, 0n],
      ];
      for (const [principal, powerId] of cases) {
        await expect(hall.connect(outsider).castBallotFor(meetingId, principal, powerId, ALL_FOR))
          .to.be.revertedWithCustomError(hall, "MeetingHallNoPowerOfAttorney")
          .withArgs(meetingId, principal, outsider.address, powerId);
      }
      // a power is used only by its representative
      await expect(hall.connect(b).castBallotFor(meetingId, a.address, early, ALL_FOR))
        .to.be.revertedWithCustomError(hall, "MeetingHallNoPowerOfAttorney")
        .withArgs(meetingId, a.address, b.address, early);
      // the early power counts once it is valid, at exactly validFrom
      await time.setNextBlockTimestamp(now + DAY);
      await expect(hall.connect(outsider).castBallotFor(meetingId, a.address, early, ALL_FOR)).to.emit(hall, "BallotCast");
    });

    it("counts a one-meeting power recorded by the administrator", async function () {
      const { hall, a, b, outsider, meetingId } = await loadFixture(openMeeting);
      const powerId = await recordPower(hall, a, await power(b.address, outsider.address, { meetingId }));
      await expect(hall.connect(outsider).castBallotFor(meetingId, b.address, powerId, ALL_FOR))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, b.address, outsider.address, 3000n * SHARE_UNIT, ALL_FOR, BallotForm.Direct);
    });
  });

  describe("castBallotsBySig with a representative", function () {
    it("counts a representative's signed ballot for the principal, naming both", async function () {
      const { hall, a, representative, powerId, meetingId, outsider } = await loadFixture(representedMeeting);
      const ballot = await signedBallot(hall, representative, meetingId, ALL_FOR, { voter: a.address, powerOfAttorney: powerId });
      await expect(hall.connect(outsider).castBallotsBySig(meetingId, [ballot]))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, representative.address, 5000n * SHARE_UNIT, ALL_FOR, BallotForm.Relayed);
      expect(await hall.hasVoted(meetingId, a.address)).to.equal(true);
    });

    it("rejects a representative's signed ballot without a valid power, naming the signer, and discards one the principal signed as if represented", async function () {
      const { hall, a, b, representative, powerId, meetingId } = await loadFixture(representedMeeting);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = ballotDomain(chainId, await hall.getAddress());
      // the outsider holds no power from B
      const noPower = await signedBallot(hall, representative, meetingId, ALL_FOR, { voter: b.address, powerOfAttorney: powerId });
      // a signature by the voter where the representative should sign
      const wrongSigner = { ...(await signedBallot(hall, representative, meetingId, ALL_FOR, { voter: a.address, powerOfAttorney: powerId })) };
      wrongSigner.signature = (await signedBallot(hall, a, meetingId, ALL_FOR)).signature;
      const tx = hall.castBallotsBySig(meetingId, [noPower, wrongSigner]);
      await expect(tx)
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, b.address, representative.address, ballotDigest(domain, { meetingId, ...noPower }), RejectReason.NoPowerOfAttorney);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 1);
      await expect(tx).not.to.emit(hall, "BallotCast");
    });

    it("tells through checkBallot whether the representative may cast it", async function () {
      const { hall, a, b, representative, powerId, meetingId } = await loadFixture(representedMeeting);
      expect(await hall.checkBallot(meetingId, a.address, representative.address, powerId, ALL_FOR)).to.deep.equal([true, 0n, 5000n * SHARE_UNIT]);
      expect((await hall.checkBallot(meetingId, b.address, representative.address, powerId, ALL_FOR))[1]).to.equal(
        BigInt(RejectReason.NoPowerOfAttorney),
      );
    });
  });
});
