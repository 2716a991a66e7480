/**
 * Builds voting histories on a chain for tests and benchmarks: buildings with random ownership
 * layouts (co-owners, parking spaces), meetings and polls, ballots cast directly and relayed in
 * batches (including invalid ones), sales during voting, and finalization. Everything goes through
 * the real contracts over JSON-RPC.
 */
import { JsonRpcProvider, NonceManager, Wallet, ZeroHash, id, type Signer } from "ethers";
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";
import { BALLOT_TYPES, ballotDomain } from "#lib/ballot.js";
import { OrganiserRole, PremisesKind, SHARE_UNIT, Threshold } from "#lib/domain.js";
import { deployDigitalHome } from "./deploy.js";
import type { Deployment } from "#lib/deployment.js";

/** A small deterministic PRNG (mulberry32), so that a failing layout can be replayed from its seed. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

const SPLITS: bigint[][] = [[SHARE_UNIT / 2n, SHARE_UNIT / 2n], [SHARE_UNIT / 3n, (SHARE_UNIT * 2n) / 3n], [SHARE_UNIT / 3n, SHARE_UNIT / 3n, SHARE_UNIT / 3n], [SHARE_UNIT / 2n, SHARE_UNIT / 4n, SHARE_UNIT / 4n]];

export interface World {
  provider: JsonRpcProvider;
  deployment: Deployment;
  registry: BuildingRegistry;
  hall: MeetingHall;
  operator: Signer;
  chainId: bigint;
}

export async function deployWorld(rpcUrl: string, parameters = { minNotice: 0, minWindow: 1, maxWindow: 10_000_000 }): Promise<World> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 50, batchMaxCount: 1, cacheTimeout: -1 });
  const operator = new NonceManager(await provider.getSigner(0));
  const deployment = await deployDigitalHome(operator, { network: "scenario", parameters });
  return {
    provider,
    deployment,
    operator,
    chainId: BigInt(deployment.chainId),
    registry: BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, operator),
    hall: MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, operator),
  };
}

export interface Building {
  buildingId: bigint;
  owners: Wallet[];
  residents: Wallet[];
  premisesIds: bigint[];
}

/** Registers a building of `premises` premises owned by random subsets of `people` wallets. */
export async function registerBuilding(world: World, seed: number, premises: number, people: number, residents = 0): Promise<Building> {
  const rnd = random(seed);
  const owners = Array.from({ length: people }, (_, i) => new Wallet(id(`scenario ${seed} owner ${i}`), world.provider));
  const residentWallets = Array.from({ length: residents }, (_, i) => new Wallet(id(`scenario ${seed} resident ${i}`), world.provider));
  await (await world.registry.registerBuilding(id(`building ${seed}`))).wait();
  const buildingId = await world.registry.buildingCount();
  const firstPremises = (await world.registry.premisesCount()) + 1n;
  const list = Array.from({ length: premises }, (_, p) => {
    const split = rnd.next() < 0.25 ? rnd.pick(SPLITS) : [SHARE_UNIT];
    const start = rnd.int(0, people - 1);
    const chosen = split.map((_, k) => owners[(start + k * 7) % people].address);
    const unique = new Set(chosen).size === chosen.length;
    return {
      area: BigInt(rnd.int(1500, 12000)),
      kind: rnd.next() < 0.1 ? PremisesKind.ParkingSpace : rnd.next() < 0.05 ? PremisesKind.NonResidential : PremisesKind.Residential,
      ref: id(`premises ${seed}/${p}`),
      owners: unique ? chosen : [chosen[0]],
      shares: unique ? split : [SHARE_UNIT],
    };
  });
  for (let i = 0; i < list.length; i += 150) await (await world.registry.addPremises(buildingId, list.slice(i, i + 150))).wait();
  if (residentWallets.length) await (await world.registry.setResidents(buildingId, residentWallets.map((w) => w.address), true)).wait();
  await (await world.registry.setOrganiser(buildingId, await world.operator.getAddress(), OrganiserRole.ManagementOrganisation)).wait();
  return { buildingId, owners, residents: residentWallets, premisesIds: list.map((_, i) => firstPremises + BigInt(i)) };
}

export async function latestTimestamp(world: World): Promise<number> {
  return (await world.provider.getBlock("latest"))!.timestamp;
}

/** Moves the chain's clock forward and mines a block. */
export async function advance(world: World, seconds: number): Promise<void> {
  await world.provider.send("evm_increaseTime", [seconds]);
  await world.provider.send("evm_mine", []);
}

export const QUESTION_SETS = {
  courtyard: [
    { text: "Установить шлагбаум на въезде во двор", threshold: Threshold.TwoThirdsOfAll },
    { text: "Заменить входную дверь в подъезде", threshold: Threshold.MajorityOfParticipants },
    { text: "Нанять консьержа", threshold: Threshold.MajorityOfParticipants },
    { text: "Выбрать новую управляющую компанию", threshold: Threshold.MajorityOfAll },
  ],
};

/** Announces a meeting (or poll) opening in `delay` seconds; returns its id and window. */
export async function announce(
  world: World,
  buildingId: bigint,
  questions: Array<{ text: string; threshold: number }>,
  opts: { poll?: boolean; delay?: number; window?: number } = {},
) {
  const now = await latestTimestamp(world);
  const votingStart = now + (opts.delay ?? 5);
  const votingEnd = votingStart + (opts.window ?? 3600);
  const snapshot = votingStart - 1;
  const tx = opts.poll
    ? await world.hall.announcePoll(buildingId, snapshot, votingStart, votingEnd, id("agenda"), questions.map((q) => id(q.text)))
    : await world.hall.announceMeeting(buildingId, snapshot, votingStart, votingEnd, id("agenda"), questions.map((q) => ({ textRef: id(q.text), threshold: q.threshold })));
  await tx.wait();
  return { meetingId: await world.hall.meetingCount(), votingStart, votingEnd, snapshot };
}

export function randomChoices(rnd: ReturnType<typeof random>, questionCount: number): bigint {
  let c = 0n;
  for (let q = 0; q < questionCount; q++) c |= BigInt(rnd.int(1, 3)) << BigInt(2 * q);
  return c;
}

export async function signBallot(world: World, voter: Wallet, meetingId: bigint, choices: bigint) {
  const domain = ballotDomain(world.chainId, world.deployment.contracts.MeetingHall.address);
  return { voter: voter.address, choices, signature: await voter.signTypedData(domain, BALLOT_TYPES, { meetingId, voter: voter.address, choices }) };
}

/** Relays signed ballots in batches of `batchSize`. */
export async function relay(world: World, meetingId: bigint, ballots: Array<{ voter: string; choices: bigint; signature: string }>, batchSize = 100) {
  const receipts = [];
  for (let i = 0; i < ballots.length; i += batchSize) {
    receipts.push(await (await world.hall.castBallotsBySig(meetingId, ballots.slice(i, i + batchSize))).wait());
  }
  return receipts;
}

export async function fund(world: World, wallets: Wallet[], value = 10n ** 17n) {
  for (const w of wallets) await (await world.operator.sendTransaction({ to: w.address, value })).wait();
}

export { ZeroHash };
