/**
 * The durable queue of ballots and forward requests, behind an interface so that a server database
 * can replace the embedded one when several relayer instances share a queue. Every method that
 * changes state is atomic.
 *
 * A ballot moves queued → batched → submitted → confirmed | rejected. A batch moves
 * planned → sent → mined | split | abandoned; a sent batch has one or more transactions (the
 * original and its replacements, all with the same sender and nonce). A forward request travels the
 * same way as a batch of its own (`BatchRecord.requestId`): one `Forwarder.execute` transaction.
 *
 * A joint owner's ballot claims the joint groups it will count (those no live ballot of another
 * holder claimed first). One that holds nothing alone and finds every group claimed cannot count and
 * is not queued; one that does hold something alone is queued and waits, unbatched, until every
 * ballot that claimed one of its groups has landed or been rejected, so that it never takes a group
 * from a ballot acknowledged before it.
 */
export type BallotState = "queued" | "batched" | "submitted" | "confirmed" | "rejected";
export type BatchState = "planned" | "sent" | "mined" | "split" | "abandoned";

export interface NewBallot {
  id: string;
  meetingId: bigint;
  voter: string;
  choices: bigint;
  signature: string;
  /** The zero address for the voter's own ballot, else who signed it for the voter. */
  representative: string;
  /** The power of attorney it is cast under (0 for the voter's own). */
  powerOfAttorney: bigint;
  /** The last timestamp at which it may count. */
  deadline: bigint;
}

/** What the queue needs to know of a joint owner's standing to queue their ballot. */
export interface JointStanding {
  /** The weight the voter holds alone at the snapshot. */
  ownWeight: bigint;
  /**
   * Their joint groups holding weight at the snapshot, each with the holder whose ballot counted it
   * on chain already (`votedBy`), if one has.
   */
  groups: Array<{ group: string; weight: bigint; votedBy?: string }>;
}

/** A joint group of a ballot's voter, and what became of it. */
export interface JointGroupRecord {
  group: string;
  /** The group's weight at the snapshot (decimal). */
  weight: string;
  /** Whether this ballot claimed it at intake (no earlier live ballot had). */
  claimed: boolean;
  /** Whether this ballot's weight counted it; null until the ballot is settled. */
  counted: boolean | null;
  /** The holder whose ballot counted it; null while unknown. */
  votedBy: string | null;
}

/** A live ballot that claimed a joint group first. */
export interface JointClaim {
  group: string;
  ballotId: string;
  voter: string;
  state: BallotState;
}

export interface BallotRecord extends NewBallot {
  state: BallotState;
  /** The voter held joint groups at the snapshot (see `jointGroups`). */
  joint: boolean;
  batchId: number | null;
  reason: string | null;
  txHash: string | null;
  blockNumber: number | null;
  logIndex: number | null;
  weight: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface TxRecord {
  hash: string;
  batchId: number;
  sender: string;
  nonce: number;
  raw: string;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  gasLimit: bigint;
  sentAt: number;
  broadcast: boolean;
}

export interface BatchRecord {
  id: number;
  /** The meeting of its ballots (0 for a forward request's batch). */
  meetingId: bigint;
  /** The forward request it carries, instead of ballots. */
  requestId: string | null;
  state: BatchState;
  sender: string | null;
  nonce: number | null;
  createdAt: number;
  ballots: BallotRecord[];
  txs: TxRecord[];
}

export type InsertResult =
  | { kind: "inserted"; ballot: BallotRecord }
  | { kind: "duplicate"; ballot: BallotRecord }
  | { kind: "conflict"; ballot: BallotRecord }
  /** The voter holds nothing alone and every joint group of theirs is claimed by another live ballot. */
  | { kind: "joint_taken"; claims: JointClaim[] };

export interface Confirmation {
  voter: string;
  txHash: string;
  blockNumber: number;
  logIndex: number;
  weight: string;
}

export interface Rejection {
  /** The ballot's id. */
  id: string;
  reason: string;
}

/** What a mined batch did; ballots of the batch named in neither list go back to the queue. */
export interface BatchOutcome {
  confirmed: Confirmation[];
  rejected: Rejection[];
  /**
   * Who counted the joint groups of the settled ballots' voters, as far as known: each group with the
   * holder whose ballot counted it.
   */
  jointGroupVotes?: Array<{ group: string; voter: string }>;
}

export type RequestState = BallotState;

/** A signed ERC-2771 forward request to the MeetingHall, as intake queues it. */
export interface NewRequest {
  /** The request's EIP-712 digest (with its nonce). */
  id: string;
  from: string;
  to: string;
  gas: bigint;
  nonce: bigint;
  deadline: bigint;
  data: string;
  signature: string;
  /** The MeetingHall function it calls. */
  functionName: string;
}

export interface RequestRecord extends NewRequest {
  state: RequestState;
  batchId: number | null;
  reason: string | null;
  txHash: string | null;
  blockNumber: number | null;
  createdAt: number;
  updatedAt: number;
}

export type RequestInsertResult =
  | { kind: "inserted"; request: RequestRecord }
  | { kind: "duplicate"; request: RequestRecord }
  /** Another live request of the signer holds this nonce. */
  | { kind: "conflict"; request: RequestRecord };

export interface BallotStore {
  /**
   * Queues a ballot unless the same id exists (duplicate), the voter has another live ballot in the
   * meeting (conflict), or, for a joint owner (`joint`), nothing of theirs is left to count.
   */
  insert(ballot: NewBallot, joint?: JointStanding): InsertResult;
  /**
   * Like `insert`, with group commit: ballots enqueued within a short window (the same turn of the
   * event loop at least) are inserted, in order, in one transaction, and every promise settles only after that transaction
   * has committed (or failed).
   */
  enqueue(ballot: NewBallot, joint?: JointStanding): Promise<InsertResult>;
  get(id: string): BallotRecord | undefined;
  /** The joint groups of a ballot's voter at its meeting's snapshot (none for a sole owner). */
  jointGroups(ballotId: string): JointGroupRecord[];
  /** The live ballots that claimed any of these joint groups in a meeting. */
  jointClaims(meetingId: bigint, groups: readonly string[]): JointClaim[];
  /** Gives a queued ballot (not yet in a batch) another signature of the same digest; whether it did. */
  replaceSignature(id: string, signature: string): boolean;
  /** The live (not rejected) ballot of a voter in a meeting. */
  findByVoter(meetingId: bigint, voter: string): BallotRecord | undefined;
  counts(): Record<BallotState, number>;
  /** Meetings with queued ballots: how many and since when the oldest waits. */
  queuedMeetings(): Array<{ meetingId: bigint; count: number; oldest: number }>;
  /**
   * Moves up to `limit` queued ballots of a meeting into a new planned batch: its id and how many
   * ballots it holds (its ballots are read when it is sent), or nothing when none are queued.
   */
  planBatch(meetingId: bigint, limit: number, priority?: number): { batchId: number; size: number } | undefined;
  countPlanned(): number;
  /** Meetings that have a batch planned or sent and not yet mined. */
  meetingsInFlight(): Set<bigint>;
  /** Up to `limit` planned batches not in `skip`, oldest first (split halves first), with their ballots. */
  plannedBatches(limit: number, skip?: ReadonlySet<number>): BatchRecord[];
  /** Records a signed transaction of a batch before it is broadcast: batch sent, ballots submitted. */
  recordSent(batchId: number, tx: TxRecord): void;
  /** Records a replacement transaction (same sender and nonce). */
  recordReplacement(tx: TxRecord): void;
  markBroadcast(hash: string): void;
  /** Sent batches with their transactions; `ballots` is left empty (see getBatch). */
  sentBatches(): BatchRecord[];
  /** A batch with its live ballots and transactions. */
  getBatch(batchId: number): BatchRecord | undefined;
  /** The latest transaction of a batch. */
  currentTx(batchId: number): TxRecord | undefined;
  /** Applies the receipt of a mined batch; ballots not named go back to the queue. */
  completeBatch(batchId: number, outcome: BatchOutcome): void;
  /** Splits a reverted or unsimulatable batch into two planned halves. */
  splitBatch(batchId: number): void;
  /** Gives a batch up and puts its live ballots back in the queue. */
  abandonBatch(batchId: number): void;
  rejectBallots(ids: string[], reason: string): void;
  /**
   * How many tries of a ballot reverted since it first reverted alone in a mined batch (0: never);
   * kept with the queue, so a restart does not start the count over.
   */
  reverts(ballotId: string): number;
  /**
   * Counts the try of a ballot in this batch (once, however often the batch is settled, as after a
   * crash) and returns the new count.
   */
  countRevert(ballotId: string, batchId: number): number;
  /** The highest nonce recorded for a sender, or -1. */
  maxNonce(sender: string): number;

  /** Queues a forward request unless the same id exists (duplicate) or another live request holds its signer's nonce (conflict). */
  insertRequest(request: NewRequest): RequestInsertResult;
  getRequest(id: string): RequestRecord | undefined;
  /** The request a batch carries. */
  requestOfBatch(batchId: number): RequestRecord | undefined;
  requestCounts(): Record<RequestState, number>;
  /** Moves up to `limit` queued requests, oldest first, into a planned batch each; how many. */
  planRequests(limit: number, priority: number): number;
  /** Settles a mined request batch: confirmed where its transaction landed, or rejected with why. */
  completeRequest(batchId: number, outcome: { txHash: string; blockNumber: number } | { reason: string }): void;
  close(): void;
}
