/**
 * The register of one building rebuilt from the registry's events alone: premises with their areas and
 * owners, each voter's weight (Σ area × share), the total weight, residents and the poll electorate,
 * at any block. Independently, the weights the registry itself announced (`VoterWeightChanged`,
 * `BuildingWeightChanged`) are replayed, so that the two can be compared.
 */
import { SHARE_UNIT } from "#lib/domain.js";
import { ChainReader, registryInterface, topicOf, uintTopic, type DecodedLog } from "./chain.js";

export interface RegisterState {
  /** Weight per voter (lower-case address) rebuilt from premises and ownership. */
  weights: Map<string, bigint>;
  /** Σ area × SHARE_UNIT over the premises registered. */
  total: bigint;
  residents: Set<string>;
  /** Residents and owners with weight: who may answer a poll. */
  electorate: Set<string>;
  /** The registry's own announced weights and total (last value of each event). */
  announcedWeights: Map<string, bigint>;
  announcedTotal: bigint;
  announcedElectorate: bigint;
  premisesCount: number;
}

export class BuildingHistory {
  private constructor(
    readonly buildingId: bigint,
    private readonly events: DecodedLog[],
  ) {}

  static async load(reader: ChainReader, buildingId: bigint): Promise<BuildingHistory> {
    const names = [
      "PremisesRegistered",
      "OwnershipChanged",
      "VoterWeightChanged",
      "BuildingWeightChanged",
      "ResidentChanged",
      "ElectorateChanged",
    ];
    const topics = names.map((n) => topicOf(registryInterface, n));
    const events = await reader.logs("registry", [topics, uintTopic(buildingId)]);
    return new BuildingHistory(buildingId, events);
  }

  /** The register as it stood after block `blockNumber`. */
  stateAt(blockNumber: number): RegisterState {
    const area = new Map<bigint, bigint>();
    const holdings = new Map<bigint, Array<[string, bigint]>>();
    const weights = new Map<string, bigint>();
    const announcedWeights = new Map<string, bigint>();
    const residents = new Set<string>();
    let total = 0n;
    let announcedTotal = 0n;
    let announcedElectorate = 0n;
    const add = (voter: string, amount: bigint) => weights.set(voter, (weights.get(voter) ?? 0n) + amount);

    for (const e of this.events) {
      if (e.blockNumber > blockNumber) break;
      const a = e.args;
      switch (e.name) {
        case "PremisesRegistered":
          area.set(a.premisesId, a.area);
          total += a.area * SHARE_UNIT;
          break;
        case "OwnershipChanged": {
          const premisesArea = area.get(a.premisesId) ?? 0n;
          for (const [owner, share] of holdings.get(a.premisesId) ?? []) add(owner, -premisesArea * share);
          const next: Array<[string, bigint]> = (a.owners as string[]).map((o, i) => [o.toLowerCase(), BigInt(a.shares[i])]);
          for (const [owner, share] of next) add(owner, premisesArea * share);
          holdings.set(a.premisesId, next);
          break;
        }
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
      }
    }
    const electorate = new Set(residents);
    for (const [voter, w] of weights) if (w > 0n) electorate.add(voter);
    return {
      weights,
      total,
      residents,
      electorate,
      announcedWeights,
      announcedTotal,
      announcedElectorate,
      premisesCount: area.size,
    };
  }
}
