/**
 * The gas scenarios of the voting core, measured on Hardhat's in-process simulated network at the
 * hardfork the contracts are compiled for (hardhat.config.ts), on a deployment made as dev/deploy.ts
 * makes it (forwarder, legal rules, register, hall): a 5-question ballot in every form — relayed in
 * batches, cast directly, by a representative, by a joint owner, entered from paper — in a building
 * of 200 sole owners and 100 jointly held flats; announcing and finalizing a meeting; registering
 * premises by how they are held and a building of 2,000 premises; and an OpenZeppelin Governor over
 * the same weights as a yardstick.
 *
 * Both the gas snapshots (test/gas/gas-snapshots.test.ts, committed under test/gas/snapshots/) and
 * `npm run bench:gas` (reports/bench-gas.json, README's table) come from `measureGas`, so the numbers
 * that are tracked and the numbers that are published are one measurement.
 */
import { AppError } from "#lib/errors.js";
import { network } from "hardhat";
import { Wallet, ZeroAddress, ZeroHash, id, type ContractTransactionResponse } from "ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { BALLOT_TYPES, ballotDomain, ownBallot, packChoices, packPaperChoices, type Ballot } from "#lib/ballot.js";
import { Choice, MeetingType, OrganiserRole, PremisesKind, SHARE_UNIT } from "#lib/domain.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import { deployDigitalHome } from "../../dev/deploy.js";

export const OWNERS = 200;
/** Flats held jointly by two spouses each, beside the owners' flats. */
export const JOINT_FLATS = 100;
/** Owners 0..99 have representative i under a power of attorney for all meetings (id i + 1). */
export const REPRESENTED = 100;
export const QUESTIONS = 5;
export const BATCH_SIZES = [1, 50, 100, 200] as const;
/** Transactions averaged where one ballot is one transaction (after a first one that pays for cold storage). */
export const SAMPLE = 20;
export const PREMISES = 2000;
/** Premises per `addPremises` call of the 2,000, under the 2^24 gas a transaction may carry (EIP-7825). */
export const PREMISES_PER_CALL = 100;
/** Premises per `addPremises` call when registration is measured by how premises are held. */
export const PREMISES_BY_HOLDING = 50;
/**
 * The hardfork the Governor yardstick is measured at: OpenZeppelin 5.4's Governor needs `mcopy`, so it
 * is compiled for cancun (hardhat.config.ts) and cannot run on the paris-level network of the core.
 */
export const REFERENCE_HARDFORK = "cancun";

/** Gas of one scenario: a whole transaction, or an average per ballot, premises or voter. */
export interface GasScenario {
  name: string;
  /** What one unit of `gas` is, for the reports. */
  description: string;
  gas: number;
}

export interface GasMeasurement {
  /** Hardfork of the simulated network the voting core ran on. */
  hardfork: string;
  scenarios: GasScenario[];
  /** Registering the 2,000 premises: total gas (the building and every batch) and transactions. */
  registerBuilding: { gas: number; transactions: number };
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new AppError("gas_scenario_failed", "a gas scenario's transaction failed");
  return receipt.gasUsed;
}

const average = (gas: bigint, count: number) => Math.round(Number(gas) / count);

/** Local wallets, so that direct votes can be sent by the voters themselves. */
function walletsOf(ethers: HardhatEthers, label: string, count: number) {
  return Array.from({ length: count }, (_, i) => new Wallet(id(`bench ${label} ${i}`), ethers.provider));
}
const votersOf = (ethers: HardhatEthers) => walletsOf(ethers, "voter", OWNERS);
const areas = Array.from({ length: OWNERS }, (_, i) => 3000n + BigInt((i * 7919) % 9000)); // 30–120 m²

async function fund(deployer: HardhatEthersSigner, accounts: Wallet[]) {
  let nonce = await deployer.getNonce();
  const txs = [];
  for (const a of accounts) txs.push(await deployer.sendTransaction({ to: a.address, value: 10n ** 18n, nonce: nonce++ }));
  await Promise.all(txs.map((t) => t.wait()));
}

const sole = (owner: string) => [{ holders: [owner], share: SHARE_UNIT }];
const halves = (a: string, b: string) => [
  { holders: [a], share: SHARE_UNIT / 2n },
  { holders: [b], share: SHARE_UNIT / 2n },
];
const joint = (a: string, b: string) => [{ holders: [a, b], share: SHARE_UNIT }];

// the four rules of the table in turn (two thirds of all, majority of participants twice, more than
// half of all, unanimous), so that finalizing decides each kind
const rules = RULES_VERSIONS.at(-1)!;
const questions = ["44.2.2", "other", "other", "44.2.4.7", "unanimous"].map((code, q) => ({ textRef: id(`question ${q}`), questionType: questionTypeIndex(rules, code) }));
const answers = [Choice.For, Choice.Against, Choice.Abstain, Choice.For, Choice.For];
const choices = packChoices(answers);
/** A paper decision with a void and an unanswered question. */
const paper = packPaperChoices([Choice.For, "void", "unanswered", Choice.Against, Choice.Abstain]);
/** The ballots of the scenarios never expire. */
const NO_DEADLINE = 2n ** 64n - 1n;

/** Measures every scenario on fresh in-process networks; takes a few minutes. */
export async function measureGas(): Promise<GasMeasurement> {
  const core = await network.create();
  const { ethers, networkHelpers } = core;
  const { time } = networkHelpers;
  const [deployer] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const voters = votersOf(ethers);
  const spouses = walletsOf(ethers, "spouse", 2 * JOINT_FLATS); // flat k held jointly by spouses 2k and 2k + 1
  const representatives = walletsOf(ethers, "representative", REPRESENTED); // representative i votes for voter i
  const scenarios: GasScenario[] = [];
  const record = (name: string, description: string, gas: number) => scenarios.push({ name, description, gas });

  const deployCore = async () => {
    const deployment = await deployDigitalHome(deployer, {
      network: "gas",
      parameters: { minNotice: 0, minWindow: 60, maxWindow: 3600 * 24 * 60, maxOpenPerInitiator: 100 },
    });
    const registry: BuildingRegistry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, deployer);
    const hall: MeetingHall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, deployer);
    return { registry, hall };
  };
  const announceGas: bigint[] = [];
  const openMeeting = async (hall: MeetingHall) => {
    const now = await time.latest();
    announceGas.push(await gasOf(hall.announceMeeting(1, MeetingType.Extraordinary, ZeroAddress, now + 2, now + 2 + 3600 * 24, ZeroHash, questions)));
    await time.increaseTo(now + 2);
    return hall.meetingCount();
  };
  const sign = async (hall: MeetingHall, signer: Wallet, ballot: Ballot, powerOfAttorney = 0n) => {
    const signature = await signer.signTypedData(ballotDomain(chainId, await hall.getAddress()), BALLOT_TYPES, ballot);
    const { meetingId: _, ...rest } = ballot;
    return { ...rest, powerOfAttorney, signature };
  };
  /** Gas per ballot of `ballots` relayed in batches of `size`. */
  const perBallotInBatches = async (hall: MeetingHall, meetingId: bigint, ballots: Array<Awaited<ReturnType<typeof sign>>>, size: number) => {
    let gas = 0n;
    for (let i = 0; i < ballots.length; i += size) gas += await gasOf(hall.castBallotsBySig(meetingId, ballots.slice(i, i + size)));
    return average(gas, ballots.length);
  };
  /** Gas of `cast(i)` averaged over calls 1..SAMPLE: call 0 pays for the meeting's cold storage. */
  const sampled = async (cast: (i: number) => Promise<ContractTransactionResponse>) => {
    await gasOf(cast(0));
    let gas = 0n;
    for (let i = 1; i <= SAMPLE; i++) gas += await gasOf(cast(i));
    return average(gas, SAMPLE);
  };

  // --- MeetingHall: a building of 200 sole-owned flats and 100 flats held jointly by spouses; the
  // deployer organises its meetings and, as the registrar, records the powers of attorney
  await fund(deployer, [...voters, ...spouses.filter((_, i) => i % 2 === 0), ...representatives]);
  const { registry, hall } = await deployCore();
  await (await registry.registerBuilding(id("bench building"))).wait();
  const flatList = voters.map((v, i) => ({ area: areas[i]!, kind: PremisesKind.Residential, ref: ZeroHash, holdings: sole(v.address) }));
  await (await registry.addPremises(1, flatList.slice(0, OWNERS / 2))).wait();
  await (await registry.addPremises(1, flatList.slice(OWNERS / 2))).wait();
  const jointFlats = Array.from({ length: JOINT_FLATS }, (_, k) => ({
    area: 3000n + BigInt((k * 104729) % 9000),
    kind: PremisesKind.Residential,
    ref: ZeroHash,
    holdings: joint(spouses[2 * k]!.address, spouses[2 * k + 1]!.address),
  }));
  for (let k = 0; k < JOINT_FLATS; k += 20) await (await registry.addPremises(1, jointFlats.slice(k, k + 20))).wait();
  await (await registry.setOrganiser(1, deployer.address, OrganiserRole.ManagementOrganisation)).wait();
  const now = await time.latest();
  for (let i = 0; i < REPRESENTED; i++) {
    const power = {
      principal: voters[i]!.address,
      representative: representatives[i]!.address,
      buildingId: 1,
      meetingId: 0,
      validFrom: now,
      validTo: now + 3600 * 24 * 365,
      documentHash: id(`power ${i}`),
    };
    await (await hall.recordPowerOfAttorney(power)).wait();
  }

  const meetings: bigint[] = [];
  for (const size of BATCH_SIZES) {
    const meetingId = await openMeeting(hall);
    meetings.push(meetingId);
    // batch of 1: average over 20 transactions; larger batches: every owner of the building
    const count = size === 1 ? SAMPLE : OWNERS - (OWNERS % size);
    const signed = await Promise.all(voters.slice(0, count).map((v) => sign(hall, v, ownBallot(meetingId, v.address, choices, NO_DEADLINE))));
    record(`relayed-ballot-batch-${size}`, `castBallotsBySig, batches of ${size}, per ballot`, await perBallotInBatches(hall, meetingId, signed, size));
  }
  {
    const meetingId = await openMeeting(hall);
    const signed = await Promise.all(
      representatives.map((r, i) => sign(hall, r, { meetingId, voter: voters[i]!.address, choices, representative: r.address, deadline: NO_DEADLINE }, BigInt(i + 1))),
    );
    record("representative-relayed-batch-100", "castBallotsBySig, signed by representatives, a batch of 100, per ballot", await perBallotInBatches(hall, meetingId, signed, 100));
  }
  {
    const meetingId = await openMeeting(hall);
    const firstSpouses = Array.from({ length: JOINT_FLATS }, (_, k) => spouses[2 * k]!);
    const signed = await Promise.all(firstSpouses.map((s) => sign(hall, s, ownBallot(meetingId, s.address, choices, NO_DEADLINE))));
    record("joint-owner-relayed-batch-100", "castBallotsBySig, joint owners (the joint flat counted), a batch of 100, per ballot", await perBallotInBatches(hall, meetingId, signed, 100));
  }
  {
    const meetingId = await openMeeting(hall);
    // the first direct vote of a meeting pays for cold storage; snapshot the following ones
    record("direct-ballot", "castBallot, a vote after the meeting's first, per ballot", await sampled((i) => hall.connect(voters[i]!).castBallot(meetingId, choices)));
    const r = SAMPLE + 1; // owners r.. have not voted in this meeting; power of attorney i + 1 is owner i's
    record(
      "representative-direct-ballot",
      "castBallotFor by a representative, per ballot",
      await sampled((i) => hall.connect(representatives[r + i]!).castBallotFor(meetingId, voters[r + i]!.address, r + i + 1, choices)),
    );
    record("joint-owner-direct-ballot", "castBallot by a joint owner (the joint flat counted), per ballot", await sampled((i) => hall.connect(spouses[2 * i]!).castBallot(meetingId, choices)));
  }
  {
    const meetingId = await openMeeting(hall);
    const decision = (voter: string) => ({ voter, representative: ZeroAddress, powerOfAttorney: 0n, choices: paper.choices, voidMask: paper.voidMask, scanHash: id(`scan ${voter}`) });
    record("paper-decision", "enterPaperDecisions, one a transaction (a void and an unanswered question)", await sampled((i) => hall.enterPaperDecisions(meetingId, [decision(voters[i]!.address)])));
    const rest = voters.slice(SAMPLE + 1, SAMPLE + 101).map((v) => decision(v.address));
    record("paper-decision-batch-100", "enterPaperDecisions, 100 a transaction, per decision", average(await gasOf(hall.enterPaperDecisions(meetingId, rest)), rest.length));
  }
  // the hall's first announcement pays for its meeting counter's cold slot: snapshot the second
  record("announce-meeting", `announceMeeting, ${QUESTIONS} questions (not the hall's first)`, Number(announceGas[1]!));
  {
    // finalize the meeting of batches of 100: every owner voted, every question decided by its rule
    const last = await hall.getMeeting(meetings[2]!);
    await time.increaseTo(Number(last.votingEnd));
    record("finalize-meeting", `finalize, ${QUESTIONS} questions, ${OWNERS} ballots`, Number(await gasOf(hall.finalize(meetings[2]!))));
  }

  // --- registering a building of 2,000 premises: flats of 30–120 m², a tenth co-owned, a tenth held
  // jointly, some parking
  const owner = (i: number) => ethers.getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`);
  const big = await deployCore();
  const buildingGas = await gasOf(big.registry.registerBuilding(id("large building")));
  let premisesGas = 0n;
  let transactions = 1;
  for (let start = 0; start < PREMISES; start += PREMISES_PER_CALL) {
    const list = [];
    for (let i = start; i < Math.min(PREMISES, start + PREMISES_PER_CALL); i++) {
      list.push({
        area: i % 40 === 39 ? 1500n : 3000n + BigInt((i * 7919) % 9000),
        kind: i % 40 === 39 ? PremisesKind.ParkingSpace : i % 97 === 0 ? PremisesKind.NonResidential : PremisesKind.Residential,
        ref: id(`premises ${i}`),
        holdings: i % 10 === 0 ? halves(owner(2 * i), owner(2 * i + 1)) : i % 10 === 5 ? joint(owner(2 * i), owner(2 * i + 1)) : sole(owner(2 * i)),
      });
    }
    premisesGas += await gasOf(big.registry.addPremises(1, list));
    transactions++;
  }
  record("register-building", "registerBuilding", Number(buildingGas));
  record(
    "add-premises-per-premises",
    `addPremises, ${PREMISES_PER_CALL} premises a call (a tenth co-owned, a tenth held jointly), per premises`,
    average(premisesGas, PREMISES),
  );

  // --- registering premises by how they are held, 50 of one kind in one transaction
  {
    const fresh = await deployCore();
    await (await fresh.registry.registerBuilding(id("holdings"))).wait();
    const kinds = [
      ["sole", "one owner", (i: number) => sole(owner(100_000 + i))],
      ["co-owned", "two co-owners, half each", (i: number) => halves(owner(200_000 + 2 * i), owner(200_000 + 2 * i + 1))],
      ["joint", "two joint owners, a new joint group each", (i: number) => joint(owner(300_000 + 2 * i), owner(300_000 + 2 * i + 1))],
    ] as const;
    for (const [name, what, holdings] of kinds) {
      const list = Array.from({ length: PREMISES_BY_HOLDING }, (_, i) => ({ area: 5000n, kind: PremisesKind.Residential, ref: id(`${name} ${i}`), holdings: holdings(i) }));
      record(`add-premises-${name}`, `addPremises, ${PREMISES_BY_HOLDING} premises of ${what} a call, per premises`, average(await gasOf(fresh.registry.addPremises(1, list)), list.length));
    }
  }
  await core.close();

  record("governor-vote-per-voter", `OpenZeppelin Governor, ${QUESTIONS} × castVoteBySig, per voter`, await measureGovernor());
  const hardfork = core.networkConfig.type === "edr-simulated" ? core.networkConfig.hardfork : core.networkConfig.type;
  return { hardfork, scenarios, registerBuilding: { gas: Number(buildingGas + premisesGas), transactions } };
}

/**
 * OpenZeppelin's Governor over the same weights: one proposal per question, each voter's 5 signed
 * votes relayed by the deployer. Gas per voter, averaged over 20 voters after the first (who pays for
 * cold storage).
 */
async function measureGovernor(): Promise<number> {
  const reference = await network.create({ override: { hardfork: REFERENCE_HARDFORK } });
  const { ethers, networkHelpers } = reference;
  const [deployer] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const voters = votersOf(ethers);
  await fund(deployer, voters);
  const token = await ethers.deployContract("ReferenceVotesToken", [deployer.address]);
  const governor = await ethers.deployContract("ReferenceGovernor", [await token.getAddress()]);
  for (let i = 0; i < OWNERS; i++) {
    await (await token.mint(voters[i]!.address, areas[i]! * SHARE_UNIT)).wait();
    await (await token.connect(voters[i]!).delegate(voters[i]!.address)).wait();
  }
  const proposalIds: bigint[] = [];
  for (let q = 0; q < QUESTIONS; q++) {
    const description = `question ${q}`;
    const targets = [await token.getAddress()];
    const values = [0n];
    const calldatas = [token.interface.encodeFunctionData("decimals")];
    await (await governor.propose(targets, values, calldatas, description)).wait();
    proposalIds.push(await governor.hashProposal(targets, values, calldatas, id(description)));
  }
  await networkHelpers.mine(2);
  const domain = { name: "Reference Governor", version: "1", chainId, verifyingContract: await governor.getAddress() };
  const types = {
    Ballot: [
      { name: "proposalId", type: "uint256" },
      { name: "support", type: "uint8" },
      { name: "voter", type: "address" },
      { name: "nonce", type: "uint256" },
    ],
  };
  // GovernorCountingSimple: 0 Against, 1 For, 2 Abstain — the same answers as the ballots above
  const support = answers.map((a) => (a === Choice.For ? 1 : a === Choice.Against ? 0 : 2));
  let gas = 0n;
  for (let i = 0; i <= SAMPLE; i++) {
    const v = voters[i]!;
    let voterGas = 0n;
    for (let q = 0; q < QUESTIONS; q++) {
      const nonce = await governor.nonces(v.address);
      const signature = await v.signTypedData(domain, types, { proposalId: proposalIds[q], support: support[q], voter: v.address, nonce });
      voterGas += await gasOf(governor.castVoteBySig(proposalIds[q]!, support[q]!, v.address, signature));
    }
    if (i > 0) gas += voterGas; // the first voter pays for cold storage
  }
  await reference.close();
  return average(gas, SAMPLE);
}
