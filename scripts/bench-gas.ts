/**
 * Gas benchmark (npm run bench:gas): gas per 5-question ballot, relayed in batches and cast directly,
 * against an OpenZeppelin Governor over the same weights; and the gas to register a building of
 * 2,000 premises. Runs on the in-process network; prints a table and writes reports/bench-gas.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { network } from "hardhat";
import { Wallet, ZeroHash, id, type ContractTransactionResponse } from "ethers";
import { BALLOT_TYPES, Choice, ballotDomain, packChoices } from "#lib/ballot.js";
import { PROJECT_ROOT } from "#lib/deployment.js";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";
import { AppError } from "#lib/errors.js";

const SHARE_UNIT = 216_216_000n;
const OWNERS = 200;
const QUESTIONS = 5;
const BATCH_SIZES = [1, 50, 100, 200] as const;

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const [deployer] = await ethers.getSigners();
const { chainId } = await ethers.provider.getNetwork();

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new AppError("bench_failed", "benchmark transaction failed");
  return receipt.gasUsed;
}

// Voters are local wallets funded by the deployer, so the direct and Governor votes can be sent by them.
const voters = Array.from({ length: OWNERS }, (_, i) => new Wallet(id(`bench voter ${i}`), ethers.provider));
const areas = voters.map((_, i) => 3000n + BigInt((i * 7919) % 9000)); // 30–120 m²

async function fund() {
  let nonce = await deployer.getNonce();
  const txs = [];
  for (const v of voters) txs.push(await deployer.sendTransaction({ to: v.address, value: 10n ** 18n, nonce: nonce++ }));
  await Promise.all(txs.map((t) => t.wait()));
}

async function deployCore() {
  const registry = (await ethers.deployContract("BuildingRegistry", [deployer.address, deployer.address])) as unknown as BuildingRegistry;
  const hall = (await ethers.deployContract("MeetingHall", [await registry.getAddress(), 0, 60, 3600 * 24 * 60])) as unknown as MeetingHall;
  return { registry, hall };
}

function flats(owners: string[], areaOf: (i: number) => bigint) {
  return owners.map((owner, i) => ({ area: areaOf(i), kind: 0, ref: ZeroHash, owners: [owner], shares: [SHARE_UNIT] }));
}

const questions = Array.from({ length: QUESTIONS }, (_, q) => ({ textRef: id(`question ${q}`), threshold: q % 4 }));
const choices = packChoices([Choice.For, Choice.Against, Choice.Abstain, Choice.For, Choice.For]);

async function openMeeting(hall: MeetingHall): Promise<bigint> {
  const now = await time.latest();
  await (await hall.announceMeeting(1, now, now + 2, now + 2 + 3600 * 24, ZeroHash, questions)).wait();
  await time.increaseTo(now + 2);
  return hall.meetingCount();
}

async function signAll(hall: MeetingHall, meetingId: bigint) {
  const domain = ballotDomain(chainId, await hall.getAddress());
  return Promise.all(
    voters.map(async (v) => ({
      voter: v.address,
      choices,
      signature: await v.signTypedData(domain, BALLOT_TYPES, { meetingId, voter: v.address, choices }),
    })),
  );
}

// --- MeetingHall
await fund();
const { registry, hall } = await deployCore();
await (await registry.registerBuilding(id("bench building"))).wait();
const flatList = flats(voters.map((v) => v.address), (i) => areas[i]);
await (await registry.addPremises(1, flatList.slice(0, OWNERS / 2))).wait();
await (await registry.addPremises(1, flatList.slice(OWNERS / 2))).wait();
// the deployer organises meetings
await (await registry.setOrganiser(1, deployer.address, 1)).wait();

const perBallot: Record<string, number> = {};
for (const size of BATCH_SIZES) {
  const meetingId = await openMeeting(hall);
  const signed = await signAll(hall, meetingId);
  // batch of 1: average over 20 transactions; larger batches: every ballot of the building
  const count = size === 1 ? 20 : OWNERS - (OWNERS % size);
  let gas = 0n;
  for (let i = 0; i < count; i += size) {
    gas += await gasOf(hall.castBallotsBySig(meetingId, signed.slice(i, i + size)));
  }
  perBallot[`batch${size}`] = Number(gas) / count;
}
{
  const meetingId = await openMeeting(hall);
  let gas = 0n;
  const sample = 20;
  // the first direct vote of a meeting pays for cold storage; snapshot the following ones
  await gasOf(hall.connect(voters[0]).castBallot(meetingId, choices));
  for (let i = 1; i <= sample; i++) gas += await gasOf(hall.connect(voters[i]).castBallot(meetingId, choices));
  perBallot.direct = Number(gas) / sample;
}

// --- OpenZeppelin Governor over the same weights
const token = await ethers.deployContract("ReferenceVotesToken", [deployer.address]);
const governor = await ethers.deployContract("ReferenceGovernor", [await token.getAddress()]);
for (let i = 0; i < OWNERS; i++) {
  await (await token.mint(voters[i].address, areas[i] * SHARE_UNIT)).wait();
  await (await token.connect(voters[i]).delegate(voters[i].address)).wait();
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
const governorDomain = { name: "Reference Governor", version: "1", chainId, verifyingContract: await governor.getAddress() };
const governorTypes = {
  Ballot: [
    { name: "proposalId", type: "uint256" },
    { name: "support", type: "uint8" },
    { name: "voter", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};
const governorSample = 20;
let governorGas = 0n;
for (let i = 0; i <= governorSample; i++) {
  const v = voters[i];
  let voterGas = 0n;
  for (let q = 0; q < QUESTIONS; q++) {
    const support = [1, 0, 2, 1, 1][q]; // For, Against, Abstain as above
    const nonce = await governor.nonces(v.address);
    const signature = await v.signTypedData(governorDomain, governorTypes, { proposalId: proposalIds[q], support, voter: v.address, nonce });
    voterGas += await gasOf(governor.castVoteBySig(proposalIds[q], support, v.address, signature));
  }
  if (i > 0) governorGas += voterGas; // the first voter pays for cold storage
}
const governorGasPerVoter = Number(governorGas) / governorSample;

// --- registering a building of 2,000 premises: flats of 30–120 m², a tenth co-owned, some parking
const big = await deployCore();
let registerGas = await gasOf(big.registry.registerBuilding(id("large building")));
const PREMISES = 2000;
const CHUNK = 200; // under the 2^24 gas cap per transaction (EIP-7825) that the simulator enforces
const owner = (i: number) => ethers.getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`);
let transactions = 1;
for (let start = 0; start < PREMISES; start += CHUNK) {
  const list = [];
  for (let i = start; i < Math.min(PREMISES, start + CHUNK); i++) {
    const coOwned = i % 10 === 0;
    list.push({
      area: i % 40 === 39 ? 1500n : 3000n + BigInt((i * 7919) % 9000),
      kind: i % 40 === 39 ? 2 : i % 97 === 0 ? 1 : 0,
      ref: id(`premises ${i}`),
      owners: coOwned ? [owner(2 * i), owner(2 * i + 1)] : [owner(2 * i)],
      shares: coOwned ? [SHARE_UNIT / 2n, SHARE_UNIT / 2n] : [SHARE_UNIT],
    });
  }
  registerGas += await gasOf(big.registry.addPremises(1, list));
  transactions++;
}

const report = {
  measuredAt: new Date().toISOString(),
  network: "in-process EDR, hardfork cancun",
  owners: OWNERS,
  questions: QUESTIONS,
  ourGasPerBallot: Object.fromEntries(Object.entries(perBallot).map(([k, v]) => [k, Math.round(v)])),
  governorGasPerVoter: Math.round(governorGasPerVoter),
  ratioGovernorToOurBatch100: Number((governorGasPerVoter / perBallot.batch100).toFixed(2)),
  registerBuilding2000Gas: Number(registerGas),
  registerBuilding2000Transactions: transactions,
};

console.log(`\nGas per ${QUESTIONS}-question ballot, building of ${OWNERS} owners`);
console.table({
  ...Object.fromEntries(Object.entries(report.ourGasPerBallot).map(([k, v]) => [`MeetingHall ${k}`, { gas: v }])),
  "OZ Governor (5 × castVoteBySig)": { gas: report.governorGasPerVoter },
});
console.log(`Governor / our batch of 100: ${report.ratioGovernorToOurBatch100}×`);
console.log(`Register a building of ${PREMISES} premises: ${report.registerBuilding2000Gas} gas in ${transactions} transactions`);
const file = path.join(PROJECT_ROOT, "reports", "bench-gas.json");
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
