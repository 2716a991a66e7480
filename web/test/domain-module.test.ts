/**
 * The page's copy of the domain module: web/public/lib/domain.js must be the compilation of
 * lib/domain.ts as it stands (`npm run build:web` writes it), and load in a plain ES-module runtime
 * with the same constants and rules as the source.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import * as domain from "#lib/domain.js";
import { DOMAIN_MODULE, DOMAIN_SOURCE, DomainModuleError, compileDomainModule } from "../src/domain-module.js";

describe("the page's domain module (web/public/lib/domain.js)", () => {
  it("is the compilation of lib/domain.ts as it stands", async () => {
    const built = await readFile(DOMAIN_MODULE, "utf8").catch(() => undefined);
    assert.ok(built !== undefined, "web/public/lib/domain.js is missing: run npm run build:web");
    assert.equal(built, compileDomainModule(await readFile(DOMAIN_SOURCE, "utf8")), "web/public/lib/domain.js is stale: run npm run build:web");
  });

  it("exports the same constants and rules as the source", async () => {
    const copy = (await import(pathToFileURL(DOMAIN_MODULE).href)) as Record<string, unknown>;
    const source = domain as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(copy).sort(), Object.keys(source).sort());
    for (const [name, value] of Object.entries(source)) {
      if (typeof value !== "function") assert.deepEqual(copy[name], value, name);
    }
    const decides = copy.decides as typeof domain.decides;
    for (const threshold of domain.THRESHOLDS) {
      for (const [forWeight, participating, total] of [[50n, 100n, 300n], [51n, 100n, 300n], [151n, 200n, 300n], [200n, 250n, 300n], [300n, 300n, 300n]] as const) {
        for (const quorum of [true, false]) {
          assert.equal(decides(threshold, forWeight, participating, total, quorum), domain.decides(threshold, forWeight, participating, total, quorum), `${threshold} ${forWeight}/${participating}/${total} ${quorum}`);
        }
      }
    }
    assert.equal((copy.rejectReasonOfCode as typeof domain.rejectReasonOfCode)("meeting_not_open"), "NotOpen");
    assert.equal((copy.quorumReached as typeof domain.quorumReached)(51n, 100n), true);
  });

  it("refuses a source that imports anything, since the page loads the module alone", () => {
    assert.throws(() => compileDomainModule('import { id } from "ethers";\nexport const X = id("x");\n', "lib/domain.ts"), (err: unknown) => {
      assert.ok(err instanceof DomainModuleError);
      assert.match(err.message, /lib\/domain\.ts:1: .*may import nothing/);
      return true;
    });
    assert.doesNotThrow(() => compileDomainModule('import type { X } from "./x.js";\nexport const Y = 1;\n'));
  });
});
