/**
 * The durable ballot queue, behind an interface so that a server database can replace the embedded
 * one when several relayer instances share a queue. Every method that changes state is atomic.
 *
 * A ballot moves queued → batched → submitted → confirmed | rejected. A batch moves
 * planned → sent → mined | split | abandoned; a sent batch has one or more transactions (the
 * original and its replacements, all with the same sender and nonce).
 */
export type BallotState = "queued" | "batched" | "submitted" | "confirmed" | "rejected";
export type BatchState = "planned" | "sent" | "mined" | "split" | "abandoned";

export interface NewBallot {
  id: string;
  meetingId: bigint;
  voter: string;
  choices: bigint;
  signature: string;
}

export interface BallotRecord extends NewBallot {
  state: BallotState;
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
  meetingId: bigint;
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
  | { kind: "conflict"; ballot: BallotRecord };

export interface Confirmation {
  voter: string;
  txHash: string;
  blockNumber: number;
  logIndex: number;
  weight: string;
}

export interface Rejection {
  voter: string;
  reason: string;
}

/** What a mined batch did; ballots of the batch named in neither list go back to the queue. */
export interface BatchOutcome {
  confirmed: Confirmation[];
  rejected: Rejection[];
}

export interface BallotStore {
  /** Queues a ballot unless the same id exists (duplicate) or the voter has another live ballot in the meeting (conflict). */
  insert(ballot: NewBallot): InsertResult;
  /**
   * Like `insert`, with group commit: ballots enqueued within a short window (the same turn of the
   * event loop at least) are inserted, in order, in one transaction, and every promise settles only after that transaction
   * has committed (or failed).
   */
  enqueue(ballot: NewBallot): Promise<InsertResult>;
  get(id: string): BallotRecord | undefined;
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
  close(): void;
}
