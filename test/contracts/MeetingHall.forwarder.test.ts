import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { Wallet, ZeroAddress, concat, id } from "ethers";
import { BallotForm, MeetingType, SHARE_UNIT } from "#lib/domain.js";
import {
  ALL_FOR,
  DAY,
  FIVE_QUESTIONS,
  deployBuilding,
  ethers,
  networkHelpers,
  paperDecision,
  power,
  signedForwardRequest,
  sole,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;

/** deployBuilding where flat 4 belongs to an owner whose key custody holds: a wallet without ether. */
async function custodyOwner() {
  const f = await deployBuilding();
  const owner = Wallet.createRandom(ethers.provider);
  await f.registry.connect(f.registrar).setOwners(4, sole(owner.address));
  const hallAddress = await f.hall.getAddress();
  const now = await time.latest();
  const votingStart = now + 10 * DAY + 600;
  const votingEnd = votingStart + 7 * DAY;
  const announceData = f.hall.interface.encodeFunctionData("announceMeeting", [
    1,
    MeetingType.Annual,
    ZeroAddress,
    votingStart,
    votingEnd,
    id("agenda"),
    FIVE_QUESTIONS,
  ]);
  return { ...f, owner, hallAddress, votingStart, votingEnd, announceData };
}

describe("MeetingHall through the forwarder", function () {
  it("lets an owner who holds no ether announce and cancel a meeting, submitted by anyone", async function () {
    const { hall, forwarder, owner, outsider, hallAddress, announceData, votingStart, votingEnd } = await loadFixture(custodyOwner);
    expect(await ethers.provider.getBalance(owner.address)).to.equal(0n);
    const request = await signedForwardRequest(forwarder, owner, hallAddress, announceData);
    expect(await forwarder.verify(request)).to.equal(true);
    const announced = forwarder.connect(outsider).execute(request);
    await expect(announced).to.emit(hall, "MeetingAnnounced");
    const meeting = await hall.getMeeting(1);
    expect([meeting.initiator, meeting.administrator, meeting.meetingType]).to.deep.equal([owner.address, owner.address, BigInt(MeetingType.Annual)]);
    expect([meeting.votingStart, meeting.votingEnd]).to.deep.equal([BigInt(votingStart), BigInt(votingEnd)]);

    const cancel = await signedForwardRequest(forwarder, owner, hallAddress, hall.interface.encodeFunctionData("cancel", [1]));
    await expect(forwarder.connect(outsider).execute(cancel)).to.emit(hall, "MeetingCancelled").withArgs(1, owner.address);
    expect(await ethers.provider.getBalance(owner.address)).to.equal(0n);
  });

  it("lets an administrator without ether record a power of attorney and enter a paper decision", async function () {
    const { hall, forwarder, owner, outsider, b, r, hallAddress, announceData, votingStart } = await loadFixture(custodyOwner);
    await forwarder.connect(outsider).execute(await signedForwardRequest(forwarder, owner, hallAddress, announceData));
    const p = await power(b.address, r.address, { meetingId: 1n });
    const record = await signedForwardRequest(forwarder, owner, hallAddress, hall.interface.encodeFunctionData("recordPowerOfAttorney", [p]));
    await expect(forwarder.connect(outsider).execute(record))
      .to.emit(hall, "PowerOfAttorneyRecorded")
      .withArgs(1, b.address, r.address, 1, 1, p.validFrom, p.validTo, p.documentHash, owner.address);
    await time.increaseTo(votingStart);
    const decision = paperDecision(b.address, ALL_FOR, { representative: r.address, powerOfAttorney: 1n });
    const enter = await signedForwardRequest(
      forwarder,
      owner,
      hallAddress,
      hall.interface.encodeFunctionData("enterPaperDecisions", [1, [decision]]),
      { deadline: BigInt(votingStart + 3600) },
    );
    const tx = forwarder.connect(outsider).execute(enter);
    await expect(tx).to.emit(hall, "PaperDecisionEntered").withArgs(1, b.address, owner.address, 0, decision.scanHash);
    await expect(tx).to.emit(hall, "BallotCast").withArgs(1, b.address, r.address, 3000n * SHARE_UNIT, ALL_FOR, BallotForm.Paper);
  });

  it("refuses a request not signed by its sender, and a replayed one", async function () {
    const { forwarder, owner, outsider, hallAddress, announceData } = await loadFixture(custodyOwner);
    const request = await signedForwardRequest(forwarder, owner, hallAddress, announceData);
    const forged = { ...request, from: outsider.address };
    // the signature recovers to some other address over the forged request
    await expect(forwarder.connect(outsider).execute(forged))
      .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderInvalidSigner")
      .withArgs(anyValue, outsider.address);
    await forwarder.connect(outsider).execute(request);
    await expect(forwarder.connect(outsider).execute(request)).to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderInvalidSigner");
  });

  it("ignores an address appended to the call by anyone but the trusted forwarder", async function () {
    const { hall, owner, outsider, hallAddress, announceData } = await loadFixture(custodyOwner);
    await expect(outsider.sendTransaction({ to: hallAddress, data: concat([announceData, owner.address]) }))
      .to.be.revertedWithCustomError(hall, "MeetingHallNotInitiator")
      .withArgs(1, outsider.address);
    // another forwarder is not trusted
    const other = await ethers.deployContract("Forwarder");
    const request = await signedForwardRequest(other, owner, hallAddress, announceData);
    await expect(other.connect(outsider).execute(request))
      .to.be.revertedWithCustomError(other, "ERC2771UntrustfulTarget")
      .withArgs(hallAddress, await other.getAddress());
  });
});
