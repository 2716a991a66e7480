/**
 * The relayer benchmark's workload, for `npm run bench:relayer` and `npm run bench:network`: signed
 * ballots across meetings posted over HTTP by concurrent keep-alive clients (signed before the timed
 * phase) to the relayer in its own process, against the fixture's node. Each ballot is signed with
 * its meeting's close as its deadline, and one voter in twenty votes through a representative under
 * a power of attorney, so intake reads and checks powers under load too. Measured: intake rate and
 * latency, confirmation rate from the first post to the last confirmation, gas per ballot, and
 * ballots acknowledged but not on chain at the end (`lost`).
 */
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { Wallet, id as keccakText, type JsonRpcProvider } from "ethers";
import { devAccount, type Fixture } from "./chain.js";
import { postLoad, request } from "./http.js";
import { metricsAuth, relayerEnv, startProcess } from "./services.js";
import { castCounts } from "./verify.js";

export const MEETINGS = 50;
export const SENDERS = 6;
/** One voter in this many votes through a representative. */
export const REPRESENTED_EVERY = 20;
/**
 * intakePerSecond counts the whole run from the first post. intakePerSecondAfterWarmup leaves out the
 * first WARM_ACKS acknowledgements (connections opening, code being compiled) and is reported beside
 * it, never instead of it.
 */
export const WARM_ACKS = 1_000;
export const RELAYER_SETTINGS: Record<string, string> = {
  RELAYER_SENDER_KEYS: Array.from({ length: SENDERS }, (_, i) => devAccount(i + 1).privateKey).join(","),
  RELAYER_BATCH_SIZE: "500",
  RELAYER_BATCH_WAIT_MS: "250",
  RELAYER_MAX_INFLIGHT_PER_SENDER: "10",
  RELAYER_MAX_BATCH_GAS: "20000000",
  RELAYER_POLL_INTERVAL_MS: "200",
  RELAYER_STUCK_AFTER_MS: "20000",
  LOG_LEVEL: "warn",
};

/** The representative of voter `v` (when `v` is one of the represented). */
export function representativeOf(v: number): Wallet {
  return new Wallet(keccakText(`bench representative ${v}`));
}

/** The powers of attorney of the workload, by voter index. */
export type Powers = Map<number, bigint>;

/**
 * Records, before the timed phase, a power of attorney for every REPRESENTED_EVERY-th of the
 * fixture's first `voters` voters to their representative, for every meeting of the building.
 */
export async function recordRepresentatives(fx: Fixture, voters: number): Promise<Powers> {
  const represented = Array.from({ length: voters }, (_, v) => v).filter((v) => v % REPRESENTED_EVERY === REPRESENTED_EVERY - 1);
  const ids = await fx.recordPowers(represented.map((v) => ({ principal: fx.voters[v]!.address, representative: representativeOf(v).address })));
  return new Map(represented.map((v, i) => [v, ids[i]!]));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function metric(url: string, name: string): Promise<number> {
  const text = await fetch(`${url}/metrics`, { headers: metricsAuth }).then((r) => r.text());
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

export interface RunResult {
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

export interface RunOptions {
  concurrency: number;
  /** The workload's powers of attorney (recordRepresentatives): their voters' ballots are signed by the representative. */
  powers: Powers;
  /** Where the chain is read at the end to count the ballots (default the fixture's provider). */
  provider?: JsonRpcProvider;
  /** Told the relayer's process once it runs (to sample its CPU time, say). */
  onRelayer?: (child: ChildProcess) => void;
  /** Told as the timed phase starts and as the last confirmation arrives. */
  onPhase?: (phase: "posting" | "confirmed") => void;
}

/** Posts `total` ballots, `perMeeting` voters in each of `meetings`, to a relayer started with `settings`; waits for every confirmation. */
export async function runWorkload(fx: Fixture, meetings: bigint[], perMeeting: number, total: number, settings: Record<string, string>, label: string, options: RunOptions): Promise<RunResult> {
  const items = [];
  for (let v = 0; v < perMeeting && items.length < total; v++) {
    const power = options.powers.get(v);
    for (const m of meetings) {
      if (items.length >= total) break;
      items.push(power === undefined ? fx.sign(fx.voters[v]!, m) : fx.sign(representativeOf(v), m, undefined, { voter: fx.voters[v]!.address, powerOfAttorney: power }));
    }
  }
  const proc = await startProcess(relayerEnv(fx, { RELAYER_DB_PATH: path.join(fx.tmpDir, `${label}.sqlite`), ...settings }));
  options.onRelayer?.(proc.child);
  try {
    const url = proc.relayerUrl;
    const latencies: number[] = [];
    options.onPhase?.("posting");
    const started = performance.now();
    let lastAck = started;
    let warmAt = 0;
    // Latency of each acknowledgement from the writing of its (last) attempt.
    const sentAt = new Map<string, number>();
    const { acked, refused } = await postLoad(() => url, items, options.concurrency, {
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
    options.onPhase?.("confirmed");
    const confirmed = await metric(url, "relayer_ballots_confirmed_total");
    const gas = await metric(url, "relayer_gas_used_total");
    const transactions = await metric(url, "relayer_transactions_sent_total");
    const counts = await castCounts(fx, options.provider ?? fx.provider);
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
