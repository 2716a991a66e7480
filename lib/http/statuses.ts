/**
 * Error codes → HTTP statuses. The core of a service throws codes only; its HTTP adapter answers
 * with the status of the code in its table: the base table below, for what every API answers,
 * extended with the service's own codes (e.g. relayer/src/http/statuses.ts). A code that is in no
 * table is a bug: it is answered 500 and logged (see errors.ts).
 */
import { AppError } from "../errors.js";

export type StatusTable = Readonly<Record<string, number>>;

/** The codes of the toolkit itself and of every API. */
export const BASE_STATUSES: StatusTable = Object.freeze({
  invalid_request: 400,
  bad_request: 400,
  malformed_json: 400,
  request_aborted: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_encoding: 415,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  chain_unavailable: 503,
});

/** The base table with a service's own codes; a base code cannot be given another status. */
export function statusTable(own: Record<string, number>): StatusTable {
  for (const [code, status] of Object.entries(own)) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new AppError("invalid_status_table", `error code ${code}: status ${status} is not a 4xx or 5xx status`);
    }
    if (Object.hasOwn(BASE_STATUSES, code) && BASE_STATUSES[code] !== status) {
      throw new AppError("invalid_status_table", `error code ${code}: the base table answers it ${BASE_STATUSES[code]}, not ${status}`);
    }
  }
  return Object.freeze({ ...BASE_STATUSES, ...own });
}

/** The status of `code`, or undefined when the table has none. */
export function statusOf(table: StatusTable, code: string): number | undefined {
  return Object.hasOwn(table, code) ? table[code] : undefined;
}
