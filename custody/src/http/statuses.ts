/** The HTTP status of each error code the custodial wallet answers: the toolkit's base table and custody's own codes. */
import { TOKEN_REFUSAL_STATUSES } from "#lib/http/auth.js";
import { statusTable } from "#lib/http/statuses.js";

export const CUSTODY_STATUSES = statusTable({
  // a bearer token refused, each reason by its own code (lib/http/auth.ts)
  ...TOKEN_REFUSAL_STATUSES,
  // login and who the resident is
  invalid_code: 401,
  too_many_attempts: 429,
  unknown_audience: 400,
  unknown_resident: 403,
  // what may be signed: a ballot (ballot-rules.ts), a forward request (forward-requests.ts)
  foreign_voter: 403,
  value_too_large: 400,
  malformed_choices: 400,
  unknown_meeting: 404,
  meeting_not_open: 409,
  meeting_closing: 409,
  no_power_of_attorney: 403,
  not_eligible: 403,
  request_reverted: 422,
  // reading the chain
  no_chain: 501,
  chain_error: 502,
  // handing the ballot to the relayer
  no_relayer: 501,
  relayer_unavailable: 502,
  relayer_refused: 502,
});
