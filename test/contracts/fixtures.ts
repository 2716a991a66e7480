/** Shared deployment fixtures and helpers for the contract tests. */
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroHash, id } from "ethers";
import { BALLOT_TYPES, ballotDomain, type Ballot } from "#lib/ballot.js";
import { LAW_PARAMETERS } from "#lib/deployment.js";
import { SHARE_UNIT, Threshold } from "#lib/domain.js";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;

export const DAY = 24 * 3600;

export interface PremisesSpec {
  area: bigint | number;
  kind?: number;
  ref?: string;
  owners: string[];
  shares: Array<bigint | number>;
}

export function premisesInput(p: PremisesSpec) {
  return {
    area: BigInt(p.area),
    kind: p.kind ?? 0,
    ref: p.ref ?? ZeroHash,
    owners: p.owners,
    shares: p.shares.map(BigInt),
  };
}

export async function deployCore() {
  const [admin, registrar, ...accounts] = await ethers.getSigners();
  const registry = (await ethers.deployContract("BuildingRegistry", [
    admin.address,
    registrar.address,
  ])) as unknown as BuildingRegistry;
  const hall = (await ethers.deployContract("MeetingHall", [
    await registry.getAddress(),
    LAW_PARAMETERS.minNotice,
    LAW_PARAMETERS.minWindow,
    LAW_PARAMETERS.maxWindow,
  ])) as unknown as MeetingHall;
  return { admin, registrar, accounts, registry, hall };
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
    premisesInput({ area: 5000, owners: [a.address], shares: [SHARE_UNIT] }),
    premisesInput({ area: 6000, owners: [b.address, c.address], shares: [half, half] }),
    premisesInput({ area: 3000, owners: [d.address], shares: [SHARE_UNIT] }),
    premisesInput({ area: 6000, owners: [e.address], shares: [SHARE_UNIT] }),
  ]);
  await registry.connect(registrar).setResidents(1, [r.address], true);
  await registry.connect(registrar).setOrganiser(1, m.address, 1);
  return { ...core, a, b, c, d, e, r, m, outsider, buildingId: 1n };
}

/** An agenda question; `threshold` is an index of `Threshold`. */
export const question = (text: string, threshold: number) => ({ textRef: id(text), threshold });

export const FIVE_QUESTIONS = [
  question("Install driveway gates to the yard", Threshold.TwoThirdsOfAll),
  question("Replace the entrance door", Threshold.MajorityOfParticipants),
  question("Hire a doorkeeper", Threshold.MajorityOfParticipants),
  question("Choose a new management company", Threshold.MajorityOfAll),
  question("Reduce the common property", Threshold.Unanimous),
];

/** Announces a meeting with the law's minimum notice and window; returns its id and times. */
export async function announce(
  hall: MeetingHall,
  initiator: HardhatEthersSigner,
  buildingId: bigint,
  questions = FIVE_QUESTIONS,
  opts: { notice?: number; window?: number; snapshotOffset?: number } = {},
) {
  const now = await networkHelpers.time.latest();
  const votingStart = now + (opts.notice ?? 10 * DAY) + 10;
  const votingEnd = votingStart + (opts.window ?? 7 * DAY);
  const snapshot = votingStart - (opts.snapshotOffset ?? 1);
  const tx = await hall
    .connect(initiator)
    .announceMeeting(buildingId, snapshot, votingStart, votingEnd, id("agenda"), questions);
  await tx.wait();
  const meetingId = await hall.meetingCount();
  return { meetingId, votingStart, votingEnd, snapshot, tx };
}

export async function signBallot(hall: MeetingHall, signer: HardhatEthersSigner, ballot: Ballot) {
  const { chainId } = await ethers.provider.getNetwork();
  return signer.signTypedData(ballotDomain(chainId, await hall.getAddress()), BALLOT_TYPES, ballot);
}

export async function signedBallot(hall: MeetingHall, signer: HardhatEthersSigner, meetingId: bigint, choices: bigint) {
  const signature = await signBallot(hall, signer, { meetingId, voter: signer.address, choices });
  return { voter: signer.address, choices, signature };
}
