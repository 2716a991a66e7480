#!/usr/bin/env node
/**
 * The auditor's tool. Talks only to a JSON-RPC endpoint and a deployment record (and, when given, a
 * GraphQL endpoint to compare with).
 *
 *   npm run audit -- recount <meetingId> [--expect protocol.json] [--graphql URL]
 *   npm run audit -- recount --all [--graphql URL]
 *   npm run audit -- verify <ballotId | txHash>
 *   npm run audit -- protocol <meetingId> [--out DIR] [--lang ru|en] [--texts FILE]
 *   npm run audit -- events <meetingId>
 *
 * Options: --rpc URL (env DH_RPC_URL, default http://127.0.0.1:8545), --deployment NAME|FILE
 * (default localhost), --json (machine-readable output), --no-signatures (skip signature checks).
 * Exit codes: 0 all agree, 1 a difference was found, 2 bad arguments, 3 not found,
 * 4 endpoint unreachable or wrong chain, 5 internal error.
 */
import { parseArgs } from "node:util";
import { useNativeKeccak } from "#lib/keccak.js";
import { readDeployment } from "#lib/deployment.js";
import { ChainReader, hallInterface, topicOf, uintTopic } from "./chain.js";
import { AuditError, EXIT, NotFoundError, UsageError } from "./errors.js";
import { compareWithPublished, readPublished } from "./expect.js";
import { isoTime, percent, squareMetres } from "./format.js";
import { buildProtocol, readTexts, writeProtocol, type Language } from "./protocol.js";
import { recountMeeting, type Recount } from "./recount.js";
import { BuildingHistory } from "./register.js";
import { compareWithSubgraph } from "./subgraph.js";
import { describeChoices, verify } from "./verify.js";

useNativeKeccak();

const USAGE = `usage: npm run audit -- <command> [arguments] [options]
  recount <meetingId> [--expect FILE] [--graphql URL]   recount one meeting from the chain
  recount --all [--graphql URL]                         recount every meeting
  verify <ballotId | txHash>                            whether and how a ballot counted
  protocol <meetingId> [--out DIR] [--lang ru|en] [--texts FILE]   the minutes as PDF, JSON and CSV
  events <meetingId>                                    the meeting's events as JSON lines
options: --rpc URL  --deployment NAME|FILE  --json  --no-signatures`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rpc: { type: "string" },
        deployment: { type: "string" },
        graphql: { type: "string" },
        expect: { type: "string" },
        out: { type: "string" },
        lang: { type: "string" },
        texts: { type: "string" },
        all: { type: "boolean" },
        json: { type: "boolean" },
        "no-signatures": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
}

function meetingIdArg(raw: string | undefined): bigint {
  if (raw === undefined) throw new UsageError(`a meeting id is required\n${USAGE}`);
  if (!/^[1-9]\d{0,76}$/.test(raw)) throw new UsageError(`meeting id '${raw}': expected a whole number from 1`);
  return BigInt(raw);
}

function urlArg(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${name} '${raw}': expected an http(s) URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--${name} '${raw}': expected an http(s) URL`);
  return raw;
}

const stringify = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));

function printRecount(r: Recount) {
  const poll = r.meeting.kind === "Poll";
  const amount = (w: bigint) => (poll ? `${w}` : `${squareMetres(w)} m²`);
  console.log(`${r.meeting.kind} ${r.meeting.meetingId} of building ${r.meeting.buildingId} — ${r.status}`);
  console.log(`  voting ${isoTime(r.meeting.votingStart)} – ${isoTime(r.meeting.votingEnd)}, snapshot ${isoTime(r.meeting.snapshot)}`);
  console.log(`  ballots ${r.ballots.length} counted, ${r.rejected.length} rejected; signatures checked ${r.ballots.filter((b) => b.signatureValid !== undefined).length}`);
  console.log(`  took part ${amount(r.participatingWeight)} of ${amount(r.totalWeight)} (${percent(r.participatingWeight, r.totalWeight)} %)` + (poll ? "" : `, quorum ${r.quorumReached === null ? "not yet decided" : r.quorumReached ? "reached" : "not reached"}`));
  for (const q of r.questions) {
    const verdict = q.passed === null ? "open" : q.passed ? "PASSED" : "not passed";
    console.log(`  Q${q.index + 1} [${q.threshold}] For ${amount(q.forWeight)} · Against ${amount(q.againstWeight)} · Abstain ${amount(q.abstainWeight)} → ${verdict}`);
  }
  printDifferences(r);
}

function printDifferences(r: Recount) {
  if (r.differences.length === 0) {
    console.log(`  ✓ the recount agrees with every source compared`);
    return;
  }
  console.log(`  ✗ ${r.differences.length} difference(s):`);
  for (const d of r.differences) console.log(`    - ${d.where}: ${d.field} expected ${d.expected}, found ${d.actual}`);
}

class Progress {
  private last = 0;
  constructor(private readonly total: number) {}
  tick(done: number) {
    if (!process.stderr.isTTY && done !== this.total && Date.now() - this.last < 2000) return;
    this.last = Date.now();
    const width = 30;
    const filled = this.total ? Math.round((done / this.total) * width) : width;
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${this.total}`;
    process.stderr.write(process.stderr.isTTY ? `\r${bar}` : `${bar}\n`);
    if (done === this.total && process.stderr.isTTY) process.stderr.write("\n");
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return positionals.length === 0 && !values.help ? EXIT.usage : EXIT.ok;
  }
  const [command, target, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument(s): ${rest.join(" ")}\n${USAGE}`);
  if (!["recount", "verify", "protocol", "events"].includes(command)) throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  const rpc = urlArg("rpc", values.rpc ?? process.env.DH_RPC_URL ?? "http://127.0.0.1:8545");
  const graphql = values.graphql === undefined ? undefined : urlArg("graphql", values.graphql);
  const lang = (values.lang ?? "ru") as Language;
  if (lang !== "ru" && lang !== "en") throw new UsageError(`--lang '${values.lang}': expected ru or en`);
  // validate the arguments before reaching for the network
  if (command === "verify" && !/^0x[0-9a-fA-F]{64}$/.test(target ?? "")) {
    throw new UsageError(`verify '${target ?? ""}': expected a ballot id or transaction hash (0x and 64 hex digits)`);
  }
  const meetingId = command !== "verify" && !(command === "recount" && values.all) ? meetingIdArg(target) : undefined;
  if (command === "recount" && values.all && target !== undefined) throw new UsageError("recount --all takes no meeting id");
  const published = values.expect ? await readPublished(values.expect) : undefined;
  const texts = values.texts ? await readTexts(values.texts) : undefined;

  let deployment;
  try {
    deployment = await readDeployment(values.deployment ?? "localhost");
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const reader = new ChainReader(rpc, deployment);
  try {
    await reader.connect();
    const checkSignatures = !values["no-signatures"];

    if (command === "recount" && meetingId !== undefined) {
      const r = await recountMeeting(reader, meetingId, { checkSignatures });
      if (published) compareWithPublished(r, published, r.differences);
      if (graphql) await compareWithSubgraph(graphql, r, r.differences);
      if (values.json) console.log(stringify(r));
      else printRecount(r);
      return r.differences.length ? EXIT.difference : EXIT.ok;
    }

    if (command === "recount") {
      const announced = await reader.logs("hall", [[topicOf(hallInterface, "MeetingAnnounced")]]);
      const progress = new Progress(announced.length);
      const histories = new Map<bigint, BuildingHistory>();
      let differing = 0;
      let ballots = 0;
      const started = Date.now();
      progress.tick(0);
      const summaries = [];
      for (const [i, e] of announced.entries()) {
        const buildingId: bigint = e.args.buildingId;
        let history = histories.get(buildingId);
        if (!history) {
          history = await BuildingHistory.load(reader, buildingId);
          histories.set(buildingId, history);
        }
        const r = await recountMeeting(reader, e.args.meetingId, { checkSignatures, history });
        if (graphql) await compareWithSubgraph(graphql, r, r.differences);
        ballots += r.ballots.length;
        if (r.differences.length) differing++;
        summaries.push(r);
        progress.tick(i + 1);
      }
      const seconds = (Date.now() - started) / 1000;
      if (values.json) {
        console.log(stringify({ meetings: summaries.length, ballots, differing, seconds, results: summaries.map((r) => ({ meetingId: r.meeting.meetingId, status: r.status, ballots: r.ballots.length, differences: r.differences })) }));
      } else {
        for (const r of summaries) {
          const mark = r.differences.length ? `✗ ${r.differences.length} difference(s)` : "✓";
          console.log(`${r.meeting.kind} ${r.meeting.meetingId} (building ${r.meeting.buildingId}, ${r.status}, ${r.ballots.length} ballots) ${mark}`);
          for (const d of r.differences) console.log(`    - ${d.where}: ${d.field} expected ${d.expected}, found ${d.actual}`);
        }
        console.log(`\n${summaries.length} meetings, ${ballots} ballots recounted in ${seconds.toFixed(1)} s: ${summaries.length - differing} agree, ${differing} differ`);
      }
      return differing ? EXIT.difference : EXIT.ok;
    }

    if (command === "verify") {
      const v = await verify(reader, target!);
      if (values.json) {
        console.log(stringify(v));
      } else {
        console.log(`${v.kind === "transaction" ? "transaction" : "ballot id"} ${v.query}`);
        for (const b of v.ballots) {
          if (b.status === "rejected") {
            console.log(`  ✗ rejected: meeting ${b.meetingId}, voter ${b.voter}, reason ${b.reason} (block ${b.blockNumber}, log ${b.logIndex})`);
            continue;
          }
          const x = b.ballot;
          console.log(`  ✓ counted in meeting ${b.meetingId}`);
          console.log(`    voter      ${x.voter}`);
          console.log(`    weight     ${x.weight} (${squareMetres(x.weight, 4)} m²)${b.weightMatchesRegister ? ", matches the register at the snapshot" : `, the register says ${b.expectedWeight}`}`);
          console.log(`    choices    ${describeChoices(x.choices, x.answers.length)}`);
          console.log(`    ballot id  ${x.ballotId}`);
          console.log(`    tx         ${x.transactionHash}, block ${x.blockNumber} (${isoTime(b.timestamp)}), log ${x.logIndex}`);
          const sig = x.via === "relayed" ? (x.signatureValid ? "EIP-712 signature by the voter: valid" : "EIP-712 signature: INVALID") : x.via === "direct" ? "cast by the voter's own transaction" : "cast through a contract wallet";
          console.log(`    how        ${x.via}; ${sig}`);
        }
      }
      const bad = v.ballots.some((b) => b.status === "counted" && (!b.weightMatchesRegister || b.ballot.signatureValid === false));
      return bad ? EXIT.difference : EXIT.ok;
    }

    if (command === "protocol") {
      const r = await recountMeeting(reader, meetingId!, { checkSignatures });
      const doc = buildProtocol(r, { chainId: deployment.chainId, meetingHall: deployment.contracts.MeetingHall.address, language: lang, texts });
      const files = await writeProtocol(doc, values.out ?? "reports/protocols");
      if (values.json) console.log(stringify({ files, differences: r.differences }));
      else {
        for (const f of files) console.log(`wrote ${f}`);
        printDifferences(r);
      }
      return r.differences.length ? EXIT.difference : EXIT.ok;
    }

    // events
    const logs = await reader.logs("hall", [null, uintTopic(meetingId!)]);
    if (!logs.some((l) => l.name === "MeetingAnnounced")) {
      throw new NotFoundError(`meeting ${meetingId} was never announced on this deployment`);
    }
    for (const l of logs) {
      const args = Object.fromEntries(hallInterface.getEvent(l.name)!.inputs.map((input, i) => [input.name, l.args[i]]));
      console.log(stringify({ event: l.name, blockNumber: l.blockNumber, blockHash: l.blockHash, transactionHash: l.transactionHash, logIndex: l.logIndex, args }));
    }
    return EXIT.ok;
  } finally {
    reader.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof AuditError) {
      console.error(`audit: ${err.message}`);
      process.exit(err.exitCode);
    }
    console.error(`audit: internal error: ${(err as Error).stack ?? err}`);
    process.exit(EXIT.internal);
  },
);
