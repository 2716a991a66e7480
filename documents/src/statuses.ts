/** The HTTP status of each error code the document store answers: the toolkit's base table and the store's own codes. */
import { statusTable } from "#lib/http/statuses.js";

export const DOCUMENTS_STATUSES = statusTable({
  invalid_document_id: 400,
  invalid_name: 400,
  empty_document: 400,
  malformed_xml: 400,
  document_restricted: 403,
  method_not_allowed: 405,
  access_differs: 409,
  document_too_large: 413,
  unsupported_document_type: 415,
  active_content_refused: 415,
  quota_exceeded: 429,
  document_corrupt: 500,
  catalog_unreadable: 500,
  registrar_unavailable: 502,
  auth_not_configured: 503,
});
