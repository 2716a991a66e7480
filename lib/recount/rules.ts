/**
 * The legal rules a meeting is counted by, rebuilt from `LegalRules`' `RulesPublished` events: each
 * version's quorum rule and its question types (code and rule). Each version is compared with the
 * contract's views, and with lib/legal-rules.ts when its `sourceRef` is one of the versions known
 * there, which also gives the names and articles of its question types.
 */
import { decodeBytes32String } from "ethers";
import { RULE_BASES, nameAt, type Rule } from "../domain.js";
import { RULES_VERSIONS, publishArgs, sourceRef, type QuestionTypeEntry, type RulesVersion } from "../legal-rules.js";
import { ChainReader, rulesInterface, topicOf, type DecodedLog } from "./chain.js";
import { compare, viewOf, type Difference } from "./differences.js";

export interface QuestionTypeInfo {
  index: number;
  /** The code as published (bytes32 text), e.g. "44.2.1" or "other". */
  code: string;
  rule: Rule;
  /** From lib/legal-rules.ts when the version is known there. */
  known?: Pick<QuestionTypeEntry, "name" | "article" | "confirmed" | "note">;
}

export interface RulesVersionInfo {
  version: number;
  sourceRef: string;
  quorum: Rule;
  questionTypes: QuestionTypeInfo[];
  /** The version of lib/legal-rules.ts with this sourceRef, if any. */
  known?: RulesVersion;
  publishedBlock: number;
  publishedLogIndex: number;
}

/** A rule of an event or a view, checked: a base the contract does not define makes it undefined. */
function ruleOf(raw: { base: bigint | number; numerator: bigint | number; denominator: bigint | number; strict: boolean }): Rule | undefined {
  const base = nameAt(RULE_BASES, raw.base);
  if (base === undefined) return undefined;
  return { base, numerator: Number(raw.numerator), denominator: Number(raw.denominator), strict: Boolean(raw.strict) };
}

export const ruleKey = (r: Rule | undefined) => (r ? `${r.strict ? ">" : "≥"} ${r.numerator}/${r.denominator} of ${r.base}` : "undefined");

function codeOf(raw: string): string {
  try {
    return decodeBytes32String(raw);
  } catch {
    return raw;
  }
}

const KNOWN = new Map(RULES_VERSIONS.map((v) => [sourceRef(v).toLowerCase(), v]));

/**
 * Every published version of the deployment's rules, read once and checked once. `differences` of a
 * version are reported by each meeting counted by it.
 */
export class RulesBook {
  private readonly checked = new Map<number, Difference[]>();

  private constructor(
    private readonly reader: ChainReader,
    readonly versions: Map<number, RulesVersionInfo>,
    private readonly publishErrors: Map<number, Difference[]>,
    /** Versions in the order they were published: what was current at a point of the chain. */
    private readonly order: DecodedLog[],
  ) {}

  static async load(reader: ChainReader): Promise<RulesBook> {
    const events = await reader.logs("rules", [[topicOf(rulesInterface, "RulesPublished")]]);
    const versions = new Map<number, RulesVersionInfo>();
    const errors = new Map<number, Difference[]>();
    for (const e of events) {
      const version = Number(e.args.version);
      const where = `rules version ${version} (RulesPublished)`;
      const problems: Difference[] = [];
      if (versions.has(version)) problems.push({ where, field: "version", expected: "published once", actual: "published again" });
      const quorum = ruleOf(e.args.quorum);
      if (!quorum) problems.push({ where, field: "quorum base", expected: `one of ${RULE_BASES.join(", ")}`, actual: String(e.args.quorum.base) });
      const questionTypes: QuestionTypeInfo[] = (e.args.questionTypes as Array<{ code: string; rule: Parameters<typeof ruleOf>[0] }>).map((t, index) => {
        const rule = ruleOf(t.rule);
        if (!rule) problems.push({ where, field: `question type ${index} base`, expected: `one of ${RULE_BASES.join(", ")}`, actual: String(t.rule.base) });
        return { index, code: codeOf(t.code), rule: rule ?? { base: "All" as const, numerator: 1, denominator: 1, strict: true } };
      });
      const ref = String(e.args.sourceRef).toLowerCase();
      const known = KNOWN.get(ref);
      if (known) {
        for (const t of questionTypes) {
          const entry = known.questionTypes[t.index];
          if (entry) t.known = { name: entry.name, article: entry.article, confirmed: entry.confirmed, ...(entry.note ? { note: entry.note } : {}) };
        }
      }
      if (!versions.has(version)) {
        versions.set(version, { version, sourceRef: e.args.sourceRef, quorum: quorum ?? { base: "All", numerator: 1, denominator: 1, strict: true }, questionTypes, known, publishedBlock: e.blockNumber, publishedLogIndex: e.logIndex });
      }
      errors.set(version, [...(errors.get(version) ?? []), ...problems]);
    }
    return new RulesBook(reader, versions, errors, events);
  }

  /** The version current just before the log at (blockNumber, logIndex): the last one published before it. */
  currentAt(blockNumber: number, logIndex: number): number {
    let current = 0;
    for (const e of this.order) {
      if (e.blockNumber > blockNumber || (e.blockNumber === blockNumber && e.logIndex > logIndex)) break;
      current = Number(e.args.version);
    }
    return current;
  }

  /**
   * The differences of one version: its event against the contract's views (sourceRef, quorum, every
   * question type) and, when lib/legal-rules.ts knows its sourceRef, against that data.
   */
  async check(version: number): Promise<Difference[]> {
    const cached = this.checked.get(version);
    if (cached) return cached;
    const differences = [...(this.publishErrors.get(version) ?? [])];
    const info = this.versions.get(version);
    if (!info) {
      differences.push({ where: `rules version ${version}`, field: "RulesPublished", expected: "published", actual: "missing" });
      this.checked.set(version, differences);
      return differences;
    }
    const rules = this.reader.rules;
    const where = `rules version ${version}`;
    const views = await viewOf(differences, `${where} (LegalRules)`, async () => {
      const count = Number(await rules.questionTypeCount(version));
      const types = await Promise.all(info.questionTypes.slice(0, count).map((t) => rules.questionType(version, t.index)));
      return { sourceRef: await rules.sourceRefOf(version), quorum: await rules.quorumRule(version), count, types };
    });
    if (views) {
      compare(differences, `${where} (sourceRefOf)`, "sourceRef", info.sourceRef.toLowerCase(), views.sourceRef.toLowerCase());
      compare(differences, `${where} (quorumRule)`, "quorum rule", ruleKey(info.quorum), ruleKey(ruleOf(views.quorum)));
      compare(differences, `${where} (questionTypeCount)`, "question types", info.questionTypes.length, views.count);
      views.types.forEach((view, i) => {
        const t = info.questionTypes[i];
        const at = `${where}, question type ${t.index} '${t.code}' (questionType)`;
        compare(differences, at, "code", t.code, codeOf(view.code));
        compare(differences, at, "rule", ruleKey(t.rule), ruleKey(ruleOf(view.rule)));
      });
    }
    if (info.known) {
      const local = publishArgs(info.known);
      const from = `${where}, lib/legal-rules.ts ${info.known.effectiveFrom}`;
      compare(differences, from, "quorum rule", ruleKey(info.known.quorum), ruleKey(info.quorum));
      compare(differences, from, "question types", local.questionTypes.length, info.questionTypes.length);
      info.known.questionTypes.forEach((entry, i) => {
        const t = info.questionTypes[i];
        if (!t) return;
        compare(differences, `${from}, question type ${i}`, "code", entry.code, t.code);
        compare(differences, `${from}, question type ${i} '${entry.code}'`, "rule", ruleKey(entry.rule), ruleKey(t.rule));
      });
    }
    this.checked.set(version, differences);
    return differences;
  }
}

