/**
 * The domain's constants as the contracts define them, once for all of TypeScript: the share unit, the
 * contracts' enums (name ↔ index), the answers of a ballot, the reject reasons with the relayer's error
 * code for each, and the arithmetic of the legal rules (quorum and thresholds) as `LegalRules` and
 * `MeetingHall.finalize` apply it. Which rule decides which question type is data, not code: the
 * versions of the rules table live in lib/legal-rules.ts and, as published, on chain.
 *
 * lib/test/domain.test.ts reads the compiled contracts (their AST and ABI) and the subgraph's enums and
 * fails when anything here differs from them, and checks `meets` against `LegalRules.meets` and the
 * quorum and outcomes against `MeetingHall.finalize`. The web page loads a copy compiled to plain
 * JavaScript (web/public/lib/domain.js), so this module imports nothing and holds only data and pure
 * functions.
 */

/**
 * `IBuildingRegistry.SHARE_UNIT`: the shares of one premises sum to it, a weight is area (0.01 m²) ×
 * share, and a building's total weight is SHARE_UNIT × Σ area.
 */
export const SHARE_UNIT = 216_216_000n;

/** `{ name: index }` of an enum's member names, in declaration order. */
function indexes<const N extends readonly string[]>(names: N): { readonly [K in N[number]]: number } {
  return Object.freeze(Object.fromEntries(names.map((name, i) => [name, i]))) as { readonly [K in N[number]]: number };
}

/**
 * The member name of an enum value as a contract or an event gives it, or undefined when `value` is
 * not an index of `names` (a value from outside is checked, never trusted).
 */
export function nameAt<const N extends readonly string[]>(names: N, value: number | bigint): N[number] | undefined {
  const i = typeof value === "bigint" ? (value >= 0n && value < BigInt(names.length) ? Number(value) : -1) : value;
  return Number.isInteger(i) && i >= 0 && i < names.length ? names[i] : undefined;
}

/** `IMeetingHall.Kind`: a general meeting (weighted, legal rules) or a neighbour poll (consultative). */
export const KINDS = ["Meeting", "Poll"] as const;
export type KindName = (typeof KINDS)[number];
export const Kind = indexes(KINDS);

/** `IMeetingHall.MeetingType` (Housing Code art. 45 part 1): a poll is `Extraordinary`. */
export const MEETING_TYPES = ["Extraordinary", "Annual"] as const;
export type MeetingTypeName = (typeof MEETING_TYPES)[number];
export const MeetingType = indexes(MEETING_TYPES);

/** `IMeetingHall.Status`; whether voting is open follows from the clock and the window. */
export const STATUSES = ["None", "Announced", "Cancelled", "Finalized"] as const;
export type StatusName = (typeof STATUSES)[number];
export const Status = indexes(STATUSES);

/** `IMeetingHall.BallotForm`: how a counted ballot arrived (`BallotCast`). */
export const BALLOT_FORMS = ["Direct", "Relayed", "Paper"] as const;
export type BallotFormName = (typeof BALLOT_FORMS)[number];
export const BallotForm = indexes(BALLOT_FORMS);

/**
 * `IMeetingHall.RejectReason`: why a relayed ballot that its signer did sign was skipped
 * (`BallotRejected`), or why a paper decision cannot be entered.
 */
export const REJECT_REASONS = ["NotOpen", "Expired", "NotEligible", "AlreadyVoted", "MalformedChoices", "NoPowerOfAttorney"] as const;
export type RejectReasonName = (typeof REJECT_REASONS)[number];
export const RejectReason = indexes(REJECT_REASONS);

/** `IBuildingRegistry.PremisesKind`: the use of a premises, as the register records it. */
export const PREMISES_KINDS = ["Residential", "NonResidential", "ParkingSpace"] as const;
export type PremisesKindName = (typeof PREMISES_KINDS)[number];
export const PremisesKind = indexes(PREMISES_KINDS);

/** `IBuildingRegistry.OrganiserRole`: who besides the owners may announce meetings in a building. */
export const ORGANISER_ROLES = ["None", "ManagementOrganisation", "HomeownersAssociation", "CapitalRepairFund"] as const;
export type OrganiserRoleName = (typeof ORGANISER_ROLES)[number];
export const OrganiserRole = indexes(ORGANISER_ROLES);

/** `ILegalRules.Base`: what a rule compares with — the votes of those who took part, or all votes. */
export const RULE_BASES = ["Participants", "All"] as const;
export type RuleBaseName = (typeof RULE_BASES)[number];
export const RuleBase = indexes(RULE_BASES);

/**
 * An answer to one question as `BallotChoices` packs it, two bits a question (`FOR`, `AGAINST`,
 * `ABSTAIN`); 0 is no answer.
 */
export const Choice = Object.freeze({ For: 1, Against: 2, Abstain: 3 } as const);
export type Choice = (typeof Choice)[keyof typeof Choice];
export type AnswerName = keyof typeof Choice;
/** Answer names by their code: `ANSWERS[Choice.For] === "For"`; index 0 (no answer) is empty. */
export const ANSWERS = ["", "For", "Against", "Abstain"] as const;

/**
 * Why the relayer refuses or reports a ballot: a contract reject reason, or `BadSignature` — a
 * signature that is not its signer's. The contract skips such a ballot with `BallotDiscarded`, which
 * names nobody, so it has no `RejectReason`; the relayer refuses it at intake under its own code.
 */
export type RefusalName = RejectReasonName | "BadSignature";

/**
 * The relayer's public error code for each refusal: intake refuses a ballot with the code of the
 * reason the contract would skip it for, and a ballot the contract skipped is reported with it. One
 * entry per contract reason, plus the discarded ballot's, so a refusal has one name and one code.
 */
export const REJECT_CODES = Object.freeze({
  NotOpen: "meeting_not_open",
  Expired: "ballot_expired",
  NotEligible: "not_eligible",
  AlreadyVoted: "already_voted",
  MalformedChoices: "malformed_choices",
  NoPowerOfAttorney: "no_power_of_attorney",
  BadSignature: "bad_signature",
} as const satisfies Record<RefusalName, string>);
export type RejectCode = (typeof REJECT_CODES)[RefusalName];

/**
 * The relayer's code of a reason given by its index (a `BallotRejected` event's) or of a refusal given
 * by name; undefined for anything else.
 */
export function rejectCode(reason: number | bigint | RefusalName): RejectCode | undefined {
  const name = typeof reason === "string" ? (Object.hasOwn(REJECT_CODES, reason) ? reason : undefined) : nameAt(REJECT_REASONS, reason);
  return name === undefined ? undefined : REJECT_CODES[name];
}

/** The refusal a relayer's code stands for, or undefined for any other code. */
export function rejectReasonOfCode(code: string): RefusalName | undefined {
  return (Object.keys(REJECT_CODES) as RefusalName[]).find((name) => REJECT_CODES[name] === code);
}

/**
 * `ILegalRules.Rule`: "more than" (`strict`) or "not less than" `numerator / denominator` of the base.
 * On chain the base is its index (`RuleBase[rule.base]`).
 */
export interface Rule {
  base: RuleBaseName;
  numerator: number;
  denominator: number;
  strict: boolean;
}

/** More than half of the votes of those who took part (art. 46 part 1, the default). */
export const MAJORITY_OF_PARTICIPANTS: Readonly<Rule> = Object.freeze({ base: "Participants", numerator: 1, denominator: 2, strict: true });
/** More than half of all votes of the building (also the quorum, art. 45 part 3). */
export const MAJORITY_OF_ALL: Readonly<Rule> = Object.freeze({ base: "All", numerator: 1, denominator: 2, strict: true });
/** Not less than two thirds of all votes. */
export const TWO_THIRDS_OF_ALL: Readonly<Rule> = Object.freeze({ base: "All", numerator: 2, denominator: 3, strict: false });
/** All votes of the building. */
export const UNANIMOUS: Readonly<Rule> = Object.freeze({ base: "All", numerator: 1, denominator: 1, strict: false });

/**
 * Whether `value` meets `rule` given the participating and total votes, as `LegalRules.meets` decides
 * it: `value × denominator` greater than (strict) or at least `numerator × base`, in integers.
 */
export function meets(rule: Readonly<Rule>, value: bigint, participating: bigint, total: bigint): boolean {
  const base = rule.base === "All" ? total : participating;
  const lhs = value * BigInt(rule.denominator);
  const rhs = BigInt(rule.numerator) * base;
  return rule.strict ? lhs > rhs : lhs >= rhs;
}

/**
 * Whether a meeting has its quorum under its version's quorum rule, as `finalize` decides it: some
 * weight took part and it meets the rule (participating against all votes).
 */
export function quorumReached(quorumRule: Readonly<Rule>, participating: bigint, total: bigint): boolean {
  return participating !== 0n && meets(quorumRule, participating, participating, total);
}

/** A meeting's or poll's result: its quorum (a poll's turnout above half) and whether each question passed. */
export interface Outcome {
  quorumReached: boolean;
  passed: boolean[];
}

/**
 * A general meeting's result as `MeetingHall.finalize` computes it from the rules of its recorded
 * version: the quorum, and each question passed by its type's rule — none without a quorum.
 * `rules[q]` is the rule of question q's type and `forWeights[q]` its For weight.
 */
export function meetingOutcome(
  quorumRule: Readonly<Rule>,
  rules: ReadonlyArray<Readonly<Rule>>,
  forWeights: readonly bigint[],
  participating: bigint,
  total: bigint,
): Outcome {
  const quorum = quorumReached(quorumRule, participating, total);
  return {
    quorumReached: quorum,
    passed: forWeights.map((forWeight, q) => {
      const rule = rules[q];
      return quorum && rule !== undefined && meets(rule, forWeight, participating, total);
    }),
  };
}

/**
 * A poll's result as `finalize` computes it: consultative, so each question is decided by the answers
 * given (For from more than half of the ballots) whatever the turnout, which is only reported.
 */
export function pollOutcome(forAnswers: readonly bigint[], ballots: bigint, electorate: bigint): Outcome {
  return {
    quorumReached: meets(MAJORITY_OF_ALL, ballots, ballots, electorate),
    passed: forAnswers.map((forAnswer) => meets(MAJORITY_OF_PARTICIPANTS, forAnswer, ballots, electorate)),
  };
}
