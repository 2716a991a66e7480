/**
 * The OpenAPI 3.1 description of the relayer's API, served at /v1/openapi.json. The ballot request
 * body is the JSON Schema of the zod schema intake validates with, and the ballot answers those of
 * the schemas the app's answers are typed by (ballot-status.ts): the document is generated from
 * them, never written beside them.
 */
import { z } from "zod";
import { ballotRequestSchema } from "../intake.js";
import { forwardRequestSchema } from "../request-intake.js";
import { CONTENT_ENCODINGS } from "./ballot-body.js";
import { ballotAcknowledgementSchema, ballotStatusSchema } from "./ballot-status.js";
import { requestAcknowledgementSchema, requestStatusSchema } from "./request-status.js";

/**
 * A zod schema as JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), without its `$schema`
 * line: what a request must be (`input`) or what an answer is (`output`).
 */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "throw" });
  return rest;
}

const errorSchema = z.strictObject({
  error: z.strictObject({
    code: z.string().describe("Stable machine-readable code"),
    message: z.string().describe("What is wrong, for people"),
    details: z.record(z.string(), z.unknown()).optional().describe("Values that explain the failure"),
  }),
});

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ "application/json": { schema } });

const requestIdHeader = {
  "X-Request-Id": {
    description: "The client's X-Request-Id when it is a token of 1–64 letters, digits, '.', '_' or '-'; else a new one",
    schema: { type: "string" },
  },
};

const failure = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers: { ...requestIdHeader, ...headers },
  content: json(ref("Error")),
});

export const relayerOpenApi = {
  openapi: "3.1.0",
  info: {
    title: "Digital Home relayer",
    version: "1.0.0",
    description:
      "Accepts EIP-712 signed ballots, queues them durably and casts them in batches (MeetingHall.castBallotsBySig); " +
      "accepts signed ERC-2771 forward requests for the MeetingHall and executes them (Forwarder.execute). " +
      "The relayer pays gas and cannot forge or alter a ballot or a request.",
  },
  paths: {
    "/v1/ballots": {
      post: {
        summary: "Submit a signed ballot",
        description:
          "Checks, in this order: schema (invalid_request, malformed_json, unsupported_encoding), size (payload_too_large, " +
          "value_too_large), EIP-712 domain (wrong_domain), signature of the signer — the representative when there is one, " +
          "else the voter (bad_signature: an account's signature must be 65 bytes with v = 27 or 28 and a low s; a contract " +
          "wallet is asked through ERC-1271 after eligibility), meeting open (unknown_meeting, meeting_not_open, " +
          "meeting_closing: too close to the close for the ballot to be counted), the signed deadline (invalid_deadline: after " +
          "the meeting's close; ballot_expired: passed, or too soon for the ballot to be counted), malformed_choices, a " +
          "representative's power of attorney (no_power_of_attorney: unknown, revoked, another principal, representative, " +
          "building or meeting, not valid now), eligibility at the snapshot (not_eligible: no weight alone nor through a joint " +
          "group), not already voted or queued (already_voted, already_queued: the voter's own ballot, or, for a joint owner " +
          "who holds nothing alone, every joint group voted or claimed by another holder's ballot queued first); then queues the " +
          "ballot durably and answers 202, a promise that it lands before the close. " +
          "Posting the same ballot again answers with the same id and duplicate: true. The body is JSON in UTF-8 or UTF-16, " +
          `sent as it is or with a Content-Encoding of ${CONTENT_ENCODINGS.join(", ")}. Anonymous clients are rate limited ` +
          "per address; a client presenting one of the relayer's client tokens (Authorization: Bearer) is not, and a wrong " +
          "token is refused (unauthenticated).",
        requestBody: { required: true, content: json(ref("BallotRequest")) },
        responses: {
          "202": {
            description: "Queued (or already known)",
            headers: {
              ...requestIdHeader,
              Location: { description: "The ballot's status: /v1/ballots/{id}", schema: { type: "string" } },
            },
            content: json(ref("BallotAcknowledgement")),
          },
          "400": failure("invalid_request, malformed_json, value_too_large, wrong_domain, bad_signature, invalid_deadline, malformed_choices, bad_request"),
          "401": failure("unauthenticated: a bearer token that is not one of the relayer's client tokens"),
          "403": failure("no_power_of_attorney, not_eligible"),
          "404": failure("unknown_meeting"),
          "409": failure("meeting_not_open, meeting_closing, ballot_expired, already_voted or already_queued"),
          "413": failure("payload_too_large"),
          "415": failure("unsupported_encoding: a Content-Encoding or charset the relayer does not read"),
          "429": failure("rate_limited", { "Retry-After": { description: "Seconds to wait", schema: { type: "integer", minimum: 1 } } }),
          "500": failure("internal"),
          "503": failure("chain_unavailable: the chain node cannot be reached; retry later"),
        },
      },
    },
    "/v1/ballots/{id}": {
      get: {
        summary: "Status of a ballot",
        parameters: [
          { name: "id", in: "path", required: true, description: "The ballot's id (its EIP-712 digest)", schema: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } },
        ],
        responses: {
          "200": { description: "The ballot's status", headers: requestIdHeader, content: json(ref("BallotStatus")) },
          "400": failure("invalid_request: not a ballot id"),
          "404": failure("unknown_ballot"),
        },
      },
    },
    "/v1/requests": {
      post: {
        summary: "Submit a signed ERC-2771 forward request for the MeetingHall",
        description:
          "Lets an account without ether act on the MeetingHall: the relayer pays the gas of Forwarder.execute. Checks, in " +
          "this order: schema (invalid_request, malformed_json, unsupported_media_type), size (payload_too_large, " +
          "value_too_large), target (wrong_target: only the MeetingHall; invalid_value: no ether; gas_too_high), function " +
          "(function_not_allowed: only announceMeeting, announcePoll, cancel, enterPaperDecisions, recordPowerOfAttorney, " +
          "revokePowerOfAttorney, castBallot, castBallotFor, finalize; malformed_call), deadline (request_expired: passed or " +
          "too soon), signature (bad_signature: by from, in the canonical form, and verified by the forwarder), the signer's " +
          "own rate limit (rate_limited), nonce (wrong_nonce: not the forwarder's current nonce for the signer), simulation " +
          "(request_reverted: the MeetingHall refuses the call; details name its custom error and arguments), not queued " +
          "already (already_queued: another request of the signer holds the nonce); then queues it durably and answers 202. " +
          "An acknowledged request is executed once: the forwarder consumes the nonce.",
        requestBody: { required: true, content: json(ref("ForwardRequest")) },
        responses: {
          "202": {
            description: "Queued (or already known)",
            headers: { ...requestIdHeader, Location: { description: "The request's status: /v1/requests/{id}", schema: { type: "string" } } },
            content: json(ref("RequestAcknowledgement")),
          },
          "400": failure("invalid_request, malformed_json, value_too_large, wrong_target, invalid_value, gas_too_high, function_not_allowed, malformed_call, bad_signature"),
          "401": failure("unauthenticated: a bearer token that is not one of the relayer's client tokens"),
          "409": failure("request_expired, wrong_nonce, already_queued"),
          "413": failure("payload_too_large"),
          "415": failure("unsupported_media_type: the body must be application/json"),
          "422": failure("request_reverted: the MeetingHall's custom error (details.error) and its arguments (details.args)"),
          "429": failure("rate_limited: per address, or per signer", { "Retry-After": { description: "Seconds to wait", schema: { type: "integer", minimum: 1 } } }),
          "500": failure("internal"),
          "503": failure("chain_unavailable: the chain node cannot be reached; retry later"),
        },
      },
    },
    "/v1/requests/{id}": {
      get: {
        summary: "Status of a forward request",
        parameters: [
          { name: "id", in: "path", required: true, description: "The request's id (its EIP-712 digest)", schema: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } },
        ],
        responses: {
          "200": { description: "The request's status", headers: requestIdHeader, content: json(ref("RequestStatus")) },
          "400": failure("invalid_request: not a request id"),
          "404": failure("unknown_request"),
        },
      },
    },
    "/v1/domain": {
      get: { summary: "The EIP-712 domain ballots are signed for", responses: { "200": { description: "name, version, chainId, verifyingContract" } } },
    },
    "/v1/health": {
      get: {
        summary: "Health: chain reachability (read from the node at most once a second) and queue counts",
        responses: { "200": { description: "Healthy" }, "503": { description: "Chain unreachable" } },
      },
    },
    "/v1/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
    "/metrics": {
      get: {
        summary: "Prometheus metrics, for the bearer of RELAYER_METRICS_TOKEN",
        responses: {
          "200": { description: "Text exposition format" },
          "401": failure("unauthenticated: no metrics token"),
          "403": failure("forbidden: another token"),
          "404": failure("not_found: metrics are not served (no RELAYER_METRICS_TOKEN)"),
        },
      },
    },
  },
  components: {
    schemas: {
      BallotRequest: jsonSchemaOf(ballotRequestSchema, "input"),
      BallotStatus: jsonSchemaOf(ballotStatusSchema, "output"),
      BallotAcknowledgement: jsonSchemaOf(ballotAcknowledgementSchema, "output"),
      ForwardRequest: jsonSchemaOf(forwardRequestSchema, "input"),
      RequestStatus: jsonSchemaOf(requestStatusSchema, "output"),
      RequestAcknowledgement: jsonSchemaOf(requestAcknowledgementSchema, "output"),
      Error: jsonSchemaOf(errorSchema, "output"),
    },
  },
};
