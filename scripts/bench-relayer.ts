/**
 * Relayer benchmark:  npm run bench:relayer -- [--ballots 20000] [--naive-ballots 2000] [--concurrency 64]
 *
 * Against a local node with one-second blocks, N signed ballots across 50 meetings are posted over
 * HTTP by concurrent clients to the relayer (its own process), each signed with its meeting's close
 * as its deadline, one in twenty by the voter's representative under a power of attorney (so intake
 * reads and checks powers under load too). Measured: intake rate and latency,
 * confirmation rate from the first post to the last confirmation, gas per ballot, and ballots
 * acknowledged but not on chain at the end (`lost`). The same is then run in naive mode (one
 * transaction per ballot, everything else equal) on fresh meetings. Writes reports/bench-relayer.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { deployFixture, startChainProcess, type Fixture } from "../relayer/test/helpers/chain.js";
import { MEETINGS, RELAYER_SETTINGS, REPRESENTED_EVERY, SENDERS, recordRepresentatives, runWorkload } from "../relayer/test/helpers/workload.js";

const { values } = parseArgs({
  options: {
    ballots: { type: "string", default: "20000" },
    "naive-ballots": { type: "string", default: "2000" },
    concurrency: { type: "string", default: "64" },
  },
});
const N = Number(values.ballots);
const NAIVE_N = Number(values["naive-ballots"]);
const CONCURRENCY = Number(values.concurrency);
for (const [name, v] of [["ballots", N], ["naive-ballots", NAIVE_N], ["concurrency", CONCURRENCY]] as const) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name}: expected a whole number ≥ 1`);
    process.exit(2);
  }
}

const chain = await startChainProcess(1000);
let fx: Fixture | undefined;
try {
  const perMeeting = Math.ceil(N / MEETINGS);
  const naivePerMeeting = Math.ceil(NAIVE_N / MEETINGS);
  process.stdout.write(`setting up: ${Math.max(perMeeting, naivePerMeeting)} voters, ${2 * MEETINGS} meetings\n`);
  const voters = Math.max(perMeeting, naivePerMeeting);
  fx = await deployFixture(chain.url, { voters, meetings: 2 * MEETINGS });
  const powers = await recordRepresentatives(fx, voters);
  const batched = await runWorkload(fx, fx.meetings.slice(0, MEETINGS), perMeeting, N, RELAYER_SETTINGS, "batched", { concurrency: CONCURRENCY, powers });
  const naive = await runWorkload(fx, fx.meetings.slice(MEETINGS), naivePerMeeting, NAIVE_N, { ...RELAYER_SETTINGS, RELAYER_BATCH_SIZE: "1" }, "naive", { concurrency: CONCURRENCY, powers });
  const report = {
    ballots: N,
    meetings: MEETINGS,
    representedShare: 1 / REPRESENTED_EVERY,
    concurrency: CONCURRENCY,
    blockTimeMs: 1000,
    senders: SENDERS,
    settings: { ...RELAYER_SETTINGS, RELAYER_SENDER_KEYS: `${SENDERS} development keys` },
    intakePerSecond: batched.intakePerSecond,
    intakePerSecondAfterWarmup: batched.intakePerSecondAfterWarmup,
    confirmedPerSecond: batched.confirmedPerSecond,
    intakeLatencyMsP50: batched.intakeLatencyMsP50,
    intakeLatencyMsP99: batched.intakeLatencyMsP99,
    gasPerBallot: batched.gasPerBallot,
    transactions: batched.transactions,
    meanBatchSize: batched.transactions > 0 ? Math.round(N / batched.transactions) : 0,
    lost: batched.lost + naive.lost,
    refused: batched.refused + naive.refused,
    secondsToLastConfirmation: batched.seconds,
    naiveBallots: NAIVE_N,
    naiveConfirmedPerSecond: naive.confirmedPerSecond,
    naiveGasPerBallot: naive.gasPerBallot,
    ratioToNaive: Math.round((batched.confirmedPerSecond / naive.confirmedPerSecond) * 10) / 10,
    measuredAt: new Date().toISOString(),
  };
  const dir = path.join(PROJECT_ROOT, "reports");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "bench-relayer.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(JSON.stringify(report, null, 2));
} finally {
  fx?.cleanup();
  await chain.stop();
}
