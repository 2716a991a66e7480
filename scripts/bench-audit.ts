/**
 * Audit benchmark (npm run bench:audit): builds a chain holding N ballots (default 100,000) in
 * meetings of 2,000 ballots in a building of 2,000 flats, then times the recount of one meeting and of
 * every meeting, with and without signature checks. Writes reports/bench-audit.json.
 *
 *   npm run bench:audit -- [--ballots 100000] [--per-meeting 2000]
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { Wallet, ZeroAddress, ZeroHash, id } from "ethers";
import { BallotHasher, ballotDomain } from "#lib/ballot.js";
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { MeetingType, OrganiserRole, PremisesKind, SHARE_UNIT } from "#lib/domain.js";
import { NO_DEADLINE, advance, deployWorld, latestTimestamp, type World } from "../dev/scenario.js";
import { ChainReader, hallInterface, topicOf } from "#lib/recount/chain.js";
import { PowersOfAttorney } from "#lib/recount/powers.js";
import { recountMeeting } from "#lib/recount/recount.js";
import { BuildingHistory } from "#lib/recount/register.js";
import { RulesBook } from "#lib/recount/rules.js";
import { AppError, ConfigError } from "#lib/errors.js";

const { values } = parseArgs({ options: { ballots: { type: "string" }, "per-meeting": { type: "string" } } });
const whole = (name: string, raw: string | undefined, fallback: number) => {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ConfigError([`--${name}: got '${raw}', expected a whole number ≥ 1`]);
  return Number(raw);
};
const TOTAL = whole("ballots", values.ballots, 100_000);
const PER_MEETING = Math.min(2000, whole("per-meeting", values["per-meeting"], 2000));
const MEETINGS = Math.ceil(TOTAL / PER_MEETING);
const BATCH = 200;
const QUESTIONS = 5;

async function startChainProcess(): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", "chain.ts"), "--port", "0", "--block-time", "0"], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      const m = /JSON-RPC (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new AppError("bench_failed", `chain exited with ${code}`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

// the node runs in its own process, as an auditor's node would
const chain = await startChainProcess();
const world: World = await deployWorld(chain.url);
log(`chain ${chain.url}; ${MEETINGS} meetings × ${PER_MEETING} ballots`);

// a building of 2,000 flats of 30–120 m², one owner each
const voters = Array.from({ length: 2000 }, (_, i) => new Wallet(id(`bench-audit voter ${i}`)));
await (await world.registry.registerBuilding(id("bench-audit building"))).wait();
for (let i = 0; i < voters.length; i += 200) {
  const list = voters.slice(i, i + 200).map((v, k) => ({
    area: BigInt(3000 + ((i + k) * 7919) % 9000),
    kind: PremisesKind.Residential,
    ref: ZeroHash,
    holdings: [{ holders: [v.address], share: SHARE_UNIT }],
  }));
  await (await world.registry.addPremises(1, list)).wait();
}
await (await world.registry.setOrganiser(1, await world.operator.getAddress(), OrganiserRole.ManagementOrganisation)).wait();

const hasher = new BallotHasher(ballotDomain(world.chainId, world.deployment.contracts.MeetingHall.address));
// the ballots of the benchmark never expire
const digestOf = (meetingId: bigint, voter: string, choices: bigint) => hasher.digest(meetingId, voter, choices, ZeroAddress, NO_DEADLINE);

// question types 0–3 of the published rules: other (majority of participants), then two-thirds and
// more-than-half items of art. 44 part 2
const questions = Array.from({ length: QUESTIONS }, (_, q) => ({ textRef: id(`question ${q}`), questionType: q % 4 }));
const generationStarted = Date.now();
let cast = 0;
for (let m = 0; m < MEETINGS; m++) {
  const now = await latestTimestamp(world);
  await (await world.hall.announceMeeting(1, MeetingType.Extraordinary, ZeroAddress, now + 3, now + 3 + 3600, ZeroHash, questions)).wait();
  const meetingId = await world.hall.meetingCount();
  await advance(world, 5);
  const count = Math.min(PER_MEETING, TOTAL - cast);
  for (let i = 0; i < count; i += BATCH) {
    const batch = voters.slice(i, Math.min(count, i + BATCH)).map((v, k) => {
      const choices = BigInt(1 + ((m + i + k) % 3)) * 0x155n; // the same answer to all five questions
      const signature = v.signingKey.sign(digestOf(meetingId, v.address, choices)).serialized;
      return { voter: v.address, representative: ZeroAddress, powerOfAttorney: 0n, choices, deadline: NO_DEADLINE, signature };
    });
    await (await world.hall.castBallotsBySig(meetingId, batch)).wait();
  }
  cast += count;
  await advance(world, 3600);
  await (await world.hall.finalize(meetingId)).wait();
  if ((m + 1) % 10 === 0 || m + 1 === MEETINGS) log(`${m + 1}/${MEETINGS} meetings, ${cast} ballots`);
}
const generationSeconds = (Date.now() - generationStarted) / 1000;

const reader = new ChainReader(chain.url, world.deployment);
await reader.connect();

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const result = await fn();
  return [result, (performance.now() - t) / 1000];
}

const [one, oneSeconds] = await timed(() => recountMeeting(reader, 1n));
if (one.differences.length) throw new AppError("bench_failed", `recount of meeting 1 differs: ${JSON.stringify(one.differences[0])}`);
if (one.countedBallots !== Math.min(PER_MEETING, TOTAL)) throw new AppError("bench_failed", `meeting 1 counted ${one.countedBallots} ballots, expected ${Math.min(PER_MEETING, TOTAL)}`);
log(`one meeting: ${one.countedBallots} ballots recounted with signature checks in ${oneSeconds.toFixed(2)} s`);

async function recountAll(checkSignatures: boolean) {
  const announced = await reader.logs("hall", [[topicOf(hallInterface, "MeetingAnnounced")]]);
  const [history, rules, powers] = await Promise.all([BuildingHistory.load(reader, 1n), RulesBook.load(reader), PowersOfAttorney.load(reader)]);
  let ballots = 0;
  for (const e of announced) {
    const r = await recountMeeting(reader, e.args.meetingId, { history, rules, powers, checkSignatures });
    if (r.differences.length) throw new AppError("bench_failed", `meeting ${e.args.meetingId} differs: ${JSON.stringify(r.differences[0])}`);
    ballots += r.countedBallots;
  }
  return ballots;
}
const [allBallots, allSeconds] = await timed(() => recountAll(true));
log(`all meetings: ${allBallots} ballots with signature checks in ${allSeconds.toFixed(1)} s`);
const [, noSigSeconds] = await timed(() => recountAll(false));
log(`all meetings: ${allBallots} ballots without signature checks in ${noSigSeconds.toFixed(1)} s`);

reader.close();
world.provider.destroy();
await chain.close();

const report = {
  measuredAt: new Date().toISOString(),
  ballots: allBallots,
  meetings: MEETINGS,
  ballotsPerMeeting: PER_MEETING,
  oneMeetingBallots: one.countedBallots,
  oneMeetingSeconds: Number(oneSeconds.toFixed(3)),
  oneMeetingBallotsPerSecond: Math.round(one.countedBallots / oneSeconds),
  allMeetingsSeconds: Number(allSeconds.toFixed(2)),
  recountBallotsPerSecond: Math.round(allBallots / allSeconds),
  recountBallotsPerSecondWithoutSignatures: Math.round(allBallots / noSigSeconds),
  chainGenerationSeconds: Number(generationSeconds.toFixed(1)),
};
console.table(report);
const file = path.join(PROJECT_ROOT, "reports", "bench-audit.json");
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
