/**
 * An intake over a real in-memory queue, with the readers it consults (meetings and the clock,
 * powers of attorney, eligibility, the voted index, account code) answering from a chain the test
 * scripts. Intake's job
 * is the order and the codes of its checks, not reading the node (meetings.ts, eligibility.ts and
 * voted-index.ts do that, and have tests against a real node), so scripted answers test it
 * honestly and fast. Every read intake makes is logged in `reads`, in order.
 */
import type { TypedDataDomain } from "ethers";
import { ballotDomain } from "#lib/ballot.js";
import type { JointGroupStanding } from "#lib/voter-standing.js";
import type { Eligibility } from "../../src/eligibility.js";
import type { PowerRecord, PowersOfAttorney } from "../../src/powers.js";
import { AppError } from "#lib/errors.js";
import { chainUnavailable } from "#lib/rpc.js";
import { Intake } from "../../src/intake.js";
import type { ForwarderCalls, RequestSimulation } from "../../src/forwarding.js";
import { RequestIntake } from "../../src/request-intake.js";
import { STATUS_ANNOUNCED, type MeetingDirectory, type MeetingInfo } from "../../src/meetings.js";
import { SqliteBallotStore } from "../../src/sqlite-queue.js";
import type { VotedIndex } from "../../src/voted-index.js";
import type { ContractWallets } from "../../src/wallets.js";

export const HALL = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const FORWARDER = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";
export const CHAIN_ID = 31337;

export type Read = "meeting" | "clock" | "fresh clock" | "power" | "weight" | "voted" | "code" | "wallet" | "nonce" | "verify" | "simulate";

export interface ScriptedChain {
  /** Meetings the hall knows. */
  meetings: Map<bigint, MeetingInfo>;
  /** The clock as last read in the background, and as a fresh reading finds it. */
  clock: { timestamp: number; blockNumber: number };
  fresh: { timestamp: number; blockNumber: number };
  /** Weights held alone at the snapshot, by checksummed address (absent: 0). */
  weights: Map<string, bigint>;
  /** Joint groups holding weight at the snapshot, by checksummed holder address. */
  groups: Map<string, JointGroupStanding[]>;
  /** Counted ballots, as `${meetingId}:${voter}`. */
  voted: Set<string>;
  /** Joint groups counted, as `${meetingId}:${group}` → the voter whose ballot counted each. */
  groupVotes: Map<string, string>;
  /** Recorded powers of attorney by id. */
  powers: Map<bigint, PowerRecord>;
  /** Every read fails as from a node that cannot be reached. */
  unreachable: boolean;
  reads: Read[];
  /** Meetings intake asked eligibility and the voted index to prepare. */
  prepared: string[];
  /** Contract wallets: address → whether it accepts any signature it is asked about. */
  wallets: Map<string, boolean>;
  /** The closing margin intake is given, seconds (0: none). */
  closingMargin: number;
  /** The forwarder: each signer's nonce (absent: 0), whether `verify` passes, and the hall's answer to a simulated call. */
  forwarder: { nonces: Map<string, bigint>; verifies: boolean; simulation: RequestSimulation };
}

/** Meeting 1: announced, three questions, snapshot at 900, voting from 1000 to 2000; the clock at 1500. */
export function openMeeting(meetingId = 1n, overrides: Partial<MeetingInfo> = {}): MeetingInfo {
  return { meetingId, buildingId: 1n, kind: 0, status: STATUS_ANNOUNCED, questionCount: 3, snapshot: 900, votingStart: 1000, votingEnd: 2000, ...overrides };
}

export interface ScriptedIntake {
  intake: Intake;
  requestIntake: RequestIntake;
  store: SqliteBallotStore;
  chain: ScriptedChain;
  domain: TypedDataDomain;
  close(): void;
}

export function scriptedIntake(options: { maxSignatureBytes?: number; signerLimit?: (signer: string) => number } = {}): ScriptedIntake {
  const chain: ScriptedChain = {
    meetings: new Map([[1n, openMeeting()]]),
    clock: { timestamp: 1500, blockNumber: 100 },
    fresh: { timestamp: 1500, blockNumber: 100 },
    weights: new Map(),
    groups: new Map(),
    voted: new Set(),
    groupVotes: new Map(),
    powers: new Map(),
    unreachable: false,
    reads: [],
    prepared: [],
    wallets: new Map(),
    closingMargin: 0,
    forwarder: { nonces: new Map(), verifies: true, simulation: { kind: "ok" } },
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
    standing: async (_meeting: MeetingInfo, voter: string) => {
      read("weight");
      return { weight: chain.weights.get(voter) ?? 0n, index: 0, groups: chain.groups.get(voter) ?? [] };
    },
    prepare: async (meeting: MeetingInfo) => {
      chain.prepared.push(`register ${meeting.meetingId}`);
    },
  };
  const votedIndex = {
    votedIn: async (meetingId: bigint) => {
      read("voted");
      const voted = new Map<string, string>();
      for (const key of chain.voted) if (key.startsWith(`${meetingId}:`)) voted.set(key.slice(key.indexOf(":") + 1), key.slice(key.indexOf(":") + 1));
      for (const [key, voter] of chain.groupVotes) if (key.startsWith(`${meetingId}:`)) voted.set(key.slice(key.indexOf(":") + 1), voter);
      return voted;
    },
    prepare: async (meetingId: bigint) => {
      chain.prepared.push(`voters ${meetingId}`);
    },
  };

  const powers = {
    power: async (id: bigint) => {
      read("power");
      return chain.powers.get(id);
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
    powers as unknown as PowersOfAttorney,
    wallets as unknown as ContractWallets,
    domain,
    { maxSignatureBytes: options.maxSignatureBytes ?? 1024, closingMarginSeconds: () => chain.closingMargin },
  );
  const forwarder = {
    forwarderAddress: FORWARDER,
    hallAddress: HALL,
    nonce: async (signer: string) => {
      read("nonce");
      return chain.forwarder.nonces.get(signer) ?? 0n;
    },
    verify: async () => {
      read("verify");
      return chain.forwarder.verifies;
    },
    simulateCall: async () => {
      read("simulate");
      return chain.forwarder.simulation;
    },
  };
  const requestIntake = new RequestIntake(store, meetings as unknown as MeetingDirectory, forwarder as unknown as ForwarderCalls, BigInt(CHAIN_ID), {
    maxGas: 5_000_000n,
    maxDataBytes: 65_536,
    closingMarginSeconds: () => chain.closingMargin,
    signerLimit: options.signerLimit,
  });
  return { intake, requestIntake, store, chain, domain, close: () => store.close() };
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
