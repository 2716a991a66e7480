// The legal rules as the page shows and applies them: each question's type and the rule that decides
// it, as the index records them for the meeting's rules version (art. 46 part 1), the quorum of that
// version (art. 45 part 3), their names and articles from the version's description (served under the
// hash the chain holds), and the live outcome by the same arithmetic as the contract (lib/domain.ts).
import { MAJORITY_OF_ALL, MAJORITY_OF_PARTICIPANTS, meets, quorumReached } from "./lib/domain.js";
import { language, t } from "./i18n.js";

const isPoll = (m) => m.kind === "Poll";

/** The rule that decides a question, as the index records it; a poll's: more than half of the answers. */
export function questionRule(m, q) {
  if (isPoll(m) || q.ruleBase === null || q.ruleBase === undefined) return MAJORITY_OF_PARTICIPANTS;
  return { base: q.ruleBase, numerator: Number(q.ruleNumerator), denominator: Number(q.ruleDenominator), strict: q.ruleStrict };
}

/** The meeting's quorum rule from its rules version; a poll's turnout is measured against half the electorate. */
export function quorumRule(m) {
  const r = m.rules;
  if (isPoll(m) || !r) return MAJORITY_OF_ALL;
  return { base: r.quorumBase, numerator: Number(r.quorumNumerator), denominator: Number(r.quorumDenominator), strict: r.quorumStrict };
}

/** A rule in words: "more than 1/2 of the votes taking part", "не менее 2/3 голосов всех собственников". */
export function ruleText(rule) {
  const base = rule.base === "All" ? t("ruleOfAll") : t("ruleOfParticipants");
  if (rule.numerator === rule.denominator && !rule.strict) return `100 % ${base}`;
  const fraction = rule.numerator * 2 === rule.denominator ? "50 %" : `${rule.numerator}/${rule.denominator}`;
  return `${rule.strict ? t("ruleMoreThan") : t("ruleAtLeast")} ${fraction} ${base}`;
}

/**
 * A question's type as the meeting's rules version names it: the code on chain, and, when this page
 * knows the version's description under the hash the chain holds, its name and article.
 */
export function typeOf(m, q, descriptions) {
  if (isPoll(m)) return { code: null, name: t("consultative"), article: null, confirmed: true };
  const version = m.rules ? descriptions[String(m.rules.sourceRef).toLowerCase()] : undefined;
  const entry = version?.questionTypes.find((e) => e.code === q.code);
  return {
    code: q.code,
    name: entry ? entry.name[language()] : `${t("questionType")} ${q.code ?? q.questionType}`,
    article: entry?.article ?? null,
    confirmed: entry ? entry.confirmed : true,
  };
}

/** The rules version's description, if this page knows it: when it took effect and the text it follows. */
export function versionOf(m, descriptions) {
  return m.rules ? descriptions[String(m.rules.sourceRef).toLowerCase()] : undefined;
}

/** Whether the quorum is reached now (final once counted). */
export function hasQuorum(m, participating, total) {
  if (m.quorumReached === true || m.quorumReached === false) return m.quorumReached;
  return quorumReached(quorumRule(m), participating, total);
}

/** Whether a question passes as the contract would decide it now: a poll by its answers, a meeting by its type's rule and the quorum. */
export function passesNow(m, q, participating, total) {
  const forWeight = BigInt(q.forWeight);
  if (isPoll(m)) return meets(MAJORITY_OF_PARTICIPANTS, forWeight, participating, total);
  return hasQuorum(m, participating, total) && meets(questionRule(m, q), forWeight, participating, total);
}
