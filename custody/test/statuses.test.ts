/** Custody's code → status table covers every code its core and HTTP adapter throw. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statusTable } from "#lib/http/statuses.js";
import { adapterCodes, codesWithoutStatus } from "../../lib/test/helpers/source.js";
import { CUSTODY_STATUSES } from "../src/http/statuses.js";

const ADAPTER = "custody/src/http/app.ts";

describe("custody HTTP statuses", () => {
  it("has a status for every code the core and the adapter throw", () => {
    assert.deepEqual(codesWithoutStatus(ADAPTER, "custody/src", CUSTODY_STATUSES), []);
  });

  it("finds the keystore's and the login's codes through the adapter", () => {
    const codes = adapterCodes(ADAPTER, "custody/src");
    assert.ok(codes.some((c) => c.code === "invalid_code" && c.file.endsWith("auth.ts")));
    assert.ok(codes.some((c) => c.code === "unknown_resident" && c.file.endsWith("keystore.ts")));
    assert.ok(codesWithoutStatus(ADAPTER, "custody/src", statusTable({})).some((m) => m.endsWith(" foreign_voter")));
  });

  it("answers as it always did", () => {
    const wanted = { invalid_request: 400, unauthenticated: 401, invalid_code: 401, forbidden: 403, unknown_resident: 403, foreign_voter: 403, value_too_large: 400, malformed_choices: 400, not_found: 404, rate_limited: 429, no_relayer: 501, relayer_unavailable: 502 };
    assert.deepEqual(Object.fromEntries(Object.keys(wanted).map((c) => [c, CUSTODY_STATUSES[c]])), wanted);
  });
});
