/**
 * Recounts a meeting from the chain's events alone and compares the result with what the contract
 * says (its events and its views). Every difference is named: which ballot or question, which field,
 * what the recount expects and what was found.
 *
 * The recount rebuilds the register at the snapshot (holdings, joint groups and their weights), the
 * rules version the meeting recorded (`RulesPublished`) and the powers of attorney, then replays the
 * meeting's ballots in chain order as the contract counts them: a voter's own weight and that of each
 * of their joint groups no other joint owner voted first (`JointGroupVoted`), a representative's
 * ballot only under a power valid and unrevoked when it counted, with the principal's weight, and the
 * first ballot of a voter in any form the one that counts; a paper decision's void and unanswered
 * questions count for participation and for no answer. With signature checks on, each ballot is also
 * matched with the calldata that carried it: a relayed ballot's EIP-712 signature by the voter or the
 * representative, a direct ballot's sender, a paper decision's administrator and fields; a rejected
 * ballot is shown by what it proves (its signer signed it) and its reason is checked, and a discarded
 * one must indeed carry a signature that is not its signer's.
 */
import { ZeroAddress, getAddress } from "ethers";
import { BallotHasher, ballotDomain, isWellFormed, isWellFormedPaper, unpackChoices, unpackPaperChoices } from "../ballot.js";
import {
  ANSWERS,
  BALLOT_FORMS,
  KINDS,
  MEETING_TYPES,
  REJECT_REASONS,
  STATUSES,
  meetingOutcome,
  nameAt,
  pollOutcome,
  type BallotFormName,
  type KindName,
  type MeetingTypeName,
  type RejectReasonName,
  type Rule,
  type StatusName,
} from "../domain.js";
import { ChainReader, hallInterface, topicOf, uintTopic, type DecodedLog } from "./chain.js";
import { hallCallsOf, type HallCall } from "./calldata.js";
import { compare, viewOf, type Difference } from "./differences.js";
import { NotFoundError, UndefinedEnumError } from "./errors.js";
import { PowersOfAttorney, type ChainPoint } from "./powers.js";
import { BuildingHistory, activeGroups, compareRegister, mayAnnounce, ownWeight, type RegisterState } from "./register.js";
import { RulesBook, type RulesVersionInfo } from "./rules.js";
import { signedBy } from "./signatures.js";

export interface MeetingInfo {
  meetingId: bigint;
  buildingId: bigint;
  initiator: string;
  kind: KindName;
  meetingType: MeetingTypeName;
  administrator: string;
  /** The legal rules version it is counted by (0 for a poll). */
  rulesVersion: number;
  snapshot: number;
  votingStart: number;
  votingEnd: number;
  agendaRef: string;
  questions: Array<{ textRef: string; questionType: number }>;
  announcedBlock: number;
  announcedLogIndex: number;
  announcedTx: string;
  announcedAt: number;
  cancelled: boolean;
}

/** A joint group counted within a ballot. */
export interface CountedGroup {
  group: string;
  holders: string[];
  weight: bigint;
}

export interface CountedBallot {
  voter: string;
  /** Who cast it for the voter under a power of attorney, or null for the voter's own ballot. */
  representative: string | null;
  /** Who signed it: the representative, else the voter. */
  signer: string;
  /** How it arrived, as `BallotCast` says. */
  form: BallotFormName;
  /** The weight the contract counted (`BallotCast`). */
  weight: bigint;
  /** The weight the register gives it: the voter's own at the snapshot and their joint groups not voted before. */
  expectedWeight: bigint;
  jointGroups: CountedGroup[];
  choices: bigint;
  /** A paper decision's void questions (bit q), else 0. */
  voidMask: bigint;
  /** For / Against / Abstain per question; a paper decision's also "void" or "unanswered". */
  answers: string[];
  /** The power of attorney a representative's ballot counted under (from calldata, else the valid one found). */
  powerOfAttorney: string | null;
  /** A paper decision's administrator and scan hash. */
  administrator?: string;
  scanHash?: string;
  transactionHash: string;
  blockNumber: number;
  logIndex: number;
  /**
   * How its authenticity was checked: relayed (an EIP-712 signature in the batch's calldata), direct
   * (the signer's own transaction), forwarded (the signer's request through the trusted forwarder),
   * paper (entered by the administrator), contract (through a contract the calldata does not show).
   */
  via: "relayed" | "direct" | "forwarded" | "paper" | "contract";
  /** The ballot's EIP-712 digest (its id at the relayer), for a relayed ballot read from calldata. */
  ballotId: string | null;
  /** The signed deadline of a relayed ballot. */
  deadline?: bigint;
  signatureValid?: boolean;
}

/** A relayed ballot the contract skipped although its signer signed it: it proves that the signer signed it. */
export interface RejectedBallot {
  voter: string;
  representative: string | null;
  signer: string;
  ballotId: string;
  /** The reason the contract gives. */
  reason: RejectReasonName | `unknown(${string})`;
  /** Whether the signature in the batch's calldata is the signer's (undefined: not checked). */
  signatureValid?: boolean;
  /** The reason the recount finds, when calldata was read. */
  expectedReason?: RejectReasonName | "counted";
  transactionHash: string;
  blockNumber: number;
  logIndex: number;
}

/** A relayed ballot skipped because its signature is not its signer's: it names nobody. */
export interface DiscardedBallot {
  transactionHash: string;
  /** Its place in the batch. */
  index: number;
  blockNumber: number;
  logIndex: number;
  /** Whether the recount confirms the signature in calldata is not its signer's (undefined: not checked). */
  signatureInvalid?: boolean;
}

export interface QuestionResult {
  index: number;
  textRef: string;
  /** Its type in the meeting's rules version (0 for a poll, which means nothing). */
  questionType: number;
  /** The type's code and rule in that version (null for a poll, or a version the chain does not hold). */
  code: string | null;
  rule: Rule | null;
  forWeight: bigint;
  againstWeight: bigint;
  abstainWeight: bigint;
  /** Weight that took part without answering it: void or unanswered on paper. */
  noAnswerWeight: bigint;
  passed: boolean | null;
}

export interface Recount {
  meeting: MeetingInfo;
  status: Exclude<StatusName, "None">;
  /** The rules version the meeting is counted by (null for a poll). */
  rules: RulesVersionInfo | null;
  /** The registrar's published register hash at the snapshot (the protocol's annexes), if any. */
  registerHash: string | null;
  totalWeight: bigint;
  participatingWeight: bigint;
  /** Ballots the recount counts (equal to the contract's when all agree). */
  countedBallots: number;
  ballots: CountedBallot[];
  rejected: RejectedBallot[];
  discarded: DiscardedBallot[];
  quorumReached: boolean | null;
  questions: QuestionResult[];
  differences: Difference[];
  finalizedBlock?: number;
  finalizedAt?: number;
  /** The transaction that finalized it. */
  finalizedTx?: string;
}

const MEETING_EVENTS = ["MeetingAnnounced", "MeetingCancelled"];
/** The events of a meeting's ballots and result, each with the meeting id as its first topic. */
export const BALLOT_EVENTS = ["JointGroupVoted", "PaperDecisionEntered", "BallotCast", "BallotRejected", "BallotDiscarded", "QuestionDecided", "MeetingFinalized"];

export async function loadMeeting(reader: ChainReader, meetingId: bigint): Promise<MeetingInfo> {
  const events = await reader.logs("hall", [MEETING_EVENTS.map((n) => topicOf(hallInterface, n)), uintTopic(meetingId)]);
  const announced = events.find((e) => e.name === "MeetingAnnounced");
  if (!announced) throw new NotFoundError(`meeting ${meetingId} was never announced on this deployment`);
  return meetingFromEvent(announced, events.some((e) => e.name === "MeetingCancelled"), await reader.timestampOf(announced.blockNumber));
}

export function meetingFromEvent(e: DecodedLog, cancelled: boolean, announcedAt: number): MeetingInfo {
  const a = e.args;
  // the event's enums arrive as plain integers: one the contract does not define is a difference
  const defined = <N extends readonly string[]>(names: N, value: bigint, what: string): N[number] => {
    const name = nameAt(names, value);
    if (name === undefined) throw new UndefinedEnumError(`meeting ${a.meetingId}: MeetingAnnounced has ${what} ${value}, which IMeetingHall does not define`);
    return name;
  };
  return {
    meetingId: a.meetingId,
    buildingId: a.buildingId,
    initiator: getAddress(a.initiator),
    kind: defined(KINDS, a.kind, "kind"),
    meetingType: defined(MEETING_TYPES, a.meetingType, "meeting type"),
    administrator: getAddress(a.administrator),
    rulesVersion: Number(a.rulesVersion),
    snapshot: Number(a.snapshot),
    votingStart: Number(a.votingStart),
    votingEnd: Number(a.votingEnd),
    agendaRef: a.agendaRef,
    questions: (a.questions as Array<{ textRef: string; questionType: bigint }>).map((q) => ({ textRef: q.textRef, questionType: Number(q.questionType) })),
    announcedBlock: e.blockNumber,
    announcedLogIndex: e.logIndex,
    announcedTx: e.transactionHash,
    announcedAt,
    cancelled,
  };
}

export interface RecountOptions {
  /** Check every ballot against the calldata that carried it (default true). */
  checkSignatures?: boolean;
  /** A building's register history, when recounting many meetings of one building. */
  history?: BuildingHistory;
  /** The deployment's rules versions and powers of attorney, when recounting many meetings. */
  rules?: RulesBook;
  powers?: PowersOfAttorney;
}

const key = (address: string) => address.toLowerCase();
const logKey = (e: { transactionHash: string; logIndex: number }) => `${e.transactionHash}:${e.logIndex}`;
const isBefore = (a: ChainPoint, b: ChainPoint) => a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);

export const ballotLabel = (voter: string, transactionHash: string, logIndex: number) => `ballot of ${voter} (tx ${transactionHash}, log ${logIndex})`;

/** What the calldata says of one ballot event (see `readCalldata`). */
interface CallAnnotation {
  via: CountedBallot["via"];
  sender: string;
  /** The relayed or paper item, with its place in its batch. */
  voter?: string;
  representative?: string;
  choices?: bigint;
  powerOfAttorney?: bigint;
  deadline?: bigint;
  digest?: string;
  signatureValid?: boolean;
  index?: number;
  voidMask?: bigint;
  scanHash?: string;
}

export async function recountMeeting(reader: ChainReader, meetingId: bigint, options: RecountOptions = {}): Promise<Recount> {
  const meeting = await loadMeeting(reader, meetingId);
  const poll = meeting.kind === "Poll";
  const [history, rulesBook, powers] = await Promise.all([
    options.history ?? BuildingHistory.load(reader, meeting.buildingId),
    options.rules ?? RulesBook.load(reader),
    options.powers ?? PowersOfAttorney.load(reader),
  ]);
  const snapshotBlock = await reader.lastBlockAtOrBefore(meeting.snapshot);
  const register = history.stateAt(snapshotBlock);
  const differences: Difference[] = [];
  compareRegister(register, differences);

  const rules = poll ? null : (rulesBook.versions.get(meeting.rulesVersion) ?? null);
  if (!poll) differences.push(...(await rulesBook.check(meeting.rulesVersion)));
  checkAnnouncement(meeting, rulesBook, rules, history.stateAt(meeting.announcedBlock, meeting.announcedLogIndex), differences);

  const events = await reader.logs("hall", [BALLOT_EVENTS.map((n) => topicOf(hallInterface, n)), uintTopic(meetingId)]);
  const cancelledAt = meeting.cancelled ? await cancellationPoint(reader, meetingId) : undefined;
  const finalized = events.find((e) => e.name === "MeetingFinalized");
  const hasher = new BallotHasher(ballotDomain(reader.deployment.chainId, reader.deployment.contracts.MeetingHall.address));
  const calldata = (options.checkSignatures ?? true) ? await readCalldata(reader, meeting, events, hasher, differences) : undefined;
  const noteOf = (e: DecodedLog) => calldata?.notes.get(logKey(e));

  const questionCount = meeting.questions.length;
  const tallies = meeting.questions.map(() => [0n, 0n, 0n, 0n]);
  const voted = new Set<string>();
  const ballots: CountedBallot[] = [];
  const rejected: RejectedBallot[] = [];
  const discarded: DiscardedBallot[] = [];
  let participating = 0n;
  let counted = 0;
  const [startBlockOfWindow, endBlockOfWindow] = [(await reader.lastBlockAtOrBefore(meeting.votingStart - 1)) + 1, await reader.lastBlockAtOrBefore(meeting.votingEnd - 1)];

  /** The voter's weight the contract reads at the snapshot: own (1 for a poll) and joint groups with weight. */
  const standing = (voter: string) => {
    if (register.groups.has(key(voter))) return { own: 0n, groups: [] as Array<{ group: string; weight: bigint }> }; // a group votes only through a holder
    if (poll) return { own: register.electorate.has(key(voter)) ? 1n : 0n, groups: [] };
    return { own: ownWeight(register, voter), groups: activeGroups(register, voter) };
  };
  const powerCheck = async (voter: string, representative: string, point: ChainPoint, cited: bigint | undefined) => {
    const timestamp = await reader.timestampOf(point.blockNumber);
    if (cited !== undefined) {
      const check = powers.check(cited, voter, representative, meeting.buildingId, meetingId, point, timestamp);
      return { id: cited, why: check.valid ? undefined : check.why };
    }
    const found = powers.find(voter, representative, meeting.buildingId, meetingId, point, timestamp);
    return { id: found?.id, why: found ? undefined : `no power of attorney from ${voter} to ${representative} valid at ${timestamp}` };
  };

  let pendingGroups: DecodedLog[] = [];
  let pendingPaper: DecodedLog | undefined;
  let currentTx = "";
  const leftovers = () => {
    for (const g of pendingGroups) differences.push({ where: `JointGroupVoted of ${getAddress(g.args.group)} (tx ${g.transactionHash}, log ${g.logIndex})`, field: "BallotCast", expected: `a ballot of ${getAddress(g.args.voter)} counting it`, actual: "none follows" });
    if (pendingPaper) differences.push({ where: `PaperDecisionEntered of ${getAddress(pendingPaper.args.voter)} (tx ${pendingPaper.transactionHash}, log ${pendingPaper.logIndex})`, field: "BallotCast", expected: "a paper ballot follows", actual: "none" });
    pendingGroups = [];
    pendingPaper = undefined;
  };

  for (const e of events) {
    if (e.transactionHash !== currentTx) {
      leftovers();
      currentTx = e.transactionHash;
    }
    if (e.name === "JointGroupVoted") {
      pendingGroups.push(e);
      continue;
    }
    if (e.name === "PaperDecisionEntered") {
      if (pendingPaper) leftovers();
      pendingPaper = e;
      continue;
    }
    if (e.name === "BallotDiscarded") {
      const note = noteOf(e);
      if (note && note.signatureValid) differences.push({ where: `discarded ballot ${e.args.index} of tx ${e.transactionHash}`, field: "signature", expected: "not its signer's", actual: `valid, signed by ${note.representative && note.representative !== ZeroAddress ? note.representative : note.voter}` });
      discarded.push({ transactionHash: e.transactionHash, index: Number(e.args.index), blockNumber: e.blockNumber, logIndex: e.logIndex, signatureInvalid: note ? !note.signatureValid : undefined });
      continue;
    }
    if (e.name === "BallotRejected") {
      const voter = getAddress(e.args.voter);
      const representative = e.args.representative === ZeroAddress ? null : getAddress(e.args.representative);
      const reason = nameAt(REJECT_REASONS, e.args.reason) ?? (`unknown(${e.args.reason})` as const);
      const entry: RejectedBallot = { voter, representative, signer: representative ?? voter, ballotId: e.args.ballotId, reason, transactionHash: e.transactionHash, blockNumber: e.blockNumber, logIndex: e.logIndex };
      const note = noteOf(e);
      if (note) {
        const where = `rejected ballot of ${voter} (tx ${e.transactionHash}, log ${e.logIndex})`;
        entry.signatureValid = note.signatureValid === true;
        if (!note.signatureValid) differences.push({ where, field: "signature", expected: `signed by ${entry.signer}`, actual: "not the signer's (it should have been discarded)" });
        compare(differences, where, "ballotId", note.digest ?? null, String(e.args.ballotId).toLowerCase());
        entry.expectedReason = await expectedRejection(e, note);
        if (entry.expectedReason !== reason) differences.push({ where, field: "reason", expected: entry.expectedReason, actual: reason });
      }
      if (reason.startsWith("unknown")) differences.push({ where: `rejected ballot of ${voter} (tx ${e.transactionHash}, log ${e.logIndex})`, field: "reason", expected: `one of ${REJECT_REASONS.join(", ")}`, actual: String(e.args.reason) });
      rejected.push(entry);
      continue;
    }
    if (e.name !== "BallotCast") continue;

    const voter = getAddress(e.args.voter);
    const representative = e.args.representative === ZeroAddress ? null : getAddress(e.args.representative);
    const where = ballotLabel(voter, e.transactionHash, e.logIndex);
    const choices: bigint = e.args.choices;
    const weight: bigint = e.args.weight;
    const form = nameAt(BALLOT_FORMS, e.args.form);
    if (form === undefined) differences.push({ where, field: "form", expected: `one of ${BALLOT_FORMS.join(", ")}`, actual: String(e.args.form) });
    const note = noteOf(e);

    // the paper decision entered just before it
    let voidMask = 0n;
    let paper: DecodedLog | undefined;
    if (form === "Paper") {
      paper = pendingPaper;
      pendingPaper = undefined;
      if (!paper || key(paper.args.voter) !== key(voter)) {
        differences.push({ where, field: "PaperDecisionEntered", expected: `the decision of ${voter} entered before it`, actual: paper ? `the decision of ${getAddress(paper.args.voter)}` : "missing" });
      } else {
        voidMask = paper.args.voidMask;
        compare(differences, where, "administrator (PaperDecisionEntered)", meeting.administrator, getAddress(paper.args.administrator));
      }
      if (!isWellFormedPaper({ choices, voidMask }, questionCount)) differences.push({ where, field: "choices", expected: `a paper decision on ${questionCount} questions (void ones without an answer)`, actual: `choices 0x${choices.toString(16)}, void mask 0x${voidMask.toString(16)}` });
    } else if (!isWellFormed(choices, questionCount)) {
      differences.push({ where, field: "choices", expected: `answers to ${questionCount} questions`, actual: `0x${choices.toString(16)}` });
    }

    // when it counted: within the window, and not after a cancellation or the close
    if (e.blockNumber < startBlockOfWindow || e.blockNumber > endBlockOfWindow) {
      differences.push({ where, field: "block", expected: `within the voting window (blocks ${startBlockOfWindow}–${endBlockOfWindow})`, actual: String(e.blockNumber) });
    }
    if (cancelledAt && isBefore(cancelledAt, e)) differences.push({ where, field: "block", expected: "before the cancellation", actual: String(e.blockNumber) });
    if (finalized && isBefore(finalized, e)) differences.push({ where, field: "block", expected: "before finalization", actual: String(e.blockNumber) });

    // a representative's power, valid and unrevoked when the ballot counted
    let powerOfAttorney: string | null = null;
    let representativeValid = true;
    if (representative) {
      const check = await powerCheck(voter, representative, e, note?.powerOfAttorney);
      powerOfAttorney = check.id === undefined ? null : check.id.toString();
      if (check.why) {
        representativeValid = false;
        differences.push({ where, field: "power of attorney", expected: `a power from ${voter} to ${representative} valid when it counted`, actual: check.why });
      }
    }

    // the weight: the voter's own and each joint group nobody voted for yet; a second ballot counts nothing
    const { own, groups } = standing(voter);
    const already = voted.has(key(voter));
    const open = already ? [] : groups.filter((g) => !voted.has(g.group));
    const expectedWeight = already || !representativeValid ? 0n : own + open.reduce((s, g) => s + g.weight, 0n);
    if (already) differences.push({ where, field: "voter", expected: "one ballot per voter", actual: "counted twice" });
    else if (own === 0n && groups.length === 0) differences.push({ where, field: "eligible", expected: "false", actual: "counted" });
    else if (expectedWeight === 0n && representativeValid) differences.push({ where, field: "joint holdings", expected: "some weight not yet voted", actual: "every joint group voted before" });
    compare(differences, where, "weight", expectedWeight, weight);

    const claimed = pendingGroups.filter((g) => key(g.args.voter) === key(voter));
    pendingGroups = pendingGroups.filter((g) => key(g.args.voter) !== key(voter));
    const jointGroups: CountedGroup[] = [];
    for (const g of already || !representativeValid ? [] : open) {
      const event = claimed.find((c) => key(c.args.group) === g.group);
      const holders = (register.groups.get(g.group) ?? []).map((h) => getAddress(h));
      if (!event) differences.push({ where, field: `joint group ${getAddress(g.group)} (JointGroupVoted)`, expected: g.weight.toString(), actual: "missing" });
      else compare(differences, where, `joint group ${getAddress(g.group)} weight (JointGroupVoted)`, g.weight, event.args.weight);
      jointGroups.push({ group: getAddress(g.group), holders, weight: g.weight });
    }
    for (const c of claimed) {
      if (!open.some((g) => g.group === key(c.args.group))) differences.push({ where, field: `joint group ${getAddress(c.args.group)} (JointGroupVoted)`, expected: "not counted in this ballot", actual: c.args.weight.toString() });
    }

    if (expectedWeight > 0n) {
      voted.add(key(voter));
      for (const g of open) voted.add(g.group);
      counted++;
      participating += expectedWeight;
      const answers = unpackChoices(choices, questionCount);
      answers.forEach((answer, q) => {
        if (answer >= 1 && answer <= 3) tallies[q][answer - 1] += expectedWeight;
        else tallies[q][3] += expectedWeight;
      });
    }

    const ballot: CountedBallot = {
      voter,
      representative,
      signer: representative ?? voter,
      form: form ?? "Direct",
      weight,
      expectedWeight,
      jointGroups,
      choices,
      voidMask,
      answers: form === "Paper" ? unpackPaperChoices({ choices, voidMask }, questionCount).map((a) => (typeof a === "string" ? a : ANSWERS[a])) : unpackChoices(choices, questionCount).map((a) => ANSWERS[a as 1 | 2 | 3] || "?"),
      powerOfAttorney,
      ...(paper ? { administrator: getAddress(paper.args.administrator), scanHash: paper.args.scanHash } : {}),
      transactionHash: e.transactionHash,
      blockNumber: e.blockNumber,
      logIndex: e.logIndex,
      via: note?.via ?? (calldata?.unreadable.has(e.transactionHash) ? "contract" : form === "Paper" ? "paper" : form === "Relayed" ? "relayed" : "direct"),
      ballotId: note?.digest ?? null,
      ...(note?.deadline !== undefined ? { deadline: note.deadline } : {}),
      ...(note ? { signatureValid: note.signatureValid } : {}),
    };
    if (note) checkAgainstCall(ballot, note, paper, meeting, differences);
    ballots.push(ballot);
  }
  leftovers();

  /** The reason the contract should give a signed ballot it skipped, at this point of the replay. */
  async function expectedRejection(e: DecodedLog, note: CallAnnotation): Promise<RejectReasonName | "counted"> {
    const timestamp = await reader.timestampOf(e.blockNumber);
    const closed = (cancelledAt && isBefore(cancelledAt, e)) || (finalized && isBefore(finalized, e));
    if (closed || timestamp < meeting.votingStart || timestamp >= meeting.votingEnd) return "NotOpen";
    if (note.deadline !== undefined && BigInt(timestamp) > note.deadline) return "Expired";
    if (!isWellFormed(note.choices ?? 0n, questionCount)) return "MalformedChoices";
    const voter = note.voter ?? ZeroAddress;
    if (note.representative && note.representative !== ZeroAddress) {
      const check = await powerCheck(voter, note.representative, e, note.powerOfAttorney ?? 0n);
      if (check.why) return "NoPowerOfAttorney";
    }
    const { own, groups } = standing(voter);
    if (own === 0n && groups.length === 0) return "NotEligible";
    if (voted.has(key(voter))) return "AlreadyVoted";
    return own + groups.filter((g) => !voted.has(g.group)).reduce((s, g) => s + g.weight, 0n) === 0n ? "AlreadyVoted" : "counted";
  }

  const total = poll ? BigInt(register.electorate.size) : register.total;
  const forWeights = tallies.map((t) => t[0]);
  const questionRules = meeting.questions.map((q) => (rules ? (rules.questionTypes[q.questionType]?.rule ?? null) : null));
  const outcome = poll ? pollOutcome(forWeights, participating, total) : rules ? meetingOutcome(rules.quorum, questionRules.map((r) => r ?? { base: "All", numerator: 1, denominator: 1, strict: true }), forWeights, participating, total) : null;
  const questions: QuestionResult[] = meeting.questions.map((q, i) => ({
    index: i,
    textRef: q.textRef,
    questionType: q.questionType,
    code: rules?.questionTypes[q.questionType]?.code ?? null,
    rule: questionRules[i],
    forWeight: tallies[i][0],
    againstWeight: tallies[i][1],
    abstainWeight: tallies[i][2],
    noAnswerWeight: tallies[i][3],
    passed: finalized && outcome ? outcome.passed[i] : null,
  }));
  const quorum = outcome?.quorumReached ?? null;

  // the contract's own record: events of finalization, then its views
  const decided = new Map(events.filter((e) => e.name === "QuestionDecided").map((e) => [Number(e.args.questionIndex), e]));
  if (finalized) {
    const f = finalized.args;
    const m = "meeting (MeetingFinalized)";
    compare(differences, m, "totalWeight", total, f.totalWeight);
    compare(differences, m, "participatingWeight", participating, f.participatingWeight);
    compare(differences, m, "ballots", BigInt(counted), f.ballots);
    compare(differences, m, "quorumReached", quorum, f.quorumReached);
    for (const q of questions) {
      const d = decided.get(q.index);
      const where = `question ${q.index + 1} (QuestionDecided)`;
      if (!d) {
        differences.push({ where, field: "event", expected: "present", actual: "missing" });
        continue;
      }
      compare(differences, where, "questionType", q.questionType, Number(d.args.questionType));
      compare(differences, where, "forWeight", q.forWeight, d.args.forWeight);
      compare(differences, where, "againstWeight", q.againstWeight, d.args.againstWeight);
      compare(differences, where, "abstainWeight", q.abstainWeight, d.args.abstainWeight);
      compare(differences, where, "passed", q.passed, d.args.passed);
    }
  }
  await compareViews(reader, meeting, { counted, participating, total, quorum, finalized: !!finalized, questions }, differences);

  const status = finalized ? "Finalized" : meeting.cancelled ? "Cancelled" : "Announced";
  return {
    meeting,
    status,
    rules,
    registerHash: register.registerHash,
    totalWeight: total,
    participatingWeight: participating,
    countedBallots: counted,
    ballots,
    rejected,
    discarded,
    quorumReached: finalized ? quorum : null,
    questions,
    differences,
    finalizedBlock: finalized?.blockNumber,
    finalizedAt: finalized ? await reader.timestampOf(finalized.blockNumber) : undefined,
    finalizedTx: finalized?.transactionHash,
  };
}

async function cancellationPoint(reader: ChainReader, meetingId: bigint): Promise<ChainPoint | undefined> {
  const [e] = await reader.logs("hall", [[topicOf(hallInterface, "MeetingCancelled")], uintTopic(meetingId)]);
  return e;
}

/**
 * What the announcement must have been: its snapshot its own block time, an initiator who owned or
 * organised in the building, an administrator, and for a meeting the rules version current then with
 * question types it defines; a poll under no version, its initiator its administrator.
 */
function checkAnnouncement(meeting: MeetingInfo, book: RulesBook, rules: RulesVersionInfo | null, atAnnouncement: RegisterState, differences: Difference[]) {
  const where = "meeting (MeetingAnnounced)";
  compare(differences, where, "snapshot", meeting.announcedAt, meeting.snapshot);
  if (!mayAnnounce(atAnnouncement, meeting.initiator)) differences.push({ where, field: "initiator", expected: "an owner or organiser of the building at the announcement", actual: meeting.initiator });
  if (meeting.administrator === ZeroAddress) differences.push({ where, field: "administrator", expected: "an account", actual: ZeroAddress });
  if (meeting.kind === "Poll") {
    compare(differences, where, "rulesVersion", 0, meeting.rulesVersion);
    compare(differences, where, "administrator", meeting.initiator, meeting.administrator);
    meeting.questions.forEach((q, i) => compare(differences, where, `question ${i + 1} questionType`, 0, q.questionType));
    return;
  }
  compare(differences, where, "rulesVersion (current at the announcement)", book.currentAt(meeting.announcedBlock, meeting.announcedLogIndex), meeting.rulesVersion);
  if (!rules) return;
  meeting.questions.forEach((q, i) => {
    if (q.questionType >= rules.questionTypes.length) differences.push({ where, field: `question ${i + 1} questionType`, expected: `a type of rules version ${rules.version} (0–${rules.questionTypes.length - 1})`, actual: String(q.questionType) });
  });
}

/** A counted ballot against the call that carried it: its sender (or signer) and each field. */
function checkAgainstCall(b: CountedBallot, note: CallAnnotation, paper: DecodedLog | undefined, meeting: MeetingInfo, differences: Difference[]) {
  const where = ballotLabel(b.voter, b.transactionHash, b.logIndex);
  const rep = (address: string | undefined) => (address === undefined || address === ZeroAddress ? null : getAddress(address));
  if (note.via === "paper") {
    compare(differences, where, "administrator (sender)", meeting.administrator, note.sender);
    if (note.voter !== undefined) compare(differences, where, "voter (calldata)", note.voter, b.voter);
    compare(differences, where, "representative (calldata)", rep(note.representative), b.representative);
    compare(differences, where, "choices (calldata)", note.choices ?? null, b.choices);
    if (paper) {
      compare(differences, where, "voidMask (calldata)", note.voidMask ?? null, paper.args.voidMask);
      compare(differences, where, "scanHash (calldata)", note.scanHash ?? null, paper.args.scanHash);
    }
    b.signatureValid = note.sender === meeting.administrator;
    return;
  }
  if (note.via === "relayed") {
    compare(differences, where, "voter (calldata)", note.voter ?? null, b.voter);
    compare(differences, where, "representative (calldata)", rep(note.representative), b.representative);
    compare(differences, where, "choices (calldata)", note.choices ?? null, b.choices);
    if (!note.signatureValid) differences.push({ where, field: "signature", expected: `signed by ${b.signer}`, actual: "invalid" });
    return;
  }
  // the voter's or the representative's own call (directly, or signed and forwarded)
  compare(differences, where, "sender", b.signer, note.sender);
  if (note.voter !== undefined) compare(differences, where, "voter (calldata)", note.voter, b.voter);
  compare(differences, where, "choices (calldata)", note.choices ?? null, b.choices);
  b.signatureValid = note.sender === b.signer;
}

/**
 * Matches each ballot event of the meeting with the call that produced it, transaction by transaction:
 * the calls run in order, and each emits, in order, one outcome per ballot it carries (`BallotCast`,
 * `BallotRejected` or `BallotDiscarded`; a paper decision's `PaperDecisionEntered` and a joint group's
 * `JointGroupVoted` before its `BallotCast`). A relayed ballot's signature is checked here.
 */
async function readCalldata(reader: ChainReader, meeting: MeetingInfo, events: DecodedLog[], hasher: BallotHasher, differences: Difference[]): Promise<{ notes: Map<string, CallAnnotation>; unreadable: Set<string> }> {
  const notes = new Map<string, CallAnnotation>();
  const unreadable = new Set<string>();
  const outcomesByTx = new Map<string, DecodedLog[]>();
  for (const e of events) {
    if (e.name !== "BallotCast" && e.name !== "BallotRejected" && e.name !== "BallotDiscarded") continue;
    outcomesByTx.set(e.transactionHash, [...(outcomesByTx.get(e.transactionHash) ?? []), e]);
  }
  const txs = await reader.transactions([...outcomesByTx.keys()]);
  const hall = reader.addressOf("hall");
  const forwarder = reader.addressOf("forwarder");
  for (const [hash, outcomes] of outcomesByTx) {
    const tx = txs.get(hash);
    const where = `transaction ${hash}`;
    if (!tx) {
      differences.push({ where, field: "transaction", expected: "available", actual: "missing" });
      continue;
    }
    const calls = hallCallsOf(tx, hall, forwarder);
    if (!calls) {
      unreadable.add(hash);
      continue;
    }
    const queue = [...outcomes];
    const take = (what: string) => {
      const o = queue.shift();
      if (!o) differences.push({ where, field: "events", expected: `an outcome for ${what}`, actual: "none" });
      return o;
    };
    const relevant = calls.filter((c) => c.name !== undefined && BALLOT_CALLS.has(c.name) && c.args?.[0] === meeting.meetingId);
    if (!relevant.length) {
      differences.push({ where, field: "calldata", expected: `a ballot call for meeting ${meeting.meetingId}`, actual: calls.map((c) => c.name ?? "unknown").join(", ") || "none" });
    }
    for (const call of relevant) await annotateCall(reader, call, take, notes, hasher, meeting, tx.blockNumber ?? outcomes[0].blockNumber, where, differences);
    for (const o of queue) differences.push({ where, field: "events", expected: "one outcome per ballot in calldata", actual: `${o.name} at log ${o.logIndex} without one` });
  }
  return { notes, unreadable };
}

/** The hall functions that carry ballots, each with the meeting id as its first argument. */
const BALLOT_CALLS = new Set(["castBallot", "castBallotFor", "castBallotsBySig", "enterPaperDecisions"]);

async function annotateCall(
  reader: ChainReader,
  call: HallCall,
  take: (what: string) => DecodedLog | undefined,
  notes: Map<string, CallAnnotation>,
  hasher: BallotHasher,
  meeting: MeetingInfo,
  blockNumber: number,
  where: string,
  differences: Difference[],
) {
  const expectForm = (o: DecodedLog | undefined, form: BallotFormName, what: string) => {
    if (!o) return undefined;
    const name = o.name === "BallotCast" ? `BallotCast (${nameAt(BALLOT_FORMS, o.args.form) ?? o.args.form})` : o.name;
    if (name !== `BallotCast (${form})`) {
      differences.push({ where, field: "events", expected: `BallotCast (${form}) for ${what}`, actual: `${name} at log ${o.logIndex}` });
      return undefined;
    }
    return o;
  };
  const args = call.args!;
  switch (call.name) {
    case "castBallot": {
      const o = expectForm(take("castBallot"), "Direct", "castBallot");
      if (o) notes.set(logKey(o), { via: call.via, sender: call.sender, choices: args[1] });
      return;
    }
    case "castBallotFor": {
      const o = expectForm(take("castBallotFor"), "Direct", "castBallotFor");
      if (o) notes.set(logKey(o), { via: call.via, sender: call.sender, voter: getAddress(args[1]), representative: call.sender, choices: args[3], powerOfAttorney: args[2] });
      return;
    }
    case "enterPaperDecisions": {
      for (const [i, d] of (args[1] as Array<{ voter: string; representative: string; powerOfAttorney: bigint; choices: bigint; voidMask: bigint; scanHash: string }>).entries()) {
        const o = expectForm(take(`paper decision ${i}`), "Paper", `paper decision ${i}`);
        if (o) notes.set(logKey(o), { via: "paper", sender: call.sender, voter: getAddress(d.voter), representative: d.representative, choices: d.choices, powerOfAttorney: d.representative === ZeroAddress ? undefined : d.powerOfAttorney, voidMask: d.voidMask, scanHash: d.scanHash, index: i });
      }
      return;
    }
    case "castBallotsBySig": {
      const list = args[1] as Array<{ voter: string; representative: string; powerOfAttorney: bigint; choices: bigint; deadline: bigint; signature: string }>;
      for (const [i, s] of list.entries()) {
        const o = take(`signed ballot ${i}`);
        if (!o) continue;
        const signer = s.representative === ZeroAddress ? s.voter : s.representative;
        const digest = hasher.digest(meeting.meetingId, s.voter, s.choices, s.representative, s.deadline);
        const signatureValid = await signedBy(reader, signer, digest, s.signature, blockNumber);
        const note: CallAnnotation = { via: "relayed", sender: call.sender, voter: getAddress(s.voter), representative: s.representative, choices: s.choices, powerOfAttorney: s.representative === ZeroAddress ? undefined : s.powerOfAttorney, deadline: s.deadline, digest, signatureValid, index: i };
        notes.set(logKey(o), note);
        const at = `signed ballot ${i} of ${where}`;
        if (o.name === "BallotDiscarded") {
          compare(differences, at, "index (BallotDiscarded)", BigInt(i), o.args.index);
        } else if (o.name === "BallotRejected" || (o.name === "BallotCast" && nameAt(BALLOT_FORMS, o.args.form) === "Relayed")) {
          compare(differences, at, `voter (${o.name})`, getAddress(s.voter), getAddress(o.args.voter));
          compare(differences, at, `representative (${o.name})`, getAddress(s.representative), getAddress(o.args.representative));
        } else {
          differences.push({ where: at, field: "events", expected: "BallotCast (Relayed), BallotRejected or BallotDiscarded", actual: `${o.name} at log ${o.logIndex}` });
        }
      }
      return;
    }
    default:
      differences.push({ where, field: "calldata", expected: "castBallot, castBallotFor, castBallotsBySig or enterPaperDecisions", actual: call.name ?? "unknown" });
  }
}

/** The hall's views of the meeting: its record, agenda and tallies. */
async function compareViews(
  reader: ChainReader,
  meeting: MeetingInfo,
  r: { counted: number; participating: bigint; total: bigint; quorum: boolean | null; finalized: boolean; questions: QuestionResult[] },
  differences: Difference[],
) {
  const views = await viewOf(differences, `meeting ${meeting.meetingId} (MeetingHall)`, () => Promise.all([reader.hall.getMeeting(meeting.meetingId), reader.hall.getAgenda(meeting.meetingId), reader.hall.getResults(meeting.meetingId)]));
  if (!views) return;
  const [view, agenda, results] = views;
  const m = "meeting (getMeeting)";
  compare(differences, m, "ballots", BigInt(r.counted), view.ballots);
  compare(differences, m, "participatingWeight", r.participating, view.participatingWeight);
  compare(differences, m, "kind", meeting.kind, nameAt(KINDS, view.kind) ?? String(view.kind));
  compare(differences, m, "meetingType", meeting.meetingType, nameAt(MEETING_TYPES, view.meetingType) ?? String(view.meetingType));
  compare(differences, m, "status", r.finalized ? "Finalized" : meeting.cancelled ? "Cancelled" : "Announced", nameAt(STATUSES, view.status) ?? String(view.status));
  compare(differences, m, "rulesVersion", meeting.rulesVersion, Number(view.rulesVersion));
  compare(differences, m, "initiator", meeting.initiator, getAddress(view.initiator));
  compare(differences, m, "administrator", meeting.administrator, getAddress(view.administrator));
  compare(differences, m, "snapshot", meeting.snapshot, Number(view.snapshot));
  compare(differences, m, "votingStart", meeting.votingStart, Number(view.votingStart));
  compare(differences, m, "votingEnd", meeting.votingEnd, Number(view.votingEnd));
  compare(differences, m, "buildingId", meeting.buildingId, view.buildingId);
  if (r.finalized) {
    compare(differences, m, "totalWeight", r.total, view.totalWeight);
    compare(differences, m, "quorumReached", r.quorum, view.quorumReached);
  }
  const a = "agenda (getAgenda)";
  compare(differences, a, "agendaRef", meeting.agendaRef, agenda.agendaRef);
  compare(differences, a, "questions", meeting.questions.length, agenda.questions.length);
  meeting.questions.forEach((q, i) => {
    const v = agenda.questions[i];
    if (!v) return;
    compare(differences, `${a}, question ${i + 1}`, "textRef", q.textRef, v.textRef);
    compare(differences, `${a}, question ${i + 1}`, "questionType", q.questionType, Number(v.questionType));
  });
  r.questions.forEach((q, i) => {
    const where = `question ${i + 1} (getResults)`;
    const v = results[i];
    if (!v) {
      differences.push({ where, field: "tally", expected: "present", actual: "missing" });
      return;
    }
    compare(differences, where, "forWeight", q.forWeight, v.forWeight);
    compare(differences, where, "againstWeight", q.againstWeight, v.againstWeight);
    compare(differences, where, "abstainWeight", q.abstainWeight, v.abstainWeight);
    if (r.finalized) compare(differences, where, "passed", q.passed, v.passed);
  });
}

