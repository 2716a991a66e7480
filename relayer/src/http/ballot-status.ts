/**
 * The public status of a ballot, as `GET /v1/ballots/{id}` answers it and `POST /v1/ballots`
 * acknowledges it. The zod schemas here are the shape the answers are typed by and the schemas the
 * OpenAPI document publishes, so the two cannot drift apart.
 */
import { z } from "zod";
import type { BallotRecord, BallotStore } from "../queue.js";

const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hash");
const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, "expected a decimal integer");
const count = z.number().int().nonnegative();

const common = {
  id: hash.describe("The ballot's id: its EIP-712 digest"),
  meetingId: decimal,
  voter: z.string().regex(/^0x[0-9a-fA-F]{40}$/).describe("The voter's checksummed address"),
  choices: decimal.describe("Packed answers, two bits a question: 1 For, 2 Against, 3 Abstain"),
};

/** The four states a client sees, each with what it carries; `extra` adds fields to every one. */
function statusSchema<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.discriminatedUnion("status", [
    z.strictObject({ ...common, ...extra, status: z.literal("queued").describe("Queued (or in a batch not yet sent)") }),
    z.strictObject({
      ...common,
      ...extra,
      status: z.literal("submitted"),
      txHash: hash.nullable().describe("The current transaction of the ballot's batch"),
    }),
    z.strictObject({
      ...common,
      ...extra,
      status: z.literal("confirmed"),
      txHash: hash.describe("The transaction that counted the ballot"),
      blockNumber: count,
      logIndex: count.describe("Index of the BallotCast event in its block"),
      weight: decimal.describe("The weight counted"),
    }),
    z.strictObject({
      ...common,
      ...extra,
      status: z.literal("rejected"),
      reason: z
        .string()
        .describe("Why: the contract's reason (meeting_not_open, bad_signature, not_eligible, already_voted, malformed_choices) or reverted"),
    }),
  ]);
}

export const ballotStatusSchema = statusSchema({});
export type BallotStatus = z.output<typeof ballotStatusSchema>;

/** The answer to an accepted post: the status, and whether the relayer already held the ballot. */
export const ballotAcknowledgementSchema = statusSchema({
  duplicate: z.boolean().describe("The relayer already held this ballot: the same id as the first post"),
});
export type BallotAcknowledgement = z.output<typeof ballotAcknowledgementSchema>;

/** The public status of a ballot. */
export function ballotStatus(ballot: BallotRecord, store: BallotStore): BallotStatus {
  const base = {
    id: ballot.id,
    meetingId: ballot.meetingId.toString(),
    voter: ballot.voter,
    choices: ballot.choices.toString(),
  };
  switch (ballot.state) {
    case "queued":
    case "batched":
      return { ...base, status: "queued" };
    case "submitted": {
      const tx = ballot.batchId === null ? undefined : store.currentTx(ballot.batchId);
      return { ...base, status: "submitted", txHash: tx?.hash ?? null };
    }
    case "confirmed":
      // The queue sets these together when it confirms a ballot (completeBatch).
      return {
        ...base,
        status: "confirmed",
        txHash: ballot.txHash!,
        blockNumber: ballot.blockNumber!,
        logIndex: ballot.logIndex!,
        weight: ballot.weight!,
      };
    case "rejected":
      // Every way into "rejected" records its reason.
      return { ...base, status: "rejected", reason: ballot.reason! };
  }
}
