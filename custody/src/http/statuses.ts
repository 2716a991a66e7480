/** The HTTP status of each error code the custodial wallet answers: the toolkit's base table and custody's own codes. */
import { statusTable } from "#lib/http/statuses.js";

export const CUSTODY_STATUSES = statusTable({
  // login and who the resident is
  invalid_code: 401,
  too_many_attempts: 429,
  unknown_audience: 400,
  unknown_resident: 403,
  // what may be signed
  foreign_voter: 403,
  value_too_large: 400,
  malformed_choices: 400,
  // handing the ballot to the relayer
  no_relayer: 501,
  relayer_unavailable: 502,
  relayer_refused: 502,
});
