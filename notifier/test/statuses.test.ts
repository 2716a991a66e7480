/** The notifier's code → status table covers every code its core and HTTP API throw. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statusTable } from "#lib/http/statuses.js";
import { adapterCodes, codesWithoutStatus } from "../../lib/test/helpers/source.js";
import { NOTIFIER_STATUSES } from "../src/statuses.js";

const ADAPTER = "notifier/src/api.ts";

describe("notifier HTTP statuses", () => {
  it("has a status for every code the core and the API throw", () => {
    assert.deepEqual(codesWithoutStatus(ADAPTER, "notifier/src", NOTIFIER_STATUSES), []);
  });

  it("finds the directory's and the sign-in's codes, not the outbox's delivery failures", () => {
    const codes = adapterCodes(ADAPTER, "notifier/src");
    assert.ok(codes.some((c) => c.code === "address_in_use" && c.file.endsWith("directory.ts")));
    assert.ok(codes.some((c) => c.code === "auth_not_configured" && c.file.endsWith("auth.ts")));
    assert.ok(!codes.some((c) => c.code === "send_timeout"), "a delivery failure is recorded in the outbox, never answered");
    assert.ok(codesWithoutStatus(ADAPTER, "notifier/src", statusTable({})).some((m) => m.endsWith(" address_in_use")));
  });

  it("answers as it always did", () => {
    const wanted = { invalid_request: 400, malformed_json: 400, unauthenticated: 401, forbidden: 403, unknown_resident: 403, not_found: 404, address_in_use: 409, payload_too_large: 413, auth_not_configured: 503 };
    assert.deepEqual(Object.fromEntries(Object.keys(wanted).map((c) => [c, NOTIFIER_STATUSES[c]])), wanted);
  });
});
