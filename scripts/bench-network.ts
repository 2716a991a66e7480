/**
 * Network benchmark:  npm run bench:network -- [--ballots 20000] [--concurrency 64]
 *
 * The relayer benchmark's workload (relayer/test/helpers/workload.ts: N signed ballots across 50
 * meetings, each with its meeting's close as deadline and one voter in twenty's by a representative
 * under a power of attorney, posted over HTTP by concurrent clients to the relayer in its own
 * process, 6 sender keys)
 * run twice in one go: on the embedded chain (one-second blocks) and on the local geth network (4
 * Clique signers and an observer, one-second blocks; the relayer sends to signer-1 and waits the
 * confirmations a Clique deployment needs, network/finality.ts). Measured for each: confirmed
 * ballots/s, gas per ballot, blocks, reorganizations seen, and acknowledged ballots not on the chain
 * (`lost`, read from the observer on the network); where the time goes on the network: CPU time of
 * each process and how full the blocks were. Writes reports/bench-network.json.
 */
import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { JsonRpcProvider } from "ethers";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { cliqueConfirmations } from "../network/finality.js";
import { installGeth } from "../network/geth-install.js";
import { LocalNetwork, createNetwork } from "../network/local-network.js";
import { deployFixture, devAccount, startChainProcess, type Fixture } from "../relayer/test/helpers/chain.js";
import { MEETINGS, RELAYER_SETTINGS, REPRESENTED_EVERY, SENDERS, recordRepresentatives, runWorkload, type RunResult } from "../relayer/test/helpers/workload.js";

const { values } = parseArgs({
  options: {
    ballots: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "64" },
  },
});
const N = Number(values.ballots);
const CONCURRENCY = Number(values.concurrency);
for (const [name, v] of [["ballots", N], ["concurrency", CONCURRENCY]] as const) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name}: expected a whole number ≥ 1`);
    process.exit(2);
  }
}
const perMeeting = Math.ceil(N / MEETINGS);
const say = (m: string) => process.stdout.write(`${m}\n`);

/** User and system CPU seconds a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of named processes between two moments. */
class CpuMeter {
  private readonly start = new Map<string, number>();
  private readonly end = new Map<string, number>();
  constructor(private readonly pids: Map<string, number>) {}
  begin(): void {
    for (const [name, pid] of this.pids) this.start.set(name, cpuSeconds(pid));
  }
  finish(): void {
    for (const [name, pid] of this.pids) this.end.set(name, cpuSeconds(pid));
  }
  add(name: string, pid: number): void {
    this.pids.set(name, pid);
  }
  seconds(): Record<string, number> {
    return Object.fromEntries([...this.pids.keys()].map((n) => [n, Math.round(((this.end.get(n) ?? 0) - (this.start.get(n) ?? 0)) * 10) / 10]));
  }
}

/** Watches a node's head: the blocks seen, and every height whose block changed (a reorganization). */
class HeadWatch {
  private readonly seen = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  reorgs = 0;
  constructor(private readonly provider: JsonRpcProvider) {}
  start(): void {
    const poll = async () => {
      try {
        const head = await this.provider.getBlock("latest");
        if (head) {
          // the last few heights: a reorganization replaces blocks below the new head too
          for (let n = Math.max(0, head.number - 4); n <= head.number; n++) {
            const hash = n === head.number ? head.hash! : (await this.provider.getBlock(n))?.hash;
            if (!hash) continue;
            const before = this.seen.get(n);
            if (before !== undefined && before !== hash) this.reorgs++;
            this.seen.set(n, hash);
          }
        }
      } catch {
        // a slow answer under load; the next poll sees what changed
      }
      this.timer = setTimeout(poll, 200);
    };
    void poll();
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * The reorganizations the nodes logged since `offsets` were taken ("Chain reorg detected … drop=N
 * dropfrom=<first dropped block>"): each distinct dropped block is one reorganization, however many
 * nodes went through it.
 */
function reorgsLogged(network: LocalNetwork, offsets: Map<string, number>): { distinct: number; deepest: number; byNode: Record<string, number> } {
  const byNode: Record<string, number> = {};
  const dropped = new Set<string>();
  let deepest = 0;
  for (const node of network.spec.nodes) {
    const text = readFileSync(path.join(network.nodeDir(node.name), "geth.log"), "utf8").slice(offsets.get(node.name) ?? 0);
    const lines = [...text.matchAll(/Chain reorg detected .*?drop=(\d+)\s+dropfrom=(\S+)/g)];
    byNode[node.name] = lines.length;
    for (const [, drop, from] of lines) {
      dropped.add(from!);
      deepest = Math.max(deepest, Number(drop));
    }
  }
  return { distinct: dropped.size, deepest, byNode };
}

async function blocksOf(provider: JsonRpcProvider, from: number, to: number) {
  const blocks = [];
  for (let n = from; n <= to; n++) {
    const b = await provider.getBlock(n);
    if (b) blocks.push({ number: n, gasUsed: Number(b.gasUsed), gasLimit: Number(b.gasLimit), txs: b.transactions.length });
  }
  const withTxs = blocks.filter((b) => b.txs > 0);
  return {
    blocks: blocks.length,
    withTransactions: withTxs.length,
    meanGasUsedPercent: withTxs.length ? Math.round((withTxs.reduce((s, b) => s + b.gasUsed / b.gasLimit, 0) / withTxs.length) * 1000) / 10 : 0,
    fullestPercent: withTxs.length ? Math.round(Math.max(...withTxs.map((b) => b.gasUsed / b.gasLimit)) * 1000) / 10 : 0,
    meanTransactions: withTxs.length ? Math.round((withTxs.reduce((s, b) => s + b.txs, 0) / withTxs.length) * 10) / 10 : 0,
  };
}

function summary(r: RunResult) {
  return { confirmedPerSecond: r.confirmedPerSecond, intakePerSecond: r.intakePerSecond, gasPerBallot: r.gasPerBallot, transactions: r.transactions, lost: r.lost, refused: r.refused, seconds: r.seconds, intakeLatencyMsP50: r.intakeLatencyMsP50, intakeLatencyMsP99: r.intakeLatencyMsP99 };
}

async function embeddedRun() {
  say("embedded chain: starting the node and setting up the fixture");
  const chain = await startChainProcess(1000);
  let fx: Fixture | undefined;
  try {
    fx = await deployFixture(chain.url, { voters: perMeeting, meetings: MEETINGS });
    const powers = await recordRepresentatives(fx, perMeeting);
    const from = await fx.provider.getBlockNumber();
    const cpu = new CpuMeter(new Map([["node", chain.child.pid!], ["clients (the benchmark)", process.pid]]));
    const result = await runWorkload(fx, fx.meetings, perMeeting, N, RELAYER_SETTINGS, "embedded", {
      concurrency: CONCURRENCY,
      powers,
      onRelayer: (child) => cpu.add("relayer", child.pid!),
      onPhase: (phase) => (phase === "posting" ? cpu.begin() : cpu.finish()),
    });
    const to = await fx.provider.getBlockNumber();
    return { result, blocks: await blocksOf(fx.provider, from + 1, to), cpuSeconds: cpu.seconds() };
  } finally {
    fx?.cleanup();
    await chain.stop();
  }
}

async function networkRun() {
  await installGeth({ log: (m) => say(`  ${m}`) });
  const dir = mkdtempSync(path.join(tmpdir(), "dh-bench-network-"));
  const network = await createNetwork(path.join(dir, "net"), { fund: Array.from({ length: SENDERS + 1 }, (_, i) => devAccount(i).address) });
  say(`geth network: 4 signers and an observer in ${network.dir}`);
  let fx: Fixture | undefined;
  const observer = new JsonRpcProvider(network.url("observer-1"), network.spec.chainId, { staticNetwork: true, cacheTimeout: -1 });
  const watch = new HeadWatch(new JsonRpcProvider(network.url("signer-1"), network.spec.chainId, { staticNetwork: true, cacheTimeout: -1 }));
  try {
    await network.startAll({ progress: (m) => say(`  ${m}`) });
    const confirmations = cliqueConfirmations((await network.signers("signer-1")).length);
    fx = await deployFixture(network.url("signer-1"), { voters: perMeeting, meetings: MEETINGS });
    const powers = await recordRepresentatives(fx, perMeeting);
    const from = await observer.getBlockNumber();
    const pids = new Map<string, number>([["clients (the benchmark)", process.pid]]);
    for (const node of network.spec.nodes) pids.set(node.name, (await network.pid(node.name))!);
    const cpu = new CpuMeter(pids);
    const offsets = new Map(network.spec.nodes.map((n) => [n.name, readFileSync(path.join(network.nodeDir(n.name), "geth.log"), "utf8").length]));
    watch.start();
    const result = await runWorkload(fx, fx.meetings, perMeeting, N, { ...RELAYER_SETTINGS, RELAYER_CONFIRMATIONS: String(confirmations) }, "network", {
      concurrency: CONCURRENCY,
      powers,
      provider: observer,
      onRelayer: (child) => cpu.add("relayer", child.pid!),
      onPhase: (phase) => (phase === "posting" ? cpu.begin() : cpu.finish()),
    });
    watch.stop();
    const to = await observer.getBlockNumber();
    return { result, confirmations, blocks: await blocksOf(observer, from + 1, to), reorgsSeenBySigner1: watch.reorgs, reorgsLogged: reorgsLogged(network, offsets), cpuSeconds: cpu.seconds() };
  } finally {
    watch.stop();
    fx?.cleanup();
    observer.destroy();
    await network.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
say(`load average before the run: ${load}; ${N} ballots, ${MEETINGS} meetings, ${CONCURRENCY} clients, ${SENDERS} senders`);
const embedded = await embeddedRun();
const net = await networkRun();
const reorgs = Math.max(net.reorgsSeenBySigner1, net.reorgsLogged.distinct);
const report = {
  ballots: N,
  meetings: MEETINGS,
  representedShare: 1 / REPRESENTED_EVERY,
  concurrency: CONCURRENCY,
  senders: SENDERS,
  blockTimeMs: 1000,
  loadAverageBefore: load,
  settings: { ...RELAYER_SETTINGS, RELAYER_SENDER_KEYS: `${SENDERS} development keys` },
  confirmedPerSecond: net.result.confirmedPerSecond,
  embeddedConfirmedPerSecond: embedded.result.confirmedPerSecond,
  ratioToEmbedded: Math.round((net.result.confirmedPerSecond / embedded.result.confirmedPerSecond) * 100) / 100,
  lost: net.result.lost + embedded.result.lost,
  reorgs,
  gasPerBallot: net.result.gasPerBallot,
  embeddedGasPerBallot: embedded.result.gasPerBallot,
  network: {
    signers: 4,
    observers: 1,
    relayerConfirmations: net.confirmations,
    ...summary(net.result),
    blocks: net.blocks,
    reorgsSeenBySigner1: net.reorgsSeenBySigner1,
    reorgsLogged: net.reorgsLogged,
    cpuSecondsWhileTimed: net.cpuSeconds,
  },
  embedded: { relayerConfirmations: 1, ...summary(embedded.result), blocks: embedded.blocks, cpuSecondsWhileTimed: embedded.cpuSeconds },
  measuredAt: new Date().toISOString(),
};
const dir = path.join(PROJECT_ROOT, "reports");
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "bench-network.json"), JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify(report, null, 2));
