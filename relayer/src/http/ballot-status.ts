/**
 * The public status of a ballot, as `GET /v1/ballots/{id}` answers it and `POST /v1/ballots`
 * acknowledges it. The zod schemas here are the shape the answers are typed by and the schemas the
 * OpenAPI document publishes, so the two cannot drift apart.
 */
import { ZeroAddress } from "ethers";
import { z } from "zod";
import { REJECT_CODES } from "#lib/domain.js";
import type { BallotRecord, BallotStore } from "../queue.js";

const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hash");
const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, "expected a decimal integer");
const count = z.number().int().nonnegative();

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/** A joint group of the voter's (premises held jointly) and what became of it in this ballot. */
const jointGroup = z.strictObject({
  group: address.describe("The joint group's address"),
  weight: decimal.describe("The group's weight at the snapshot"),
  counted: z.boolean().nullable().describe("Whether this ballot's weight counted the group; null until the ballot is settled"),
  votedBy: address.nullable().describe("The joint owner whose ballot counted the group (this voter, or another who voted first); null while unknown"),
});

const common = {
  id: hash.describe("The ballot's id: its EIP-712 digest"),
  meetingId: decimal,
  voter: address.describe("The voter's checksummed address (for a representative's ballot, the principal's)"),
  representative: address.nullable().describe("Who signed it for the voter under a power of attorney; null for the voter's own ballot"),
  powerOfAttorney: decimal.nullable().describe("The power of attorney it is cast under; null for the voter's own ballot"),
  choices: decimal.describe("Packed answers, two bits a question: 1 For, 2 Against, 3 Abstain"),
  deadline: decimal.describe("The last chain timestamp at which it may count, as signed"),
  jointGroups: z
    .array(jointGroup)
    .optional()
    .describe("The voter's joint groups at the snapshot, when they hold any: a joint owner's ballot counts each group no other holder's ballot counted first"),
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
        .describe(
          `Why: the contract's reason (${Object.values(REJECT_CODES).join(", ")}; ${REJECT_CODES.BadSignature} for a ballot the contract discarded) or reverted`,
        ),
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
  const byRepresentative = ballot.representative !== ZeroAddress;
  const groups = ballot.joint ? store.jointGroups(ballot.id) : [];
  const base = {
    id: ballot.id,
    meetingId: ballot.meetingId.toString(),
    voter: ballot.voter,
    representative: byRepresentative ? ballot.representative : null,
    powerOfAttorney: byRepresentative ? ballot.powerOfAttorney.toString() : null,
    choices: ballot.choices.toString(),
    deadline: ballot.deadline.toString(),
    ...(groups.length > 0 ? { jointGroups: groups.map(({ group, weight, counted, votedBy }) => ({ group, weight, counted, votedBy })) } : {}),
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
