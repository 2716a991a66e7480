/** The web server's code → status table covers every code it answers. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codesWithoutStatus } from "../../lib/test/helpers/source.js";
import { WEB_STATUSES } from "../src/statuses.js";

describe("web server HTTP statuses", () => {
  it("has a status for every code the server and its modules throw", () => {
    assert.deepEqual(codesWithoutStatus("web/src/server.ts", "web/src", WEB_STATUSES), []);
  });

  it("answers a crafted path 400, a method the page does not use 405, and a service's failure 502", () => {
    assert.deepEqual(
      Object.fromEntries(["invalid_path", "not_found", "method_not_allowed", "upstream_unavailable", "upstream_redirect", "upstream_too_large"].map((c) => [c, WEB_STATUSES[c]])),
      { invalid_path: 400, not_found: 404, method_not_allowed: 405, upstream_unavailable: 502, upstream_redirect: 502, upstream_too_large: 502 },
    );
  });
});
