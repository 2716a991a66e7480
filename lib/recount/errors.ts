/**
 * Errors of the recount: a meeting that is not on the chain, a node that cannot be reached (or lacks a
 * block the recount needs), and an event whose enum value the contracts do not define. Each has its
 * own code; the audit tool maps the codes to its exit codes, a service to its logs and retries.
 */
import { AppError } from "../errors.js";

/** A meeting, ballot or transaction that is not on the chain. */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super("not_found", message);
  }
}

/** An endpoint that cannot be reached, or serves another chain. */
export class UnreachableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super("unreachable", message, { cause, retryable: true });
  }
}

/** An event carries an enum value the contracts do not define: the chain's record differs from the ABI. */
export class UndefinedEnumError extends AppError {
  constructor(message: string) {
    super("undefined_enum_value", message);
  }
}
