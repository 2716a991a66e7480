/**
 * The legal rules versions as the follower saw `LegalRules` publish them: each version's quorum rule
 * and question types (code and rule), with the names of the types from lib/legal-rules.ts when the
 * version's `sourceRef` is one it knows. A notice names each question's type and reports each result
 * against the base of its type's rule.
 */
import { decodeBytes32String } from "ethers";
import { RULE_BASES, nameAt, type Rule } from "#lib/domain.js";
import { RULES_VERSIONS, sourceRef } from "#lib/legal-rules.js";
import type { Database } from "./db.js";

export interface QuestionTypeView {
  code: string;
  rule: Rule;
  /** The type's name, when lib/legal-rules.ts knows the version. */
  name?: { ru: string; en: string };
}

export interface RulesVersionView {
  version: number;
  quorum: Rule;
  questionTypes: QuestionTypeView[];
}

interface RawRule {
  base: bigint | number;
  numerator: bigint | number;
  denominator: bigint | number;
  strict: boolean;
}

/** A rule of the event; a base the contract does not define is read as "all votes", the stricter base. */
function ruleOf(raw: RawRule): Rule {
  return { base: nameAt(RULE_BASES, raw.base) ?? "All", numerator: Number(raw.numerator), denominator: Number(raw.denominator), strict: Boolean(raw.strict) };
}

function codeOf(raw: string): string {
  try {
    return decodeBytes32String(raw);
  } catch {
    return raw;
  }
}

const KNOWN = new Map(RULES_VERSIONS.map((v) => [sourceRef(v).toLowerCase(), v]));

export class RulesVersions {
  private readonly cache = new Map<number, RulesVersionView>();

  constructor(private readonly db: Database) {}

  /** Records a `RulesPublished` event (a version is published once; a replay changes nothing). */
  published(version: number, ref: string, quorum: RawRule, questionTypes: Array<{ code: string; rule: RawRule }>): void {
    const types = questionTypes.map((t) => ({ code: codeOf(t.code), rule: ruleOf(t.rule) }));
    this.db
      .sql("INSERT INTO rules_versions (version, source_ref, quorum, question_types) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(version, ref.toLowerCase(), JSON.stringify(ruleOf(quorum)), JSON.stringify(types));
  }

  get(version: number): RulesVersionView | undefined {
    const cached = this.cache.get(version);
    if (cached) return cached;
    const row = this.db.sql("SELECT * FROM rules_versions WHERE version = ?").get(version) as { source_ref: string; quorum: string; question_types: string } | undefined;
    if (!row) return undefined;
    const known = KNOWN.get(row.source_ref);
    const types = (JSON.parse(row.question_types) as Array<{ code: string; rule: Rule }>).map((t, i) => {
      const entry = known?.questionTypes[i];
      return entry && entry.code === t.code ? { ...t, name: entry.name } : t;
    });
    const view = { version, quorum: JSON.parse(row.quorum) as Rule, questionTypes: types };
    this.cache.set(version, view);
    return view;
  }
}
