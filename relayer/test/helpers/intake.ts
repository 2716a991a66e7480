/**
 * An intake over a real in-memory queue, with the readers it consults (meetings and the clock,
 * eligibility, the voted index, account code) answering from a chain the test scripts. Intake's job
 * is the order and the codes of its checks, not reading the node (meetings.ts, eligibility.ts and
 * voted-index.ts do that, and have tests against a real node), so scripted answers test it
 * honestly and fast. Every read intake makes is logged in `reads`, in order.
 */
import type { TypedDataDomain } from "ethers";
import { ballotDomain } from "#lib/ballot.js";
import type { Eligibility } from "../../src/eligibility.js";
import { AppError } from "#lib/errors.js";
import { chainUnavailable } from "#lib/rpc.js";
import { Intake } from "../../src/intake.js";
import { STATUS_ANNOUNCED, type MeetingDirectory, type MeetingInfo } from "../../src/meetings.js";
import { SqliteBallotStore } from "../../src/sqlite-queue.js";
import type { VotedIndex } from "../../src/voted-index.js";
import type { ContractWallets } from "../../src/wallets.js";

export const HALL = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const CHAIN_ID = 31337;

export type Read = "meeting" | "clock" | "fresh clock" | "weight" | "voted" | "code" | "wallet";

export interface ScriptedChain {
  /** Meetings the hall knows. */
  meetings: Map<bigint, MeetingInfo>;
  /** The clock as last read in the background, and as a fresh reading finds it. */
  clock: { timestamp: number; blockNumber: number };
  fresh: { timestamp: number; blockNumber: number };
  /** Weights at the snapshot, by checksummed address (absent: 0). */
  weights: Map<string, bigint>;
  /** Counted ballots, as `${meetingId}:${voter}`. */
  voted: Set<string>;
  /** Every read fails as from a node that cannot be reached. */
  unreachable: boolean;
  reads: Read[];
  /** Meetings intake asked eligibility and the voted index to prepare. */
  prepared: string[];
  /** Contract wallets: address → whether it accepts any signature it is asked about. */
  wallets: Map<string, boolean>;
  /** The closing margin intake is given, seconds (0: none). */
  closingMargin: number;
}

/** Meeting 1: announced, three questions, snapshot at 900, voting from 1000 to 2000; the clock at 1500. */
export function openMeeting(meetingId = 1n, overrides: Partial<MeetingInfo> = {}): MeetingInfo {
  return { meetingId, buildingId: 1n, kind: 0, status: STATUS_ANNOUNCED, questionCount: 3, snapshot: 900, votingStart: 1000, votingEnd: 2000, ...overrides };
}

export interface ScriptedIntake {
  intake: Intake;
  store: SqliteBallotStore;
  chain: ScriptedChain;
  domain: TypedDataDomain;
  close(): void;
}

export function scriptedIntake(options: { maxSignatureBytes?: number } = {}): ScriptedIntake {
  const chain: ScriptedChain = {
    meetings: new Map([[1n, openMeeting()]]),
    clock: { timestamp: 1500, blockNumber: 100 },
    fresh: { timestamp: 1500, blockNumber: 100 },
    weights: new Map(),
    voted: new Set(),
    unreachable: false,
    reads: [],
    prepared: [],
    wallets: new Map(),
    closingMargin: 0,
  };
  const read = (what: Read) => {
    chain.reads.push(what);
    if (chain.unreachable) throw chainUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }));
  };

  // The members of MeetingDirectory, Eligibility, VotedIndex and ContractWallets that intake uses.
  const meetings = {
    meeting: async (meetingId: bigint) => {
      read("meeting");
      const info = chain.meetings.get(meetingId);
      if (!info) throw new AppError("unknown_meeting", `no meeting has id ${meetingId}`);
      return info;
    },
    now: async (fresh = false) => {
      read(fresh ? "fresh clock" : "clock");
      return fresh ? chain.fresh : chain.clock;
    },
  };
  const eligibility = {
    weight: async (_meeting: MeetingInfo, voter: string) => {
      read("weight");
      return chain.weights.get(voter) ?? 0n;
    },
    prepare: async (meeting: MeetingInfo) => {
      chain.prepared.push(`register ${meeting.meetingId}`);
    },
  };
  const votedIndex = {
    hasVoted: async (meetingId: bigint, voter: string) => {
      read("voted");
      return chain.voted.has(`${meetingId}:${voter}`);
    },
    prepare: async (meetingId: bigint) => {
      chain.prepared.push(`voters ${meetingId}`);
    },
  };

  const wallets = {
    isContract: async (address: string) => {
      read("code");
      return chain.wallets.has(address);
    },
    accepts: async (address: string) => {
      read("wallet");
      return chain.wallets.get(address) === true;
    },
  };

  const store = new SqliteBallotStore(":memory:", 0);
  const domain = ballotDomain(CHAIN_ID, HALL);
  const intake = new Intake(
    store,
    meetings as unknown as MeetingDirectory,
    eligibility as unknown as Eligibility,
    votedIndex as unknown as VotedIndex,
    wallets as unknown as ContractWallets,
    domain,
    { maxSignatureBytes: options.maxSignatureBytes ?? 1024, closingMarginSeconds: () => chain.closingMargin },
  );
  return { intake, store, chain, domain, close: () => store.close() };
}

/** The error code `promise` rejects with (a AppError), failing if it resolves or throws anything else. */
export async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, message: err.message, details: err.details };
    throw err;
  }
  throw new Error("expected a refusal, the ballot was accepted");
}
