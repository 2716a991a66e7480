/**
 * Recounts a meeting from the chain's events alone and compares the result with what the contract
 * says (its events and its views). Every difference is named: which ballot or question, which field,
 * what the recount expects and what was found.
 */
import { Interface, getAddress, type TransactionResponse } from "ethers";
import { recoverSigner } from "#lib/recover.js";
import { BallotHasher, ballotDomain, isWellFormed, unpackChoices } from "#lib/ballot.js";
import { ANSWERS, KINDS, REJECT_REASONS, THRESHOLDS, decides, nameAt, quorumReached, type KindName, type StatusName, type ThresholdName } from "#lib/domain.js";
import { ChainReader, hallInterface, topicOf, uintTopic, type DecodedLog } from "./chain.js";
import { AuditError, EXIT, NotFoundError } from "./errors.js";
import { BuildingHistory, type RegisterState } from "./register.js";

export interface MeetingInfo {
  meetingId: bigint;
  buildingId: bigint;
  initiator: string;
  kind: KindName;
  snapshot: number;
  votingStart: number;
  votingEnd: number;
  agendaRef: string;
  questions: Array<{ textRef: string; threshold: ThresholdName }>;
  announcedBlock: number;
  announcedTx: string;
  announcedAt: number;
  cancelled: boolean;
}

export interface CountedBallot {
  voter: string;
  weight: bigint;
  choices: bigint;
  answers: string[];
  transactionHash: string;
  blockNumber: number;
  logIndex: number;
  /** relayed (signed, in castBallotsBySig), direct (the voter's transaction) or contract (through a wallet contract) */
  via: "relayed" | "direct" | "contract";
  /** EIP-712 digest: the ballot's id at the relayer. */
  ballotId: string;
  signatureValid?: boolean;
}

export interface QuestionResult {
  index: number;
  textRef: string;
  threshold: ThresholdName;
  forWeight: bigint;
  againstWeight: bigint;
  abstainWeight: bigint;
  passed: boolean | null;
}

export interface Difference {
  where: string;
  field: string;
  expected: string;
  actual: string;
}

export interface Recount {
  meeting: MeetingInfo;
  status: Exclude<StatusName, "None">;
  totalWeight: bigint;
  participatingWeight: bigint;
  ballots: CountedBallot[];
  rejected: Array<{ voter: string; reason: string; transactionHash: string; blockNumber: number; logIndex: number }>;
  quorumReached: boolean | null;
  questions: QuestionResult[];
  differences: Difference[];
  finalizedBlock?: number;
  finalizedAt?: number;
}

export async function loadMeeting(reader: ChainReader, meetingId: bigint): Promise<MeetingInfo> {
  const events = await reader.logs("hall", [
    [topicOf(hallInterface, "MeetingAnnounced"), topicOf(hallInterface, "MeetingCancelled")],
    uintTopic(meetingId),
  ]);
  const announced = events.find((e) => e.name === "MeetingAnnounced");
  if (!announced) throw new NotFoundError(`meeting ${meetingId} was never announced on this deployment`);
  return meetingFromEvent(announced, events.some((e) => e.name === "MeetingCancelled"), await reader.timestampOf(announced.blockNumber));
}

export function meetingFromEvent(e: DecodedLog, cancelled: boolean, announcedAt: number): MeetingInfo {
  const a = e.args;
  // the event's enums arrive as plain integers: one the contract does not define is a difference
  const defined = <N extends readonly string[]>(names: N, value: bigint, what: string): N[number] => {
    const name = nameAt(names, value);
    if (name === undefined) throw new AuditError("undefined_enum_value", `meeting ${a.meetingId}: MeetingAnnounced has ${what} ${value}, which IMeetingHall does not define`, EXIT.difference);
    return name;
  };
  return {
    meetingId: a.meetingId,
    buildingId: a.buildingId,
    initiator: getAddress(a.initiator),
    kind: defined(KINDS, a.kind, "kind"),
    snapshot: Number(a.snapshot),
    votingStart: Number(a.votingStart),
    votingEnd: Number(a.votingEnd),
    agendaRef: a.agendaRef,
    questions: (a.questions as Array<{ textRef: string; threshold: bigint }>).map((q, i) => ({
      textRef: q.textRef,
      threshold: defined(THRESHOLDS, q.threshold, `question ${i + 1} threshold`),
    })),
    announcedBlock: e.blockNumber,
    announcedTx: e.transactionHash,
    announcedAt,
    cancelled,
  };
}

export interface RecountOptions {
  /** Check the signature of every relayed ballot against the transaction's calldata (default true). */
  checkSignatures?: boolean;
  /** A building's register history, when recounting many meetings of one building. */
  history?: BuildingHistory;
}

export async function recountMeeting(reader: ChainReader, meetingId: bigint, options: RecountOptions = {}): Promise<Recount> {
  const meeting = await loadMeeting(reader, meetingId);
  const history = options.history ?? (await BuildingHistory.load(reader, meeting.buildingId));
  const snapshotBlock = await reader.lastBlockAtOrBefore(meeting.snapshot);
  const register = history.stateAt(snapshotBlock);
  const differences: Difference[] = [];
  const poll = meeting.kind === "Poll";

  compareRegister(register, differences);

  const events = await reader.logs("hall", [
    ["BallotCast", "BallotRejected", "MeetingFinalized", "QuestionDecided"].map((n) => topicOf(hallInterface, n)),
    uintTopic(meetingId),
  ]);
  const hasher = new BallotHasher(ballotDomain(reader.deployment.chainId, reader.deployment.contracts.MeetingHall.address));
  const questionCount = meeting.questions.length;
  const tallies = meeting.questions.map(() => [0n, 0n, 0n]);
  const seen = new Set<string>();
  const ballots: CountedBallot[] = [];
  const rejected: Recount["rejected"] = [];
  let participating = 0n;
  const [startBlockOfWindow, endBlockOfWindow] = [
    (await reader.lastBlockAtOrBefore(meeting.votingStart - 1)) + 1,
    await reader.lastBlockAtOrBefore(meeting.votingEnd - 1),
  ];

  for (const e of events) {
    if (e.name === "BallotRejected") {
      rejected.push({
        voter: getAddress(e.args.voter),
        reason: nameAt(REJECT_REASONS, e.args.reason) ?? `unknown(${e.args.reason})`,
        transactionHash: e.transactionHash,
        blockNumber: e.blockNumber,
        logIndex: e.logIndex,
      });
      continue;
    }
    if (e.name !== "BallotCast") continue;
    const voter: string = e.args.voter; // decoded addresses are checksummed
    const key = voter.toLowerCase();
    const where = `ballot of ${voter} (tx ${e.transactionHash}, log ${e.logIndex})`;
    const choices: bigint = e.args.choices;
    const weight: bigint = e.args.weight;
    const expectedWeight = poll ? (register.electorate.has(key) ? 1n : 0n) : (register.weights.get(key) ?? 0n);
    if (weight !== expectedWeight) {
      differences.push({ where, field: "weight", expected: expectedWeight.toString(), actual: weight.toString() });
    }
    if (expectedWeight === 0n) differences.push({ where, field: "eligible", expected: "false", actual: "counted" });
    if (seen.has(key)) differences.push({ where, field: "voter", expected: "one ballot per voter", actual: "counted twice" });
    seen.add(key);
    if (!isWellFormed(choices, questionCount)) {
      differences.push({ where, field: "choices", expected: `answers to ${questionCount} questions`, actual: `0x${choices.toString(16)}` });
    }
    if (e.blockNumber < startBlockOfWindow || e.blockNumber > endBlockOfWindow) {
      differences.push({ where, field: "block", expected: `within the voting window (blocks ${startBlockOfWindow}–${endBlockOfWindow})`, actual: String(e.blockNumber) });
    }
    const answers = unpackChoices(choices, questionCount);
    answers.forEach((answer, q) => {
      if (answer >= 1 && answer <= 3) tallies[q][answer - 1] += weight;
    });
    participating += weight;
    ballots.push({
      voter,
      weight,
      choices,
      answers: answers.map((a) => ANSWERS[a] ?? "?"),
      transactionHash: e.transactionHash,
      blockNumber: e.blockNumber,
      logIndex: e.logIndex,
      via: "direct",
      ballotId: hasher.digest(meetingId, voter, choices),
    });
  }

  if (options.checkSignatures ?? true) await checkSignatures(reader, meetingId, ballots, differences);

  const total = poll ? BigInt(register.electorate.size) : register.total;
  const quorum = quorumReached(participating, total);
  const finalized = events.find((e) => e.name === "MeetingFinalized");
  const decided = new Map(events.filter((e) => e.name === "QuestionDecided").map((e) => [Number(e.args.questionIndex), e]));
  const questions: QuestionResult[] = meeting.questions.map((q, i) => ({
    index: i,
    textRef: q.textRef,
    threshold: q.threshold,
    forWeight: tallies[i][0],
    againstWeight: tallies[i][1],
    abstainWeight: tallies[i][2],
    passed: finalized ? decides(q.threshold, tallies[i][0], participating, total, quorum) : null,
  }));

  // the contract's own record: events of finalization, then its views
  if (finalized) {
    const f = finalized.args;
    const m = "meeting (MeetingFinalized)";
    cmp(differences, m, "totalWeight", total, f.totalWeight);
    cmp(differences, m, "participatingWeight", participating, f.participatingWeight);
    cmp(differences, m, "ballots", BigInt(ballots.length), f.ballots);
    cmp(differences, m, "quorumReached", quorum, f.quorumReached);
    for (const q of questions) {
      const d = decided.get(q.index);
      const where = `question ${q.index + 1} (QuestionDecided)`;
      if (!d) {
        differences.push({ where, field: "event", expected: "present", actual: "missing" });
        continue;
      }
      cmp(differences, where, "forWeight", q.forWeight, d.args.forWeight);
      cmp(differences, where, "againstWeight", q.againstWeight, d.args.againstWeight);
      cmp(differences, where, "abstainWeight", q.abstainWeight, d.args.abstainWeight);
      cmp(differences, where, "passed", q.passed, d.args.passed);
    }
  }
  const view = await reader.hall.getMeeting(meetingId);
  const results = await reader.hall.getResults(meetingId);
  cmp(differences, "meeting (getMeeting)", "ballots", BigInt(ballots.length), view.ballots);
  cmp(differences, "meeting (getMeeting)", "participatingWeight", participating, view.participatingWeight);
  if (finalized) {
    cmp(differences, "meeting (getMeeting)", "totalWeight", total, view.totalWeight);
    cmp(differences, "meeting (getMeeting)", "quorumReached", quorum, view.quorumReached);
  }
  questions.forEach((q, i) => {
    const where = `question ${i + 1} (getResults)`;
    cmp(differences, where, "forWeight", q.forWeight, results[i].forWeight);
    cmp(differences, where, "againstWeight", q.againstWeight, results[i].againstWeight);
    cmp(differences, where, "abstainWeight", q.abstainWeight, results[i].abstainWeight);
    if (finalized) cmp(differences, where, "passed", q.passed, results[i].passed);
  });

  const status = finalized ? "Finalized" : meeting.cancelled ? "Cancelled" : "Announced";
  return {
    meeting,
    status,
    totalWeight: total,
    participatingWeight: participating,
    ballots,
    rejected,
    quorumReached: finalized ? quorum : null,
    questions,
    differences,
    finalizedBlock: finalized?.blockNumber,
    finalizedAt: finalized ? await reader.timestampOf(finalized.blockNumber) : undefined,
  };
}

function cmp(differences: Difference[], where: string, field: string, expected: bigint | boolean | null, actual: bigint | boolean) {
  if (expected !== actual) differences.push({ where, field, expected: String(expected), actual: String(actual) });
}

/** The registry's announced weights must agree with weights rebuilt from ownership. */
function compareRegister(register: RegisterState, differences: Difference[]) {
  const voters = new Set([...register.weights.keys(), ...register.announcedWeights.keys()]);
  for (const voter of voters) {
    const rebuilt = register.weights.get(voter) ?? 0n;
    const announced = register.announcedWeights.get(voter) ?? 0n;
    if (rebuilt !== announced) {
      differences.push({ where: `register, voter ${getAddress(voter)}`, field: "weight (VoterWeightChanged)", expected: rebuilt.toString(), actual: announced.toString() });
    }
  }
  if (register.total !== register.announcedTotal) {
    differences.push({ where: "register", field: "total weight (BuildingWeightChanged)", expected: register.total.toString(), actual: register.announcedTotal.toString() });
  }
  if (BigInt(register.electorate.size) !== register.announcedElectorate) {
    differences.push({ where: "register", field: "electorate (ElectorateChanged)", expected: String(register.electorate.size), actual: register.announcedElectorate.toString() });
  }
}

const castBallotsBySig = hallInterface.getFunction("castBallotsBySig")!;
const castBallot = hallInterface.getFunction("castBallot")!;

/**
 * Every counted ballot must be the voter's own act: a relayed ballot carries the voter's EIP-712
 * signature in the transaction's calldata; a direct one is the voter's own transaction (or its
 * contract wallet's call).
 */
async function checkSignatures(reader: ChainReader, meetingId: bigint, ballots: CountedBallot[], differences: Difference[]) {
  const hallAddress = reader.deployment.contracts.MeetingHall.address.toLowerCase();
  const txHashes = [...new Set(ballots.map((b) => b.transactionHash))];
  const txs = new Map<string, TransactionResponse | null>();
  const CONCURRENCY = 16;
  for (let i = 0; i < txHashes.length; i += CONCURRENCY) {
    const slice = txHashes.slice(i, i + CONCURRENCY);
    const fetched = await Promise.all(slice.map((h) => reader.provider.getTransaction(h)));
    slice.forEach((h, k) => txs.set(h, fetched[k]));
  }
  const signedIn = new Map<string, Map<string, { choices: bigint; signature: string }[]>>();
  for (const b of ballots) {
    const tx = txs.get(b.transactionHash);
    const where = `ballot of ${b.voter} (tx ${b.transactionHash})`;
    if (!tx) {
      differences.push({ where, field: "transaction", expected: "available", actual: "missing" });
      continue;
    }
    if (tx.to?.toLowerCase() !== hallAddress) {
      b.via = "contract";
      continue;
    }
    if (tx.data.startsWith(castBallot.selector)) {
      b.via = "direct";
      b.signatureValid = tx.from.toLowerCase() === b.voter.toLowerCase();
      if (!b.signatureValid) differences.push({ where, field: "sender", expected: b.voter, actual: tx.from });
      continue;
    }
    if (!tx.data.startsWith(castBallotsBySig.selector)) {
      differences.push({ where, field: "transaction", expected: "castBallot or castBallotsBySig", actual: tx.data.slice(0, 10) });
      continue;
    }
    b.via = "relayed";
    let byVoter = signedIn.get(b.transactionHash);
    if (!byVoter) {
      byVoter = new Map();
      const [txMeeting, list] = hallInterface.decodeFunctionData(castBallotsBySig, tx.data);
      if (txMeeting === meetingId) {
        for (const s of list as Array<{ voter: string; choices: bigint; signature: string }>) {
          const k = s.voter.toLowerCase();
          byVoter.set(k, [...(byVoter.get(k) ?? []), { choices: s.choices, signature: s.signature }]);
        }
      }
      signedIn.set(b.transactionHash, byVoter);
    }
    const candidates = (byVoter.get(b.voter.toLowerCase()) ?? []).filter((s) => s.choices === b.choices);
    b.signatureValid = candidates.some((s) => recoverSigner(b.ballotId, s.signature) === b.voter.toLowerCase());
    if (!b.signatureValid && candidates.length > 0 && (await reader.provider.getCode(b.voter, b.blockNumber)) !== "0x") {
      // a contract wallet (ERC-1271): ask it, at the ballot's block, as the contract did
      b.signatureValid = await erc1271Accepts(reader, b.voter, b.ballotId, candidates, b.blockNumber);
    }
    if (!b.signatureValid) differences.push({ where, field: "signature", expected: "signed by the voter", actual: candidates.length ? "invalid" : "absent from calldata" });
  }
}

const erc1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);
const ERC1271_MAGIC = "0x1626ba7e";

async function erc1271Accepts(reader: ChainReader, wallet: string, digest: string, candidates: { signature: string }[], blockTag: number) {
  for (const c of candidates) {
    const data = erc1271.encodeFunctionData("isValidSignature", [digest, c.signature]);
    try {
      const out = await reader.provider.call({ to: wallet, data, blockTag });
      if (out.startsWith(ERC1271_MAGIC)) return true;
    } catch {
      // a reverting wallet does not accept
    }
  }
  return false;
}
