#!/usr/bin/env node
/**
 * The auditor's tool. Talks only to a JSON-RPC endpoint and a deployment record (and, when given, a
 * GraphQL endpoint to compare with).
 *
 *   npm run audit -- recount <meetingId> [--expect protocol.json] [--graphql URL]
 *   npm run audit -- recount --all [--graphql URL]
 *   npm run audit -- verify <ballotId | txHash>
 *   npm run audit -- protocol <meetingId> [--out DIR] [--lang ru|en] [--texts FILE | --documents URL] [--annex FILE] [--key FILE]
 *   npm run audit -- protocol --verify FILE [--signature FILE] [--jwks FILE]
 *   npm run audit -- events <meetingId>
 *
 * Options: --rpc URL (env DH_RPC_URL, default http://127.0.0.1:8545), --deployment NAME|FILE
 * (default localhost), --json (machine-readable output), --no-signatures (skip signature checks).
 * Exit codes: 0 all agree, 1 a difference was found, 2 bad arguments, 3 not found,
 * 4 endpoint unreachable or wrong chain, 5 internal error. `protocol --verify`: 0 the signature and
 * every figure check, 1 the signature fails or a figure differs (each named), 2 the file or its
 * signature cannot be read (or it is unsigned).
 */
import { parseArgs } from "node:util";
import { useNativeKeccak } from "#lib/keccak.js";
import { readDeployment } from "#lib/deployment.js";
import { ChainReader, byChainOrder, hallInterface, rulesInterface, topicOf, uintTopic } from "#lib/recount/chain.js";
import { NotFoundError } from "#lib/recount/errors.js";
import { PowersOfAttorney } from "#lib/recount/powers.js";
import { BALLOT_EVENTS, recountMeeting, type Recount } from "#lib/recount/recount.js";
import { BuildingHistory } from "#lib/recount/register.js";
import { RulesBook } from "#lib/recount/rules.js";
import { isoTime, percent, squareMetres } from "#lib/protocol/format.js";
import { ruleText, type Language } from "#lib/protocol/labels.js";
import { EXIT, UsageError, exitCodeOf } from "./errors.js";
import { compareWithPublished, readPublished } from "./expect.js";
import { readAnnex, verifyProtocolFile, writeProtocol } from "./protocol.js";
import { readTexts, textsFromStore } from "./texts.js";
import { compareWithSubgraph } from "./subgraph.js";
import { describeChoices, verify } from "./verify.js";

useNativeKeccak();

const USAGE = `usage: npm run audit -- <command> [arguments] [options]
  recount <meetingId> [--expect FILE] [--graphql URL]   recount one meeting from the chain
  recount --all [--graphql URL]                         recount every meeting
  verify <ballotId | txHash>                            whether and how a ballot counted
  protocol <meetingId> [--out DIR] [--lang ru|en] [--texts FILE | --documents URL] [--annex FILE] [--key FILE]
                                                        the protocol as XML, PDF, JSON and CSV (signed with --key)
  protocol --verify FILE [--signature FILE] [--jwks FILE]
                                                        check a protocol's signature and every figure in it
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
        documents: { type: "string" },
        annex: { type: "string" },
        key: { type: "string" },
        verify: { type: "string" },
        signature: { type: "string" },
        jwks: { type: "string" },
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
  const m = r.meeting;
  console.log(`${m.kind} ${m.meetingId} of building ${m.buildingId} — ${r.status}`);
  if (!poll) console.log(`  ${m.meetingType.toLowerCase()} meeting, initiator ${m.initiator}, administrator ${m.administrator}, rules version ${m.rulesVersion}`);
  console.log(`  voting ${isoTime(m.votingStart)} – ${isoTime(m.votingEnd)}, snapshot ${isoTime(m.snapshot)}`);
  const forms = (form: string) => r.ballots.filter((b) => b.form === form).length;
  const represented = r.ballots.filter((b) => b.representative !== null).length;
  const checked = r.ballots.filter((b) => b.signatureValid !== undefined).length + r.rejected.filter((b) => b.signatureValid !== undefined).length;
  console.log(`  ballots ${r.countedBallots} counted (${forms("Direct")} direct, ${forms("Relayed")} relayed, ${forms("Paper")} on paper; ${represented} by a representative), ${r.rejected.length} rejected, ${r.discarded.length} discarded; signatures and senders checked ${checked}`);
  const quorum = poll ? "" : `, quorum ${r.quorumReached === null ? "not yet decided" : r.quorumReached ? "reached" : "not reached"}${r.rules ? ` (${ruleText(r.rules.quorum, "en")})` : ""}`;
  console.log(`  took part ${amount(r.participatingWeight)} of ${amount(r.totalWeight)} (${percent(r.participatingWeight, r.totalWeight)} %)${quorum}`);
  for (const q of r.questions) {
    const verdict = q.passed === null ? "open" : q.passed ? "PASSED" : "not passed";
    const rule = poll ? "consultative" : `${q.code ?? `type ${q.questionType}`}: ${q.rule ? ruleText(q.rule, "en") : "no rule"}`;
    const noAnswer = q.noAnswerWeight ? ` · no answer ${amount(q.noAnswerWeight)}` : "";
    console.log(`  Q${q.index + 1} [${rule}] For ${amount(q.forWeight)} · Against ${amount(q.againstWeight)} · Abstain ${amount(q.abstainWeight)}${noAnswer} → ${verdict}`);
  }
  for (const x of r.rejected) console.log(`  rejected: signed by ${x.signer}${x.representative ? ` for ${x.voter}` : ""}, ballot id ${x.ballotId}, ${x.reason}${x.signatureValid ? " (signature checked)" : ""}`);
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
  const verifying = command === "protocol" && values.verify !== undefined;
  if (verifying && target !== undefined) throw new UsageError("protocol --verify FILE takes no meeting id");
  const meetingId = command !== "verify" && !(command === "recount" && values.all) && !verifying ? meetingIdArg(target) : undefined;
  if (command === "recount" && values.all && target !== undefined) throw new UsageError("recount --all takes no meeting id");
  const published = values.expect ? await readPublished(values.expect) : undefined;
  if (values.texts !== undefined && values.documents !== undefined) throw new UsageError("give the agenda's wordings with --texts FILE or --documents URL, not both");
  let texts = values.texts ? await readTexts(values.texts) : undefined;
  const annex = values.annex ? await readAnnex(values.annex) : undefined;

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
      const [rules, powers] = await Promise.all([RulesBook.load(reader), PowersOfAttorney.load(reader)]);
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
        const r = await recountMeeting(reader, e.args.meetingId, { checkSignatures, history, rules, powers });
        if (graphql) await compareWithSubgraph(graphql, r, r.differences);
        ballots += r.countedBallots;
        if (r.differences.length) differing++;
        summaries.push(r);
        progress.tick(i + 1);
      }
      const seconds = (Date.now() - started) / 1000;
      if (values.json) {
        console.log(stringify({ meetings: summaries.length, ballots, differing, seconds, results: summaries.map((r) => ({ meetingId: r.meeting.meetingId, status: r.status, ballots: r.countedBallots, differences: r.differences })) }));
      } else {
        for (const r of summaries) {
          const mark = r.differences.length ? `✗ ${r.differences.length} difference(s)` : "✓";
          console.log(`${r.meeting.kind} ${r.meeting.meetingId} (building ${r.meeting.buildingId}, ${r.status}, ${r.countedBallots} ballots) ${mark}`);
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
            const who = b.representative ? `signed by ${b.signer} as representative of ${b.voter}` : `signed by ${b.voter}`;
            const proof = b.signatureValid === undefined ? "signature not checked" : b.signatureValid ? "signature valid" : "signature INVALID";
            console.log(`  ✗ rejected: meeting ${b.meetingId}, voter ${b.voter}, reason ${b.reason} (block ${b.blockNumber}, log ${b.logIndex})`);
            console.log(`    proves     ${who} ballot id ${b.ballotId} (${proof})`);
            continue;
          }
          if (b.status === "discarded") {
            console.log(`  ✗ discarded: meeting ${b.meetingId}, ballot ${b.index} of the batch: its signature is not its signer's, so it names nobody (block ${b.blockNumber}, log ${b.logIndex})`);
            continue;
          }
          const x = b.ballot;
          console.log(`  ✓ counted in meeting ${b.meetingId}`);
          console.log(`    voter      ${x.voter}`);
          if (x.representative) console.log(`    cast by    ${x.representative}, representative under power of attorney ${x.powerOfAttorney ?? "(none valid)"}`);
          console.log(`    weight     ${x.weight} (${squareMetres(x.weight, 4)} m²)${b.weightMatchesRegister ? ", matches the register at the snapshot" : `, the register says ${b.expectedWeight}`}`);
          for (const g of x.jointGroups) console.log(`               with joint holding ${g.group} of ${g.holders.join(", ")}: ${g.weight}`);
          console.log(`    choices    ${describeChoices(x, x.answers.length)}`);
          if (x.ballotId) console.log(`    ballot id  ${x.ballotId}`);
          console.log(`    tx         ${x.transactionHash}, block ${x.blockNumber} (${isoTime(b.timestamp)}), log ${x.logIndex}`);
          const sig = {
            relayed: x.signatureValid ? `EIP-712 signature by the ${x.representative ? "representative" : "voter"}: valid` : "EIP-712 signature: INVALID",
            direct: `cast by the ${x.representative ? "representative's" : "voter's"} own transaction`,
            forwarded: `cast by the ${x.representative ? "representative's" : "voter's"} signed request through the forwarder`,
            paper: `paper decision entered by the administrator ${x.administrator ?? ""}, scan ${x.scanHash ?? "?"}`,
            contract: "cast through a contract wallet",
          }[x.via];
          console.log(`    how        ${x.form.toLowerCase()}; ${sig}`);
          for (const d of b.differences) console.log(`    ✗ ${d.field} expected ${d.expected}, found ${d.actual}`);
        }
      }
      const bad = v.ballots.some((b) => b.status === "counted" && (!b.weightMatchesRegister || b.ballot.signatureValid === false || b.differences.length > 0));
      return bad ? EXIT.difference : EXIT.ok;
    }

    if (verifying) {
      const v = await verifyProtocolFile(reader, values.verify!, { signature: values.signature, jwks: values.jwks, deployment: values.deployment ?? "localhost" });
      if (values.json) console.log(stringify(v));
      else {
        console.log(`${v.kind.toUpperCase()} ${v.file}${v.meetingId ? `: protocol of meeting ${v.meetingId}` : ""}`);
        console.log(v.signature.valid ? `  ✓ signature valid, key ${v.signature.keyId} (from ${v.signature.keys})` : `  ✗ signature: ${v.signature.problem}`);
        if (v.differences.length === 0) console.log("  ✓ every figure agrees with the chain");
        else {
          console.log(`  ✗ ${v.differences.length} difference(s):`);
          for (const d of v.differences) console.log(`    - ${d.where}: ${d.field} expected ${d.expected}, found ${d.actual}`);
        }
      }
      return v.differences.length ? EXIT.difference : EXIT.ok;
    }

    if (command === "protocol") {
      if (values.documents !== undefined) texts = await textsFromStore(reader, meetingId!, values.documents);
      const { files, differences } = await writeProtocol(reader, meetingId!, { language: lang, texts: texts?.byHash.values(), annex, keyFile: values.key, outDir: values.out ?? "reports/protocols", checkSignatures });
      if (values.json) console.log(stringify({ files, differences }));
      else {
        for (const f of files) console.log(`wrote ${f}`);
        printDifferences({ differences } as Recount);
      }
      return differences.length ? EXIT.difference : EXIT.ok;
    }

    // events: the rules version a meeting is counted by, the meeting's own events, and the powers of attorney recorded for it
    const meetingTopics = ["MeetingAnnounced", "MeetingCancelled", ...BALLOT_EVENTS].map((n) => topicOf(hallInterface, n));
    const logs = await reader.logs("hall", [meetingTopics, uintTopic(meetingId!)]);
    const announced = logs.find((l) => l.name === "MeetingAnnounced");
    if (!announced) throw new NotFoundError(`meeting ${meetingId} was never announced on this deployment`);
    const powers = await reader.logs("hall", [[topicOf(hallInterface, "PowerOfAttorneyRecorded"), topicOf(hallInterface, "PowerOfAttorneyRevoked")]]);
    const forMeeting = new Set(powers.filter((p) => p.name === "PowerOfAttorneyRecorded" && p.args.meetingId === meetingId).map((p) => p.args.id as bigint));
    const version = Number(announced.args.rulesVersion);
    const rules = version === 0 ? [] : await reader.logs("rules", [[topicOf(rulesInterface, "RulesPublished")], uintTopic(version)]);
    const all = [...rules.slice(0, 1), ...logs, ...powers.filter((p) => forMeeting.has(p.args.id))].sort(byChainOrder);
    for (const l of all) {
      const contract = l.name === "RulesPublished" ? "LegalRules" : "MeetingHall";
      const iface = l.name === "RulesPublished" ? rulesInterface : hallInterface;
      const args = Object.fromEntries(iface.getEvent(l.name)!.inputs.map((input, i) => [input.name, l.args[i]]));
      console.log(stringify({ event: l.name, contract, blockNumber: l.blockNumber, blockHash: l.blockHash, transactionHash: l.transactionHash, logIndex: l.logIndex, args }));
    }
    return EXIT.ok;
  } finally {
    reader.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const code = exitCodeOf(err);
    if (code !== undefined) {
      console.error(`audit: ${(err as Error).message}`);
      process.exit(code);
    }
    console.error(`audit: internal error: ${(err as Error).stack ?? err}`);
    process.exit(EXIT.internal);
  },
);
