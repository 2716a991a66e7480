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
import { Wallet, id as keccakText } from "ethers";
import { deployFixture, devAccount, startChainProcess, type Fixture } from "../relayer/test/helpers/chain.js";
import { postLoad, request } from "../relayer/test/helpers/http.js";
import { metricsAuth, relayerEnv, startProcess } from "../relayer/test/helpers/services.js";
import { castCounts } from "../relayer/test/helpers/verify.js";

const MEETINGS = 50;
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

const SENDERS = 6;
/** One voter in this many votes through a representative. */
const REPRESENTED_EVERY = 20;
const representativeOf = (v: number) => new Wallet(keccakText(`bench representative ${v}`));
/**
 * intakePerSecond counts the whole run from the first post. intakePerSecondAfterWarmup leaves out the
 * first WARM_ACKS acknowledgements (connections opening, code being compiled) and is reported beside
 * it, never instead of it.
 */
const WARM_ACKS = 1_000;
const RELAYER_SETTINGS = {
  RELAYER_SENDER_KEYS: Array.from({ length: SENDERS }, (_, i) => devAccount(i + 1).privateKey).join(","),
  RELAYER_BATCH_SIZE: "500",
  RELAYER_BATCH_WAIT_MS: "250",
  RELAYER_MAX_INFLIGHT_PER_SENDER: "10",
  RELAYER_MAX_BATCH_GAS: "20000000",
  RELAYER_POLL_INTERVAL_MS: "200",
  RELAYER_STUCK_AFTER_MS: "20000",
  LOG_LEVEL: "warn",
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await fetch(`${url}/metrics`, { headers: metricsAuth }).then((r) => r.text());
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

interface RunResult {
  ballots: number;
  intakePerSecond: number;
  intakePerSecondAfterWarmup: number;
  intakeLatencyMsP50: number;
  intakeLatencyMsP99: number;
  confirmedPerSecond: number;
  gasPerBallot: number;
  transactions: number;
  lost: number;
  refused: number;
  seconds: number;
}

async function run(
  fx: Fixture,
  meetings: bigint[],
  perMeeting: number,
  total: number,
  settings: Record<string, string>,
  label: string,
  powers: Map<number, bigint>,
): Promise<RunResult> {
  const items = [];
  for (let v = 0; v < perMeeting && items.length < total; v++) {
    const power = powers.get(v);
    for (const m of meetings) {
      if (items.length >= total) break;
      items.push(
        power === undefined ? fx.sign(fx.voters[v]!, m) : fx.sign(representativeOf(v), m, undefined, { voter: fx.voters[v]!.address, powerOfAttorney: power }),
      );
    }
  }
  const proc = await startProcess(relayerEnv(fx, { RELAYER_DB_PATH: path.join(fx.tmpDir, `${label}.sqlite`), ...settings }));
  try {
    const url = proc.relayerUrl;
    const latencies: number[] = [];
    const started = performance.now();
    let lastAck = started;
    let warmAt = 0;
    // Latency of each acknowledgement from the writing of its (last) attempt.
    const sentAt = new Map<string, number>();
    const { acked, refused } = await postLoad(() => url, items, CONCURRENCY, {
      onSend: (id) => sentAt.set(id, performance.now()),
      onAck: (id) => {
        const now = performance.now();
        latencies.push(now - sentAt.get(id)!);
        lastAck = now;
        if (latencies.length === WARM_ACKS) warmAt = now;
      },
    });
    const intakeSeconds = (lastAck - started) / 1000;
    const steady = warmAt > 0 && lastAck > warmAt ? Math.round((acked.size - WARM_ACKS) / ((lastAck - warmAt) / 1000)) : 0;
    process.stdout.write(`${label}: ${acked.size} acknowledged in ${intakeSeconds.toFixed(1)} s; waiting for confirmations\n`);
    let confirmedAt = performance.now();
    for (;;) {
      const q = (await request(`${url}/v1/health`)).body.queue;
      if (q && q.queued + q.batched + q.submitted === 0) {
        confirmedAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const confirmed = await metric(url, "relayer_ballots_confirmed_total");
    const gas = await metric(url, "relayer_gas_used_total");
    const transactions = await metric(url, "relayer_transactions_sent_total");
    const counts = await castCounts(fx, fx.provider);
    const byId = new Map(items.map((i) => [i.id, i]));
    let lost = 0;
    for (const id of acked) {
      const b = byId.get(id)!.body;
      if (counts.get(`${b.meetingId}:${b.voter}`) !== 1) lost++;
    }
    latencies.sort((a, b) => a - b);
    const seconds = (confirmedAt - started) / 1000;
    return {
      ballots: items.length,
      intakePerSecond: Math.round(acked.size / intakeSeconds),
      intakePerSecondAfterWarmup: steady,
      intakeLatencyMsP50: Math.round(percentile(latencies, 50) * 10) / 10,
      intakeLatencyMsP99: Math.round(percentile(latencies, 99) * 10) / 10,
      confirmedPerSecond: Math.round((confirmed / seconds) * 10) / 10,
      gasPerBallot: confirmed > 0 ? Math.round(gas / confirmed) : 0,
      transactions,
      lost,
      refused: refused.size,
      seconds: Math.round(seconds * 10) / 10,
    };
  } finally {
    await proc.stop();
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
  const represented = Array.from({ length: voters }, (_, v) => v).filter((v) => v % REPRESENTED_EVERY === REPRESENTED_EVERY - 1);
  const ids = await fx.recordPowers(represented.map((v) => ({ principal: fx!.voters[v]!.address, representative: representativeOf(v).address })));
  const powers = new Map(represented.map((v, i) => [v, ids[i]!]));
  const batched = await run(fx, fx.meetings.slice(0, MEETINGS), perMeeting, N, RELAYER_SETTINGS, "batched", powers);
  const naive = await run(fx, fx.meetings.slice(MEETINGS), naivePerMeeting, NAIVE_N, { ...RELAYER_SETTINGS, RELAYER_BATCH_SIZE: "1" }, "naive", powers);
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
