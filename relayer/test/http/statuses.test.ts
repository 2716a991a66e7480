/** The relayer's code → status table covers every code its core and HTTP adapter throw; intake names no status. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { statusTable } from "#lib/http/statuses.js";
import { adapterCodes, codesWithoutStatus } from "../../../lib/test/helpers/source.js";
import { RELAYER_STATUSES } from "../../src/http/statuses.js";

const ADAPTER = "relayer/src/http/app.ts";

describe("relayer HTTP statuses", () => {
  it("has a status for every code the core and the adapter throw", () => {
    assert.deepEqual(codesWithoutStatus(ADAPTER, "relayer/src", RELAYER_STATUSES), []);
  });

  it("finds intake's codes through the adapter, and misses none of them in an empty table", () => {
    const codes = new Set(adapterCodes(ADAPTER, "relayer/src").map((c) => c.code));
    for (const code of ["invalid_request", "value_too_large", "wrong_domain", "bad_signature", "unknown_meeting", "meeting_not_open", "malformed_choices", "not_eligible", "already_voted", "already_queued", "unknown_ballot"]) {
      assert.ok(codes.has(code), `${code} found among ${[...codes].join(", ")}`);
    }
    const missing = codesWithoutStatus(ADAPTER, "relayer/src", statusTable({}));
    assert.ok(missing.some((m) => m.endsWith(" not_eligible")), missing.join("\n"));
  });

  it("answers intake's steps as they always were", () => {
    assert.deepEqual(
      Object.fromEntries(["invalid_request", "malformed_json", "payload_too_large", "value_too_large", "wrong_domain", "bad_signature", "unknown_meeting", "meeting_not_open", "malformed_choices", "not_eligible", "already_voted", "already_queued", "rate_limited", "chain_unavailable", "unknown_ballot", "not_found"].map((c) => [c, RELAYER_STATUSES[c]])),
      { invalid_request: 400, malformed_json: 400, payload_too_large: 413, value_too_large: 400, wrong_domain: 400, bad_signature: 400, unknown_meeting: 404, meeting_not_open: 409, malformed_choices: 400, not_eligible: 403, already_voted: 409, already_queued: 409, rate_limited: 429, chain_unavailable: 503, unknown_ballot: 404, not_found: 404 },
    );
  });

  it("keeps HTTP statuses out of the core", () => {
    for (const file of ["intake.ts", "meetings.ts", "eligibility.ts", "batcher.ts", "submitter.ts", "voted-index.ts"]) {
      const text = readFileSync(path.join(PROJECT_ROOT, "relayer/src", file), "utf8");
      assert.doesNotMatch(text, /status:\s*[45]\d\d|\bfail\("[a-z_]+",\s*\d{3}/, `${file} names an HTTP status`);
    }
  });
});
