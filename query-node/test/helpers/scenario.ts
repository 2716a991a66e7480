/**
 * A local chain with Digital Home deployed and a building registered, and helpers to hold meetings
 * on it: the fixture of the query node's integration, conformance and benchmark runs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { id, JsonRpcProvider, NonceManager, Wallet, type Signer } from "ethers";
import { packChoices, BALLOT_TYPES, ballotDomain } from "#lib/ballot.js";
import { PremisesKind, SHARE_UNIT, type Choice } from "#lib/domain.js";
import { startLocalChain, type LocalChain } from "../../../dev/chain.js";
import { deployDigitalHome } from "../../../dev/deploy.js";
import { contractSources, type Deployment } from "#lib/deployment.js";
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";

import type { DataSourceOverrides } from "../../src/runtime/manifest.js";

export interface Scenario {
  chain: LocalChain;
  provider: JsonRpcProvider;
  deployment: Deployment;
  overrides: DataSourceOverrides;
  registry: BuildingRegistry;
  hall: MeetingHall;
  registrar: Signer;
  /** Owners of the building's flats (funded, unlocked accounts of the node). */
  owners: Signer[];
  ownerAddresses: string[];
  /** A registered resident who owns nothing. */
  resident: Signer;
  /** Owners that only sign ballots (not funded; a relayer sends their ballots). */
  wallets: Wallet[];
  dataDir: string;
  close(): Promise<void>;
}

/** Area of flat `i` (0-based) in 0.01 m² units: 40 m² plus 10 m² per position, cycling every 10. */
export function flatArea(i: number): bigint {
  return BigInt((40 + 10 * (i % 10)) * 100);
}

export async function startScenario(options: { owners?: number; wallets?: number } = {}): Promise<Scenario> {
  const chain = await startLocalChain({ port: 0 });
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  const accounts = await provider.listAccounts();
  const registrar = new NonceManager(accounts[0]!);
  const deployment = await deployDigitalHome(registrar, {
    network: "test",
    parameters: { minNotice: 0, minWindow: 1, maxWindow: 1_000_000 },
  });
  const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, registrar);
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, registrar);

  const ownerCount = options.owners ?? 5;
  const owners = accounts.slice(1, 1 + ownerCount);
  const resident = accounts[1 + ownerCount]!;
  await (await registry.registerBuilding(id("cadastral:77:01:0001001:1001"))).wait();
  // Flat i has an area of (40 + 10 i) m², in 0.01 m² units.
  await (
    await registry.addPremises(
      1,
      owners.map((o, i) => ({
        area: flatArea(i),
        kind: PremisesKind.Residential,
        ref: id(`flat:${i + 1}`),
        owners: [o.address],
        shares: [SHARE_UNIT],
      })),
    )
  ).wait();
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
    registrar,
    owners,
    ownerAddresses: owners.map((o) => o.address),
    resident,
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
      owners: [w.address],
      shares: [SHARE_UNIT],
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

/** Announces a meeting whose voting opens right away (after one mined block) and lasts `window` s. */
export async function announceOpenMeeting(
  s: Scenario,
  thresholds: number[],
  options: { initiator?: Signer; window?: number; poll?: boolean } = {},
): Promise<bigint> {
  const now = await latestTimestamp(s.provider);
  const votingStart = now + 3;
  const votingEnd = votingStart + (options.window ?? 1000);
  const hall = s.hall.connect(options.initiator ?? s.owners[0]!);
  const tx = options.poll
    ? await hall.announcePoll(1, votingStart - 1, votingStart, votingEnd, id("agenda"), thresholds.map((_, i) => id(`q${i}`)))
    : await hall.announceMeeting(
        1,
        votingStart - 1,
        votingStart,
        votingEnd,
        id("agenda"),
        thresholds.map((threshold, i) => ({ textRef: id(`q${i}`), threshold })),
      );
  await tx.wait();
  await advanceTime(s.provider, 3);
  return s.hall.meetingCount();
}

export async function vote(s: Scenario, voter: Signer, meetingId: bigint, answers: Choice[]): Promise<string> {
  const tx = await s.hall.connect(voter).castBallot(meetingId, packChoices(answers));
  const receipt = await tx.wait();
  return receipt!.hash;
}

export async function signedBallot(s: Scenario, signer: Wallet | Signer, meetingId: bigint, answers: Choice[]) {
  const voter = await signer.getAddress();
  const choices = packChoices(answers);
  const domain = ballotDomain(s.deployment.chainId, s.deployment.contracts.MeetingHall.address);
  const signature = await signer.signTypedData(domain, BALLOT_TYPES, { meetingId, voter, choices });
  return { voter, choices, signature };
}

export async function finalizeAfterWindow(s: Scenario, meetingId: bigint): Promise<void> {
  const meeting = await s.hall.getMeeting(meetingId);
  const now = await latestTimestamp(s.provider);
  if (now < Number(meeting.votingEnd)) await advanceTime(s.provider, Number(meeting.votingEnd) - now + 1);
  await (await s.hall.finalize(meetingId)).wait();
}
