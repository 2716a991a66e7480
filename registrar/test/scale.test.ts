/**
 * A large building: 2,000 premises imported with `npm run register -- import` against the real
 * chain, custody and notifier, its progress shown on stderr phase by phase up to 100 %. The time it
 * takes is printed (a diagnostic of the test), with the batches the premises went in and the gas
 * each used against the block gas limit.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SHARE_UNIT } from "#lib/domain.js";
import { RegisterStore } from "../src/store.js";
import { cents, generatedBuilding, toCsv } from "./helpers/register-csv.js";
import { runCli, startSystem, type TestSystem } from "./helpers/system.js";

describe("a 2,000-premises building", () => {
  let system: TestSystem;
  const register = generatedBuilding(4, 2000);

  before(async () => {
    system = await startSystem();
  });

  after(async () => {
    await system?.close();
  });

  it("is imported from CSV with its progress shown", async (t) => {
    const file = path.join(system.dir, "large.csv");
    writeFileSync(file, toCsv(register));
    const started = Date.now();
    const run = runCli(system, ["import", file]);
    assert.equal(await run.exited, 0, run.stderr());
    const seconds = (Date.now() - started) / 1000;

    const progress = run.lines.filter((l) => l.startsWith("progress "));
    for (const phase of ["onboarding people", "directory entries", "adding premises"]) {
      const shown = progress.filter((l) => l.includes(phase));
      assert.ok(shown.length >= 5, `${phase} shown as it goes: ${shown.length} lines`);
    }
    assert.ok(progress.some((l) => l.endsWith(`adding premises 2000/2000`)));
    const percents = progress.map((l) => Number(/^progress\s+(\d+)%/.exec(l)![1]));
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), "the whole only grows");
    assert.equal(progress.at(-1), "progress 100% done");

    assert.equal(await system.registry.premisesCount(), 2000n);
    const store = new RegisterStore(system.env.REGISTRAR_DB_PATH!, system.deployment);
    try {
      const key = register.buildings[0]!.key;
      const buildingId = store.building(key)!.buildingId;
      const totalArea = register.buildings[0]!.premises.reduce((n, p) => n + cents(p.area), 0n);
      assert.equal(await system.registry.totalWeight(buildingId), totalArea * SHARE_UNIT);
      assert.equal(await system.registry.registerHash(buildingId), store.latestVersion(key)!.registerHash);
      const batches = store.db.prepare("SELECT tx_hash, args FROM chain_ops WHERE kind = 'addPremises' ORDER BY nonce").all() as Array<{ tx_hash: string; args: string }>;
      const limit = (await system.provider.getBlock("latest"))!.gasLimit;
      const used: string[] = [];
      for (const b of batches) {
        const receipt = (await system.provider.getTransactionReceipt(b.tx_hash))!;
        assert.ok(receipt.gasUsed <= (limit * 3n) / 4n, `a batch within three quarters of the block gas limit: ${receipt.gasUsed}`);
        used.push(`${(JSON.parse(b.args) as { items: unknown[] }).items.length} premises ${receipt.gasUsed} gas`);
      }
      assert.equal(batches.reduce((n, b) => n + (JSON.parse(b.args) as { items: unknown[] }).items.length, 0), 2000);
      const report = `2,000 premises, ${register.persons.length} people: imported in ${seconds.toFixed(1)} s; ${batches.length} batches of premises (block gas limit ${limit}): ${used.join("; ")}`;
      t.diagnostic(report);
      console.log(report);
    } finally {
      store.close();
    }
  });
});
