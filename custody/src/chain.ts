/**
 * What custody reads from the chain before it signs anything: the meeting a ballot is for (announced,
 * its window, its snapshot, its agenda's length), whether the voter holds weight at the snapshot
 * (alone or through a joint group), a representative's power of attorney, the chain's clock, and, for
 * a forward request, the forwarder's nonce of the resident and the hall's answer to the call. Custody
 * signs only what these say can count, so a stolen token cannot collect signatures for a meeting that
 * does not exist yet, nor for a voter who may not vote.
 */
import { getAddress, type JsonRpcProvider } from "ethers";
import { BuildingRegistry__factory, Forwarder__factory, MeetingHall__factory } from "#typechain/index.js";
import type { Deployment } from "#lib/deployment.js";
import { Kind, Status } from "#lib/domain.js";
import { AppError } from "#lib/errors.js";
import { decodeContractError, revertData, type DecodedError } from "#lib/contract-errors.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { decodeVotersAt, type VoterStanding } from "#lib/voter-standing.js";

export interface MeetingFacts {
  meetingId: bigint;
  buildingId: bigint;
  poll: boolean;
  announced: boolean;
  questionCount: number;
  snapshot: number;
  votingStart: number;
  votingEnd: number;
}

export interface PowerFacts {
  principal: string;
  representative: string;
  buildingId: bigint;
  meetingId: bigint;
  validFrom: number;
  validTo: number;
  revoked: boolean;
}

/** How the hall answers a call made for the resident through the forwarder. */
export type ForwardedCall = { ok: true; gas: bigint } | { ok: false; error: DecodedError };

/** Reads the chain; every failure to reach the node is `chain_unavailable`. */
export class CustodyChain {
  private readonly hall;
  private readonly registry;
  private readonly forwarder;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly deployment: Deployment,
  ) {
    this.hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, provider);
    this.registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, provider);
    this.forwarder = Forwarder__factory.connect(deployment.contracts.Forwarder.address, provider);
  }

  get forwarderAddress(): string {
    return this.deployment.contracts.Forwarder.address;
  }

  get hallAddress(): string {
    return this.deployment.contracts.MeetingHall.address;
  }

  /** The latest block's timestamp. */
  now(): Promise<number> {
    return this.read(async () => Number(BigInt((await this.provider.send("eth_getBlockByNumber", ["latest", false])).timestamp)));
  }

  /** The meeting, or undefined when the hall has none with this id. */
  meeting(meetingId: bigint): Promise<MeetingFacts | undefined> {
    return this.read(async () => {
      try {
        const m = await this.hall.getMeeting(meetingId);
        return {
          meetingId,
          buildingId: m.buildingId,
          poll: Number(m.kind) === Kind.Poll,
          announced: Number(m.status) === Status.Announced,
          questionCount: Number(m.questionCount),
          snapshot: Number(m.snapshot),
          votingStart: Number(m.votingStart),
          votingEnd: Number(m.votingEnd),
        };
      } catch (err) {
        if (decodeContractError(revertData(err))?.name === "MeetingHallUnknownMeeting") return undefined;
        throw err;
      }
    });
  }

  /** The voter's standing at the meeting's snapshot: weight alone and joint groups (a poll: one a person). */
  standing(meeting: MeetingFacts, voter: string): Promise<VoterStanding> {
    return this.read(async () => {
      const words = await this.registry.votersAt(meeting.buildingId, [voter], meeting.snapshot, meeting.poll);
      return decodeVotersAt(words, 1)[0]!;
    });
  }

  /** The power of attorney with this id, or undefined when there is none. */
  power(id: bigint): Promise<PowerFacts | undefined> {
    return this.read(async () => {
      try {
        const [p, revoked] = await this.hall.powerOfAttorney(id);
        return {
          principal: getAddress(p.principal),
          representative: getAddress(p.representative),
          buildingId: p.buildingId,
          meetingId: p.meetingId,
          validFrom: Number(p.validFrom),
          validTo: Number(p.validTo),
          revoked,
        };
      } catch (err) {
        if (decodeContractError(revertData(err))?.name === "MeetingHallUnknownPowerOfAttorney") return undefined;
        throw err;
      }
    });
  }

  /** The forwarder's current nonce for `account`. */
  nonce(account: string): Promise<bigint> {
    return this.read(() => this.forwarder.nonces(account));
  }

  /**
   * The gas the hall's call needs when the forwarder makes it for `from` (ERC-2771: the sender's
   * address appended to the data), or the hall's custom error refusing it.
   */
  forwardedCall(from: string, data: string): Promise<ForwardedCall> {
    return this.read(async () => {
      try {
        const gas: string = await this.provider.send("eth_estimateGas", [
          { from: this.forwarderAddress, to: this.hallAddress, data: data + from.slice(2).toLowerCase() },
          // as the transaction will run: in the block sealed next (see lib/rpc.ts)
          "pending",
        ]);
        return { ok: true, gas: BigInt(gas) };
      } catch (err) {
        if (isUnreachable(err)) throw err;
        const data = revertData(err);
        if (data === undefined && (err as { code?: string }).code !== "CALL_EXCEPTION") throw err;
        return { ok: false, error: decodeContractError(data) ?? { name: "reverted", args: {} } };
      }
    });
  }

  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isUnreachable(err)) throw chainUnavailable(err);
      if (err instanceof AppError) throw err;
      throw new AppError("chain_error", "the chain node answered a read with an error", { cause: err, retryable: true });
    }
  }
}
