/**
 * Benchmark of the embedded query node: fills a local chain with relayed ballots over many meetings,
 * indexes it from scratch through the WASM mappings into SQLite, measures query latency over HTTP,
 * and, as the floor to compare with, fetches and decodes the same logs with ethers alone.
 * Prints and writes reports/bench-indexer.json.
 *
 * BENCH_BALLOTS (default 100000) ballots, BENCH_VOTERS (default 1000) voters a meeting,
 * BENCH_QUESTIONS (default 5) questions a meeting, BENCH_BATCH (default 250) ballots a transaction.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getBytes, Interface, SigningKey, ZeroAddress, type Wallet } from "ethers";
import { BallotHasher, ballotDomain, packChoices } from "#lib/ballot.js";
import { Choice } from "#lib/domain.js";
import { QueryNode } from "../query-node/src/query-node.js";
import { announceOpenMeeting, registerWalletOwners, startScenario, type Scenario } from "../query-node/test/helpers/scenario.js";
import { BUILD_DIR, PROJECT_ROOT } from "../subgraph/scripts/paths.js";
import { AppError, ConfigError } from "#lib/errors.js";

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError([`${name}: got '${raw}', expected a whole number above 0`]);
  return n;
}

const BALLOTS = setting("BENCH_BALLOTS", 100_000);
const VOTERS = setting("BENCH_VOTERS", 1000);
const QUESTIONS = setting("BENCH_QUESTIONS", 5);
const BATCH = setting("BENCH_BATCH", 250);
const QUERY_RUNS = setting("BENCH_QUERY_RUNS", 300);
/** The ballots of the benchmark never expire. */
const MAX_UINT64 = 2n ** 64n - 1n;

/** EIP-712 signer with the domain separator computed once (the digest equals TypedDataEncoder.hash). */
function ballotSigner(s: Scenario) {
  const hasher = new BallotHasher(ballotDomain(s.deployment.chainId, s.deployment.contracts.MeetingHall.address));
  const keys = new Map<string, SigningKey>();
  return (wallet: Wallet, meetingId: bigint, choices: bigint) => {
    let key = keys.get(wallet.address);
    if (!key) keys.set(wallet.address, (key = new SigningKey(wallet.privateKey)));
    const digest = hasher.digest(meetingId, wallet.address, choices, ZeroAddress, MAX_UINT64);
    return {
      voter: wallet.address,
      representative: ZeroAddress,
      powerOfAttorney: 0n,
      choices,
      deadline: MAX_UINT64,
      signature: key.sign(getBytes(digest)).serialized,
    };
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function fillChain(s: Scenario): Promise<{ meetings: bigint[]; firstBlock: number; lastBlock: number }> {
  const wallets = await registerWalletOwners(s.registry, VOTERS, s.owners.length);
  const sign = ballotSigner(s);
  const meetingCount = Math.ceil(BALLOTS / VOTERS);
  const meetings: bigint[] = [];
  const firstBlock = (await s.provider.getBlockNumber()) + 1;
  let cast = 0;
  const started = performance.now();
  for (let m = 0; m < meetingCount; m++) {
    const meetingId = await announceOpenMeeting(s, Array.from({ length: QUESTIONS }, () => 0), { window: 900_000 });
    meetings.push(meetingId);
    const voters = wallets.slice(0, Math.min(VOTERS, BALLOTS - cast));
    const pending = [];
    for (let start = 0; start < voters.length; start += BATCH) {
      const batch = voters.slice(start, start + BATCH).map((w, i) => {
        const answers = Array.from({ length: QUESTIONS }, (_, q) => ([Choice.For, Choice.Against, Choice.Abstain] as const)[(start + i + q + m) % 3]!);
        return sign(w, meetingId, packChoices(answers));
      });
      // a fixed limit saves an estimate per batch: the per-transaction cap (EIP-7825), under the block's 30M
      pending.push(await s.hall.castBallotsBySig(meetingId, batch, { gasLimit: 2 ** 24 }));
    }
    for (const tx of pending) {
      const receipt = await tx.wait();
      if (receipt?.status !== 1) throw new AppError("bench_failed", `batch ${tx.hash} failed`);
    }
    cast += voters.length;
    if ((m + 1) % 10 === 0 || m + 1 === meetingCount) {
      console.log(`  ${cast} ballots in ${m + 1} meetings (${round((performance.now() - started) / 1000, 1)} s)`);
    }
  }
  return { meetings, firstBlock, lastBlock: await s.provider.getBlockNumber() };
}

async function rawDecode(s: Scenario, fromBlock: number, toBlock: number, blocksPerRequest: number) {
  const hall = new Interface(s.hall.interface.fragments);
  const started = performance.now();
  let ballots = 0;
  for (let from = fromBlock; from <= toBlock; from += blocksPerRequest) {
    const logs = await s.provider.getLogs({
      address: [s.deployment.contracts.BuildingRegistry.address, s.deployment.contracts.MeetingHall.address],
      fromBlock: from,
      toBlock: Math.min(toBlock, from + blocksPerRequest - 1),
    });
    for (const log of logs) {
      const parsed = hall.parseLog(log);
      if (parsed?.name === "BallotCast") ballots++;
    }
  }
  return { ballots, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  console.log(`bench:indexer — ${BALLOTS} ballots, ${VOTERS} voters a meeting, ${QUESTIONS} questions, batches of ${BATCH}`);
  const s = await startScenario({ owners: 2 });
  let node: QueryNode | null = null;
  try {
    console.log("filling the chain…");
    const fillStarted = performance.now();
    const { meetings, lastBlock } = await fillChain(s);
    const fillSeconds = (performance.now() - fillStarted) / 1000;

    console.log("indexing from the start block…");
    node = await QueryNode.open({
      buildDir: BUILD_DIR,
      databaseFile: path.join(s.dataDir, "bench.sqlite"),
      name: "digital-home",
      overrides: s.overrides,
      rpcUrl: s.chain.url,
      maxBlocks: 100,
    });
    const indexStarted = performance.now();
    const cpuStarted = process.cpuUsage();
    await node.indexer.syncToHead();
    const indexSeconds = (performance.now() - indexStarted) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const indexCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const error = node.store.fatalError();
    if (error) throw new AppError("bench_failed", `indexing failed: ${error.message}`);
    const indexed = node.query({ query: "{ _meta { block { number } } }" }).data as { _meta: { block: { number: number } } };
    if (indexed._meta.block.number !== lastBlock) throw new AppError("bench_failed", `indexed to ${indexed._meta.block.number}, expected ${lastBlock}`);
    const ballotsIndexed = Number(
      (node.store.db.prepare(`SELECT count(*) AS n FROM "ballot"`).get() as { n: number }).n,
    );
    if (ballotsIndexed !== BALLOTS) throw new AppError("bench_failed", `indexed ${ballotsIndexed} ballots, expected ${BALLOTS}`);

    console.log("querying…");
    const server = await node.listen();
    const endpoint = `${server.url}/subgraphs/name/digital-home`;
    const resultsQuery = `query ($id: ID!) { meeting(id: $id) { id status ballotCount participatingWeight totalWeight quorumReached
      questions(orderBy: index) { index questionType code ruleBase forWeight againstWeight abstainWeight participatingWeight passed } } }`;
    const ballotsQuery = `query ($id: String!) { ballots(first: 100, where: { meeting: $id }, orderBy: weight, orderDirection: desc) {
      id voter weight choices answers transactionHash blockNumber logIndex } }`;
    const timings: number[] = [];
    for (let i = 0; i < QUERY_RUNS + 20; i++) {
      const id = meetings[i % meetings.length]!.toString();
      for (const query of [resultsQuery, ballotsQuery]) {
        const t0 = performance.now();
        const response = await fetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query, variables: { id } }),
        });
        const body = (await response.json()) as { errors?: unknown };
        const elapsed = performance.now() - t0;
        if (body.errors) throw new AppError("bench_failed", `query failed: ${JSON.stringify(body.errors)}`);
        if (i >= 20) timings.push(elapsed);
      }
    }
    timings.sort((a, b) => a - b);

    console.log("fetching and decoding the same logs with ethers alone…");
    const raw = await rawDecode(s, s.deployment.startBlock, lastBlock, 100);
    if (raw.ballots !== BALLOTS) throw new AppError("bench_failed", `raw decode saw ${raw.ballots} ballots`);

    const report = {
      ballots: BALLOTS,
      meetings: meetings.length,
      questionsPerMeeting: QUESTIONS,
      votersPerMeeting: VOTERS,
      ballotsPerTransaction: BATCH,
      blocks: lastBlock - s.deployment.startBlock + 1,
      triggers: node.indexer.stats.triggers,
      indexSeconds: round(indexSeconds),
      ballotsIndexedPerSecond: Math.round(BALLOTS / indexSeconds),
      triggersPerSecond: Math.round(node.indexer.stats.triggers / indexSeconds),
      indexCpuSeconds: round(indexCpuSeconds),
      indexFetchSeconds: round(node.indexer.stats.fetchMs / 1000),
      indexProcessSeconds: round(node.indexer.stats.processMs / 1000),
      queryRuns: timings.length,
      queryMsP50: round(percentile(timings, 50)),
      queryMsP99: round(percentile(timings, 99)),
      rawDecodeSeconds: round(raw.seconds),
      rawDecodePerSecond: Math.round(raw.ballots / raw.seconds),
      chainFillSeconds: round(fillSeconds, 1),
      targets: { ballotsIndexedPerSecond: 2000, queryMsP99: 50 },
      environment: {
        node: process.version,
        cpus: os.cpus().length,
        platform: `${os.platform()} ${os.arch()}`,
        loadAverageAtEnd: os.loadavg().map((l) => round(l)),
      },
      measuredAt: new Date().toISOString(),
    };
    console.log(JSON.stringify(report, null, 2));
    const out = path.join(PROJECT_ROOT, "reports", "bench-indexer.json");
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(report, null, 2) + "\n");
    console.log(`written to ${path.relative(PROJECT_ROOT, out)}`);
  } finally {
    await node?.close();
    await s.close();
  }
}

await main();
