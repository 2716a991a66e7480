/**
 * Gas benchmark (npm run bench:gas): gas per 5-question ballot in every form (relayed in batches, cast
 * directly, by a representative, by a joint owner, entered from paper) against an OpenZeppelin
 * Governor over the same weights; the gas to announce and finalize a meeting; and the gas to register
 * a building of 2,000 premises. Runs on the in-process network with the paris bytecode; prints a table
 * and writes reports/bench-gas.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { network } from "hardhat";
import { Wallet, ZeroAddress, ZeroHash, id, type ContractTransactionResponse } from "ethers";
import { BALLOT_TYPES, Choice, ballotDomain, packChoices, packPaperChoices, type Ballot } from "#lib/ballot.js";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import { deployDigitalHome } from "../dev/deploy.js";

const SHARE_UNIT = 216_216_000n;
const OWNERS = 200;
const JOINT_FLATS = 100;
const REPRESENTED = 100;
const QUESTIONS = 5;
const BATCH_SIZES = [1, 50, 100, 200] as const;
const SAMPLE = 20;
const NO_DEADLINE = 2n ** 64n - 1n;

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const [deployer] = await ethers.getSigners();
const { chainId } = await ethers.provider.getNetwork();

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error("benchmark transaction failed");
  return receipt.gasUsed;
}

const wallets = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => new Wallet(id(`bench ${label} ${i}`), ethers.provider));
// Voters are local wallets funded by the deployer, so the direct and Governor votes can be sent by them.
const voters = wallets("voter", OWNERS);
const areas = voters.map((_, i) => 3000n + BigInt((i * 7919) % 9000)); // 30–120 m²
const spouses = wallets("spouse", 2 * JOINT_FLATS); // flat k held jointly by spouses 2k and 2k+1
const representatives = wallets("representative", REPRESENTED); // representative i votes for voter i

async function fund(accounts: Wallet[]) {
  let nonce = await deployer.getNonce();
  const txs = [];
  for (const a of accounts) txs.push(await deployer.sendTransaction({ to: a.address, value: 10n ** 18n, nonce: nonce++ }));
  await Promise.all(txs.map((t) => t.wait()));
}

async function deployCore() {
  const deployment = await deployDigitalHome(deployer, {
    network: "bench",
    parameters: { minNotice: 0, minWindow: 60, maxWindow: 3600 * 24 * 60, maxOpenPerInitiator: 100 },
  });
  const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, deployer) as BuildingRegistry;
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, deployer) as MeetingHall;
  return { registry, hall };
}

const sole = (owner: string) => [{ holders: [owner], share: SHARE_UNIT }];
const flats = (owners: string[], areaOf: (i: number) => bigint) =>
  owners.map((owner, i) => ({ area: areaOf(i), kind: 0, ref: ZeroHash, holdings: sole(owner) }));

const rules = RULES_VERSIONS.at(-1)!;
const types = ["44.2.2", "other", "other", "44.2.4.7", "unanimous"].map((code) => questionTypeIndex(rules, code));
const questions = types.map((questionType, q) => ({ textRef: id(`question ${q}`), questionType }));
const choices = packChoices([Choice.For, Choice.Against, Choice.Abstain, Choice.For, Choice.For]);

let announceGas = 0n;
async function openMeeting(hall: MeetingHall): Promise<bigint> {
  const now = await time.latest();
  announceGas = await gasOf(hall.announceMeeting(1, 0, ZeroAddress, now + 2, now + 2 + 3600 * 24, ZeroHash, questions));
  await time.increaseTo(now + 2);
  return hall.meetingCount();
}

async function sign(hall: MeetingHall, signer: Wallet, ballot: Ballot) {
  const signature = await signer.signTypedData(ballotDomain(chainId, await hall.getAddress()), BALLOT_TYPES, ballot);
  return { ...ballot, powerOfAttorney: 0n, signature };
}

const ownBallot = (meetingId: bigint, voter: string) => ({ meetingId, voter, choices, representative: ZeroAddress, deadline: NO_DEADLINE });

/** Gas per ballot of batches of `size`, over `ballots` (all but the first batch's cold start included). */
async function perBallotInBatches(hall: MeetingHall, meetingId: bigint, ballots: Awaited<ReturnType<typeof sign>>[], size: number) {
  let gas = 0n;
  for (let i = 0; i < ballots.length; i += size) {
    gas += await gasOf(hall.castBallotsBySig(meetingId, ballots.slice(i, i + size).map(({ meetingId: _, ...b }) => b)));
  }
  return Number(gas) / ballots.length;
}

// --- MeetingHall
await fund([...voters, ...spouses.filter((_, i) => i % 2 === 0), ...representatives]);
const { registry, hall } = await deployCore();
await (await registry.registerBuilding(id("bench building"))).wait();
const flatList = flats(voters.map((v) => v.address), (i) => areas[i]);
await (await registry.addPremises(1, flatList.slice(0, OWNERS / 2))).wait();
await (await registry.addPremises(1, flatList.slice(OWNERS / 2))).wait();
const jointFlats = Array.from({ length: JOINT_FLATS }, (_, k) => ({
  area: 3000n + BigInt((k * 104729) % 9000),
  kind: 0,
  ref: ZeroHash,
  holdings: [{ holders: [spouses[2 * k].address, spouses[2 * k + 1].address], share: SHARE_UNIT }],
}));
for (let k = 0; k < JOINT_FLATS; k += 20) await (await registry.addPremises(1, jointFlats.slice(k, k + 20))).wait();
// the deployer organises meetings and, as the registrar, records the powers of attorney
await (await registry.setOrganiser(1, deployer.address, 1)).wait();
const now = await time.latest();
for (let i = 0; i < REPRESENTED; i++) {
  await (
    await hall.recordPowerOfAttorney({
      principal: voters[i].address,
      representative: representatives[i].address,
      buildingId: 1,
      meetingId: 0,
      validFrom: now,
      validTo: now + 3600 * 24 * 365,
      documentHash: id(`power ${i}`),
    })
  ).wait();
}

const perBallot: Record<string, number> = {};
for (const size of BATCH_SIZES) {
  const meetingId = await openMeeting(hall);
  // batch of 1: average over 20 transactions; larger batches: every ballot of the building
  const count = size === 1 ? SAMPLE : OWNERS - (OWNERS % size);
  const signed = await Promise.all(voters.slice(0, count).map((v) => sign(hall, v, ownBallot(meetingId, v.address))));
  perBallot[`batch${size}`] = await perBallotInBatches(hall, meetingId, signed, size);
}
{
  const meetingId = await openMeeting(hall);
  const signed = await Promise.all(
    representatives.map((r, i) =>
      sign(hall, r, { meetingId, voter: voters[i].address, choices, representative: r.address, deadline: NO_DEADLINE }).then((b) => ({
        ...b,
        powerOfAttorney: BigInt(i + 1),
      })),
    ),
  );
  perBallot.representativeBatch100 = await perBallotInBatches(hall, meetingId, signed, 100);
}
{
  const meetingId = await openMeeting(hall);
  const signed = await Promise.all(
    Array.from({ length: JOINT_FLATS }, (_, k) => spouses[2 * k]).map((s) => sign(hall, s, ownBallot(meetingId, s.address))),
  );
  perBallot.jointOwnerBatch100 = await perBallotInBatches(hall, meetingId, signed, 100);
}

/** Gas of `cast(i)` averaged over calls 1..SAMPLE (call 0 pays for the meeting's cold storage). */
async function sampled(cast: (i: number) => Promise<ContractTransactionResponse>) {
  await gasOf(cast(0));
  let gas = 0n;
  for (let i = 1; i <= SAMPLE; i++) gas += await gasOf(cast(i));
  return Number(gas) / SAMPLE;
}
{
  const meetingId = await openMeeting(hall);
  perBallot.direct = await sampled((i) => hall.connect(voters[i]).castBallot(meetingId, choices));
  perBallot.representativeDirect = await sampled((i) =>
    hall.connect(representatives[SAMPLE + 1 + i]).castBallotFor(meetingId, voters[SAMPLE + 1 + i].address, SAMPLE + 2 + i, choices),
  );
  perBallot.jointOwnerDirect = await sampled((i) => hall.connect(spouses[2 * i]).castBallot(meetingId, choices));
}
const paper = packPaperChoices([Choice.For, "void", "unanswered", Choice.Against, Choice.Abstain]);
const decision = (voter: string) => ({
  voter,
  representative: ZeroAddress,
  powerOfAttorney: 0n,
  choices: paper.choices,
  voidMask: paper.voidMask,
  scanHash: id(`scan ${voter}`),
});
let finalizeGas = 0n;
{
  const meetingId = await openMeeting(hall);
  perBallot.paperDecision = await sampled((i) => hall.enterPaperDecisions(meetingId, [decision(voters[i].address)]));
  const rest = voters.slice(SAMPLE + 1, SAMPLE + 101).map((v) => decision(v.address));
  perBallot.paperBatch100 = Number(await gasOf(hall.enterPaperDecisions(meetingId, rest))) / rest.length;
  await time.increase(3600 * 24);
  finalizeGas = await gasOf(hall.finalize(meetingId));
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
let governorGas = 0n;
for (let i = 0; i <= SAMPLE; i++) {
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
const governorGasPerVoter = Number(governorGas) / SAMPLE;

// --- registering a building of 2,000 premises: flats of 30–120 m², a tenth co-owned, a tenth held
// jointly by spouses, some parking
const big = await deployCore();
let registerGas = await gasOf(big.registry.registerBuilding(id("large building")));
const PREMISES = 2000;
const CHUNK = 100; // under the 2^24 gas cap per transaction (EIP-7825) that the simulator enforces
const owner = (i: number) => ethers.getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`);
let transactions = 1;
for (let start = 0; start < PREMISES; start += CHUNK) {
  const list = [];
  for (let i = start; i < Math.min(PREMISES, start + CHUNK); i++) {
    const holdings =
      i % 10 === 0
        ? [
            { holders: [owner(2 * i)], share: SHARE_UNIT / 2n },
            { holders: [owner(2 * i + 1)], share: SHARE_UNIT / 2n },
          ]
        : i % 10 === 5
          ? [{ holders: [owner(2 * i), owner(2 * i + 1)], share: SHARE_UNIT }]
          : sole(owner(2 * i));
    list.push({
      area: i % 40 === 39 ? 1500n : 3000n + BigInt((i * 7919) % 9000),
      kind: i % 40 === 39 ? 2 : i % 97 === 0 ? 1 : 0,
      ref: id(`premises ${i}`),
      holdings,
    });
  }
  registerGas += await gasOf(big.registry.addPremises(1, list));
  transactions++;
}

// --- registering 50 premises of one kind in one transaction: gas a premises by how it is held
const registerPerPremises: Record<string, number> = {};
{
  const fresh = await deployCore();
  const kinds = {
    sole: (i: number) => sole(owner(100_000 + i)),
    coOwned: (i: number) => [
      { holders: [owner(200_000 + 2 * i)], share: SHARE_UNIT / 2n },
      { holders: [owner(200_000 + 2 * i + 1)], share: SHARE_UNIT / 2n },
    ],
    joint: (i: number) => [{ holders: [owner(300_000 + 2 * i), owner(300_000 + 2 * i + 1)], share: SHARE_UNIT }],
  };
  await (await fresh.registry.registerBuilding(id("kinds"))).wait();
  for (const [kind, holdings] of Object.entries(kinds)) {
    const list = Array.from({ length: 50 }, (_, i) => ({ area: 5000n, kind: 0, ref: id(`${kind} ${i}`), holdings: holdings(i) }));
    registerPerPremises[kind] = Math.round(Number(await gasOf(fresh.registry.addPremises(1, list))) / list.length);
  }
}

const report = {
  measuredAt: new Date().toISOString(),
  network: "in-process EDR (cancun rules), contracts compiled for paris",
  owners: OWNERS,
  questions: QUESTIONS,
  ourGasPerBallot: Object.fromEntries(Object.entries(perBallot).map(([k, v]) => [k, Math.round(v)])),
  announceMeetingGas: Number(announceGas),
  finalizeMeetingGas: Number(finalizeGas),
  governorGasPerVoter: Math.round(governorGasPerVoter),
  ratioGovernorToOurBatch100: Number((governorGasPerVoter / perBallot.batch100).toFixed(2)),
  registerBuilding2000Gas: Number(registerGas),
  registerBuilding2000GasPerPremises: Math.round(Number(registerGas) / PREMISES),
  registerBuilding2000Transactions: transactions,
  registerGasPerPremises: registerPerPremises,
};

console.log(`\nGas per ${QUESTIONS}-question ballot, building of ${OWNERS} sole owners and ${JOINT_FLATS} joint flats`);
console.table({
  ...Object.fromEntries(Object.entries(report.ourGasPerBallot).map(([k, v]) => [`MeetingHall ${k}`, { gas: v }])),
  "OZ Governor (5 × castVoteBySig)": { gas: report.governorGasPerVoter },
});
console.log(`Governor / our batch of 100: ${report.ratioGovernorToOurBatch100}×`);
console.log(`Announce a ${QUESTIONS}-question meeting: ${report.announceMeetingGas} gas; finalize it: ${report.finalizeMeetingGas} gas`);
console.log(
  `Register a building of ${PREMISES} premises: ${report.registerBuilding2000Gas} gas in ${transactions} transactions ` +
    `(${report.registerBuilding2000GasPerPremises} a premises)`,
);
console.log(
  `Register a premises, 50 to a transaction: sole owner ${registerPerPremises.sole}, two co-owners ${registerPerPremises.coOwned}, ` +
    `two joint owners (a new joint group) ${registerPerPremises.joint} gas`,
);
const file = path.join(PROJECT_ROOT, "reports", "bench-gas.json");
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
