/**
 * The protocol as an XML electronic document (Minstroy order No. 266/pr: a protocol of a meeting held
 * in an information system is an XML document convertible to PDF, signed by the system's operator).
 * UTF-8, namespace `urn:digital-home:protocol`, the root's `version` attribute the model's version.
 * The element structure, documented element by element in lib/protocol/README.md, follows the order's
 * details: number, date and place, the building's address, initiator and administrator with identity
 * data, form and type, total votes and votes taking part, quorum, the agenda with each question's
 * wording, type and article, For / Against / Abstain in m² and per cent and the decision (a poll's
 * `PollResult`, never a `Decision`), and the annexes: the register of owners and the participants.
 *
 * `PROTOCOL_SCHEMA` is that structure as data: `validateProtocolXml` checks a parsed document against
 * it (elements in order with their counts, required and allowed attributes with their patterns, text
 * where text belongs), and `protocolParts` reads back what the chain cannot say (the language, the
 * place, the wordings and the registrar's annex) so that a verifier can rebuild the rest from the chain.
 */
import { id } from "ethers";
import { BALLOT_FORMS, PREMISES_KINDS } from "../domain.js";
import type { Annex } from "./annex.js";
import type { ProtocolDocument } from "./model.js";
import { PROTOCOL_FORMAT_VERSION } from "./model.js";
import { LABELS, type Language } from "./labels.js";
import { child, childrenNamed, el, type XmlElement } from "./xml.js";

export const PROTOCOL_NAMESPACE = "urn:digital-home:protocol";

const tri = (v: boolean | null) => (v === null ? "pending" : String(v));

/** The protocol's element tree. */
export function protocolTree(doc: ProtocolDocument): XmlElement {
  const L = LABELS[doc.language];
  const poll = doc.kind === "Poll";
  const party = (tag: string, p: ProtocolDocument["initiatorParty"]) =>
    el(tag, { account: p.account, personId: p.personId }, [p.name !== null && el("Name", {}, p.name), p.identity !== null && el("Identity", {}, p.identity)]);
  const share = (tag: string, weight: string, amount: string, percents: Record<string, string | undefined>) => el(tag, { weight, amount, ...percents });
  return el("Protocol", { xmlns: PROTOCOL_NAMESPACE, version: PROTOCOL_FORMAT_VERSION, kind: poll ? "poll" : "meeting", lang: doc.language }, [
    el("Number", {}, doc.number),
    el("DrawnUp", { pending: doc.drawnUpAt === null ? "true" : undefined }, doc.drawnUpAt ?? ""),
    el("Place", {}, doc.place),
    el("Status", { code: doc.status }, L.statuses[doc.status]),
    el("Form", { code: doc.form.code }, doc.form.text),
    !poll && el("MeetingType", { code: doc.meetingType }, L.meetingTypes[doc.meetingType]),
    el("Building", { id: doc.buildingId }, doc.building ? [el("Address", {}, doc.building.address), el("CadastralNumber", {}, doc.building.cadastralNumber)] : []),
    party("Initiator", doc.initiatorParty),
    party("Administrator", doc.administratorParty),
    el("Schedule", { announced: doc.announcedAt, votingStart: doc.votingStart, votingEnd: doc.votingEnd, snapshot: doc.snapshot }),
    el("System", { chainId: doc.chainId, meetingHall: doc.meetingHall, agendaRef: doc.agendaRef, registerHash: doc.registerHash, finalizedBlock: doc.finalizedBlock, finalizedTx: doc.finalizedTx }),
    doc.rules &&
      el("Rules", { version: doc.rules.version, sourceRef: doc.rules.sourceRef, effectiveFrom: doc.rules.effectiveFrom, source: doc.rules.source }, [
        el("Quorum", { base: doc.rules.quorum.base, numerator: doc.rules.quorum.numerator, denominator: doc.rules.quorum.denominator, strict: doc.rules.quorum.strict, article: doc.rules.quorumArticle }, doc.rules.quorumText),
      ]),
    el("Votes", {
      unit: poll ? "person" : "m2",
      total: doc.totalSquareMetres,
      totalWeight: doc.totalWeight,
      participating: doc.participatingSquareMetres,
      participatingWeight: doc.participatingWeight,
      participationPercent: doc.participationPercent,
      ballots: doc.ballotCount,
      direct: doc.ballotsByForm.direct,
      relayed: doc.ballotsByForm.relayed,
      paper: doc.ballotsByForm.paper,
      representative: doc.ballotsByForm.representative,
      quorumReached: poll ? undefined : tri(doc.quorumReached),
    }),
    el(
      "Agenda",
      {},
      doc.questions.map((q) =>
        el("Question", { number: q.number, textRef: q.textRef, typeIndex: q.questionType, code: q.code, article: q.article, confirmed: q.confirmed }, [
          q.text !== null && el("Wording", {}, q.text),
          q.typeName !== null && el("TypeName", {}, q.typeName),
          el("Threshold", q.rule ? { base: q.rule.base, numerator: q.rule.numerator, denominator: q.rule.denominator, strict: q.rule.strict } : {}, q.threshold),
          share("For", q.forWeight, q.forSquareMetres, { percentOfParticipants: q.forPercentOfParticipants, percentOfAll: poll ? undefined : q.forPercentOfAll }),
          share("Against", q.againstWeight, q.againstSquareMetres, { percentOfParticipants: q.againstPercentOfParticipants }),
          share("Abstain", q.abstainWeight, q.abstainSquareMetres, { percentOfParticipants: q.abstainPercentOfParticipants }),
          share("NoAnswer", q.noAnswerWeight, q.noAnswerSquareMetres, {}),
          poll ? el("PollResult", { majorityFor: tri(q.passed) }, q.resultText) : el("Decision", { passed: tri(q.passed) }, q.resultText),
        ]),
      ),
    ),
    el(
      "Ballots",
      {},
      doc.ballots.map((b) =>
        el("Ballot", {
          voter: b.voter,
          weight: b.weight,
          amount: b.squareMetres,
          form: b.form,
          via: b.via,
          answers: b.answers.join(" "),
          representative: b.representative,
          powerOfAttorney: b.powerOfAttorney,
          jointWith: b.jointWith.length ? b.jointWith.join(" ") : undefined,
          scanHash: b.scanHash,
          transaction: b.transactionHash,
          block: b.blockNumber,
        }),
      ),
    ),
    el(
      "Rejected",
      { discarded: doc.discardedCount },
      doc.rejected.map((r) =>
        el("RejectedBallot", { signer: r.signer, voter: r.voter, representative: r.representative, ballotId: r.ballotId, reason: r.reason, signatureChecked: r.signatureChecked, transaction: r.transactionHash, block: r.blockNumber }, r.reasonText),
      ),
    ),
    doc.annexes &&
      el("Annexes", { registerHash: doc.annexes.registerHash }, [
        el(
          "RegisterOfOwners",
          {},
          doc.annexes.owners.map((o) =>
            el(
              "Owner",
              {
                account: o.account,
                personId: o.personId,
                premisesId: o.premisesId,
                premisesNumber: o.premisesNumber,
                premisesKind: o.premisesKind,
                premisesCadastralNumber: o.premisesCadastralNumber || undefined,
                area: o.areaSquareMetres,
                share: o.share,
                ownership: o.ownership,
              },
              [el("Name", {}, o.name), el("Identity", {}, o.identity), el("TitleDocument", {}, o.titleDocument)],
            ),
          ),
        ),
        el(
          "Participants",
          {},
          doc.annexes.participants.map((p) =>
            el("Participant", { account: p.account, personId: p.personId, weight: p.weight, amount: p.squareMetres, form: p.form, answers: p.answers.join(" "), transaction: p.transactionHash }, [
              p.name !== null && el("Name", {}, p.name),
              p.identity !== null && el("Identity", {}, p.identity),
              p.representative && party("Representative", p.representative),
            ]),
          ),
        ),
      ]),
  ]);
}

// ------------------------------------------------------------------------------------- the schema

/** An attribute's value: a pattern, or a list of the values allowed. */
type ValueRule = RegExp | readonly string[];

export interface ElementRule {
  /** Required attributes and their values. */
  required?: Record<string, ValueRule>;
  optional?: Record<string, ValueRule>;
  /** Text content: required (non-empty, matching), optional (may be empty), or none (element-only or empty). */
  text?: { required: boolean; pattern?: RegExp } | "none";
  /** Child elements in this order, each with how often it may appear. */
  children?: Array<{ name: string; min: number; max: number }>;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const WHOLE = /^(0|[1-9][0-9]*)$/;
const DECIMAL = /^[0-9]+\.[0-9]{2}$/;
const PERCENT = /^([0-9]+\.[0-9]{2}|—)$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const BOOL = ["true", "false"] as const;
const TRI = ["true", "false", "pending"] as const;
const ANSWER_LIST = /^((For|Against|Abstain|void|unanswered)( (For|Against|Abstain|void|unanswered))*)?$/;
const FORMS = BALLOT_FORMS;
const ANY = /^[\s\S]*$/;
const once = (name: string) => ({ name, min: 1, max: 1 });
const maybe = (name: string) => ({ name, min: 0, max: 1 });
const many = (name: string) => ({ name, min: 0, max: Number.POSITIVE_INFINITY });
const text = { required: true } as const;
const partyRule: ElementRule = { required: { account: ADDRESS }, optional: { personId: ANY }, text: "none", children: [maybe("Name"), maybe("Identity")] };
const ruleAttributes = { base: ["Participants", "All"], numerator: WHOLE, denominator: WHOLE, strict: BOOL } as const;
const shareRule = (percents: string[], optional: string[] = []): ElementRule => ({
  required: { weight: WHOLE, amount: /^[0-9]+(\.[0-9]{2})?$/, ...Object.fromEntries(percents.map((p) => [p, PERCENT])) },
  optional: Object.fromEntries(optional.map((p) => [p, PERCENT])),
  text: "none",
});

/** Every element of the protocol, by name (element names are unique in meaning across the document). */
export const PROTOCOL_SCHEMA: Record<string, ElementRule> = {
  Protocol: {
    required: { xmlns: [PROTOCOL_NAMESPACE], version: [PROTOCOL_FORMAT_VERSION], kind: ["meeting", "poll"], lang: ["ru", "en"] },
    text: "none",
    children: [
      once("Number"),
      once("DrawnUp"),
      once("Place"),
      once("Status"),
      once("Form"),
      maybe("MeetingType"),
      once("Building"),
      once("Initiator"),
      once("Administrator"),
      once("Schedule"),
      once("System"),
      maybe("Rules"),
      once("Votes"),
      once("Agenda"),
      once("Ballots"),
      once("Rejected"),
      maybe("Annexes"),
    ],
  },
  Number: { text: { required: true, pattern: /^[1-9][0-9]*$/ } },
  DrawnUp: { optional: { pending: ["true"] }, text: { required: false, pattern: /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)?$/ } },
  Place: { text },
  Status: { required: { code: ["Announced", "Cancelled", "Finalized"] }, text },
  Form: { required: { code: ["electronic-absentee", "electronic-poll"] }, text },
  MeetingType: { required: { code: ["Annual", "Extraordinary"] }, text },
  Building: { required: { id: WHOLE }, text: "none", children: [maybe("Address"), maybe("CadastralNumber")] },
  Address: { text },
  CadastralNumber: { text },
  Initiator: partyRule,
  Administrator: partyRule,
  Representative: partyRule,
  Name: { text },
  Identity: { text: { required: false } },
  Schedule: { required: { announced: TIME, votingStart: TIME, votingEnd: TIME, snapshot: TIME }, text: "none" },
  System: { required: { chainId: WHOLE, meetingHall: ADDRESS, agendaRef: HASH }, optional: { registerHash: HASH, finalizedBlock: WHOLE, finalizedTx: HASH }, text: "none" },
  Rules: { required: { version: WHOLE, sourceRef: HASH }, optional: { effectiveFrom: /^\d{4}-\d{2}-\d{2}$/, source: ANY }, text: "none", children: [once("Quorum")] },
  Quorum: { required: ruleAttributes, optional: { article: ANY }, text },
  Votes: {
    required: { unit: ["m2", "person"], total: /^[0-9]+(\.[0-9]{2})?$/, totalWeight: WHOLE, participating: /^[0-9]+(\.[0-9]{2})?$/, participatingWeight: WHOLE, participationPercent: PERCENT, ballots: WHOLE, direct: WHOLE, relayed: WHOLE, paper: WHOLE, representative: WHOLE },
    optional: { quorumReached: TRI },
    text: "none",
  },
  Agenda: { text: "none", children: [{ name: "Question", min: 1, max: 64 }] },
  Question: {
    required: { number: /^[1-9][0-9]*$/, textRef: HASH, typeIndex: WHOLE },
    optional: { code: /^[0-9A-Za-z.\-]{1,31}$/, article: ANY, confirmed: BOOL },
    text: "none",
    children: [maybe("Wording"), maybe("TypeName"), once("Threshold"), once("For"), once("Against"), once("Abstain"), once("NoAnswer"), maybe("Decision"), maybe("PollResult")],
  },
  Wording: { text },
  TypeName: { text },
  Threshold: { optional: ruleAttributes, text },
  For: shareRule(["percentOfParticipants"], ["percentOfAll"]),
  Against: shareRule(["percentOfParticipants"]),
  Abstain: shareRule(["percentOfParticipants"]),
  NoAnswer: shareRule([]),
  Decision: { required: { passed: TRI }, text },
  PollResult: { required: { majorityFor: TRI }, text },
  Ballots: { text: "none", children: [many("Ballot")] },
  Ballot: {
    required: { voter: ADDRESS, weight: WHOLE, amount: /^[0-9]+(\.[0-9]{2})?$/, form: FORMS, via: ["relayed", "direct", "forwarded", "paper", "contract"], answers: ANSWER_LIST, transaction: HASH, block: WHOLE },
    optional: { representative: ADDRESS, powerOfAttorney: WHOLE, jointWith: /^0x[0-9a-fA-F]{40}( 0x[0-9a-fA-F]{40})*$/, scanHash: HASH },
    text: "none",
  },
  Rejected: { required: { discarded: WHOLE }, text: "none", children: [many("RejectedBallot")] },
  RejectedBallot: {
    required: { signer: ADDRESS, voter: ADDRESS, ballotId: HASH, reason: /^[A-Za-z]+(\([0-9]+\))?$/, signatureChecked: BOOL, transaction: HASH, block: WHOLE },
    optional: { representative: ADDRESS },
    text,
  },
  Annexes: { required: { registerHash: HASH }, text: "none", children: [once("RegisterOfOwners"), once("Participants")] },
  RegisterOfOwners: { text: "none", children: [many("Owner")] },
  Owner: {
    required: { account: ADDRESS, personId: ANY, premisesId: WHOLE, premisesNumber: ANY, premisesKind: PREMISES_KINDS, area: DECIMAL, share: /^[1-9][0-9]*\/[1-9][0-9]*$/, ownership: ["sole", "shared", "joint"] },
    optional: { premisesCadastralNumber: ANY },
    text: "none",
    children: [once("Name"), once("Identity"), once("TitleDocument")],
  },
  TitleDocument: { text },
  Participants: { text: "none", children: [many("Participant")] },
  Participant: {
    required: { account: ADDRESS, weight: WHOLE, amount: /^[0-9]+(\.[0-9]{2})?$/, form: FORMS, answers: ANSWER_LIST, transaction: HASH },
    optional: { personId: ANY },
    text: "none",
    children: [maybe("Name"), maybe("Identity"), maybe("Representative")],
  },
};

/** Where an element is, for messages: its path and line. */
const at = (path: string, e: XmlElement) => `${path}${e.line ? ` (line ${e.line})` : ""}`;

/** Every way the document departs from the schema, one problem a line; none means it conforms. */
export function validateProtocolXml(root: XmlElement): string[] {
  const problems: string[] = [];
  const check = (e: XmlElement, path: string) => {
    const rule = PROTOCOL_SCHEMA[e.name];
    if (!rule) {
      problems.push(`${at(path, e)}: element <${e.name}> is not part of the protocol`);
      return;
    }
    const allowed = { ...rule.required, ...rule.optional };
    const valueProblem = (value: string, r: ValueRule) => (r instanceof RegExp ? !r.test(value) : !r.includes(value));
    for (const [k, r] of Object.entries(rule.required ?? {})) if (!(k in e.attributes)) problems.push(`${at(path, e)}: attribute ${k} is missing`);
    for (const [k, v] of Object.entries(e.attributes)) {
      const r = allowed[k];
      if (!r) problems.push(`${at(path, e)}: attribute ${k} is not allowed`);
      else if (valueProblem(v, r)) problems.push(`${at(path, e)}: attribute ${k}='${v}' expected ${r instanceof RegExp ? `to match ${r}` : `one of ${r.join(", ")}`}`);
    }
    const textRule = rule.text ?? "none";
    if (textRule === "none") {
      if (e.text !== null && e.text.trim() !== "") problems.push(`${at(path, e)}: text is not allowed here`);
    } else {
      if (e.children.length) problems.push(`${at(path, e)}: expected text, found elements`);
      const value = e.text ?? "";
      if (textRule.required && value.trim() === "") problems.push(`${at(path, e)}: text is required`);
      else if (textRule.pattern && !textRule.pattern.test(value)) problems.push(`${at(path, e)}: text '${value}' expected to match ${textRule.pattern}`);
    }
    // children in the order the rule gives, each within its counts
    const sequence = rule.children ?? [];
    let k = 0;
    for (const slot of sequence) {
      let n = 0;
      while (k < e.children.length && e.children[k].name === slot.name) {
        n++;
        k++;
      }
      if (n < slot.min) problems.push(`${at(path, e)}: expected ${slot.min === 1 && slot.max === 1 ? "one" : `at least ${slot.min}`} <${slot.name}>, found ${n}`);
      if (n > slot.max) problems.push(`${at(path, e)}: expected at most ${slot.max} <${slot.name}>, found ${n}`);
    }
    if (k < e.children.length) problems.push(`${at(path, e)}: <${e.children[k].name}> is not expected here`);
    const counts = new Map<string, number>();
    for (const c of e.children) {
      const n = (counts.get(c.name) ?? 0) + 1;
      counts.set(c.name, n);
      check(c, `${path}/${c.name}[${n}]`);
    }
  };
  if (root.name !== "Protocol") return [`root element <${root.name}>: expected <Protocol>`];
  check(root, "/Protocol");
  // what the structure alone cannot say
  const poll = root.attributes.kind === "poll";
  for (const [i, q] of childrenNamed(child(root, "Agenda") ?? root, "Question").entries()) {
    const where = `/Protocol/Agenda/Question[${i + 1}]`;
    if (q.attributes.number !== String(i + 1)) problems.push(`${where}: number ${q.attributes.number}, expected ${i + 1}`);
    if (poll && child(q, "Decision")) problems.push(`${where}: a poll's result is a <PollResult>, never a <Decision>`);
    if (!poll && child(q, "PollResult")) problems.push(`${where}: a meeting's question is decided by a <Decision>`);
    if (!child(q, "Decision") && !child(q, "PollResult")) problems.push(`${where}: expected a <Decision> or a <PollResult>`);
    const wording = child(q, "Wording")?.text;
    if (wording && id(wording).toLowerCase() !== q.attributes.textRef?.toLowerCase()) problems.push(`${where}/Wording: its keccak256 is not the question's textRef`);
  }
  if (poll && child(root, "MeetingType")) problems.push("/Protocol: a poll has no <MeetingType>");
  if (!poll && !child(root, "MeetingType")) problems.push("/Protocol: expected one <MeetingType>");
  return problems;
}

/** What a protocol says that the chain cannot: read back from a document that conforms to the schema. */
export interface ProtocolParts {
  meetingId: bigint;
  language: Language;
  kind: "meeting" | "poll";
  place: string;
  chainId: number;
  meetingHall: string;
  /** The wordings given, each under its hash (checked by the schema). */
  texts: string[];
  annex: Annex | undefined;
}

export function protocolParts(root: XmlElement): ProtocolParts {
  const textOf = (e: XmlElement | undefined) => e?.text ?? "";
  const system = child(root, "System")!;
  const building = child(root, "Building")!;
  const annexes = child(root, "Annexes");
  const persons: Annex["persons"] = [];
  const addPerson = (e: XmlElement | undefined) => {
    if (!e || !child(e, "Name")) return;
    persons.push({ address: e.attributes.account, personId: e.attributes.personId ?? "", fullName: textOf(child(e, "Name")), identity: textOf(child(e, "Identity")) });
  };
  addPerson(child(root, "Initiator"));
  addPerson(child(root, "Administrator"));
  let annex: Annex | undefined;
  if (annexes) {
    for (const p of childrenNamed(child(annexes, "Participants")!, "Participant")) {
      if (child(p, "Name")) persons.push({ address: p.attributes.account, personId: p.attributes.personId ?? "", fullName: textOf(child(p, "Name")), identity: textOf(child(p, "Identity")) });
      addPerson(child(p, "Representative"));
    }
    annex = {
      meetingId: textOf(child(root, "Number")),
      buildingId: building.attributes.id,
      building: { address: textOf(child(building, "Address")), cadastralNumber: textOf(child(building, "CadastralNumber")) },
      registerHash: annexes.attributes.registerHash,
      owners: childrenNamed(child(annexes, "RegisterOfOwners")!, "Owner").map((o) => ({
        address: o.attributes.account,
        personId: o.attributes.personId,
        fullName: textOf(child(o, "Name")),
        identity: textOf(child(o, "Identity")),
        premisesId: o.attributes.premisesId,
        premisesNumber: o.attributes.premisesNumber,
        premisesKind: o.attributes.premisesKind as Annex["owners"][number]["premisesKind"],
        areaM2: o.attributes.area,
        premisesCadastralNumber: o.attributes.premisesCadastralNumber ?? "",
        share: o.attributes.share,
        ownership: o.attributes.ownership as "sole" | "shared" | "joint",
        titleDocument: textOf(child(o, "TitleDocument")),
      })),
      persons,
    };
  }
  return {
    meetingId: BigInt(textOf(child(root, "Number"))),
    language: root.attributes.lang as Language,
    kind: root.attributes.kind as "meeting" | "poll",
    place: textOf(child(root, "Place")),
    chainId: Number(system.attributes.chainId),
    meetingHall: system.attributes.meetingHall,
    texts: childrenNamed(child(root, "Agenda")!, "Question").flatMap((q) => (child(q, "Wording")?.text ? [child(q, "Wording")!.text!] : [])),
    annex,
  };
}

/** A difference between two element trees: where (a path), what, both values. */
export interface TreeDifference {
  where: string;
  field: string;
  expected: string;
  actual: string;
}

/** Compares an expected tree with an actual one, element by element, attribute by attribute, text by text. */
export function compareTrees(expected: XmlElement, actual: XmlElement, path = `/${expected.name}`): TreeDifference[] {
  const out: TreeDifference[] = [];
  if (expected.name !== actual.name) return [{ where: path, field: "element", expected: `<${expected.name}>`, actual: `<${actual.name}>` }];
  for (const k of new Set([...Object.keys(expected.attributes), ...Object.keys(actual.attributes)])) {
    const e = expected.attributes[k];
    const a = actual.attributes[k];
    if (e !== a) out.push({ where: path, field: `@${k}`, expected: e ?? "(absent)", actual: a ?? "(absent)" });
  }
  if ((expected.text ?? "") !== (actual.text ?? "")) out.push({ where: path, field: "text", expected: expected.text ?? "", actual: actual.text ?? "" });
  const counts = new Map<string, number>();
  const n = Math.max(expected.children.length, actual.children.length);
  for (let i = 0; i < n; i++) {
    const e = expected.children[i];
    const a = actual.children[i];
    const name = (e ?? a).name;
    const c = (counts.get(name) ?? 0) + 1;
    counts.set(name, c);
    const where = `${path}/${name}[${c}]`;
    if (!e) out.push({ where, field: "element", expected: "(absent)", actual: `<${a.name}>` });
    else if (!a) out.push({ where, field: "element", expected: `<${e.name}>`, actual: "(absent)" });
    else out.push(...compareTrees(e, a, where));
  }
  return out;
}
