/**
 * A difference between what the recount expects and what a source says: where (which ballot, question
 * or part of the register), which field, and both values. A recount with any difference exits 1.
 */
export interface Difference {
  where: string;
  field: string;
  expected: string;
  actual: string;
}

/** Records a difference when `expected` and `actual` differ. */
export function compare(differences: Difference[], where: string, field: string, expected: bigint | boolean | number | string | null, actual: bigint | boolean | number | string | null): void {
  if (expected !== actual) differences.push({ where, field, expected: String(expected), actual: String(actual) });
}
