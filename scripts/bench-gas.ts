/**
 * Gas benchmark (npm run bench:gas): gas per 5-question ballot in every form (relayed in batches, cast
 * directly, by a representative, by a joint owner, entered from paper) against an OpenZeppelin
 * Governor over the same weights; announcing and finalizing a meeting; and registering premises by
 * how they are held and a building of 2,000 premises. Runs the scenarios of test/gas/scenarios.ts (the
 * ones the gas snapshots track) on the in-process network; prints a table and writes
 * reports/bench-gas.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { JOINT_FLATS, OWNERS, PREMISES, PREMISES_BY_HOLDING, QUESTIONS, REFERENCE_HARDFORK, measureGas } from "../test/gas/scenarios.js";

const measured = await measureGas();
const gas = (name: string) => {
  const scenario = measured.scenarios.find((s) => s.name === name);
  if (!scenario) throw new AppError("bench_failed", `the gas scenarios measured no '${name}'`);
  return scenario.gas;
};
const ourGasPerBallot = {
  batch1: gas("relayed-ballot-batch-1"),
  batch50: gas("relayed-ballot-batch-50"),
  batch100: gas("relayed-ballot-batch-100"),
  batch200: gas("relayed-ballot-batch-200"),
  direct: gas("direct-ballot"),
  representativeBatch100: gas("representative-relayed-batch-100"),
  representativeDirect: gas("representative-direct-ballot"),
  jointOwnerBatch100: gas("joint-owner-relayed-batch-100"),
  jointOwnerDirect: gas("joint-owner-direct-ballot"),
  paperDecision: gas("paper-decision"),
  paperBatch100: gas("paper-decision-batch-100"),
};
const addPremisesGasByHolding = { sole: gas("add-premises-sole"), coOwned: gas("add-premises-co-owned"), joint: gas("add-premises-joint") };
const governorGasPerVoter = gas("governor-vote-per-voter");
const report = {
  measuredAt: new Date().toISOString(),
  network: `in-process EDR, hardfork ${measured.hardfork} (bytecode compiled for paris); the Governor at ${REFERENCE_HARDFORK}`,
  owners: OWNERS,
  questions: QUESTIONS,
  ourGasPerBallot,
  governorGasPerVoter,
  ratioGovernorToOurBatch100: Number((governorGasPerVoter / ourGasPerBallot.batch100).toFixed(2)),
  announceMeetingGas: gas("announce-meeting"),
  finalizeMeetingGas: gas("finalize-meeting"),
  registerBuilding2000Gas: measured.registerBuilding.gas,
  registerBuilding2000Transactions: measured.registerBuilding.transactions,
  addPremisesGasPerPremises: gas("add-premises-per-premises"),
  addPremisesGasByHolding,
  scenarios: Object.fromEntries(measured.scenarios.map((s) => [s.name, s.gas])),
};

console.log(`\nGas per ${QUESTIONS}-question ballot, building of ${OWNERS} sole owners and ${JOINT_FLATS} joint flats (hardfork ${measured.hardfork})`);
console.table({
  ...Object.fromEntries(Object.entries(ourGasPerBallot).map(([k, v]) => [`MeetingHall ${k}`, { gas: v }])),
  "OZ Governor (5 × castVoteBySig)": { gas: governorGasPerVoter },
});
console.log(`Governor / our batch of 100: ${report.ratioGovernorToOurBatch100}×`);
console.log(`Announce a ${QUESTIONS}-question meeting: ${report.announceMeetingGas} gas; finalize it after ${OWNERS} ballots: ${report.finalizeMeetingGas} gas`);
console.log(
  `Register a building of ${PREMISES} premises: ${report.registerBuilding2000Gas} gas in ${report.registerBuilding2000Transactions} transactions ` +
    `(${report.addPremisesGasPerPremises} gas a premises)`,
);
console.log(
  `Register a premises, ${PREMISES_BY_HOLDING} to a transaction: one owner ${addPremisesGasByHolding.sole}, two co-owners ` +
    `${addPremisesGasByHolding.coOwned}, two joint owners (a new joint group) ${addPremisesGasByHolding.joint} gas`,
);
const file = path.join(PROJECT_ROOT, "reports", "bench-gas.json");
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
