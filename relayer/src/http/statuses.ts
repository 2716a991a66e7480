/**
 * The HTTP status of each error code the relayer answers: the toolkit's base table (malformed
 * bodies, rate limit, not found, `chain_unavailable` …) and the codes of intake's steps, in their
 * order, and of the ballot lookup. Intake and the rest of the core throw codes only.
 */
import { statusTable } from "#lib/http/statuses.js";

export const RELAYER_STATUSES = statusTable({
  // 1. schema, 2. size
  value_too_large: 400,
  // 3. EIP-712 domain, 4. signature
  wrong_domain: 400,
  bad_signature: 400,
  // 5. meeting open, the deadline
  unknown_meeting: 404,
  meeting_not_open: 409,
  meeting_closing: 409,
  invalid_deadline: 400,
  ballot_expired: 409,
  malformed_choices: 400,
  // 6. a representative's power of attorney
  no_power_of_attorney: 403,
  // 7. eligible at the snapshot
  not_eligible: 403,
  // 8. not already voted or queued
  already_voted: 409,
  already_queued: 409,
  // GET /v1/ballots/{id}
  unknown_ballot: 404,
  // POST /v1/requests, in intake's order (request-intake.ts): target, function, deadline, nonce, simulation
  wrong_target: 400,
  invalid_value: 400,
  gas_too_high: 400,
  function_not_allowed: 400,
  malformed_call: 400,
  request_expired: 409,
  wrong_nonce: 409,
  request_reverted: 422,
  // GET /v1/requests/{id}
  unknown_request: 404,
});
