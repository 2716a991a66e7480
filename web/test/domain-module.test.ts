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
    const meets = copy.meets as typeof domain.meets;
    const rules = [domain.MAJORITY_OF_PARTICIPANTS, domain.MAJORITY_OF_ALL, domain.TWO_THIRDS_OF_ALL, domain.UNANIMOUS];
    for (const rule of rules) {
      for (const [value, participating, total] of [[50n, 100n, 300n], [51n, 100n, 300n], [151n, 200n, 300n], [199n, 250n, 300n], [200n, 250n, 300n], [300n, 300n, 300n]] as const) {
        assert.equal(meets(rule, value, participating, total), domain.meets(rule, value, participating, total), `${JSON.stringify(rule)} ${value}/${participating}/${total}`);
      }
    }
    const meetingOutcome = copy.meetingOutcome as typeof domain.meetingOutcome;
    const forWeights = [200n, 151n, 150n, 300n];
    for (const participating of [150n, 151n, 300n]) {
      assert.deepEqual(meetingOutcome(domain.MAJORITY_OF_ALL, rules, forWeights, participating, 300n), domain.meetingOutcome(domain.MAJORITY_OF_ALL, rules, forWeights, participating, 300n));
    }
    assert.deepEqual((copy.pollOutcome as typeof domain.pollOutcome)([2n, 1n], 3n, 6n), { quorumReached: false, passed: [true, false] });
    assert.equal((copy.rejectReasonOfCode as typeof domain.rejectReasonOfCode)("meeting_not_open"), "NotOpen");
    assert.equal((copy.rejectReasonOfCode as typeof domain.rejectReasonOfCode)("bad_signature"), "BadSignature");
    assert.equal((copy.quorumReached as typeof domain.quorumReached)(domain.MAJORITY_OF_ALL, 51n, 100n), true);
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
