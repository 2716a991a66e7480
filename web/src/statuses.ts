/** The HTTP status of each error code the web server answers: the toolkit's base table and its own codes. */
import { statusTable } from "#lib/http/statuses.js";

export const WEB_STATUSES = statusTable({
  invalid_path: 400,
  invalid_query: 400,
  method_not_allowed: 405,
  upstream_unavailable: 502,
  upstream_redirect: 502,
  upstream_too_large: 502,
  upstream_not_configured: 503,
  operator_record_unavailable: 503,
});
