/** The registrar's code → status table covers every code its core and HTTP adapter throw. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statusTable } from "#lib/http/statuses.js";
import { adapterCodes, codesWithoutStatus } from "../../lib/test/helpers/source.js";
import { REGISTRAR_STATUSES } from "../src/http/statuses.js";

const ADAPTER = "registrar/src/http/app.ts";

describe("registrar HTTP statuses", () => {
  it("has a status for every code the core and the adapter throw", () => {
    assert.deepEqual(codesWithoutStatus(ADAPTER, "registrar/src", REGISTRAR_STATUSES), []);
  });

  it("finds the codes of the importer, the chain writer, the services' calls and the meetings through the adapter", () => {
    const codes = adapterCodes(ADAPTER, "registrar/src");
    for (const [code, file] of [
      ["import_in_progress", "importer.ts"],
      ["chain_refused", "chain-writer.ts"],
      ["custody_refused", "service-call.ts"],
      ["notifier_unavailable", "service-call.ts"],
      ["register_out_of_step", "meetings.ts"],
      ["store_of_another_deployment", "store.ts"],
    ]) {
      assert.ok(codes.some((c) => c.code === code && c.file.endsWith(file!)), `${code} in ${file}`);
    }
    assert.ok(codesWithoutStatus(ADAPTER, "registrar/src", statusTable({})).some((m) => m.endsWith(" not_meeting_officer")));
  });

  it("answers a bad file 422, a second import 409, the services' and the chain's failures 5xx", () => {
    const wanted = { invalid_register_file: 422, import_in_progress: 409, not_meeting_officer: 403, unknown_meeting: 404, register_out_of_step: 409, custody_unavailable: 502, chain_refused: 502, tx_timeout: 504, unauthenticated: 401, forbidden: 403 };
    assert.deepEqual(Object.fromEntries(Object.keys(wanted).map((c) => [c, REGISTRAR_STATUSES[c]])), wanted);
  });
});
