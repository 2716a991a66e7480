/**
 * The legal rules' descriptions for the page: every version of lib/legal-rules.ts (its question
 * types' names in Russian and English, their articles, whether an entry is confirmed), keyed by the
 * version's `sourceRef` — the hash a deployment publishes on chain with the version. The page reads a
 * meeting's rules version from the index (its number, sourceRef, quorum and question types with their
 * rules) and takes the names from here only under the hash the chain holds, so what it shows is what
 * the meeting is counted by.
 */
import { RULES_VERSIONS, sourceRef, type RulesVersion } from "#lib/legal-rules.js";

/** `{ [sourceRef]: version }` of every version this code knows. */
export function rulesTexts(versions: readonly RulesVersion[] = RULES_VERSIONS): Record<string, RulesVersion> {
  return Object.fromEntries(versions.map((v) => [sourceRef(v).toLowerCase(), v]));
}
