/**
 * A local chain with Digital Home deployed (the legal rules published) and a building registered, and
 * helpers to hold meetings on it in every form the contracts allow — own ballots, relayed ballots,
 * ballots by representatives under powers of attorney, joint owners' ballots and paper decisions: the
 * fixture of the query node's integration, conformance and benchmark runs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { id, JsonRpcProvider, NonceManager, Wallet, ZeroAddress, type JsonRpcSigner, type Signer } from "ethers";
import { packChoices, packPaperChoices, BALLOT_TYPES, ballotDomain, type PaperAnswer } from "#lib/ballot.js";
import { MeetingType, PremisesKind, SHARE_UNIT, type Choice } from "#lib/domain.js";
import { RULES_2024_09_01, questionTypeIndex } from "#lib/legal-rules.js";
import { startLocalChain, type LocalChain } from "../../../dev/chain.js";
import { deployDigitalHome } from "../../../dev/deploy.js";
import { contractSources, type Deployment } from "#lib/deployment.js";
import { BuildingRegistry__factory, LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";
import type { BuildingRegistry, LegalRules, MeetingHall } from "#typechain/index.js";

import type { DataSourceOverrides } from "../../src/runtime/manifest.js";

/** Question types of the published rules version, by what they decide. */
export const TYPE = {
  /** Majority of the participants (the default). */
  other: questionTypeIndex(RULES_2024_09_01, "other"),
  /** Two thirds of all votes (art. 44 part 2 item 2: the land plot). */
  landPlot: questionTypeIndex(RULES_2024_09_01, "44.2.2"),
  /** More than half of all votes (item 4.7: the management organisation). */
  managementCompany: questionTypeIndex(RULES_2024_09_01, "44.2.4.7"),
  /** All votes. */
  unanimous: questionTypeIndex(RULES_2024_09_01, "unanimous"),
};

/** A deadline past every meeting of the tests. */
export const FAR_DEADLINE = 2n ** 40n;

export interface Scenario {
  chain: LocalChain;
  provider: JsonRpcProvider;
  deployment: Deployment;
  overrides: DataSourceOverrides;
  registry: BuildingRegistry;
  hall: MeetingHall;
  rules: LegalRules;
  registrar: Signer;
  /** Owners of the building's flats (funded, unlocked accounts of the node), one flat each. */
  owners: JsonRpcSigner[];
  ownerAddresses: string[];
  /** A registered resident who owns nothing. */
  resident: JsonRpcSigner;
  /**
   * With `jointOwners`: two spouses who hold one flat jointly; the first also owns a parking space
   * alone. Otherwise empty.
   */
  spouses: JsonRpcSigner[];
  /** A neighbour who owns nothing, to act as a representative. */
  neighbour: JsonRpcSigner;
  /** Owners that only sign ballots (not funded; a relayer sends their ballots). */
  wallets: Wallet[];
  dataDir: string;
  close(): Promise<void>;
}

/** Area of flat `i` (0-based) in 0.01 m² units: 40 m² plus 10 m² per position, cycling every 10. */
export function flatArea(i: number): bigint {
  return BigInt((40 + 10 * (i % 10)) * 100);
}

/** Area of the jointly held flat, and of the first spouse's own parking space. */
export const JOINT_FLAT_AREA = 7500n;
export const PARKING_AREA = 1500n;

const sole = (owner: string) => [{ holders: [owner], share: SHARE_UNIT }];

export async function startScenario(options: { owners?: number; wallets?: number; jointOwners?: boolean } = {}): Promise<Scenario> {
  const chain = await startLocalChain({ port: 0 });
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  const accounts = await provider.listAccounts();
  const registrar = new NonceManager(accounts[0]!);
  const deployment = await deployDigitalHome(registrar, {
    network: "test",
    // the benchmark holds a hundred meetings open at once
    parameters: { minNotice: 0, minWindow: 1, maxWindow: 1_000_000, maxOpenPerInitiator: 1000 },
  });
  const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, registrar);
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, registrar);
  const rules = LegalRules__factory.connect(deployment.contracts.LegalRules.address, registrar);

  const ownerCount = options.owners ?? 5;
  const owners = accounts.slice(1, 1 + ownerCount);
  const resident = accounts[1 + ownerCount]!;
  const spouses = options.jointOwners ? accounts.slice(2 + ownerCount, 4 + ownerCount) : [];
  const neighbour = accounts[4 + ownerCount]!;
  await (await registry.registerBuilding(id("cadastral:77:01:0001001:1001"))).wait();
  // Flat i has an area of (40 + 10 i) m², in 0.01 m² units.
  await (
    await registry.addPremises(
      1,
      owners.map((o, i) => ({ area: flatArea(i), kind: PremisesKind.Residential, ref: id(`flat:${i + 1}`), holdings: sole(o.address) })),
    )
  ).wait();
  if (spouses.length) {
    const [first, second] = spouses;
    await (
      await registry.addPremises(1, [
        {
          area: JOINT_FLAT_AREA,
          kind: PremisesKind.Residential,
          ref: id("flat:joint"),
          holdings: [{ holders: [second!.address, first!.address], share: SHARE_UNIT }],
        },
        { area: PARKING_AREA, kind: PremisesKind.ParkingSpace, ref: id("parking:1"), holdings: sole(first!.address) },
      ])
    ).wait();
  }
  await (await registry.setResidents(1, [resident.address], true)).wait();
  const wallets = await registerWalletOwners(registry, options.wallets ?? 0, ownerCount);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "digital-home-subgraph-"));
  return {
    chain,
    provider,
    deployment,
    overrides: contractSources(deployment),
    registry,
    hall,
    rules,
    registrar,
    owners,
    ownerAddresses: owners.map((o) => o.address),
    resident,
    spouses,
    neighbour,
    wallets,
    dataDir,
    async close() {
      provider.destroy();
      await chain.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deterministic wallets, each registered as the sole owner of one more flat of building 1. */
export async function registerWalletOwners(registry: BuildingRegistry, count: number, firstFlat: number): Promise<Wallet[]> {
  const wallets = Array.from({ length: count }, (_, i) => new Wallet(id(`digital-home:test-owner:${i}`)));
  for (let start = 0; start < count; start += 200) {
    const chunk = wallets.slice(start, start + 200);
    const premises = chunk.map((w, i) => ({
      area: flatArea(firstFlat + start + i),
      kind: PremisesKind.Residential,
      ref: id(`flat:${firstFlat + start + i + 1}`),
      holdings: sole(w.address),
    }));
    await (await registry.addPremises(1, premises)).wait();
  }
  return wallets;
}

export async function latestTimestamp(provider: JsonRpcProvider): Promise<number> {
  const block = await provider.getBlock("latest");
  return block!.timestamp;
}

export async function advanceTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
}

export interface AnnounceOptions {
  initiator?: Signer;
  window?: number;
  poll?: boolean;
  /** An index of `MeetingType` (default: extraordinary). */
  meetingType?: number;
  /** Who enters paper decisions and records powers of attorney (default: the initiator). */
  administrator?: string;
}

/**
 * Announces a meeting whose questions have these types of the published rules (a poll: one question
 * per entry, the types ignored); voting opens right away (after one mined block) and lasts `window` s.
 */
export async function announceOpenMeeting(s: Scenario, questionTypes: number[], options: AnnounceOptions = {}): Promise<bigint> {
  const now = await latestTimestamp(s.provider);
  const votingStart = now + 3;
  const votingEnd = votingStart + (options.window ?? 1000);
  const hall = s.hall.connect(options.initiator ?? s.owners[0]!);
  const tx = options.poll
    ? await hall.announcePoll(1, votingStart, votingEnd, id("agenda"), questionTypes.map((_, i) => id(`q${i}`)))
    : await hall.announceMeeting(
        1,
        options.meetingType ?? MeetingType.Extraordinary,
        options.administrator ?? ZeroAddress,
        votingStart,
        votingEnd,
        id("agenda"),
        questionTypes.map((questionType, i) => ({ textRef: id(`q${i}`), questionType })),
      );
  await tx.wait();
  await advanceTime(s.provider, 3);
  return s.hall.meetingCount();
}

/** The voter's own ballot, in their own transaction. */
export async function vote(s: Scenario, voter: Signer, meetingId: bigint, answers: Choice[]): Promise<string> {
  const tx = await s.hall.connect(voter).castBallot(meetingId, packChoices(answers));
  const receipt = await tx.wait();
  return receipt!.hash;
}

/** A representative's ballot for `voter` under power of attorney `powerId`, in the representative's own transaction. */
export async function voteFor(s: Scenario, representative: Signer, voter: string, powerId: bigint, meetingId: bigint, answers: Choice[]): Promise<string> {
  const tx = await s.hall.connect(representative).castBallotFor(meetingId, voter, powerId, packChoices(answers));
  const receipt = await tx.wait();
  return receipt!.hash;
}

export interface SignedBallotOptions {
  /** Whose ballot it is (default: the signer's own); set, the signer signs as their representative. */
  voter?: string;
  powerOfAttorney?: bigint;
  deadline?: bigint;
}

/** A relayed ballot signed by `signer`: their own, or with `voter` set, as that voter's representative. */
export async function signedBallot(s: Scenario, signer: Wallet | Signer, meetingId: bigint, answers: Choice[], options: SignedBallotOptions = {}) {
  const own = await signer.getAddress();
  const voter = options.voter ?? own;
  const representative = options.voter === undefined ? ZeroAddress : own;
  const choices = packChoices(answers);
  const deadline = options.deadline ?? FAR_DEADLINE;
  const domain = ballotDomain(s.deployment.chainId, s.deployment.contracts.MeetingHall.address);
  const signature = await signer.signTypedData(domain, BALLOT_TYPES, { meetingId, voter, choices, representative, deadline });
  return { voter, representative, powerOfAttorney: options.powerOfAttorney ?? 0n, choices, deadline, signature };
}

/**
 * Records a power of attorney from `principal` to `representative` by `recorder` (a registrar, or the
 * meeting's administrator for a one-meeting power), valid for a day from now; returns its id.
 */
export async function recordPower(
  s: Scenario,
  recorder: Signer,
  principal: string,
  representative: string,
  options: { meetingId?: bigint; validFrom?: number; validTo?: number } = {},
): Promise<bigint> {
  const now = await latestTimestamp(s.provider);
  const power = {
    principal,
    representative,
    buildingId: 1n,
    meetingId: options.meetingId ?? 0n,
    validFrom: options.validFrom ?? now,
    validTo: options.validTo ?? now + 24 * 3600,
    documentHash: id(`power of attorney ${principal} → ${representative}`),
  };
  await (await s.hall.connect(recorder).recordPowerOfAttorney(power)).wait();
  const ids = await s.hall.powersOfAttorney(1, principal, representative);
  return ids[ids.length - 1]!;
}

export interface PaperEntry {
  voter: string;
  answers: PaperAnswer[];
  representative?: string;
  powerOfAttorney?: bigint;
}

/** The administrator enters paper decisions, each with the hash of its scan; returns the transaction hash. */
export async function enterPaper(s: Scenario, administrator: Signer, meetingId: bigint, entries: PaperEntry[]): Promise<string> {
  const decisions = entries.map((e) => ({
    voter: e.voter,
    representative: e.representative ?? ZeroAddress,
    powerOfAttorney: e.powerOfAttorney ?? 0n,
    ...packPaperChoices(e.answers),
    scanHash: id(`scan of ${e.voter}'s decision in meeting ${meetingId}`),
  }));
  const receipt = await (await s.hall.connect(administrator).enterPaperDecisions(meetingId, decisions)).wait();
  return receipt!.hash;
}

export async function finalizeAfterWindow(s: Scenario, meetingId: bigint): Promise<void> {
  const meeting = await s.hall.getMeeting(meetingId);
  const now = await latestTimestamp(s.provider);
  if (now < Number(meeting.votingEnd)) await advanceTime(s.provider, Number(meeting.votingEnd) - now + 1);
  await (await s.hall.finalize(meetingId)).wait();
}
