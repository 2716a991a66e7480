/**
 * The attacks of the security review (issue 13) on the voting core, each a test named for the attack
 * it stops.
 */
import { expect } from "chai";
import { Signature, ZeroAddress, concat, hexlify, id, randomBytes, toBeHex } from "ethers";
import { BALLOT_TYPES, ballotDigest, ballotDomain } from "#lib/ballot.js";
import { LAW_PARAMETERS } from "#lib/deployment.js";
import { BallotForm, RejectReason, SHARE_UNIT } from "#lib/domain.js";
import {
  ALL_FOR,
  DAY,
  FAR_DEADLINE,
  announce,
  announcedPoll,
  deployBuilding,
  ethers,
  networkHelpers,
  openMeeting,
  signedBallot,
  sole,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The names of the hall's events a transaction emitted, in order. */
async function eventNames(hall: Awaited<ReturnType<typeof deployBuilding>>["hall"], tx: Promise<{ wait(): Promise<unknown> }>) {
  const receipt = (await (await tx).wait()) as { logs: Array<{ topics: readonly string[]; data: string }> };
  return receipt.logs.map((log) => hall.interface.parseLog(log)?.name);
}

describe("MeetingHall against the security review's attacks", function () {
  describe("snapshot", function () {
    it("an initiator cannot choose a snapshot before the announcement", async function () {
      const { hall, registry, registrar, a, m, outsider, buildingId } = await loadFixture(deployBuilding);
      // A sells flat 1 to the outsider a day before the organiser announces
      await registry.connect(registrar).setOwners(1, sole(outsider.address));
      await time.increase(DAY);
      expect(hall.interface.getFunction("announceMeeting").inputs.map((i) => i.name)).not.to.include("snapshot");
      const { meetingId, votingStart, snapshot } = await announce(hall, m, buildingId);
      expect((await hall.getMeeting(meetingId)).snapshot).to.equal(BigInt(snapshot));
      await time.increaseTo(votingStart);
      await expect(hall.connect(outsider).castBallot(meetingId, ALL_FOR))
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, outsider.address, ZeroAddress, 5000n * SHARE_UNIT, ALL_FOR, BallotForm.Direct);
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR))
        .to.be.revertedWithCustomError(hall, "MeetingHallNotEligible")
        .withArgs(meetingId, a.address);
    });
  });

  describe("deadlines", function () {
    it("a signature for a meeting id that does not exist yet cannot be used once it is announced past its deadline", async function () {
      const { hall, a, m, buildingId } = await loadFixture(deployBuilding);
      const futureId = (await hall.meetingCount()) + 1n;
      // collected with a stolen login before the meeting exists, valid for an hour
      const deadline = BigInt((await time.latest()) + 3600);
      const stolen = await signedBallot(hall, a, futureId, ALL_FOR, { deadline });
      const { meetingId, votingStart } = await announce(hall, m, buildingId);
      expect(meetingId).to.equal(futureId);
      await time.increaseTo(votingStart);
      const { chainId } = await ethers.provider.getNetwork();
      await expect(hall.castBallotsBySig(meetingId, [stolen]))
        .to.emit(hall, "BallotRejected")
        .withArgs(meetingId, a.address, ZeroAddress, ballotDigest(ballotDomain(chainId, await hall.getAddress()), { meetingId, ...stolen }), RejectReason.Expired);
      expect(await hall.hasVoted(meetingId, a.address)).to.equal(false);
      // the owner still votes as they choose
      await expect(hall.connect(a).castBallot(meetingId, ALL_FOR)).to.emit(hall, "BallotCast");
    });
  });

  describe("contract wallets", function () {
    /** deployBuilding with a gas-burning wallet owning flat 4 and a return-bomb wallet owning flat 3, voting open. */
    async function hostileWallets() {
      const f = await deployBuilding();
      const burner = await ethers.deployContract("GasBurningWallet");
      const bomb = await ethers.deployContract("ReturnBombWallet");
      await f.registry.connect(f.registrar).setOwners(4, sole(await burner.getAddress()));
      await f.registry.connect(f.registrar).setOwners(3, sole(await bomb.getAddress()));
      const meeting = await announce(f.hall, f.m, f.buildingId);
      await time.increaseTo(meeting.votingStart);
      return { ...f, ...meeting, burner: await burner.getAddress(), bomb: await bomb.getAddress() };
    }

    it("a gas-burning ERC-1271 wallet in a batch does not stop the honest ballots from counting", async function () {
      const { hall, a, b, burner, bomb, meetingId } = await loadFixture(hostileWallets);
      const walletBallot = (voter: string) => ({
        voter,
        representative: ZeroAddress,
        powerOfAttorney: 0n,
        choices: ALL_FOR,
        deadline: FAR_DEADLINE,
        signature: hexlify(randomBytes(65)),
      });
      const batch = [
        await signedBallot(hall, a, meetingId, ALL_FOR),
        walletBallot(burner),
        walletBallot(bomb),
        await signedBallot(hall, b, meetingId, ALL_FOR),
      ];
      const gasLimit = 600_000n;
      const tx = hall.castBallotsBySig(meetingId, batch, { gasLimit });
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 1);
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, a.address, ZeroAddress, 5000n * SHARE_UNIT, ALL_FOR, BallotForm.Relayed);
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, b.address, ZeroAddress, 3000n * SHARE_UNIT, ALL_FOR, BallotForm.Relayed);
      // the bomb answers the magic value in its first word, then as much data as its gas pays for:
      // only the first 32 bytes are read, so it counts and costs the batch nothing to copy
      await expect(tx)
        .to.emit(hall, "BallotCast")
        .withArgs(meetingId, bomb, ZeroAddress, 3000n * SHARE_UNIT, ALL_FOR, BallotForm.Relayed);
      const receipt = await (await tx).wait();
      expect(receipt!.gasUsed < gasLimit).to.equal(true);
      expect(await hall.hasVoted(meetingId, burner)).to.equal(false);
    });

    it("a sender cannot discard a contract wallet's ballot by withholding gas", async function () {
      const { hall, registry, registrar, outsider, a, buildingId, m } = await loadFixture(deployBuilding);
      const wallet = await ethers.deployContract("OwnedWallet", [outsider.address]);
      const walletAddress = await wallet.getAddress();
      await registry.connect(registrar).setOwners(4, sole(walletAddress));
      const { meetingId, votingStart } = await announce(hall, m, buildingId);
      await time.increaseTo(votingStart);
      const { chainId } = await ethers.provider.getNetwork();
      const ballot = { meetingId, voter: walletAddress, choices: ALL_FOR, representative: ZeroAddress, deadline: FAR_DEADLINE };
      const signature = await outsider.signTypedData(ballotDomain(chainId, await hall.getAddress()), BALLOT_TYPES, ballot);
      const batch = [{ ...ballot, powerOfAttorney: 0n, signature }, await signedBallot(hall, a, meetingId, ALL_FOR)];
      let insufficient = 0;
      for (let gasLimit = 60_000n; gasLimit <= 400_000n; gasLimit += 4_000n) {
        try {
          const counted = await hall.castBallotsBySig.staticCall(meetingId, batch, { gasLimit });
          // whenever the batch goes through, the wallet's ballot counted
          expect(counted, `counted with a gas limit of ${gasLimit}`).to.equal(2n);
        } catch (err) {
          // below the limit the call runs out of gas or refuses the wallet's check, never skips it
          const { data, revert } = err as { data?: unknown; revert?: { name: string } };
          const name = revert?.name ?? (typeof data === "string" && data !== "0x" ? hall.interface.parseError(data)?.name : undefined);
          if (name === "MeetingHallInsufficientGas") insufficient++;
          else expect(name, `error with a gas limit of ${gasLimit}`).to.equal(undefined);
        }
      }
      expect(insufficient).to.be.greaterThan(0);
    });
  });

  describe("signatures", function () {
    it("a signature with v = 0/1 is discarded, and so is a high-s one", async function () {
      const { hall, a, meetingId } = await loadFixture(openMeeting);
      const good = await signedBallot(hall, a, meetingId, ALL_FOR);
      const sig = Signature.from(good.signature);
      const lowV = concat([sig.r, sig.s, new Uint8Array([sig.v - 27])]);
      const highS = concat([sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
      const tx = hall.castBallotsBySig(meetingId, [
        { ...good, signature: lowV },
        { ...good, signature: highS },
      ]);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 0);
      await expect(tx).to.emit(hall, "BallotDiscarded").withArgs(meetingId, 1);
      expect(await eventNames(hall, tx)).to.deep.equal(["BallotDiscarded", "BallotDiscarded"]);
      expect(await hall.hasVoted(meetingId, a.address)).to.equal(false);
      await expect(hall.castBallotsBySig(meetingId, [good])).to.emit(hall, "BallotCast");
    });

    it("a stranger cannot plant a BallotRejected naming another voter", async function () {
      const { hall, a, b, r, m, outsider, buildingId } = await loadFixture(deployBuilding);
      const garbage = async (meetingId: bigint) => {
        const forged = await signedBallot(hall, outsider, meetingId, ALL_FOR);
        return [
          { ...forged, voter: a.address }, // the stranger's own signature, naming A
          { ...forged, voter: r.address, signature: hexlify(randomBytes(65)) },
          { ...forged, voter: b.address, signature: "0x" },
          { ...forged, voter: a.address, choices: 1n, signature: hexlify(randomBytes(200)) },
        ];
      };
      const closed = await announce(hall, m, buildingId);
      const open = await announce(hall, m, buildingId);
      // before voting opens
      expect(await eventNames(hall, hall.connect(outsider).castBallotsBySig(closed.meetingId, await garbage(closed.meetingId)))).to.deep.equal(
        Array(4).fill("BallotDiscarded"),
      );
      await time.increaseTo(open.votingStart);
      // while it is open
      expect(await eventNames(hall, hall.connect(outsider).castBallotsBySig(open.meetingId, await garbage(open.meetingId)))).to.deep.equal(
        Array(4).fill("BallotDiscarded"),
      );
      // once finalized
      await time.increaseTo(open.votingEnd);
      await hall.finalize(open.meetingId);
      expect(await eventNames(hall, hall.connect(outsider).castBallotsBySig(open.meetingId, await garbage(open.meetingId)))).to.deep.equal(
        Array(4).fill("BallotDiscarded"),
      );
      // a poll too
      const poll = await loadFixture(announcedPoll);
      expect(await eventNames(poll.hall, poll.hall.castBallotsBySig(poll.meetingId, await garbage(poll.meetingId)))).to.deep.equal(
        Array(4).fill("BallotDiscarded"),
      );
    });
  });

  describe("announcement limit", function () {
    it("an initiator cannot announce more than the limit of open meetings", async function () {
      const { hall, a, b, buildingId } = await loadFixture(deployBuilding);
      const max = LAW_PARAMETERS.maxOpenPerInitiator;
      const meetings = [];
      for (let i = 0; i < max - 1; i++) meetings.push(await announce(hall, a, buildingId));
      const now = await time.latest();
      await hall.connect(a).announcePoll(buildingId, now + 10, now + 10 + 7 * DAY, id("poll"), [id("q")]); // polls count too
      expect(await hall.openMeetingsOf(buildingId, a.address)).to.equal(BigInt(max));
      await expect(announce(hall, a, buildingId))
        .to.be.revertedWithCustomError(hall, "MeetingHallTooManyOpenMeetings")
        .withArgs(buildingId, a.address, max);
      // another initiator is not limited by A's meetings
      await announce(hall, b, buildingId);
      // a cancellation frees a place
      await hall.connect(a).cancel(meetings[0].meetingId);
      const again = await announce(hall, a, buildingId);
      await expect(announce(hall, a, buildingId)).to.be.revertedWithCustomError(hall, "MeetingHallTooManyOpenMeetings");
      // and so does finalizing
      await time.increaseTo(again.votingEnd);
      await hall.finalize(again.meetingId);
      expect(await hall.openMeetingsOf(buildingId, a.address)).to.equal(BigInt(max - 1));
      await announce(hall, a, buildingId);
    });
  });
});
