/** Errors of the audit tool: the project's AppError, each kind with the process exit code it maps to. */
import { AppError } from "#lib/errors.js";

export const EXIT = {
  ok: 0,
  difference: 1,
  usage: 2,
  notFound: 3,
  unreachable: 4,
  internal: 5,
} as const;

export class AuditError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Bad arguments or input files: exit 2. */
export class UsageError extends AuditError {
  constructor(message: string) {
    super("invalid_usage", message, EXIT.usage);
  }
}

/** A meeting, ballot or transaction that is not on the chain: exit 3. */
export class NotFoundError extends AuditError {
  constructor(message: string) {
    super("not_found", message, EXIT.notFound);
  }
}

/** An endpoint that cannot be reached, or serves another chain: exit 4. */
export class UnreachableError extends AuditError {
  constructor(message: string, cause?: unknown) {
    super("unreachable", message, EXIT.unreachable, { cause });
  }
}
