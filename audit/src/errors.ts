/** Errors of the audit tool, each with the process exit code it maps to. */

export const EXIT = {
  ok: 0,
  difference: 1,
  usage: 2,
  notFound: 3,
  unreachable: 4,
  internal: 5,
} as const;

export class AuditError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AuditError";
  }
}

export class UsageError extends AuditError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export class NotFoundError extends AuditError {
  constructor(message: string) {
    super(message, EXIT.notFound);
  }
}

export class UnreachableError extends AuditError {
  constructor(message: string, cause?: unknown) {
    super(message, EXIT.unreachable, { cause });
  }
}
