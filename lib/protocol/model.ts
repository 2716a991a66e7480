/**
 * The protocol as a model: every detail the Minstroy order No. 266/pr asks of the protocol of a meeting
 * held in an information system — its number (the meeting's id in the system), date and place, the
 * building's address, the initiator and the administrator with their identity data, the form and type
 * of the meeting, the total votes and the votes taking part, the quorum, each question's wording, type
 * and article with For / Against / Abstain in m² and per cent and the decision — and as annexes the
 * register of owners and the participants with their identification data. Every figure comes from the
 * recount of the chain's events (lib/recount); the personal data from the registrar's annex, checked
 * against the chain first. A poll is worded as a poll: consultative, one person one answer, its result
 * a poll's and never a decision. The XML, the PDF, the JSON and the CSV are written from this model.
 */
import { id } from "ethers";
import type { Rule } from "../domain.js";
import type { Recount } from "../recount/recount.js";
import { personOf, reducedFraction, type Annex } from "./annex.js";
import { isoTime, percent, squareMetres } from "./format.js";
import { LABELS, ruleText, type Labels, type Language } from "./labels.js";

/** The model's and the XML's version: a reader refuses another. */
export const PROTOCOL_FORMAT_VERSION = "1";

export interface ProtocolTexts {
  /** keccak256 of a UTF-8 text → the text (agenda questions, notice, building reference). */
  byHash: Map<string, string>;
}

/** Texts indexed by their keccak256, so that a text that does not match its hash is never shown. */
export function textsOf(texts: Iterable<string>): ProtocolTexts {
  return { byHash: new Map([...texts].map((t) => [id(t).toLowerCase(), t])) };
}

/** A party the protocol names (initiator, administrator, representative) with its identity data when the annex has it. */
export interface Party {
  account: string;
  name: string | null;
  personId: string | null;
  identity: string | null;
}

export interface ProtocolAnnexes {
  /** The register hash the registrar's annex carries, equal to the one on chain at the snapshot (checked). */
  registerHash: string;
  owners: Array<{
    account: string;
    personId: string;
    name: string;
    identity: string;
    premisesId: string;
    premisesNumber: string;
    premisesKind: string;
    premisesCadastralNumber: string;
    areaSquareMetres: string;
    share: string;
    ownership: "sole" | "shared" | "joint";
    titleDocument: string;
  }>;
  /** Every counted ballot's voter with their identity data, in the order the ballots counted. */
  participants: Array<{
    account: string;
    personId: string | null;
    name: string | null;
    identity: string | null;
    representative: Party | null;
    form: string;
    weight: string;
    squareMetres: string;
    answers: string[];
    transactionHash: string;
  }>;
}

export interface ProtocolDocument {
  /** The version of this model and of the XML's element structure. */
  formatVersion: typeof PROTOCOL_FORMAT_VERSION;
  language: Language;
  /** The protocol's number: the meeting's identifier in the system (its id on chain). */
  number: string;
  /** When it was drawn up: the time of the block that finalized the meeting (null while voting is open). */
  drawnUpAt: string | null;
  /** Where it was drawn up: the information system and its operator. */
  place: string;
  /** The form of the vote, as a code and in words. */
  form: { code: "electronic-absentee" | "electronic-poll"; text: string };
  /** The building as the registrar's register states it (null without an annex). */
  building: { address: string; cadastralNumber: string } | null;
  initiatorParty: Party;
  administratorParty: Party;
  finalizedTx: string | null;
  chainId: number;
  meetingHall: string;
  meetingId: string;
  kind: "Meeting" | "Poll";
  /** Annual or Extraordinary (a poll: Extraordinary, not shown). */
  meetingType: "Annual" | "Extraordinary";
  status: Recount["status"];
  buildingId: string;
  initiator: string;
  administrator: string;
  announcedAt: string;
  votingStart: string;
  votingEnd: string;
  snapshot: string;
  agendaRef: string;
  registerHash: string | null;
  /** The rules version the meeting is counted by (null for a poll). */
  rules: {
    version: number;
    sourceRef: string;
    effectiveFrom: string | null;
    source: string | null;
    quorum: Rule;
    quorumText: string;
    quorumArticle: string | null;
  } | null;
  totalWeight: string;
  totalSquareMetres: string;
  participatingWeight: string;
  participatingSquareMetres: string;
  participationPercent: string;
  ballotCount: number;
  ballotsByForm: { direct: number; relayed: number; paper: number; representative: number };
  quorumReached: boolean | null;
  finalizedBlock: number | null;
  questions: Array<{
    number: number;
    textRef: string;
    text: string | null;
    questionType: number;
    /** The type's code ("44.2.1", "other", …), name and article; null for a poll. */
    code: string | null;
    typeName: string | null;
    article: string | null;
    confirmed: boolean | null;
    rule: Rule | null;
    /** The rule in words, or "consultative" for a poll. */
    threshold: string;
    forWeight: string;
    againstWeight: string;
    abstainWeight: string;
    noAnswerWeight: string;
    forSquareMetres: string;
    againstSquareMetres: string;
    abstainSquareMetres: string;
    noAnswerSquareMetres: string;
    forPercentOfParticipants: string;
    againstPercentOfParticipants: string;
    abstainPercentOfParticipants: string;
    forPercentOfAll: string;
    passed: boolean | null;
    /** The result in words: a meeting's decision, or a poll's result (never worded as a decision). */
    resultText: string;
  }>;
  ballots: Array<{
    voter: string;
    representative: string | null;
    powerOfAttorney: string | null;
    form: string;
    weight: string;
    squareMetres: string;
    jointWith: string[];
    answers: string[];
    scanHash: string | null;
    transactionHash: string;
    blockNumber: number;
    via: string;
  }>;
  /** Rejected ballots by what they prove: their signer signed them. */
  rejected: Array<{ signer: string; voter: string; representative: string | null; ballotId: string; reason: string; reasonText: string; signatureChecked: boolean; transactionHash: string; blockNumber: number }>;
  /** Ballots whose signature is not their signer's: a count, naming nobody. */
  discardedCount: number;
  /** The register of owners and the participants, from the registrar's annex checked against the chain (null without one). */
  annexes: ProtocolAnnexes | null;
}

export interface BuildOptions {
  chainId: number;
  meetingHall: string;
  language: Language;
  texts?: ProtocolTexts;
  /** The registrar's annex, already checked against the chain (`checkAnnex`). */
  annex?: Annex;
  /** Where the protocol is drawn up (default: the system, in the protocol's language). */
  place?: string;
}

/** The result of one question in words: "РЕШЕНИЕ ПРИНЯТО", or for a poll "Большинство ответивших «за»: да". */
export function resultText(passed: boolean | null, poll: boolean, L: Labels): string {
  if (poll) return `${L.pollMajority}: ${passed === null ? L.pending : passed ? L.yes : L.no}`;
  return `${L.decision}: ${passed === null ? L.pending : passed ? L.passed : L.notPassed}`;
}

export function buildProtocol(recount: Recount, opts: BuildOptions): ProtocolDocument {
  const { meeting } = recount;
  const L = LABELS[opts.language];
  const poll = meeting.kind === "Poll";
  const amount = (w: bigint) => (poll ? w.toString() : squareMetres(w));
  const total = recount.totalWeight;
  const part = recount.participatingWeight;
  const rules = recount.rules;
  const countedForm = (form: string) => recount.ballots.filter((b) => b.expectedWeight > 0n && b.form === form).length;
  const annex = opts.annex;
  const party = (account: string): Party => {
    const p = annex ? personOf(annex, account) : undefined;
    return { account, name: p?.fullName ?? null, personId: p?.personId ?? null, identity: p?.identity ?? null };
  };
  return {
    formatVersion: PROTOCOL_FORMAT_VERSION,
    language: opts.language,
    number: meeting.meetingId.toString(),
    drawnUpAt: recount.finalizedAt === undefined ? null : isoTime(recount.finalizedAt),
    place: opts.place ?? L.defaultPlace,
    form: poll ? { code: "electronic-poll", text: L.form(true) } : { code: "electronic-absentee", text: L.form(false) },
    building: annex ? { address: annex.building.address, cadastralNumber: annex.building.cadastralNumber } : null,
    initiatorParty: party(meeting.initiator),
    administratorParty: party(meeting.administrator),
    finalizedTx: recount.finalizedTx ?? null,
    chainId: opts.chainId,
    meetingHall: opts.meetingHall,
    meetingId: meeting.meetingId.toString(),
    kind: meeting.kind,
    meetingType: meeting.meetingType,
    status: recount.status,
    buildingId: meeting.buildingId.toString(),
    initiator: meeting.initiator,
    administrator: meeting.administrator,
    announcedAt: isoTime(meeting.announcedAt),
    votingStart: isoTime(meeting.votingStart),
    votingEnd: isoTime(meeting.votingEnd),
    snapshot: isoTime(meeting.snapshot),
    agendaRef: meeting.agendaRef,
    registerHash: recount.registerHash,
    rules: rules && {
      version: rules.version,
      sourceRef: rules.sourceRef,
      effectiveFrom: rules.known?.effectiveFrom ?? null,
      source: rules.known?.source ?? null,
      quorum: rules.quorum,
      quorumText: ruleText(rules.quorum, opts.language),
      quorumArticle: rules.known?.quorum.article ?? null,
    },
    totalWeight: total.toString(),
    totalSquareMetres: amount(total),
    participatingWeight: part.toString(),
    participatingSquareMetres: amount(part),
    participationPercent: percent(part, total),
    ballotCount: recount.countedBallots,
    ballotsByForm: {
      direct: countedForm("Direct"),
      relayed: countedForm("Relayed"),
      paper: countedForm("Paper"),
      representative: recount.ballots.filter((b) => b.expectedWeight > 0n && b.representative !== null).length,
    },
    quorumReached: recount.quorumReached,
    finalizedBlock: recount.finalizedBlock ?? null,
    questions: recount.questions.map((q) => {
      const type = poll ? undefined : rules?.questionTypes[q.questionType];
      return {
        number: q.index + 1,
        textRef: q.textRef,
        text: opts.texts?.byHash.get(q.textRef.toLowerCase()) ?? null,
        questionType: q.questionType,
        code: poll ? null : q.code,
        typeName: type?.known?.name[opts.language] ?? null,
        article: type?.known?.article ?? null,
        confirmed: type?.known?.confirmed ?? null,
        rule: q.rule,
        threshold: poll ? (opts.language === "ru" ? "консультативный (большинство ответивших)" : "consultative (majority of answers)") : q.rule ? ruleText(q.rule, opts.language) : "?",
        forWeight: q.forWeight.toString(),
        againstWeight: q.againstWeight.toString(),
        abstainWeight: q.abstainWeight.toString(),
        noAnswerWeight: q.noAnswerWeight.toString(),
        forSquareMetres: amount(q.forWeight),
        againstSquareMetres: amount(q.againstWeight),
        abstainSquareMetres: amount(q.abstainWeight),
        noAnswerSquareMetres: amount(q.noAnswerWeight),
        forPercentOfParticipants: percent(q.forWeight, part),
        againstPercentOfParticipants: percent(q.againstWeight, part),
        abstainPercentOfParticipants: percent(q.abstainWeight, part),
        forPercentOfAll: percent(q.forWeight, total),
        passed: q.passed,
        resultText: resultText(q.passed, poll, L),
      };
    }),
    ballots: recount.ballots.map((b) => ({
      voter: b.voter,
      representative: b.representative,
      powerOfAttorney: b.powerOfAttorney,
      form: b.form,
      weight: b.weight.toString(),
      squareMetres: amount(b.weight),
      jointWith: [...new Set(b.jointGroups.flatMap((g) => g.holders).filter((h) => h.toLowerCase() !== b.voter.toLowerCase()))],
      answers: b.answers,
      scanHash: b.scanHash ?? null,
      transactionHash: b.transactionHash,
      blockNumber: b.blockNumber,
      via: b.via,
    })),
    rejected: recount.rejected.map((r) => ({
      signer: r.signer,
      voter: r.voter,
      representative: r.representative,
      ballotId: r.ballotId,
      reason: r.reason,
      reasonText: L.reasons[r.reason] ?? r.reason,
      signatureChecked: r.signatureValid === true,
      transactionHash: r.transactionHash,
      blockNumber: r.blockNumber,
    })),
    discardedCount: recount.discarded.length,
    annexes: annex
      ? {
          registerHash: annex.registerHash,
          owners: annex.owners.map((o) => ({
            account: o.address,
            personId: o.personId,
            name: o.fullName,
            identity: o.identity,
            premisesId: o.premisesId,
            premisesNumber: o.premisesNumber,
            premisesKind: o.premisesKind,
            premisesCadastralNumber: o.premisesCadastralNumber,
            areaSquareMetres: o.areaM2,
            share: reducedFraction(o.share),
            ownership: o.ownership,
            titleDocument: o.titleDocument,
          })),
          participants: recount.ballots
            .filter((b) => b.expectedWeight > 0n)
            .map((b) => {
              const p = personOf(annex, b.voter);
              return {
                account: b.voter,
                personId: p?.personId ?? null,
                name: p?.fullName ?? null,
                identity: p?.identity ?? null,
                representative: b.representative ? party(b.representative) : null,
                form: b.form,
                weight: b.weight.toString(),
                squareMetres: amount(b.weight),
                answers: b.answers,
                transactionHash: b.transactionHash,
              };
            }),
        }
      : null,
  };
}

