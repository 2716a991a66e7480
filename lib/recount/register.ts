/**
 * The register of one building rebuilt from the registry's events alone, at any block: premises with
 * their areas and holdings, each member's weight (Σ area × share, a joint holding's on its joint
 * group), the joint groups with their holders (their addresses derived here as the registry derives
 * them), the total weight, residents, organisers and the poll electorate. Independently, what the
 * registry itself announced (`VoterWeightChanged`, `BuildingWeightChanged`, `ElectorateChanged`,
 * `JointGroupRegistered`) is replayed, so that the two can be compared.
 */
import { AbiCoder, getAddress, keccak256, toUtf8Bytes } from "ethers";
import { ORGANISER_ROLES, SHARE_UNIT, nameAt, type OrganiserRoleName } from "../domain.js";
import { ChainReader, registryInterface, topicOf, uintTopic, type DecodedLog } from "./chain.js";
import type { Difference } from "./differences.js";

const JOINT_GROUP_TAG = keccak256(toUtf8Bytes("DigitalHome.JointGroup"));
const abi = AbiCoder.defaultAbiCoder();

/** Holders in the registry's order: ascending as numbers, which for addresses of one length is ascending hex. */
export const sortHolders = (holders: readonly string[]) => holders.map((h) => h.toLowerCase()).sort();

/**
 * The address of the joint group of `holders` in a building, as `BuildingRegistry.jointGroupOf`
 * derives it: the low 160 bits of keccak256(abi.encode(keccak256("DigitalHome.JointGroup"),
 * buildingId, sortedHolders)). Lower-case.
 */
export function jointGroupAddress(buildingId: bigint, holders: readonly string[]): string {
  const encoded = abi.encode(["bytes32", "uint256", "address[]"], [JOINT_GROUP_TAG, buildingId, sortHolders(holders)]);
  return "0x" + keccak256(encoded).slice(-40);
}

export interface RegisterState {
  buildingId: bigint;
  /** Weight per member (lower-case address: a person, or a joint group) rebuilt from premises and holdings. */
  weights: Map<string, bigint>;
  /** Joint groups rebuilt from holdings: address (derived) → sorted holders. */
  groups: Map<string, string[]>;
  /** Each person's joint groups in the order they were first used. */
  groupsOf: Map<string, string[]>;
  /** Σ area × SHARE_UNIT over the premises registered. */
  total: bigint;
  residents: Set<string>;
  /** Residents and persons owning something, alone or through a joint group with weight: who may answer a poll. */
  electorate: Set<string>;
  organisers: Map<string, OrganiserRoleName>;
  registerHash: string | null;
  /** Each premises with its area (0.01 m²) and holdings (holders lower-case, shares of SHARE_UNIT): what a register's annex is checked against. */
  premises: Map<bigint, { area: bigint; kind: number; holdings: Array<{ holders: string[]; share: bigint }> }>;
  /** The registry's own announcements (last value of each event). */
  announcedWeights: Map<string, bigint>;
  announcedTotal: bigint;
  announcedElectorate: bigint;
  /** `JointGroupRegistered`: group address as emitted → holders as emitted (lower-case). */
  announcedGroups: Map<string, string[]>;
  premisesCount: number;
}

/** The weight a person holds alone at this state. */
export const ownWeight = (state: RegisterState, person: string) => state.weights.get(person.toLowerCase()) ?? 0n;

/** A person's joint groups that hold weight at this state, with their weights. */
export function activeGroups(state: RegisterState, person: string): Array<{ group: string; weight: bigint }> {
  return (state.groupsOf.get(person.toLowerCase()) ?? [])
    .map((group) => ({ group, weight: state.weights.get(group) ?? 0n }))
    .filter((g) => g.weight > 0n);
}

/** Whether a person owns something at this state: alone, as a co-owner, or as a joint owner. */
export const isOwner = (state: RegisterState, person: string) => !state.groups.has(person.toLowerCase()) && (ownWeight(state, person) > 0n || activeGroups(state, person).length > 0);

/** Whether an account may announce a meeting at this state: an owner or an organiser of the building. */
export const mayAnnounce = (state: RegisterState, account: string) => isOwner(state, account) || (state.organisers.get(account.toLowerCase()) ?? "None") !== "None";

export class BuildingHistory {
  private constructor(
    readonly buildingId: bigint,
    private readonly events: DecodedLog[],
  ) {}

  static async load(reader: ChainReader, buildingId: bigint): Promise<BuildingHistory> {
    const names = [
      "PremisesRegistered",
      "OwnershipChanged",
      "JointGroupRegistered",
      "VoterWeightChanged",
      "BuildingWeightChanged",
      "ResidentChanged",
      "ElectorateChanged",
      "OrganiserChanged",
      "RegisterPublished",
    ];
    const topics = names.map((n) => topicOf(registryInterface, n));
    const events = await reader.logs("registry", [topics, uintTopic(buildingId)]);
    return new BuildingHistory(buildingId, events);
  }

  /**
   * The register as it stood after block `blockNumber`, or, with `beforeLogIndex`, within that block
   * just before the log with that index (what a transaction of the block saw).
   */
  stateAt(blockNumber: number, beforeLogIndex?: number): RegisterState {
    const area = new Map<bigint, bigint>();
    const holdingsOf = new Map<bigint, Array<[string, bigint]>>();
    const premises = new Map<bigint, { area: bigint; kind: number; holdings: Array<{ holders: string[]; share: bigint }> }>();
    const weights = new Map<string, bigint>();
    const groups = new Map<string, string[]>();
    const groupsOf = new Map<string, string[]>();
    const announcedWeights = new Map<string, bigint>();
    const announcedGroups = new Map<string, string[]>();
    const residents = new Set<string>();
    const organisers = new Map<string, OrganiserRoleName>();
    let registerHash: string | null = null;
    let total = 0n;
    let announcedTotal = 0n;
    let announcedElectorate = 0n;
    const add = (member: string, amount: bigint) => weights.set(member, (weights.get(member) ?? 0n) + amount);
    const memberOf = (holders: string[]) => {
      if (holders.length === 1) return holders[0].toLowerCase();
      const sorted = sortHolders(holders);
      const group = jointGroupAddress(this.buildingId, sorted);
      if (!groups.has(group)) {
        groups.set(group, sorted);
        for (const h of sorted) groupsOf.set(h, [...(groupsOf.get(h) ?? []), group]);
      }
      return group;
    };

    for (const e of this.events) {
      if (e.blockNumber > blockNumber || (e.blockNumber === blockNumber && beforeLogIndex !== undefined && e.logIndex >= beforeLogIndex)) break;
      const a = e.args;
      switch (e.name) {
        case "PremisesRegistered":
          area.set(a.premisesId, a.area);
          premises.set(a.premisesId, { area: a.area, kind: Number(a.kind), holdings: [] });
          total += a.area * SHARE_UNIT;
          break;
        case "OwnershipChanged": {
          const premisesArea = area.get(a.premisesId) ?? 0n;
          for (const [member, share] of holdingsOf.get(a.premisesId) ?? []) add(member, -premisesArea * share);
          const next: Array<[string, bigint]> = (a.holdings as Array<{ holders: string[]; share: bigint }>).map((h) => [memberOf([...h.holders]), BigInt(h.share)]);
          for (const [member, share] of next) add(member, premisesArea * share);
          holdingsOf.set(a.premisesId, next);
          premises.set(a.premisesId, { area: premisesArea, kind: premises.get(a.premisesId)?.kind ?? 0, holdings: (a.holdings as Array<{ holders: string[]; share: bigint }>).map((h) => ({ holders: sortHolders([...h.holders]), share: BigInt(h.share) })) });
          break;
        }
        case "JointGroupRegistered":
          announcedGroups.set((a.group as string).toLowerCase(), (a.holders as string[]).map((h) => h.toLowerCase()));
          break;
        case "VoterWeightChanged":
          announcedWeights.set((a.voter as string).toLowerCase(), a.newWeight);
          break;
        case "BuildingWeightChanged":
          announcedTotal = a.newWeight;
          break;
        case "ResidentChanged":
          if (a.registered) residents.add((a.resident as string).toLowerCase());
          else residents.delete((a.resident as string).toLowerCase());
          break;
        case "ElectorateChanged":
          announcedElectorate = a.newSize;
          break;
        case "OrganiserChanged":
          organisers.set((a.account as string).toLowerCase(), nameAt(ORGANISER_ROLES, a.role) ?? "None");
          break;
        case "RegisterPublished":
          registerHash = a.registerHash;
          break;
      }
    }
    const state: RegisterState = {
      buildingId: this.buildingId,
      weights,
      groups,
      groupsOf,
      total,
      residents,
      electorate: new Set(),
      organisers,
      registerHash,
      premises,
      announcedWeights,
      announcedTotal,
      announcedElectorate,
      announcedGroups,
      premisesCount: area.size,
    };
    for (const resident of residents) state.electorate.add(resident);
    for (const member of weights.keys()) if (isOwner(state, member)) state.electorate.add(member);
    for (const person of groupsOf.keys()) if (isOwner(state, person)) state.electorate.add(person);
    return state;
  }
}

/**
 * The registry's announcements must agree with the register rebuilt from ownership: every member's
 * weight, the total, the electorate, and every joint group (its address derived from its holders, as
 * the registry derives it, and registered with exactly those holders).
 */
export function compareRegister(register: RegisterState, differences: Difference[]): void {
  const members = new Set([...register.weights.keys(), ...register.announcedWeights.keys()]);
  for (const member of members) {
    const rebuilt = register.weights.get(member) ?? 0n;
    const announced = register.announcedWeights.get(member) ?? 0n;
    if (rebuilt !== announced) {
      const what = register.groups.has(member) || register.announcedGroups.has(member) ? "joint group" : "voter";
      differences.push({ where: `register, ${what} ${getAddress(member)}`, field: "weight (VoterWeightChanged)", expected: rebuilt.toString(), actual: announced.toString() });
    }
  }
  if (register.total !== register.announcedTotal) {
    differences.push({ where: "register", field: "total weight (BuildingWeightChanged)", expected: register.total.toString(), actual: register.announcedTotal.toString() });
  }
  if (BigInt(register.electorate.size) !== register.announcedElectorate) {
    differences.push({ where: "register", field: "electorate (ElectorateChanged)", expected: String(register.electorate.size), actual: register.announcedElectorate.toString() });
  }
  const holders = (list: readonly string[]) => list.map((h) => getAddress(h)).join(" ");
  for (const [group, sorted] of register.groups) {
    const where = `register, joint group of ${holders(sorted)}`;
    const announced = register.announcedGroups.get(group);
    if (!announced) {
      differences.push({ where, field: "JointGroupRegistered", expected: `group ${getAddress(group)}`, actual: "missing" });
    } else if (announced.join() !== sorted.join()) {
      differences.push({ where, field: "holders (JointGroupRegistered)", expected: holders(sorted), actual: holders(announced) });
    }
  }
  for (const [group, announced] of register.announcedGroups) {
    const derived = jointGroupAddress(register.buildingId, announced);
    if (derived !== group) {
      differences.push({ where: `register, joint group of ${holders(announced)}`, field: "address (JointGroupRegistered)", expected: getAddress(derived), actual: getAddress(group) });
    } else if (!register.groups.has(group)) {
      differences.push({ where: `register, joint group ${getAddress(group)}`, field: "holdings", expected: `a joint holding of ${holders(announced)}`, actual: "none registered" });
    }
  }
}
