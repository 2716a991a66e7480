/** Shared deployment fixtures and helpers for the contract tests. */
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress, ZeroHash, id, type Signer } from "ethers";
import { BALLOT_TYPES, ballotDomain, type Ballot } from "#lib/ballot.js";
import { LAW_PARAMETERS } from "#lib/deployment.js";
import { MeetingType, OrganiserRole, PremisesKind, SHARE_UNIT } from "#lib/domain.js";
import { FORWARD_REQUEST_TYPES, forwardRequestData, forwarderDomain } from "#lib/forward-request.js";
import { RULES_2024_09_01, publishArgs, questionTypeIndex } from "#lib/legal-rules.js";
import type { BuildingRegistry, Forwarder, LegalRules, MeetingHall } from "#typechain/index.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;

export const DAY = 24 * 3600;
/** A deadline past every test's meetings. */
export const FAR_DEADLINE = 2n ** 40n;

/** The question types of the first rules version, by code. */
export const TYPE = {
  other: questionTypeIndex(RULES_2024_09_01, "other"),
  landPlot: questionTypeIndex(RULES_2024_09_01, "44.2.2"), // two thirds of all
  managementCompany: questionTypeIndex(RULES_2024_09_01, "44.2.4.7"), // more than half of all
  unanimous: questionTypeIndex(RULES_2024_09_01, "unanimous"),
};

export interface HoldingSpec {
  holders: string[];
  share: bigint;
}

export const holding = (holders: string[], share: bigint = SHARE_UNIT): HoldingSpec => ({ holders, share });
/** One person owning the whole premises. */
export const sole = (owner: string): HoldingSpec[] => [holding([owner])];

export interface PremisesSpec {
  area: bigint | number;
  kind?: number;
  ref?: string;
  holdings: HoldingSpec[];
}

export function premisesInput(p: PremisesSpec) {
  return { area: BigInt(p.area), kind: p.kind ?? 0, ref: p.ref ?? ZeroHash, holdings: p.holdings };
}

export async function deployCore() {
  const [admin, registrar, ...accounts] = await ethers.getSigners();
  const forwarder = (await ethers.deployContract("Forwarder")) as unknown as Forwarder;
  const rules = (await ethers.deployContract("LegalRules", [admin.address])) as unknown as LegalRules;
  const { sourceRef, quorum, questionTypes } = publishArgs(RULES_2024_09_01);
  await rules.connect(admin).publish(sourceRef, quorum, questionTypes);
  const registry = (await ethers.deployContract("BuildingRegistry", [
    admin.address,
    registrar.address,
  ])) as unknown as BuildingRegistry;
  const hall = (await ethers.deployContract("MeetingHall", [
    await registry.getAddress(),
    await rules.getAddress(),
    await forwarder.getAddress(),
    LAW_PARAMETERS,
  ])) as unknown as MeetingHall;
  return { admin, registrar, accounts, forwarder, rules, registry, hall };
}

/**
 * One building of four flats: A owns flat 1 (50 m²) alone, B and C own flat 2 (60 m²) half each,
 * D owns flat 3 (30 m²), flat 4 (60 m²) belongs to E. Total 200 m².
 * Resident R lives there without owning anything; organiser M is the management organisation.
 */
export async function deployBuilding() {
  const core = await deployCore();
  const { registry, registrar, accounts } = core;
  const [a, b, c, d, e, r, m, outsider] = accounts;
  await registry.connect(registrar).registerBuilding(id("cadastral:77:01:0001001:1001"));
  const half = SHARE_UNIT / 2n;
  await registry.connect(registrar).addPremises(1, [
    premisesInput({ area: 5000, holdings: sole(a.address) }),
    premisesInput({ area: 6000, holdings: [holding([b.address], half), holding([c.address], half)] }),
    premisesInput({ area: 3000, holdings: sole(d.address) }),
    premisesInput({ area: 6000, holdings: sole(e.address) }),
  ]);
  await registry.connect(registrar).setResidents(1, [r.address], true);
  await registry.connect(registrar).setOrganiser(1, m.address, OrganiserRole.ManagementOrganisation);
  return { ...core, a, b, c, d, e, r, m, outsider, buildingId: 1n };
}

export const question = (text: string, questionType: number) => ({ textRef: id(text), questionType });

export const FIVE_QUESTIONS = [
  question("Install driveway gates to the yard", TYPE.landPlot),
  question("Replace the entrance door", TYPE.other),
  question("Hire a doorkeeper", TYPE.other),
  question("Choose a new management company", TYPE.managementCompany),
  question("Reduce the common property", TYPE.unanimous),
];

export interface AnnounceOptions {
  notice?: number;
  window?: number;
  /** An index of `MeetingType` (default: extraordinary). */
  meetingType?: number;
  administrator?: string;
}

/** Announces a meeting with the law's minimum notice and window; returns its id and times. */
export async function announce(
  hall: MeetingHall,
  initiator: Signer,
  buildingId: bigint,
  questions = FIVE_QUESTIONS,
  opts: AnnounceOptions = {},
) {
  const now = await networkHelpers.time.latest();
  const votingStart = now + (opts.notice ?? 10 * DAY) + 10;
  const votingEnd = votingStart + (opts.window ?? 7 * DAY);
  const tx = await hall
    .connect(initiator)
    .announceMeeting(
      buildingId,
      opts.meetingType ?? MeetingType.Extraordinary,
      opts.administrator ?? ZeroAddress,
      votingStart,
      votingEnd,
      id("agenda"),
      questions,
    );
  const receipt = await tx.wait();
  const meetingId = await hall.meetingCount();
  const snapshot = (await ethers.provider.getBlock(receipt!.blockNumber))!.timestamp;
  return { meetingId, votingStart, votingEnd, snapshot, tx };
}

export async function signBallot(hall: MeetingHall, signer: Signer, ballot: Ballot) {
  const { chainId } = await ethers.provider.getNetwork();
  return signer.signTypedData(ballotDomain(chainId, await hall.getAddress()), BALLOT_TYPES, ballot);
}

export interface SignedBallotOptions {
  /** Whose ballot it is (default: the signer's own). */
  voter?: string;
  /** Set when the signer signs as the voter's representative. */
  powerOfAttorney?: bigint;
  deadline?: bigint;
}

/** A relayed ballot signed by `signer`: their own, or with `voter` set, as that voter's representative. */
export async function signedBallot(
  hall: MeetingHall,
  signer: HardhatEthersSigner,
  meetingId: bigint,
  choices: bigint,
  opts: SignedBallotOptions = {},
) {
  const voter = opts.voter ?? signer.address;
  const representative = opts.voter === undefined ? ZeroAddress : signer.address;
  const deadline = opts.deadline ?? FAR_DEADLINE;
  const signature = await signBallot(hall, signer, { meetingId, voter, choices, representative, deadline });
  return { voter, representative, powerOfAttorney: opts.powerOfAttorney ?? 0n, choices, deadline, signature };
}

/** A power of attorney's fields with defaults: all meetings of building 1 for a year from now. */
export async function power(
  principal: string,
  representative: string,
  opts: { buildingId?: bigint; meetingId?: bigint; validFrom?: number; validTo?: number; documentHash?: string } = {},
) {
  const now = await networkHelpers.time.latest();
  return {
    principal,
    representative,
    buildingId: opts.buildingId ?? 1n,
    meetingId: opts.meetingId ?? 0n,
    validFrom: opts.validFrom ?? now,
    validTo: opts.validTo ?? now + 365 * DAY,
    documentHash: opts.documentHash ?? id(`power of attorney ${principal} → ${representative}`),
  };
}

/** Records a power of attorney by `recorder` and returns its id. */
export async function recordPower(hall: MeetingHall, recorder: Signer, p: Awaited<ReturnType<typeof power>>) {
  await (await hall.connect(recorder).recordPowerOfAttorney(p)).wait();
  return hall.powersOfAttorney(p.buildingId, p.principal, p.representative).then((ids) => ids[ids.length - 1]);
}

/** A forward request for `to` with `data`, signed by `signer` (who needs no ether), ready for `execute`. */
export async function signedForwardRequest(
  forwarder: Forwarder,
  signer: Signer,
  to: string,
  data: string,
  opts: { gas?: bigint; deadline?: bigint } = {},
) {
  const { chainId } = await ethers.provider.getNetwork();
  const from = await signer.getAddress();
  const request = {
    from,
    to,
    value: 0n,
    gas: opts.gas ?? 1_000_000n,
    nonce: await forwarder.nonces(from),
    deadline: opts.deadline ?? BigInt((await networkHelpers.time.latest()) + 3600),
    data,
  };
  const signature = await signer.signTypedData(forwarderDomain(chainId, await forwarder.getAddress()), FORWARD_REQUEST_TYPES, request);
  return forwardRequestData(request, signature);
}

/** Every question of FIVE_QUESTIONS answered For. */
export const ALL_FOR = 0b01_01_01_01_01n;

/** deployBuilding with a meeting of FIVE_QUESTIONS announced by A, its voting open. */
export async function openMeeting() {
  const f = await deployBuilding();
  const meeting = await announce(f.hall, f.a, f.buildingId);
  await networkHelpers.time.increaseTo(meeting.votingStart);
  return { ...f, ...meeting };
}

/** deployBuilding with a one-question poll announced by the organiser, voting from 100 s on. */
export async function announcedPoll() {
  const f = await deployBuilding();
  const now = await networkHelpers.time.latest();
  const votingStart = now + 100;
  const votingEnd = votingStart + 7 * DAY;
  await f.hall.connect(f.m).announcePoll(1, votingStart, votingEnd, id("poll"), [id("Paint the hall green?")]);
  const meetingId = await f.hall.meetingCount();
  return { ...f, meetingId, votingStart, votingEnd };
}

/**
 * Building 1 of deployBuilding, plus flat 5 (40 m²) held jointly by spouses J and K, flat 6 (10 m²)
 * held by J alone, and parking space 7 (20 m²) held half by J and K jointly and half by L alone.
 * Total 270 m²; the joint group of J and K holds 50 m².
 */
export async function jointBuilding() {
  const f = await deployBuilding();
  const [j, k, l] = f.accounts.slice(8, 11);
  const half = SHARE_UNIT / 2n;
  const tx = await f.registry.connect(f.registrar).addPremises(1, [
    premisesInput({ area: 4000, holdings: [holding([j.address, k.address])] }),
    premisesInput({ area: 1000, holdings: sole(j.address) }),
    premisesInput({ area: 2000, kind: PremisesKind.ParkingSpace, holdings: [holding([k.address, j.address], half), holding([l.address], half)] }),
  ]);
  const group = await f.registry.jointGroupOf(1, [j.address, k.address]);
  return { ...f, j, k, l, group, tx };
}

/** jointBuilding with a meeting of FIVE_QUESTIONS announced by A, its voting open. */
export async function openJointMeeting() {
  const f = await jointBuilding();
  const meeting = await announce(f.hall, f.a, f.buildingId);
  await networkHelpers.time.increaseTo(meeting.votingStart);
  return { ...f, ...meeting };
}

/** A paper decision for `voter` with these choices (and void mask), as the administrator enters it. */
export function paperDecision(
  voter: string,
  choices: bigint,
  opts: { voidMask?: bigint; representative?: string; powerOfAttorney?: bigint; scanHash?: string } = {},
) {
  return {
    voter,
    representative: opts.representative ?? ZeroAddress,
    powerOfAttorney: opts.powerOfAttorney ?? 0n,
    choices,
    voidMask: opts.voidMask ?? 0n,
    scanHash: opts.scanHash ?? id(`scan of ${voter}'s decision`),
  };
}
