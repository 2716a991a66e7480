/**
 * The legal rules of general meetings as data: the quorum (Housing Code art. 45 part 3) and, for each
 * question type (the item of art. 44 part 2 a question decides), the threshold that decides it
 * (art. 46 part 1). A deployment publishes a version to `LegalRules` on chain (the codes and rules);
 * the names, articles and notes stay here and are proven on chain by the hash of this version's
 * canonical JSON (`sourceRef`). When the law changes, add a new version below and publish it: meetings
 * announced before keep the version they recorded.
 *
 * An entry with `confirmed: false` (marked (≈) in the project's domain notes) was not checked against
 * the official text; it is data so that it can be corrected by publishing a new version.
 *
 * A rule's shape, the named rules and their arithmetic (`meets`, the quorum, a meeting's outcome) are
 * lib/domain.ts's, which the web page loads as well; this module adds the versions, their hash and the
 * arguments that publish them.
 */
import { keccak256, toUtf8Bytes, encodeBytes32String } from "ethers";
import { MAJORITY_OF_ALL, MAJORITY_OF_PARTICIPANTS, RuleBase, TWO_THIRDS_OF_ALL, UNANIMOUS, type Rule } from "./domain.js";
import { AppError } from "./errors.js";

export interface QuestionTypeEntry {
  /** Short code published on chain (at most 31 ASCII bytes): "44.2.1", …, or "other". */
  code: string;
  /** The article the type (and its threshold) comes from. */
  article: string;
  name: { ru: string; en: string };
  rule: Rule;
  /** False where the entry was not confirmed against the official text (≈). */
  confirmed: boolean;
  note?: string;
}

export interface RulesVersion {
  /** The date the text it encodes took effect. */
  effectiveFrom: string;
  /** The legal text it follows. */
  source: string;
  quorum: Rule & { article: string; confirmed: boolean };
  questionTypes: QuestionTypeEntry[];
}

const item = (
  n: string,
  rule: Rule,
  name: { ru: string; en: string },
  confirmed = true,
  note?: string,
): QuestionTypeEntry => ({
  code: `44.2.${n}`,
  article: `ЖК РФ ст. 44 ч. 2 п. ${n}; ст. 46 ч. 1`,
  name,
  rule,
  confirmed,
  ...(note ? { note } : {}),
});

/** The text in force since 1 September 2024 (Federal Law of 8 August 2024). */
export const RULES_2024_09_01: RulesVersion = {
  effectiveFrom: "2024-09-01",
  source: "Жилищный кодекс РФ, ст. 44 ч. 2, ст. 45 ч. 3, ст. 46 ч. 1 (ред. от 08.08.2024, действующая с 01.09.2024)",
  quorum: { ...MAJORITY_OF_ALL, article: "ЖК РФ ст. 45 ч. 3", confirmed: true },
  questionTypes: [
    {
      code: "other",
      article: "ЖК РФ ст. 46 ч. 1",
      name: {
        ru: "Прочие вопросы (текущий ремонт, консьерж, выбор администратора собрания и др.)",
        en: "Other questions (current repair, a doorkeeper, the meeting's administrator, …)",
      },
      rule: MAJORITY_OF_PARTICIPANTS,
      confirmed: true,
    },
    item("1", TWO_THIRDS_OF_ALL, {
      ru: "Реконструкция дома, строительство построек, капитальный ремонт, использование фонда капремонта",
      en: "Reconstruction, new structures, capital repair, use of the capital repair fund",
    }),
    item("1.1", MAJORITY_OF_ALL, {
      ru: "Способ формирования фонда капитального ремонта, специальный счёт",
      en: "How the capital repair fund is formed; the special account",
    }),
    item("1.1-1", TWO_THIRDS_OF_ALL, {
      ru: "Взнос на капремонт выше минимального; размещение средств фонда",
      en: "Capital repair contribution above the minimum; placing the fund's money",
    }),
    item("1.2", TWO_THIRDS_OF_ALL, {
      ru: "Кредит или заём на капитальный ремонт",
      en: "A credit or loan for capital repair",
    }),
    item("1.3", TWO_THIRDS_OF_ALL, { ru: "Вопрос п. 1.3 ч. 2 ст. 44", en: "Item 1.3 of art. 44 part 2" }),
    item("2", TWO_THIRDS_OF_ALL, {
      ru: "Пределы использования земельного участка (шлагбаум, ограждение, парковка)",
      en: "Limits of use of the land plot (driveway gates, fences, parking)",
    }),
    item("3", TWO_THIRDS_OF_ALL, {
      ru: "Пользование общим имуществом иными лицами (реклама, оборудование связи)",
      en: "Use of the common property by others (advertising, telecom equipment)",
    }),
    item("3.1", TWO_THIRDS_OF_ALL, {
      ru: "Лица, уполномоченные заключать договоры об использовании общего имущества",
      en: "Who may sign contracts on the use of the common property",
    }),
    item("3.8", TWO_THIRDS_OF_ALL, { ru: "Вопрос п. 3.8 ч. 2 ст. 44", en: "Item 3.8 of art. 44 part 2" }),
    item("4", MAJORITY_OF_ALL, {
      ru: "Выбор способа управления домом",
      en: "Choosing how the building is managed",
    }),
    item("4.2", MAJORITY_OF_ALL, { ru: "Вопрос п. 4.2 ч. 2 ст. 44", en: "Item 4.2 of art. 44 part 2" }),
    item("4.3", TWO_THIRDS_OF_ALL, { ru: "Вопрос п. 4.3 ч. 2 ст. 44", en: "Item 4.3 of art. 44 part 2" }),
    item(
      "4.5",
      TWO_THIRDS_OF_ALL,
      { ru: "Вопрос п. 4.5 ч. 2 ст. 44 (особый порядок ч. 1.2 ст. 46)", en: "Item 4.5 of art. 44 part 2 (own rule, art. 46 part 1.2)" },
      false,
      "Decided by its own rule (art. 46 part 1.2), which also requires a share within the entrance concerned and a quorum of its own (art. 45 part 3); the on-chain rule is two thirds of all votes until the text is confirmed.",
    ),
    item(
      "4.6",
      TWO_THIRDS_OF_ALL,
      { ru: "Вопрос п. 4.6 ч. 2 ст. 44 (особый порядок ст. 46)", en: "Item 4.6 of art. 44 part 2 (own rule, art. 46)" },
      false,
      "Decided by the part of art. 46 the item names; the on-chain rule is two thirds of all votes until the text is confirmed.",
    ),
    item("4.7", MAJORITY_OF_ALL, {
      ru: "Выбор управляющей организации",
      en: "Choosing the management organisation",
    }),
    {
      code: "unanimous",
      article: "ЖК РФ ст. 36 ч. 3, ст. 40 ч. 2",
      name: {
        ru: "Уменьшение размера общего имущества, реконструкция с присоединением его части",
        en: "Reducing the common property; reconstruction that takes part of it",
      },
      rule: UNANIMOUS,
      confirmed: false,
    },
  ],
};

/** Every version, oldest first; the last is what a new deployment publishes. */
export const RULES_VERSIONS: readonly RulesVersion[] = [RULES_2024_09_01];

/** The canonical JSON of a version (stable key order), whose keccak256 is its `sourceRef` on chain. */
export function canonicalJson(version: RulesVersion): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return JSON.stringify(sort(version));
}

export function sourceRef(version: RulesVersion): string {
  return keccak256(toUtf8Bytes(canonicalJson(version)));
}

/** The arguments of `LegalRules.publish` for a version. */
export function publishArgs(version: RulesVersion) {
  const rule = (r: Rule) => ({
    base: RuleBase[r.base],
    numerator: r.numerator,
    denominator: r.denominator,
    strict: r.strict,
  });
  return {
    sourceRef: sourceRef(version),
    quorum: rule(version.quorum),
    questionTypes: version.questionTypes.map((t) => ({ code: encodeBytes32String(t.code), rule: rule(t.rule) })),
  };
}

/** The index of a question type by its code in a version (what a question carries on chain). */
export function questionTypeIndex(version: RulesVersion, code: string): number {
  const index = version.questionTypes.findIndex((t) => t.code === code);
  if (index < 0) {
    throw new AppError("unknown_question_type", `question type '${code}' is not in the rules of ${version.effectiveFrom}`, {
      details: { code, effectiveFrom: version.effectiveFrom },
    });
  }
  return index;
}
