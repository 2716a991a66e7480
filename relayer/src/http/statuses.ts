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
  // 5. meeting open
  unknown_meeting: 404,
  meeting_not_open: 409,
  meeting_closing: 409,
  malformed_choices: 400,
  // 6. eligible at the snapshot
  not_eligible: 403,
  // 7. not already voted or queued
  already_voted: 409,
  already_queued: 409,
  // GET /v1/ballots/{id}
  unknown_ballot: 404,
});
