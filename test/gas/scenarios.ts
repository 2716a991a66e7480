/**
 * The gas scenarios of the voting core, measured on Hardhat's in-process simulated network at the
 * hardfork the contracts are compiled for (hardhat.config.ts): a 5-question ballot relayed in batches
 * and cast directly in a building of 200 owners, announcing and finalizing a meeting, registering a
 * building of 2,000 premises, and an OpenZeppelin Governor over the same weights as a yardstick.
 *
 * Both the gas snapshots (test/gas/gas-snapshots.test.ts, committed under test/gas/snapshots/) and
 * `npm run bench:gas` (reports/bench-gas.json, README's table) come from `measureGas`, so the numbers
 * that are tracked and the numbers that are published are one measurement.
 */
import { AppError } from "#lib/errors.js";
import { network } from "hardhat";
import { Wallet, ZeroHash, id, type ContractTransactionResponse } from "ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { BALLOT_TYPES, ballotDomain, packChoices } from "#lib/ballot.js";
import { Choice, OrganiserRole, PremisesKind, SHARE_UNIT } from "#lib/domain.js";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";

export const OWNERS = 200;
export const QUESTIONS = 5;
export const BATCH_SIZES = [1, 50, 100, 200] as const;
export const PREMISES = 2000;
/** Premises per `addPremises` call, under the 2^24 gas a transaction may carry (EIP-7825). */
export const PREMISES_PER_CALL = 200;
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

/** Voters are local wallets funded by the deployer, so that the direct and Governor votes can be sent by them. */
function votersOf(ethers: HardhatEthers) {
  return Array.from({ length: OWNERS }, (_, i) => new Wallet(id(`bench voter ${i}`), ethers.provider));
}
const areas = Array.from({ length: OWNERS }, (_, i) => 3000n + BigInt((i * 7919) % 9000)); // 30–120 m²

async function fund(deployer: HardhatEthersSigner, voters: Wallet[]) {
  let nonce = await deployer.getNonce();
  const txs = [];
  for (const v of voters) txs.push(await deployer.sendTransaction({ to: v.address, value: 10n ** 18n, nonce: nonce++ }));
  await Promise.all(txs.map((t) => t.wait()));
}

// the four binding thresholds in turn, so that finalizing decides each kind
const questions = Array.from({ length: QUESTIONS }, (_, q) => ({ textRef: id(`question ${q}`), threshold: q % 4 }));
const answers = [Choice.For, Choice.Against, Choice.Abstain, Choice.For, Choice.For];
const choices = packChoices(answers);

/** Measures every scenario on fresh in-process networks; takes about a minute. */
export async function measureGas(): Promise<GasMeasurement> {
  const core = await network.create();
  const { ethers, networkHelpers } = core;
  const { time } = networkHelpers;
  const [deployer] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const voters = votersOf(ethers);
  const scenarios: GasScenario[] = [];

  const deployCore = async () => {
    const registry = (await ethers.deployContract("BuildingRegistry", [deployer.address, deployer.address])) as unknown as BuildingRegistry;
    const hall = (await ethers.deployContract("MeetingHall", [await registry.getAddress(), 0, 60, 3600 * 24 * 60])) as unknown as MeetingHall;
    return { registry, hall };
  };
  const announceGas: bigint[] = [];
  const openMeeting = async (hall: MeetingHall) => {
    const now = await time.latest();
    announceGas.push(await gasOf(hall.announceMeeting(1, now, now + 2, now + 2 + 3600 * 24, ZeroHash, questions)));
    await time.increaseTo(now + 2);
    return hall.meetingCount();
  };
  const signAll = async (hall: MeetingHall, meetingId: bigint) => {
    const domain = ballotDomain(chainId, await hall.getAddress());
    return Promise.all(
      voters.map(async (v) => ({ voter: v.address, choices, signature: await v.signTypedData(domain, BALLOT_TYPES, { meetingId, voter: v.address, choices }) })),
    );
  };

  // --- MeetingHall: a building of 200 sole-owned flats, the deployer organising its meetings
  await fund(deployer, voters);
  const { registry, hall } = await deployCore();
  await (await registry.registerBuilding(id("bench building"))).wait();
  const flatList = voters.map((v, i) => ({ area: areas[i]!, kind: PremisesKind.Residential, ref: ZeroHash, owners: [v.address], shares: [SHARE_UNIT] }));
  await (await registry.addPremises(1, flatList.slice(0, OWNERS / 2))).wait();
  await (await registry.addPremises(1, flatList.slice(OWNERS / 2))).wait();
  await (await registry.setOrganiser(1, deployer.address, OrganiserRole.ManagementOrganisation)).wait();

  const meetings: bigint[] = [];
  for (const size of BATCH_SIZES) {
    const meetingId = await openMeeting(hall);
    meetings.push(meetingId);
    const signed = await signAll(hall, meetingId);
    // batch of 1: average over 20 transactions; larger batches: every ballot of the building
    const count = size === 1 ? 20 : OWNERS - (OWNERS % size);
    let gas = 0n;
    for (let i = 0; i < count; i += size) gas += await gasOf(hall.castBallotsBySig(meetingId, signed.slice(i, i + size)));
    scenarios.push({ name: `relayed-ballot-batch-${size}`, description: `castBallotsBySig, batches of ${size}, per ballot`, gas: average(gas, count) });
  }
  {
    const meetingId = await openMeeting(hall);
    const sample = 20;
    // the first direct vote of a meeting pays for cold storage; snapshot the following ones
    await gasOf(hall.connect(voters[0]!).castBallot(meetingId, choices));
    let gas = 0n;
    for (let i = 1; i <= sample; i++) gas += await gasOf(hall.connect(voters[i]!).castBallot(meetingId, choices));
    scenarios.push({ name: "direct-ballot", description: "castBallot, a vote after the meeting's first, per ballot", gas: average(gas, sample) });
  }
  // the hall's first announcement pays for its meeting counter's cold slot: snapshot the second
  scenarios.push({ name: "announce-meeting", description: `announceMeeting, ${QUESTIONS} questions (not the hall's first)`, gas: Number(announceGas[1]!) });
  {
    // finalize the meeting of batches of 100: every owner voted, every question decided
    const last = await hall.getMeeting(meetings[2]!);
    await time.increaseTo(Number(last.votingEnd));
    scenarios.push({ name: "finalize-meeting", description: `finalize, ${QUESTIONS} questions, ${OWNERS} ballots`, gas: Number(await gasOf(hall.finalize(meetings[2]!))) });
  }

  // --- registering a building of 2,000 premises: flats of 30–120 m², a tenth co-owned, some parking
  const big = await deployCore();
  const buildingGas = await gasOf(big.registry.registerBuilding(id("large building")));
  const owner = (i: number) => ethers.getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`);
  let premisesGas = 0n;
  let transactions = 1;
  for (let start = 0; start < PREMISES; start += PREMISES_PER_CALL) {
    const list = [];
    for (let i = start; i < Math.min(PREMISES, start + PREMISES_PER_CALL); i++) {
      const coOwned = i % 10 === 0;
      list.push({
        area: i % 40 === 39 ? 1500n : 3000n + BigInt((i * 7919) % 9000),
        kind: i % 40 === 39 ? PremisesKind.ParkingSpace : i % 97 === 0 ? PremisesKind.NonResidential : PremisesKind.Residential,
        ref: id(`premises ${i}`),
        owners: coOwned ? [owner(2 * i), owner(2 * i + 1)] : [owner(2 * i)],
        shares: coOwned ? [SHARE_UNIT / 2n, SHARE_UNIT / 2n] : [SHARE_UNIT],
      });
    }
    premisesGas += await gasOf(big.registry.addPremises(1, list));
    transactions++;
  }
  scenarios.push({ name: "register-building", description: "registerBuilding", gas: Number(buildingGas) });
  scenarios.push({
    name: "add-premises-per-premises",
    description: `addPremises, ${PREMISES_PER_CALL} premises a call (a tenth co-owned), per premises`,
    gas: average(premisesGas, PREMISES),
  });
  await core.close();

  scenarios.push({ name: "governor-vote-per-voter", description: `OpenZeppelin Governor, ${QUESTIONS} × castVoteBySig, per voter`, gas: await measureGovernor() });
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
  const sample = 20;
  let gas = 0n;
  for (let i = 0; i <= sample; i++) {
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
  return average(gas, sample);
}
