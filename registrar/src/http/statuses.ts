/** The HTTP status of each error code the registrar answers: the toolkit's base table and the registrar's own codes. */
import { statusTable } from "#lib/http/statuses.js";

export const REGISTRAR_STATUSES = statusTable({
  // the file
  invalid_register_file: 422,
  batch_exceeds_gas: 422,
  // imports
  import_in_progress: 409,
  import_finished: 409,
  import_stopped: 503,
  // buildings, meetings and their registers
  unknown_building: 404,
  unknown_meeting: 404,
  building_not_registered: 404,
  register_not_published: 409,
  register_out_of_step: 409,
  // who may see a meeting's people
  not_meeting_officer: 403,
  unknown_person: 403,
  auth_not_configured: 503,
  // the services an import writes to
  custody_unavailable: 502,
  custody_refused: 502,
  address_changed: 502,
  notifier_unavailable: 502,
  notifier_refused: 502,
  no_notifier: 501,
  // the chain
  chain_refused: 502,
  receipt_unexpected: 502,
  not_registrar: 503,
  tx_timeout: 504,
  // our own faults
  person_not_onboarded: 500,
  not_canonical: 500,
  store_schema_mismatch: 500,
  store_of_another_deployment: 500,
});
