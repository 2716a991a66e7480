/**
 * Builds voting histories on a chain for tests and benchmarks, through the real contracts over
 * JSON-RPC: buildings with random ownership layouts (sole owners, co-owners of shares, joint owners,
 * parking spaces), meetings of question types from lib/legal-rules.ts announced by an organiser or by
 * an owner without ether through the forwarder, with an administrator of their choosing, and polls;
 * ballots cast directly, relayed in signed batches (own or a representative's, with a deadline),
 * cast by representatives under powers of attorney, and paper decisions entered by the administrator;
 * the invalid ones a relayer meets (bad signatures, expired deadlines, malformed choices, voters
 * without weight, powers out of date or revoked); sales during voting; and finalization.
 *
 * `randomVoting` mixes all of these at random, from a seed, so that a failing history can be replayed.
 */
import { JsonRpcProvider, NonceManager, Wallet, ZeroAddress, id, type Signer, type TransactionReceipt } from "ethers";
import { BuildingRegistry__factory, Forwarder__factory, LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";
import type { BuildingRegistry, Forwarder, LegalRules, MeetingHall } from "#typechain/index.js";
import { BALLOT_TYPES, ballotDomain, packPaperChoices, type PaperAnswer } from "#lib/ballot.js";
import { Choice, MeetingType, OrganiserRole, PremisesKind, SHARE_UNIT, type MeetingTypeName } from "#lib/domain.js";
import { FORWARD_REQUEST_TYPES, forwardRequestData, forwarderDomain } from "#lib/forward-request.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import type { Deployment, Parameters } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { deployDigitalHome } from "./deploy.js";

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
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick, shuffle };
}
export type Random = ReturnType<typeof random>;

/** Shares of co-owners of one premises (each a holding of one person). */
const SPLITS: bigint[][] = [[SHARE_UNIT / 2n, SHARE_UNIT / 2n], [SHARE_UNIT / 3n, (SHARE_UNIT * 2n) / 3n], [SHARE_UNIT / 3n, SHARE_UNIT / 3n, SHARE_UNIT / 3n], [SHARE_UNIT / 2n, SHARE_UNIT / 4n, SHARE_UNIT / 4n]];

/** A ballot's deadline that never passes. */
export const NO_DEADLINE = 2n ** 64n - 1n;

/** The parameters of a scenario's deployment: no notice, any window, room for many open meetings. */
export const SCENARIO_PARAMETERS: Parameters = { minNotice: 0, minWindow: 1, maxWindow: 10_000_000, maxOpenPerInitiator: 1000 };

export interface World {
  provider: JsonRpcProvider;
  deployment: Deployment;
  registry: BuildingRegistry;
  hall: MeetingHall;
  rules: LegalRules;
  forwarder: Forwarder;
  /** The deployer: admin, registrar, and organiser of every scenario building. */
  operator: Signer;
  chainId: bigint;
}

export async function deployWorld(rpcUrl: string, parameters: Parameters = SCENARIO_PARAMETERS): Promise<World> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 50, batchMaxCount: 1, cacheTimeout: -1 });
  const operator = new NonceManager(await provider.getSigner(0));
  const deployment = await deployDigitalHome(operator, { network: "scenario", parameters });
  return connectWorld(provider, operator, deployment);
}

/** The world of a deployment made elsewhere (e.g. on a real network), acted on by `operator`. */
export function connectWorld(provider: JsonRpcProvider, operator: Signer, deployment: Deployment): World {
  const { contracts } = deployment;
  return {
    provider,
    deployment,
    operator,
    chainId: BigInt(deployment.chainId),
    registry: BuildingRegistry__factory.connect(contracts.BuildingRegistry.address, operator),
    hall: MeetingHall__factory.connect(contracts.MeetingHall.address, operator),
    rules: LegalRules__factory.connect(contracts.LegalRules.address, operator),
    forwarder: Forwarder__factory.connect(contracts.Forwarder.address, operator),
  };
}

/** A holding as the registry takes it: one holder (sole or shared ownership) or joint holders. */
export interface HoldingInput {
  holders: string[];
  share: bigint;
}

export interface PremisesLayout {
  premisesId: bigint;
  area: bigint;
  kind: number;
  holdings: HoldingInput[];
}

export interface Building {
  buildingId: bigint;
  owners: Wallet[];
  residents: Wallet[];
  premisesIds: bigint[];
  premises: PremisesLayout[];
}

export interface LayoutOptions {
  /** Probability that a premises is shared by co-owners (default 0.25). */
  shared?: number;
  /** Probability that a premises, or half of it, is held jointly by a couple or three (default 0.15). */
  joint?: number;
}

/**
 * Registers a building of `premises` premises owned by random subsets of `people` wallets: most alone,
 * some shared by co-owners, some held jointly (the whole, or half jointly and half by someone alone).
 * Joint holders come from fixed couples (owners 2c and 2c+1, sometimes with 2c+2), so that nobody
 * belongs to more joint groups than the registry allows.
 */
export async function registerBuilding(world: World, seed: number, premises: number, people: number, residents = 0, options: LayoutOptions = {}): Promise<Building> {
  const rnd = random(seed);
  const shared = options.shared ?? 0.25;
  const joint = options.joint ?? 0.15;
  const owners = Array.from({ length: people }, (_, i) => new Wallet(id(`scenario ${seed} owner ${i}`), world.provider));
  const residentWallets = Array.from({ length: residents }, (_, i) => new Wallet(id(`scenario ${seed} resident ${i}`), world.provider));
  const couples = Math.floor(people / 4);
  await (await world.registry.registerBuilding(id(`building ${seed}`))).wait();
  const buildingId = await world.registry.buildingCount();
  const firstPremises = (await world.registry.premisesCount()) + 1n;
  const list = Array.from({ length: premises }, (_, p) => {
    const draw = rnd.next();
    const start = rnd.int(0, people - 1);
    let holdings: HoldingInput[];
    if (draw < joint && couples > 0) {
      const c = rnd.int(0, couples - 1);
      const holders = [owners[2 * c].address, owners[2 * c + 1].address];
      if (rnd.next() < 0.25) holders.push(owners[(2 * c + 2) % people].address);
      const other = owners[(start + 2 * couples) % people].address;
      holdings = rnd.next() < 0.5 || holders.includes(other)
        ? [{ holders, share: SHARE_UNIT }]
        : [{ holders, share: SHARE_UNIT / 2n }, { holders: [other], share: SHARE_UNIT / 2n }];
    } else if (draw < joint + shared) {
      const split = rnd.pick(SPLITS);
      const chosen = split.map((_, k) => owners[(start + k * 7) % people].address);
      holdings = new Set(chosen).size === chosen.length ? chosen.map((owner, k) => ({ holders: [owner], share: split[k] })) : [{ holders: [chosen[0]], share: SHARE_UNIT }];
    } else {
      holdings = [{ holders: [owners[start].address], share: SHARE_UNIT }];
    }
    return {
      area: BigInt(rnd.int(1500, 12000)),
      kind: rnd.next() < 0.1 ? PremisesKind.ParkingSpace : rnd.next() < 0.05 ? PremisesKind.NonResidential : PremisesKind.Residential,
      ref: id(`premises ${seed}/${p}`),
      holdings,
    };
  });
  for (let i = 0; i < list.length; i += 100) await (await world.registry.addPremises(buildingId, list.slice(i, i + 100))).wait();
  if (residentWallets.length) await (await world.registry.setResidents(buildingId, residentWallets.map((w) => w.address), true)).wait();
  await (await world.registry.setOrganiser(buildingId, await world.operator.getAddress(), OrganiserRole.ManagementOrganisation)).wait();
  const premisesIds = list.map((_, i) => firstPremises + BigInt(i));
  return {
    buildingId,
    owners,
    residents: residentWallets,
    premisesIds,
    premises: list.map((p, i) => ({ premisesId: premisesIds[i], area: p.area, kind: p.kind, holdings: p.holdings })),
  };
}

/** The joint holdings of a building's layout: each group of holders once, as wallets. */
export function jointHolders(building: Building): Wallet[][] {
  const byKey = new Map<string, Wallet[]>();
  for (const p of building.premises) {
    for (const h of p.holdings) {
      if (h.holders.length < 2) continue;
      const key = [...h.holders].sort().join(",");
      byKey.set(key, h.holders.map((a) => building.owners.find((w) => w.address === a)!));
    }
  }
  return [...byKey.values()];
}

/** The owners of a layout who hold something (alone, as co-owners or jointly), each once. */
export function holdersOf(building: Building): Wallet[] {
  const held = new Set(building.premises.flatMap((p) => p.holdings.flatMap((h) => h.holders)));
  return building.owners.filter((w) => held.has(w.address));
}

export async function latestTimestamp(world: World): Promise<number> {
  return (await world.provider.getBlock("latest"))!.timestamp;
}

/** Moves the chain's clock forward and mines a block. */
export async function advance(world: World, seconds: number): Promise<void> {
  await world.provider.send("evm_increaseTime", [seconds]);
  await world.provider.send("evm_mine", []);
}

/** Moves the chain's clock to just past `timestamp` (no-op if it is past already). */
export async function advanceTo(world: World, timestamp: number): Promise<void> {
  const now = await latestTimestamp(world);
  if (now < timestamp) await advance(world, timestamp - now);
}

/** An agenda question: its text (hashed on chain) and, for a meeting, the code of its question type. */
export interface QuestionSpec {
  text: string;
  /** A question type's code in the newest rules version of lib/legal-rules.ts (a poll's questions have none). */
  type?: string;
}

export const QUESTION_SETS = {
  courtyard: [
    { text: "Установить шлагбаум на въезде во двор", type: "44.2.2" },
    { text: "Заменить входную дверь в подъезде", type: "other" },
    { text: "Нанять консьержа", type: "other" },
    { text: "Выбрать новую управляющую компанию", type: "44.2.4.7" },
  ],
} satisfies Record<string, QuestionSpec[]>;

/** `count` questions of random types of the newest rules version (a poll ignores the types). */
export function randomQuestions(rnd: Random, count: number, label = "question"): QuestionSpec[] {
  const codes = RULES_VERSIONS.at(-1)!.questionTypes.map((t) => t.code);
  return Array.from({ length: count }, (_, i) => ({ text: `${label} ${i + 1}: ${rnd.int(0, 1e9)}`, type: rnd.pick(codes) }));
}

/** The on-chain questions of an agenda under the rules version a scenario deployment publishes. */
export function agendaQuestions(questions: readonly QuestionSpec[]) {
  const version = RULES_VERSIONS.at(-1)!;
  return questions.map((q) => ({ textRef: id(q.text), questionType: questionTypeIndex(version, q.type ?? "other") }));
}

export interface AnnounceOptions {
  poll?: boolean;
  /** Seconds from now to the start of voting (default 5). */
  delay?: number;
  /** Length of the voting window in seconds (default 3600). */
  window?: number;
  meetingType?: MeetingTypeName;
  /** Who enters paper decisions and records powers of attorney (default: the initiator). */
  administrator?: string;
  /** Who announces (default: the operator, the building's organiser). */
  initiator?: Signer;
  /** An initiator without ether: signs a forward request that the operator submits. */
  forwardedBy?: Wallet;
}

export interface Announced {
  meetingId: bigint;
  votingStart: number;
  votingEnd: number;
  /** The announcement's block time, which is the meeting's snapshot. */
  snapshot: number;
  receipt: TransactionReceipt;
}

/** Announces a meeting (or poll) opening in `delay` seconds; returns its id, window and snapshot. */
export async function announce(world: World, buildingId: bigint, questions: readonly QuestionSpec[], opts: AnnounceOptions = {}): Promise<Announced> {
  const now = await latestTimestamp(world);
  const votingStart = now + (opts.delay ?? 5);
  const votingEnd = votingStart + (opts.window ?? 3600);
  const agendaRef = id(`agenda ${questions.map((q) => q.text).join(" | ")}`);
  const data = opts.poll
    ? world.hall.interface.encodeFunctionData("announcePoll", [buildingId, votingStart, votingEnd, agendaRef, questions.map((q) => id(q.text))])
    : world.hall.interface.encodeFunctionData("announceMeeting", [
        buildingId,
        MeetingType[opts.meetingType ?? "Extraordinary"],
        opts.administrator ?? ZeroAddress,
        votingStart,
        votingEnd,
        agendaRef,
        agendaQuestions(questions),
      ]);
  const receipt = opts.forwardedBy ? await forward(world, opts.forwardedBy, data) : await send(opts.initiator ?? world.operator, world.deployment.contracts.MeetingHall.address, data);
  const announced = receipt.logs.map((l) => world.hall.interface.parseLog(l)).find((l) => l?.name === "MeetingAnnounced");
  if (!announced) throw new AppError("scenario_failed", `announcement ${receipt.hash} emitted no MeetingAnnounced`);
  const block = await world.provider.getBlock(receipt.blockNumber);
  return { meetingId: announced.args.meetingId, votingStart, votingEnd, snapshot: block!.timestamp, receipt };
}

async function send(signer: Signer, to: string, data: string): Promise<TransactionReceipt> {
  const receipt = await (await signer.sendTransaction({ to, data })).wait();
  if (!receipt || receipt.status !== 1) throw new AppError("scenario_failed", `transaction to ${to} failed`);
  return receipt;
}

/**
 * A call to MeetingHall signed by `signer` as an ERC-2771 forward request and submitted by the
 * operator: how an owner or administrator without ether acts. Returns the receipt.
 */
export async function forward(world: World, signer: Wallet, data: string): Promise<TransactionReceipt> {
  const from = signer.address;
  const request = {
    from,
    to: world.deployment.contracts.MeetingHall.address,
    value: 0n,
    gas: 3_000_000n,
    nonce: await world.forwarder.nonces(from),
    deadline: BigInt((await latestTimestamp(world)) + 3600),
    data,
  };
  const signature = await signer.signTypedData(forwarderDomain(world.chainId, world.deployment.contracts.Forwarder.address), FORWARD_REQUEST_TYPES, request);
  const receipt = await (await world.forwarder.execute(forwardRequestData(request, signature))).wait();
  if (!receipt || receipt.status !== 1) throw new AppError("scenario_failed", `forwarded request of ${from} failed`);
  return receipt;
}

export function randomChoices(rnd: Random, questionCount: number): bigint {
  let c = 0n;
  for (let q = 0; q < questionCount; q++) c |= BigInt(rnd.int(1, 3)) << BigInt(2 * q);
  return c;
}

/** A paper decision's answers at random: mostly answered, some questions unanswered or void. */
export function randomPaperAnswers(rnd: Random, questionCount: number): PaperAnswer[] {
  return Array.from({ length: questionCount }, () => {
    const r = rnd.next();
    return r < 0.12 ? "void" : r < 0.24 ? "unanswered" : (rnd.int(1, 3) as Choice);
  });
}

/** A relayed ballot as `castBallotsBySig` takes it. */
export interface SignedBallot {
  voter: string;
  representative: string;
  powerOfAttorney: bigint;
  choices: bigint;
  deadline: bigint;
  signature: string;
}

export interface SignOptions {
  /** Whose ballot it is when `signer` signs as their representative. */
  voter?: string;
  powerOfAttorney?: bigint;
  deadline?: bigint;
}

/** A ballot signed by `signer`: their own, or with `voter` set, as that voter's representative. */
export async function signBallot(world: World, signer: Wallet, meetingId: bigint, choices: bigint, opts: SignOptions = {}): Promise<SignedBallot> {
  const domain = ballotDomain(world.chainId, world.deployment.contracts.MeetingHall.address);
  const voter = opts.voter ?? signer.address;
  const representative = opts.voter === undefined ? ZeroAddress : signer.address;
  const deadline = opts.deadline ?? NO_DEADLINE;
  const signature = await signer.signTypedData(domain, BALLOT_TYPES, { meetingId, voter, choices, representative, deadline });
  return { voter, representative, powerOfAttorney: opts.powerOfAttorney ?? 0n, choices, deadline, signature };
}

/** Relays signed ballots in batches of `batchSize`. */
export async function relay(world: World, meetingId: bigint, ballots: SignedBallot[], batchSize = 100): Promise<TransactionReceipt[]> {
  const receipts: TransactionReceipt[] = [];
  for (let i = 0; i < ballots.length; i += batchSize) {
    const receipt = await (await world.hall.castBallotsBySig(meetingId, ballots.slice(i, i + batchSize))).wait();
    receipts.push(receipt!);
  }
  return receipts;
}

export async function fund(world: World, wallets: Wallet[], value = 10n ** 17n) {
  for (const w of wallets) await (await world.operator.sendTransaction({ to: w.address, value })).wait();
}

export interface PowerInput {
  principal: string;
  representative: string;
  buildingId: bigint;
  /** One meeting, or 0 (default) for every meeting of the building in the period. */
  meetingId?: bigint;
  validFrom?: number;
  validTo?: number;
  documentHash?: string;
}

/**
 * Records a power of attorney by `recorder` (default the operator, a registrar; a meeting's
 * administrator may record one for that meeting), directly or, for a wallet without ether, through
 * the forwarder. Valid from now for a day unless said otherwise. Returns its id.
 */
export async function recordPower(world: World, p: PowerInput, recorder?: { signer: Signer } | { forwardedBy: Wallet }): Promise<bigint> {
  const now = await latestTimestamp(world);
  const power = {
    principal: p.principal,
    representative: p.representative,
    buildingId: p.buildingId,
    meetingId: p.meetingId ?? 0n,
    validFrom: p.validFrom ?? now,
    validTo: p.validTo ?? now + 86_400,
    documentHash: p.documentHash ?? id(`power of attorney ${p.principal} → ${p.representative} ${now}`),
  };
  const data = world.hall.interface.encodeFunctionData("recordPowerOfAttorney", [power]);
  const receipt = recorder && "forwardedBy" in recorder ? await forward(world, recorder.forwardedBy, data) : await send(recorder?.signer ?? world.operator, world.deployment.contracts.MeetingHall.address, data);
  const recorded = receipt.logs.map((l) => world.hall.interface.parseLog(l)).find((l) => l?.name === "PowerOfAttorneyRecorded");
  if (!recorded) throw new AppError("scenario_failed", `recording a power of attorney (${receipt.hash}) emitted no PowerOfAttorneyRecorded`);
  return recorded.args.id;
}

export async function revokePower(world: World, powerId: bigint, by: Signer = world.operator): Promise<void> {
  await (await world.hall.connect(by).revokePowerOfAttorney(powerId)).wait();
}

/** A paper decision as `enterPaperDecisions` takes it. */
export interface PaperDecision {
  voter: string;
  representative: string;
  powerOfAttorney: bigint;
  choices: bigint;
  voidMask: bigint;
  scanHash: string;
}

export function paperDecision(voter: string, answers: readonly PaperAnswer[], opts: { representative?: string; powerOfAttorney?: bigint; scanHash?: string } = {}): PaperDecision {
  const { choices, voidMask } = packPaperChoices(answers);
  return {
    voter,
    representative: opts.representative ?? ZeroAddress,
    powerOfAttorney: opts.powerOfAttorney ?? 0n,
    choices,
    voidMask,
    scanHash: opts.scanHash ?? id(`scan of the decision of ${voter} ${answers.join(",")}`),
  };
}

/** Enters paper decisions as the meeting's administrator: a funded signer, or a wallet without ether through the forwarder. */
export async function enterPaper(world: World, meetingId: bigint, decisions: PaperDecision[], administrator: { signer: Signer } | { forwardedBy: Wallet } = { signer: world.operator }): Promise<TransactionReceipt> {
  const data = world.hall.interface.encodeFunctionData("enterPaperDecisions", [meetingId, decisions]);
  return "forwardedBy" in administrator ? forward(world, administrator.forwardedBy, data) : send(administrator.signer, world.deployment.contracts.MeetingHall.address, data);
}

/** Every question answered `answer`. */
export const allAnswered = (questionCount: number, answer: Choice = Choice.For) => Array.from({ length: questionCount }, (_, q) => BigInt(answer) << BigInt(2 * q)).reduce((a, b) => a | b, 0n);

export interface RandomVotingOptions {
  /** The meeting's administrator, when not the operator: a wallet that enters paper decisions through the forwarder. */
  administrator?: Wallet;
  /** Share of the building's people who take part (default 0.85). */
  turnout?: number;
  /** Ballots per relayed batch (default 7). */
  batchSize?: number;
}

/** What `randomVoting` did, by kind of act (the contract decides what counted). */
export interface VotingLog {
  direct: number;
  relayed: number;
  representativeDirect: number;
  representativeRelayed: number;
  paper: number;
  /** Signed ballots expected to be skipped (bad signature, expired, malformed, no power, not eligible, already voted). */
  invalid: number;
  sales: number;
  transactions: string[];
}

/**
 * Casts a random mix of ballots in an open meeting (or poll) of `building`: the voting window must be
 * open. Owners vote directly, relayed, through a representative (directly or relayed, under a power
 * for this meeting or for all meetings), or on paper (some questions void or unanswered, some through
 * a representative); joint owners race for their joint holding; principals and representatives race;
 * and the invalid ballots a relayer meets are mixed in: a bad signature, a ballot past its deadline,
 * malformed choices, a representative whose power ran out or was revoked, a resident or a buyer
 * without weight, a second ballot. A sale during voting moves a premises to a buyer.
 */
export async function randomVoting(world: World, building: Building, meeting: { meetingId: bigint; votingEnd: number }, rnd: Random, options: RandomVotingOptions = {}): Promise<VotingLog> {
  const { meetingId } = meeting;
  const hall = world.hall;
  const agenda = await hall.getAgenda(meetingId);
  const view = await hall.getMeeting(meetingId);
  const poll = Number(view.kind) === 1;
  const questionCount = agenda.questions.length;
  const log: VotingLog = { direct: 0, relayed: 0, representativeDirect: 0, representativeRelayed: 0, paper: 0, invalid: 0, sales: 0, transactions: [] };
  const admin = options.administrator ? { forwardedBy: options.administrator } : { signer: world.operator };
  const batchSize = options.batchSize ?? 7;
  const choose = () => randomChoices(rnd, questionCount);
  const canCount = async (voter: string, representative = ZeroAddress, powerId = 0n) => (await hall.checkBallot(meetingId, voter, representative, powerId, allAnswered(questionCount)))[0];
  const representatives = Array.from({ length: 4 }, (_, i) => new Wallet(id(`scenario representative ${building.buildingId} ${meetingId} ${i}`), world.provider));
  await fund(world, representatives);

  const people = rnd.shuffle([...building.owners, ...building.residents]).filter(() => rnd.next() < (options.turnout ?? 0.85));
  const pending: SignedBallot[] = [];
  const paper: PaperDecision[] = [];
  const adminAddress = options.administrator?.address ?? (await world.operator.getAddress());
  const flush = async () => {
    for (const r of await relay(world, meetingId, pending.splice(0), batchSize)) log.transactions.push(r.hash);
  };
  /** Enters the queued paper decisions, leaving out any that can no longer count (as an administrator would). */
  const enterQueuedPaper = async () => {
    await flush();
    const batch = paper.splice(0);
    while (batch.length) {
      const rejected = await paperRejection(world, meetingId, batch, adminAddress);
      if (rejected === undefined) break;
      batch.splice(rejected, 1);
    }
    if (!batch.length) return;
    log.paper += batch.length;
    log.transactions.push((await enterPaper(world, meetingId, batch, admin)).hash);
  };

  for (const [i, person] of people.entries()) {
    const act = rnd.next();
    const rep = representatives[i % representatives.length];
    if (act < 0.16) {
      if (!(await canCount(person.address))) continue;
      await fund(world, [person]);
      const r = await (await hall.connect(person).castBallot(meetingId, choose())).wait();
      log.transactions.push(r!.hash);
      log.direct++;
    } else if (act < 0.5 || (poll && act < 0.8)) {
      pending.push(await signBallot(world, person, meetingId, choose()));
      log.relayed++;
    } else if (act < 0.62) {
      // a representative under a power for this meeting (recorded by its administrator) or for all
      // meetings of the building (recorded by the registrar)
      const oneMeeting = rnd.next() < 0.5;
      const powerId = await recordPower(world, { principal: person.address, representative: rep.address, buildingId: building.buildingId, meetingId: oneMeeting ? meetingId : 0n }, oneMeeting ? admin : undefined);
      const principalToo = rnd.next() < 0.3;
      const principalFirst = principalToo && rnd.next() < 0.5;
      if (principalFirst) pending.push(await signBallot(world, person, meetingId, choose()));
      if (!principalFirst && rnd.next() < 0.5 && (await canCount(person.address, rep.address, powerId))) {
        const r = await (await hall.connect(rep).castBallotFor(meetingId, person.address, powerId, choose())).wait();
        log.transactions.push(r!.hash);
        log.representativeDirect++;
      } else {
        pending.push(await signBallot(world, rep, meetingId, choose(), { voter: person.address, powerOfAttorney: powerId }));
        log.representativeRelayed++;
      }
      // the principal votes as well: whichever counts first, the other is rejected
      if (principalToo && !principalFirst) pending.push(await signBallot(world, person, meetingId, choose()));
      if (principalToo) log.invalid++;
    } else if (act < 0.8) {
      const answers = randomPaperAnswers(rnd, questionCount);
      if (rnd.next() < 0.25) {
        const powerId = await recordPower(world, { principal: person.address, representative: rep.address, buildingId: building.buildingId, meetingId }, admin);
        paper.push(paperDecision(person.address, answers, { representative: rep.address, powerOfAttorney: powerId }));
      } else {
        paper.push(paperDecision(person.address, answers));
      }
      if (paper.length >= 4) await enterQueuedPaper();
    } else if (act < 0.86) {
      // a power that ran out yesterday, or one revoked before it is used
      const now = await latestTimestamp(world);
      const expired = rnd.next() < 0.5;
      const powerId = await recordPower(world, { principal: person.address, representative: rep.address, buildingId: building.buildingId, ...(expired ? { validFrom: now - 172_800, validTo: now - 86_400 } : {}) });
      if (!expired) await revokePower(world, powerId);
      pending.push(await signBallot(world, rep, meetingId, choose(), { voter: person.address, powerOfAttorney: powerId }));
      log.invalid++;
    } else if (act < 0.9) {
      const bad = await signBallot(world, person, meetingId, choose());
      const flavour = rnd.int(0, 2);
      if (flavour === 0) pending.push({ ...bad, choices: bad.choices ^ 1n }); // the signature no longer matches: discarded
      else if (flavour === 1) pending.push(await signBallot(world, person, meetingId, choose(), { deadline: BigInt(await latestTimestamp(world)) - 1n })); // past its deadline
      else pending.push(await signBallot(world, person, meetingId, 1n << BigInt(2 * questionCount))); // malformed
      log.invalid++;
    } else {
      // relayed, then the same voter again
      pending.push(await signBallot(world, person, meetingId, choose()), await signBallot(world, person, meetingId, choose()));
      log.relayed++;
      log.invalid++;
    }
    if (pending.length >= batchSize) await flush();
  }
  await enterQueuedPaper();

  // joint owners race: every holder of a joint holding signs, and one batch carries them all
  for (const holders of jointHolders(building)) {
    if (rnd.next() < 0.5) continue;
    for (const w of holders) pending.push(await signBallot(world, w, meetingId, choose()));
    log.relayed += holders.length;
  }
  // a sale during voting: the buyer has no weight at the snapshot
  if (!poll && building.premises.length > 0) {
    const buyer = new Wallet(id(`scenario buyer ${building.buildingId} ${meetingId}`), world.provider);
    const sold = rnd.pick(building.premises);
    sold.holdings = [{ holders: [buyer.address], share: SHARE_UNIT }];
    await (await world.registry.setOwners(sold.premisesId, sold.holdings)).wait();
    pending.push(await signBallot(world, buyer, meetingId, choose()));
    log.sales++;
    log.invalid++;
  }
  await flush();
  return log;
}

/**
 * The index of the first decision of a paper batch that could not count now (as `enterPaperDecisions`
 * would revert with it), or undefined when the whole batch would be entered.
 */
async function paperRejection(world: World, meetingId: bigint, decisions: PaperDecision[], administrator: string): Promise<number | undefined> {
  const data = world.hall.interface.encodeFunctionData("enterPaperDecisions", [meetingId, decisions]);
  try {
    await world.provider.call({ to: world.deployment.contracts.MeetingHall.address, from: administrator, data });
    return undefined;
  } catch (err) {
    const revert = (err as { data?: string }).data;
    const parsed = revert ? world.hall.interface.parseError(revert) : null;
    if (parsed?.name !== "MeetingHallPaperDecisionRejected") throw err;
    return Number(parsed.args[0]);
  }
}

/** Closes a meeting: moves the clock past its window and finalizes it. */
export async function finalize(world: World, meeting: { meetingId: bigint; votingEnd: number }): Promise<TransactionReceipt> {
  await advanceTo(world, meeting.votingEnd + 1);
  return (await (await world.hall.finalize(meeting.meetingId)).wait())!;
}

