/** The HTTP status of each error code the notifier's API answers: the toolkit's base table and the notifier's own codes. */
import { statusTable } from "#lib/http/statuses.js";

export const NOTIFIER_STATUSES = statusTable({
  unknown_resident: 403,
  not_meeting_officer: 403,
  address_in_use: 409,
  auth_not_configured: 503,
  otp_not_configured: 503,
  // thrown when the notifier starts on a database of another schema, before the API listens
  database_schema_mismatch: 500,
});
