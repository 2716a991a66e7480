/**
 * The public status of a forward request, as `GET /v1/requests/{id}` answers it and
 * `POST /v1/requests` acknowledges it. The zod schemas type the answers and are what the OpenAPI
 * document publishes.
 */
import { z } from "zod";
import type { RequestRecord } from "../queue.js";

const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hash");
const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, "expected a decimal integer");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

const common = {
  id: hash.describe("The request's id: its EIP-712 digest (with its nonce)"),
  from: address.describe("The signer, for whom the MeetingHall acts"),
  function: z.string().describe("The MeetingHall function it calls"),
  nonce: decimal.describe("The signer's forwarder nonce it uses"),
  deadline: decimal.describe("The last chain timestamp at which it may execute"),
};

function statusSchema<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.discriminatedUnion("status", [
    z.strictObject({ ...common, ...extra, status: z.literal("queued").describe("Queued (or planned, not yet sent)") }),
    z.strictObject({ ...common, ...extra, status: z.literal("submitted"), txHash: hash.nullable().describe("The current transaction carrying it") }),
    z.strictObject({
      ...common,
      ...extra,
      status: z.literal("confirmed"),
      txHash: hash.describe("The transaction that executed it"),
      blockNumber: z.number().int().nonnegative(),
    }),
    z.strictObject({
      ...common,
      ...extra,
      status: z.literal("rejected"),
      reason: z.string().describe("Why: request_expired, refused:<forwarder error>, reverted:<MeetingHall error> or reverted"),
    }),
  ]);
}

export const requestStatusSchema = statusSchema({});
export type RequestStatus = z.output<typeof requestStatusSchema>;

export const requestAcknowledgementSchema = statusSchema({
  duplicate: z.boolean().describe("The relayer already held this request: the same id as the first post"),
});
export type RequestAcknowledgement = z.output<typeof requestAcknowledgementSchema>;

export function requestStatus(request: RequestRecord, currentTx: (batchId: number) => { hash: string } | undefined): RequestStatus {
  const base = {
    id: request.id,
    from: request.from,
    function: request.functionName,
    nonce: request.nonce.toString(),
    deadline: request.deadline.toString(),
  };
  switch (request.state) {
    case "queued":
    case "batched":
      return { ...base, status: "queued" };
    case "submitted":
      return { ...base, status: "submitted", txHash: (request.batchId === null ? undefined : currentTx(request.batchId))?.hash ?? null };
    case "confirmed":
      return { ...base, status: "confirmed", txHash: request.txHash!, blockNumber: request.blockNumber! };
    case "rejected":
      return { ...base, status: "rejected", reason: request.reason! };
  }
}
