import { isError } from "ethers";

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

/**
 * A contract view, or undefined with a difference when the contract refuses it (a log claims what the
 * contract does not hold: a meeting or a rules version it never had). A node that cannot be reached
 * is not a difference: that error propagates.
 */
export async function viewOf<T>(differences: Difference[], where: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (!isError(err, "CALL_EXCEPTION")) throw err;
    differences.push({ where, field: "view", expected: "an answer", actual: `reverted${err.revert ? ` with ${err.revert.name}` : ""}` });
    return undefined;
  }
}
