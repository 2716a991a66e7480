/**
 * Gas is a tracked number: every scenario of test/gas/scenarios.ts is measured and compared with its
 * committed snapshot (test/gas/snapshots/<scenario>.snap). More than 1 % above a snapshot fails; less
 * is reported with the command that records it. `UPDATE_GAS_SNAPSHOTS=1` (`npm run gas:snapshot`)
 * rewrites the snapshots from this measurement instead. Whatever the snapshots, a relayed ballot in
 * batches of 100 stays within its budget.
 */
import { expect } from "chai";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { QUESTIONS, measureGas, type GasMeasurement } from "./scenarios.js";
import { TOLERANCE, compareSnapshots, fails, formatComparisons, readSnapshots, writeSnapshots, type Comparison } from "./snapshots.js";

const UPDATE = process.env.UPDATE_GAS_SNAPSHOTS === "1";
/**
 * What a relayed ballot may cost whatever the snapshots say: the voting core's budget for a
 * 5-question ballot in batches of 100, so that a relayer pays for a building's meeting cheaply.
 */
const RELAYED_BALLOT_BUDGET = 20_000;

describe("gas snapshots", function () {
  describe("compareSnapshots", function () {
    const snapshots = new Map([
      ["same", 1000],
      ["up-a-little", 1000],
      ["up-too-much", 1000],
      ["down", 1000],
      ["gone", 500],
    ]);
    const measured = [
      { name: "same", gas: 1000 },
      { name: "up-a-little", gas: 1010 },
      { name: "up-too-much", gas: 1011 },
      { name: "down", gas: 900 },
      { name: "added", gas: 42 },
    ];
    const byName = (cs: Comparison[]) => Object.fromEntries(cs.map((c) => [c.name, c.verdict]));

    it("fails more than 1 % above a snapshot, and a scenario and a snapshot without each other", function () {
      const comparisons = compareSnapshots(snapshots, measured);
      expect(byName(comparisons)).to.deep.equal({
        same: "unchanged",
        "up-a-little": "within tolerance",
        "up-too-much": "increased",
        down: "decreased",
        gone: "not measured",
        added: "no snapshot",
      });
      expect(comparisons.filter(fails).map((c) => c.name)).to.deep.equal(["up-too-much", "gone", "added"]);
      expect(comparisons.find((c) => c.name === "down")!.change).to.be.closeTo(-0.1, 1e-12);
    });

    it("prints old and new gas and the change of every scenario", function () {
      const table = formatComparisons(compareSnapshots(snapshots, measured));
      expect(table).to.match(/up-too-much\s+1,000\s+1,011\s+\+1\.10 %\s+increased/);
      expect(table).to.match(/down\s+1,000\s+900\s+-10\.00 %\s+decreased/);
      expect(table).to.match(/added\s+—\s+42\s+no snapshot/);
    });

    it("writes one file per scenario, removes stale ones, and refuses a file that is not a number", async function () {
      const dir = await mkdtemp(path.join(tmpdir(), "dh-gas-"));
      await writeFile(path.join(dir, "stale.snap"), "7\n");
      await writeSnapshots([{ name: "relayed-ballot", gas: 15_761 }], dir);
      expect(await readdir(dir)).to.deep.equal(["relayed-ballot.snap"]);
      expect(await readFile(path.join(dir, "relayed-ballot.snap"), "utf8")).to.equal("15761\n");
      expect([...(await readSnapshots(dir))]).to.deep.equal([["relayed-ballot", 15_761]]);
      await writeFile(path.join(dir, "broken.snap"), "15,761");
      let message = "";
      await readSnapshots(dir).catch((err: Error) => (message = err.message));
      expect(message).to.contain("broken.snap").and.to.contain("one whole number");
      await writeSnapshots([{ name: "Not A Name", gas: 1 }], dir).catch((err: Error) => (message = err.message));
      expect(message).to.contain("'Not A Name'");
    });
  });

  describe("the voting core's scenarios", function () {
    this.timeout(600_000);
    let measurement: GasMeasurement;
    let comparisons: Comparison[];

    before(async function () {
      measurement = await measureGas();
      if (UPDATE) {
        await writeSnapshots(measurement.scenarios);
        console.log(`      wrote ${measurement.scenarios.length} gas snapshots to test/gas/snapshots/`);
      }
      comparisons = compareSnapshots(await readSnapshots(), measurement.scenarios);
      console.log(`\n      gas at hardfork ${measurement.hardfork}, tolerance +${TOLERANCE * 100} %\n`);
      console.log(formatComparisons(comparisons).replace(/^/gm, "      "));
      const lower = comparisons.filter((c) => c.verdict === "decreased");
      if (lower.length) {
        console.log(`\n      ${lower.map((c) => c.name).join(", ")}: less gas than the snapshot; record it with npm run gas:snapshot\n`);
      }
    });

    it("measures a scenario for every snapshot and has a snapshot for every scenario", function () {
      const apart = comparisons.filter((c) => c.verdict === "no snapshot" || c.verdict === "not measured");
      expect(apart.map((c) => `${c.name}: ${c.verdict}`), "run npm run gas:snapshot after adding or renaming a scenario").to.deep.equal([]);
    });

    it(`relays a ${QUESTIONS}-question ballot in batches of 100 for at most ${RELAYED_BALLOT_BUDGET.toLocaleString("en-US")} gas`, function () {
      const batch100 = measurement.scenarios.find((s) => s.name === "relayed-ballot-batch-100");
      expect(batch100, "the relayed-ballot-batch-100 scenario").to.not.equal(undefined);
      expect(batch100!.gas).to.be.at.most(RELAYED_BALLOT_BUDGET);
    });

    it(`takes at most ${TOLERANCE * 100} % more gas than its snapshot, in every scenario`, function () {
      const increased = comparisons.filter((c) => c.verdict === "increased").map((c) => `${c.name}: ${c.snapshot} → ${c.measured}`);
      expect(increased, "more gas than the committed snapshots").to.deep.equal([]);
    });
  });
});
