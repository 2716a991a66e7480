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

/**
 * The exit code of any error the tool meets: its own errors carry theirs; the recount's (lib/recount)
 * map by code — a meeting not on the chain 3, a node unreachable 4, an event the ABI does not define 1.
 */
export function exitCodeOf(err: unknown): number | undefined {
  if (err instanceof AuditError) return err.exitCode;
  if (!(err instanceof AppError)) return undefined;
  return ({ not_found: EXIT.notFound, unreachable: EXIT.unreachable, undefined_enum_value: EXIT.difference } as Record<string, number>)[err.code];
}
