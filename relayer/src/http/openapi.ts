/** The OpenAPI 3.1 description of the relayer's API, served at /v1/openapi.json. */
const error = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: "Stable machine-readable code" },
        message: { type: "string" },
        details: { type: "object" },
      },
    },
  },
};

const integer = {
  oneOf: [
    { type: "string", pattern: "^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$" },
    { type: "integer", minimum: 0 },
  ],
};

const status = {
  type: "object",
  required: ["id", "status", "meetingId", "voter", "choices"],
  properties: {
    id: { type: "string", description: "The ballot's EIP-712 digest" },
    status: { type: "string", enum: ["queued", "submitted", "confirmed", "rejected"] },
    meetingId: { type: "string" },
    voter: { type: "string" },
    choices: { type: "string" },
    txHash: { type: ["string", "null"], description: "submitted: the current transaction; confirmed: the one that counted it" },
    blockNumber: { type: "integer" },
    logIndex: { type: "integer", description: "Index of the BallotCast event in its block" },
    weight: { type: "string", description: "The weight counted" },
    reason: {
      type: "string",
      description: "rejected: meeting_not_open, bad_signature, not_eligible, already_voted, malformed_choices or reverted",
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

export const relayerOpenApi = {
  openapi: "3.1.0",
  info: {
    title: "Digital Home relayer",
    version: "1.0.0",
    description:
      "Accepts EIP-712 signed ballots, queues them durably and casts them in batches (MeetingHall.castBallotsBySig). " +
      "The relayer pays gas and cannot forge or alter a ballot.",
  },
  paths: {
    "/v1/ballots": {
      post: {
        summary: "Submit a signed ballot",
        description:
          "Checks, in this order: schema (invalid_request, malformed_json), size (payload_too_large, value_too_large), " +
          "EIP-712 domain (wrong_domain), signature (bad_signature), meeting open (unknown_meeting, meeting_not_open, " +
          "malformed_choices), eligibility at the snapshot (not_eligible), not already voted or queued (already_voted, " +
          "already_queued); then queues the ballot durably and answers 202. Posting the same ballot again returns the same id.",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["meetingId", "voter", "choices", "signature"],
                additionalProperties: false,
                properties: {
                  meetingId: integer,
                  voter: { type: "string", description: "0x address of the voter" },
                  choices: { ...integer, description: "Packed answers, two bits a question: 1 For, 2 Against, 3 Abstain" },
                  signature: { type: "string", description: "0x hex: 65-byte ECDSA signature, or an ERC-1271 wallet's" },
                  domain: {
                    type: "object",
                    description: "Optional: the EIP-712 domain the client signed for; checked against the relayer's",
                    properties: {
                      name: { type: "string" },
                      version: { type: "string" },
                      chainId: integer,
                      verifyingContract: { type: "string" },
                    },
                  },
                },
              },
            },
          },
        },
        responses: {
          "202": { description: "Queued (or already known)", content: { "application/json": { schema: status } } },
          "400": errorResponse("Invalid ballot"),
          "403": errorResponse("not_eligible"),
          "404": errorResponse("unknown_meeting"),
          "409": errorResponse("meeting_not_open, already_voted or already_queued"),
          "413": errorResponse("payload_too_large"),
          "429": errorResponse("rate_limited"),
          "503": errorResponse("chain_unavailable"),
        },
      },
    },
    "/v1/ballots/{id}": {
      get: {
        summary: "Status of a ballot",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": { description: "The ballot's status", content: { "application/json": { schema: status } } },
          "404": errorResponse("unknown_ballot"),
        },
      },
    },
    "/v1/domain": { get: { summary: "The EIP-712 domain ballots are signed for", responses: { "200": { description: "Domain" } } } },
    "/v1/health": {
      get: { summary: "Health: chain reachability and queue counts", responses: { "200": { description: "Healthy" }, "503": { description: "Chain unreachable" } } },
    },
    "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "Text exposition format" } } } },
  },
  components: { schemas: { Error: error, BallotStatus: status } },
} as const;
