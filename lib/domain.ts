/**
 * The domain's constants as the contracts define them, once for all of TypeScript: the share unit, the
 * contracts' enums (name ↔ index), the answers of a ballot, the reject reasons with the relayer's error
 * code for each, and the quorum and threshold rules in integer arithmetic.
 *
 * lib/test/domain.test.ts reads the compiled contracts (their AST) and the subgraph's enums and fails
 * when anything here differs from them, and checks `decides` against `MeetingHall.decides`. The web
 * page loads a copy compiled to plain JavaScript (web/public/lib/domain.js), so this module imports
 * nothing and holds only data and pure functions.
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

/** `IMeetingHall.Kind`: a general meeting (weighted, legal thresholds) or a neighbour poll. */
export const KINDS = ["Meeting", "Poll"] as const;
export type KindName = (typeof KINDS)[number];
export const Kind = indexes(KINDS);

/** `IMeetingHall.Status`; whether voting is open follows from the clock and the window. */
export const STATUSES = ["None", "Announced", "Cancelled", "Finalized"] as const;
export type StatusName = (typeof STATUSES)[number];
export const Status = indexes(STATUSES);

/** `IMeetingHall.Threshold`: what decides a question (Housing Code art. 46 §1). */
export const THRESHOLDS = ["MajorityOfParticipants", "MajorityOfAll", "TwoThirdsOfAll", "Unanimous", "Consultative"] as const;
export type ThresholdName = (typeof THRESHOLDS)[number];
export const Threshold = indexes(THRESHOLDS);

/** `IMeetingHall.RejectReason`: why a relayed ballot was skipped. */
export const REJECT_REASONS = ["NotOpen", "BadSignature", "NotEligible", "AlreadyVoted", "MalformedChoices"] as const;
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
 * The relayer's public error code for each reject reason: intake refuses a ballot with the code of
 * the reason the contract would skip it for, and a ballot the contract skipped is reported with it.
 * One entry per reason, so a reason has one name (the contract's) and one code.
 */
export const REJECT_CODES = Object.freeze({
  NotOpen: "meeting_not_open",
  BadSignature: "bad_signature",
  NotEligible: "not_eligible",
  AlreadyVoted: "already_voted",
  MalformedChoices: "malformed_choices",
} as const satisfies Record<RejectReasonName, string>);
export type RejectCode = (typeof REJECT_CODES)[RejectReasonName];

/** The relayer's code of a reason given by its index (a `BallotRejected` event's) or name. */
export function rejectCode(reason: number | bigint | RejectReasonName): RejectCode | undefined {
  const name = typeof reason === "string" ? (REJECT_REASONS.includes(reason) ? reason : undefined) : nameAt(REJECT_REASONS, reason);
  return name === undefined ? undefined : REJECT_CODES[name];
}

/** The reason a relayer's code stands for, or undefined for any other code. */
export function rejectReasonOfCode(code: string): RejectReasonName | undefined {
  return REJECT_REASONS.find((name) => REJECT_CODES[name] === code);
}

/**
 * A threshold as data: For is compared with `num/den` of a base — the weight that took part or the
 * building's whole weight — strictly (>), at least (≥) or exactly (=). A binding threshold needs a
 * quorum; the consultative one of a poll is decided by the answers whatever the turnout.
 */
export interface ThresholdRule {
  base: "participating" | "total";
  num: bigint;
  den: bigint;
  compare: ">" | ">=" | "=";
  binding: boolean;
}

/** The thresholds of DOMAIN.md as the contract applies them. */
export const THRESHOLD_RULES: Readonly<Record<ThresholdName, Readonly<ThresholdRule>>> = Object.freeze({
  MajorityOfParticipants: { base: "participating", num: 1n, den: 2n, compare: ">", binding: true },
  MajorityOfAll: { base: "total", num: 1n, den: 2n, compare: ">", binding: true },
  TwoThirdsOfAll: { base: "total", num: 2n, den: 3n, compare: ">=", binding: true },
  Unanimous: { base: "total", num: 1n, den: 1n, compare: "=", binding: true },
  Consultative: { base: "participating", num: 1n, den: 2n, compare: ">", binding: false },
});

/** Quorum (art. 45 §3): the weight that took part is more than half of the building's. */
export function quorumReached(participating: bigint, total: bigint): boolean {
  return participating * 2n > total;
}

/**
 * Whether a question passes, as `MeetingHall.decides` computes it: integer cross-multiplication, no
 * binding question without a quorum. A name that is not a threshold decides nothing (false).
 */
export function decides(threshold: ThresholdName, forWeight: bigint, participating: bigint, total: bigint, quorum: boolean): boolean {
  const rule = Object.hasOwn(THRESHOLD_RULES, threshold) ? THRESHOLD_RULES[threshold] : undefined;
  if (rule === undefined) return false;
  if (rule.binding && !quorum) return false;
  const lhs = forWeight * rule.den;
  const rhs = (rule.base === "total" ? total : participating) * rule.num;
  return rule.compare === ">" ? lhs > rhs : rule.compare === ">=" ? lhs >= rhs : lhs === rhs;
}
