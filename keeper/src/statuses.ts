/** The HTTP status of each error code the keeper's API answers: the toolkit's base table and the keeper's own codes. */
import { statusTable } from "#lib/http/statuses.js";

export const KEEPER_STATUSES = statusTable({
  invalid_meeting_id: 400,
  unknown_meeting: 404,
  protocol_not_produced: 404,
  database_schema_mismatch: 500,
});
