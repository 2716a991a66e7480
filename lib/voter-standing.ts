/**
 * A voter's standing in a meeting as `BuildingRegistry.votersAt` gives it: the weight they hold alone
 * at the snapshot and each joint group (premises held jointly, e.g. by spouses) through which they
 * hold more. A joint owner's ballot counts their own weight and every one of their groups that no
 * other holder has voted for yet; so whether someone may still vote depends on both.
 *
 * The registry packs the answer into words: first one word per voter asked about,
 * `weight << 40 | groupCount << 32 | memberIndex`, then, in the voters' order, two words per joint
 * group holding weight at the timepoint, `weight << 32 | memberIndex` and the group's address. The
 * relayer's intake and the custodial wallet read it the same way, here.
 */
import { getAddress, toBeHex } from "ethers";
import { AppError } from "./errors.js";

const MEMBER_MASK = (1n << 32n) - 1n;

export interface JointGroupStanding {
  /** The group's address (checksummed). */
  group: string;
  /** The group's member number in the building. */
  index: number;
  /** The weight of the group's joint holdings at the timepoint. */
  weight: bigint;
}

export interface VoterStanding {
  /** The weight held alone (a poll: 1 for a resident or owner, else 0). */
  weight: bigint;
  /** The voter's member number in the building (0: never a member). */
  index: number;
  /** The joint groups holding weight at the timepoint (none in a poll). */
  groups: JointGroupStanding[];
}

/** Whether the standing lets its holder vote at all: weight of their own, or through a joint group. */
export function holdsWeight(standing: VoterStanding): boolean {
  return standing.weight > 0n || standing.groups.some((g) => g.weight > 0n);
}

/**
 * Decodes `votersAt(building, voters, timepoint, perPerson)` for `count` voters. Throws when the
 * words do not have the shape the registry gives (a node answering something else).
 */
export function decodeVotersAt(words: readonly bigint[], count: number): VoterStanding[] {
  if (words.length < count) {
    throw new AppError("invalid_voters_at", `votersAt answered ${words.length} words for ${count} voters`);
  }
  let next = count;
  const standings: VoterStanding[] = [];
  for (let i = 0; i < count; i++) {
    const word = words[i]!;
    const groupCount = Number((word >> 32n) & 0xffn);
    const groups: JointGroupStanding[] = [];
    for (let j = 0; j < groupCount; j++) {
      const head = words[next];
      const address = words[next + 1];
      if (head === undefined || address === undefined) {
        throw new AppError("invalid_voters_at", `votersAt answered too few words for voter ${i}'s ${groupCount} joint groups`);
      }
      groups.push({ group: getAddress(toBeHex(address, 20)), index: Number(head & MEMBER_MASK), weight: head >> 32n });
      next += 2;
    }
    standings.push({ weight: word >> 40n, index: Number(word & MEMBER_MASK), groups });
  }
  if (next !== words.length) {
    throw new AppError("invalid_voters_at", `votersAt answered ${words.length} words, expected ${next}`);
  }
  return standings;
}
