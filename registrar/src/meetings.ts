/**
 * A meeting's people, from the register in force at its snapshot: who has not voted yet (for the
 * meeting's administrator and initiator, to remind them), and the protocol's annexes (for the
 * operator): the register of owners at the snapshot, and the participants with their
 * identification data. The register is the version published last at or before the snapshot
 * (store.ts); before answering, its owners' weights are checked against the chain's at the snapshot
 * (`votersAt`), so a register that is not the one the chain counted by is refused
 * (`register_out_of_step`), never shown. Ballots come from the hall's events: `BallotCast` and,
 * for joint holdings counted by one holder's ballot, `JointGroupVoted`.
 */
import { AbiCoder, getAddress, keccak256, toUtf8Bytes, type JsonRpcProvider } from "ethers";
import type { BuildingRegistry, MeetingHall } from "#typechain/index.js";
import { BALLOT_FORMS, KINDS, SHARE_UNIT, nameAt, type PremisesKindName } from "#lib/domain.js";
import { AppError } from "#lib/errors.js";
import { annexSchema, type Annex } from "#lib/protocol/annex.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";
import type { CanonicalPerson, CanonicalRegister } from "./canonical.js";
import { parseArea, parseFraction, shareUnits } from "./quantities.js";
import type { KindCode } from "./register-file.js";
import type { RegisterStore, RegisterVersion, StoredBuilding } from "./store.js";

/** A premises' kind as the register file writes it, and as the chain and the annex name it. */
const ANNEX_KINDS: Readonly<Record<KindCode, PremisesKindName>> = { residential: "Residential", "non-residential": "NonResidential", parking: "ParkingSpace" };

const JOINT_GROUP_TAG = keccak256(toUtf8Bytes("DigitalHome.JointGroup"));

/** `IBuildingRegistry.jointGroupOf`: the address of the joint group of these holders in a building. */
export function jointGroupOf(buildingId: bigint, holders: string[]): string {
  const sorted = holders.map((h) => getAddress(h)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const digest = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "address[]"], [JOINT_GROUP_TAG, buildingId, sorted]));
  return getAddress("0x" + digest.slice(-40));
}

export interface MeetingInfo {
  meetingId: string;
  buildingId: string;
  kind: string;
  initiator: string;
  administrator: string;
  snapshot: number;
  votingStart: number;
  votingEnd: number;
  status: number;
}

/** One unit that carries votes at the snapshot: a person's own holdings, or a joint group's. */
interface VotingUnit {
  /** The person, or the joint group's address. */
  address: string;
  holders: string[];
  weight: bigint;
  premises: Set<string>;
}

interface RegisterAtSnapshot {
  meeting: MeetingInfo;
  building: StoredBuilding;
  version: RegisterVersion;
  register: CanonicalRegister;
  persons: Map<string, CanonicalPerson>;
  /** Own units by person id, joint units by group address. */
  own: Map<string, VotingUnit>;
  joint: Map<string, VotingUnit>;
  /** People eligible for a poll: owners and residents, with the premises they own or live in. */
  pollElectorate: Map<string, Set<string>>;
  totalWeight: bigint;
}

interface Ballot {
  voter: string;
  representative: string;
  weight: bigint;
  choices: bigint;
  form: string;
  txHash: string;
  blockNumber: number;
  jointGroups: Array<{ group: string; weight: bigint }>;
}

export interface MeetingRegistersOptions {
  /** Blocks per eth_getLogs request. */
  logChunk: number;
  /** The first block to read events from (the deployment's). */
  startBlock: number;
}

export class MeetingRegisters {
  constructor(
    private readonly store: RegisterStore,
    private readonly provider: JsonRpcProvider,
    private readonly registry: BuildingRegistry,
    private readonly hall: MeetingHall,
    private readonly options: MeetingRegistersOptions,
  ) {}

  private async chain<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUnreachable(err)) throw chainUnavailable(err);
      throw err;
    }
  }

  async meeting(meetingId: bigint): Promise<MeetingInfo> {
    let view;
    try {
      view = await this.hall.getMeeting(meetingId);
    } catch (err) {
      if (isUnreachable(err)) throw chainUnavailable(err);
      const data = (err as { data?: unknown }).data;
      const parsed = typeof data === "string" ? this.hall.interface.parseError(data) : null;
      if (parsed?.name === "MeetingHallUnknownMeeting") throw new AppError("unknown_meeting", `no meeting ${meetingId}`);
      throw err;
    }
    return {
      meetingId: meetingId.toString(),
      buildingId: view.buildingId.toString(),
      kind: nameAt(KINDS, view.kind) ?? String(view.kind),
      initiator: getAddress(view.initiator),
      administrator: getAddress(view.administrator),
      snapshot: Number(view.snapshot),
      votingStart: Number(view.votingStart),
      votingEnd: Number(view.votingEnd),
      status: Number(view.status),
    };
  }

  /** The register in force at the meeting's snapshot, checked against the chain's weights then. */
  private async registerAt(meetingId: bigint): Promise<RegisterAtSnapshot> {
    const meeting = await this.meeting(meetingId);
    const building = this.store.buildingById(BigInt(meeting.buildingId));
    if (!building) throw new AppError("building_not_registered", `building ${meeting.buildingId} of meeting ${meetingId} is not in the registrar's register`);
    const version = this.store.versionAt(building.key, meeting.snapshot);
    if (!version) throw new AppError("register_not_published", `no register of building ${meeting.buildingId} was published before the snapshot of meeting ${meetingId}`);
    const register = JSON.parse(version.canonical) as CanonicalRegister;
    const persons = new Map(register.persons.map((p) => [p.personId, p]));
    const own = new Map<string, VotingUnit>();
    const joint = new Map<string, VotingUnit>();
    const pollElectorate = new Map<string, Set<string>>();
    const buildingId = BigInt(meeting.buildingId);
    for (const p of register.premises) {
      const area = parseArea(p.area)!;
      for (const h of p.holdings) {
        const weight = area * shareUnits(parseFraction(h.share)!)!;
        let unit: VotingUnit;
        if (h.holders.length === 1) {
          const id = h.holders[0]!;
          unit = own.get(id) ?? { address: persons.get(id)!.address, holders: [id], weight: 0n, premises: new Set() };
          own.set(id, unit);
        } else {
          const group = jointGroupOf(buildingId, h.holders.map((id) => persons.get(id)!.address));
          unit = joint.get(group) ?? { address: group, holders: [...h.holders], weight: 0n, premises: new Set() };
          joint.set(group, unit);
        }
        unit.weight += weight;
        unit.premises.add(p.number);
        for (const id of h.holders) pollElectorate.set(id, (pollElectorate.get(id) ?? new Set()).add(p.number));
      }
    }
    for (const r of register.residents) pollElectorate.set(r.personId, (pollElectorate.get(r.personId) ?? new Set()).add(r.premises));
    await this.checkWeights(meeting, register, own, joint, pollElectorate);
    const totalWeight = await this.chain(() => this.registry.totalWeightAt(buildingId, meeting.snapshot));
    // every premises of the building is in the register: the areas add up to the chain's total
    const registerTotal = register.premises.reduce((n, p) => n + parseArea(p.area)!, 0n) * SHARE_UNIT;
    if (registerTotal !== totalWeight) {
      throw new AppError("register_out_of_step", `the register published before meeting ${meetingId}'s snapshot holds a total weight of ${registerTotal}, the chain ${totalWeight}`, {
        details: { meetingId: meeting.meetingId, differences: [{ address: "total", register: registerTotal.toString(), chain: totalWeight.toString() }] },
      });
    }
    return { meeting, building, version, register, persons, own, joint, pollElectorate, totalWeight };
  }

  /** Refuses a register whose owners do not hold at the snapshot what the chain says they held. */
  private async checkWeights(
    meeting: MeetingInfo,
    register: CanonicalRegister,
    own: Map<string, VotingUnit>,
    joint: Map<string, VotingUnit>,
    pollElectorate: Map<string, Set<string>>,
  ): Promise<void> {
    const poll = meeting.kind === "Poll";
    const people = register.persons;
    const differences: Array<{ address: string; register: string; chain: string }> = [];
    const chainGroups = new Map<string, bigint>();
    for (let i = 0; i < people.length; i += 200) {
      const slice = people.slice(i, i + 200);
      const words = await this.chain(() => this.registry.votersAt(BigInt(meeting.buildingId), slice.map((p) => p.address), meeting.snapshot, poll));
      let g = slice.length;
      for (const [k, p] of slice.entries()) {
        const word = words[k]!;
        const weight = word >> 40n;
        const groupCount = Number((word >> 32n) & 0xffn);
        const expected = poll ? (pollElectorate.has(p.personId) ? 1n : 0n) : (own.get(p.personId)?.weight ?? 0n);
        if (weight !== expected) differences.push({ address: p.address, register: expected.toString(), chain: weight.toString() });
        for (let j = 0; j < groupCount; j++) {
          chainGroups.set(getAddress("0x" + words[g + 1]!.toString(16).padStart(40, "0")), words[g]! >> 32n);
          g += 2;
        }
      }
    }
    if (!poll) {
      for (const [group, unit] of joint) {
        const weight = chainGroups.get(group) ?? 0n;
        if (weight !== unit.weight) differences.push({ address: group, register: unit.weight.toString(), chain: weight.toString() });
      }
      for (const [group, weight] of chainGroups) {
        if (!joint.has(group) && weight !== 0n) differences.push({ address: group, register: "0", chain: weight.toString() });
      }
    }
    if (differences.length > 0) {
      throw new AppError(
        "register_out_of_step",
        `the register published before meeting ${meeting.meetingId}'s snapshot does not hold the weights the chain counts by (${differences.length} differ); it cannot stand for that meeting`,
        { details: { meetingId: meeting.meetingId, differences: differences.slice(0, 20) } },
      );
    }
  }

  /** The meeting's counted ballots, in chain order, with the joint groups each counted. */
  private async ballots(meetingId: bigint): Promise<Ballot[]> {
    const latest = await this.chain(() => this.provider.getBlockNumber());
    const castTopic = this.hall.interface.getEvent("BallotCast").topicHash;
    const jointTopic = this.hall.interface.getEvent("JointGroupVoted").topicHash;
    const idTopic = "0x" + meetingId.toString(16).padStart(64, "0");
    const ballots: Ballot[] = [];
    let pendingGroups: Array<{ group: string; voter: string; weight: bigint }> = [];
    const address = await this.hall.getAddress();
    for (let from = this.options.startBlock; from <= latest; from += this.options.logChunk) {
      const to = Math.min(latest, from + this.options.logChunk - 1);
      const logs = await this.chain(() => this.provider.getLogs({ address, fromBlock: from, toBlock: to, topics: [[castTopic, jointTopic], idTopic] }));
      for (const log of logs) {
        const e = this.hall.interface.parseLog({ topics: [...log.topics], data: log.data });
        if (!e) continue;
        if (e.name === "JointGroupVoted") {
          pendingGroups.push({ group: getAddress(e.args.group as string), voter: getAddress(e.args.voter as string), weight: e.args.weight as bigint });
          continue;
        }
        const voter = getAddress(e.args.voter as string);
        ballots.push({
          voter,
          representative: getAddress(e.args.representative as string),
          weight: e.args.weight as bigint,
          choices: e.args.choices as bigint,
          form: nameAt(BALLOT_FORMS, e.args.form as bigint) ?? String(e.args.form),
          txHash: log.transactionHash,
          blockNumber: log.blockNumber,
          // JointGroupVoted is emitted just before the BallotCast that counted the group
          jointGroups: pendingGroups.filter((g) => g.voter === voter).map(({ group, weight }) => ({ group, weight })),
        });
        pendingGroups = pendingGroups.filter((g) => g.voter !== voter);
      }
    }
    return ballots;
  }

  /**
   * The owners (a poll: owners and residents) at the snapshot whose votes are not counted yet, for
   * the meeting's administrator or initiator (`caller`); anyone else is `not_meeting_officer`.
   */
  async notVoted(meetingId: bigint, caller: string) {
    const meeting = await this.meeting(meetingId);
    const who = getAddress(caller);
    if (who !== meeting.initiator && who !== meeting.administrator) {
      throw new AppError("not_meeting_officer", `only meeting ${meetingId}'s administrator or initiator sees who has not voted`);
    }
    const r = await this.registerAt(meetingId);
    const ballots = await this.ballots(meetingId);
    const voted = new Set(ballots.map((b) => b.voter));
    const votedGroups = new Set(ballots.flatMap((b) => b.jointGroups.map((g) => g.group)));
    // the address too: the administrator enters a paper decision for it, on chain
    const rows: Array<{ personId: string; name: string; address: string; premises: string[]; weight: string }> = [];
    let outstanding = 0n;
    const people = r.meeting.kind === "Poll" ? [...r.pollElectorate.keys()] : r.register.persons.map((p) => p.personId);
    for (const personId of people.sort()) {
      const person = r.persons.get(personId)!;
      if (voted.has(person.address)) continue;
      if (r.meeting.kind === "Poll") {
        rows.push({ personId, name: person.name, address: person.address, premises: [...r.pollElectorate.get(personId)!].sort(), weight: "1" });
        outstanding += 1n;
        continue;
      }
      let weight = 0n;
      const premises = new Set<string>();
      const ownUnit = r.own.get(personId);
      if (ownUnit) {
        weight += ownUnit.weight;
        for (const p of ownUnit.premises) premises.add(p);
      }
      for (const [group, unit] of r.joint) {
        if (!unit.holders.includes(personId) || votedGroups.has(group)) continue;
        weight += unit.weight;
        for (const p of unit.premises) premises.add(p);
      }
      if (weight === 0n) continue;
      rows.push({ personId, name: person.name, address: person.address, premises: [...premises].sort(), weight: weight.toString() });
    }
    // a joint holding counts once: the weight outstanding is each unit not yet counted, once
    if (r.meeting.kind !== "Poll") {
      for (const [id, unit] of r.own) if (!voted.has(r.persons.get(id)!.address)) outstanding += unit.weight;
      for (const [group, unit] of r.joint) if (!votedGroups.has(group) && !unit.holders.some((id) => voted.has(r.persons.get(id)!.address))) outstanding += unit.weight;
    }
    return {
      meeting: r.meeting,
      register: { registerHash: r.version.registerHash, version: r.version.version },
      totalWeight: r.meeting.kind === "Poll" ? r.pollElectorate.size.toString() : r.totalWeight.toString(),
      outstandingWeight: outstanding.toString(),
      notVoted: rows,
    };
  }

  /**
   * The protocol's annexes as lib/protocol/annex.ts defines them (the shape the keeper reads): the
   * register of owners at the snapshot, one row per holder and premises, and everyone else the
   * protocol may name — the register's residents and organisations, the initiator, the administrator
   * and every representative who cast a ballot — with their identity data; and the register's
   * version in force at the snapshot with its canonical text, whose keccak256 is `registerHash`.
   */
  async annex(meetingId: bigint): Promise<Annex> {
    const r = await this.registerAt(meetingId);
    const ballots = await this.ballots(meetingId);
    const owners = r.register.premises.flatMap((p) =>
      p.holdings.flatMap((h) =>
        h.holders.map((holder) => {
          const person = r.persons.get(holder)!;
          return {
            address: person.address,
            personId: holder,
            fullName: person.name,
            identity: person.identity,
            premisesId: p.premisesId,
            premisesNumber: p.number,
            premisesKind: ANNEX_KINDS[p.kind],
            areaM2: p.area,
            premisesCadastralNumber: p.cadastralNumber,
            share: h.share.includes("/") ? h.share : `${h.share}/1`,
            ownership: h.ownership,
            titleDocument: h.title,
          };
        }),
      ),
    );
    const named = new Set(owners.map((o) => o.address));
    const persons: Annex["persons"] = [];
    const add = (p: { personId: string; name: string; identity: string; address: string } | undefined) => {
      if (!p || named.has(p.address)) return;
      named.add(p.address);
      persons.push({ address: p.address, personId: p.personId, fullName: p.name, identity: p.identity });
    };
    for (const p of r.register.persons) add(p);
    const zero = "0x0000000000000000000000000000000000000000";
    const byAddress = (address: string) => {
      const stored = this.store.personByAddress(getAddress(address));
      return stored ? { personId: stored.personId, name: stored.name, identity: stored.identity, address: getAddress(address) } : undefined;
    };
    for (const address of [r.meeting.initiator, r.meeting.administrator, ...ballots.map((b) => b.voter), ...ballots.map((b) => b.representative).filter((a) => a !== zero)]) add(byAddress(address));
    return annexSchema.parse({
      meetingId: r.meeting.meetingId,
      buildingId: r.meeting.buildingId,
      building: { address: r.register.building.address, cadastralNumber: r.register.building.cadastralNumber },
      registerHash: r.version.registerHash,
      register: {
        version: r.version.version,
        publishedInTransaction: r.version.txHash,
        publishedInBlock: r.version.blockNumber,
        publishedAt: new Date(r.version.blockTimestamp * 1000).toISOString(),
        canonical: r.version.canonical,
      },
      owners,
      persons,
    });
  }
}
