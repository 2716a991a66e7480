/**
 * The one error base of the project. Every error the project throws is an AppError or a subclass:
 * `code` names the failure for clients, logs and code that branches on it (a stable snake_case
 * string, never the message); `details` carries the values that explain it; `cause` the error it
 * wraps; `retryable` separates transient failures (a node or provider unreachable) from final ones.
 * It knows no transport: an HTTP adapter maps codes to statuses (lib/http/statuses.ts), a CLI to
 * exit codes.
 */
export interface AppErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  retryable?: boolean;
}

/** What a code looks like: lower-case words joined by underscores. */
export const ERROR_CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

export class AppError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** Configuration that fails validation; the message lists every problem, one a line. */
export class ConfigError extends AppError {
  constructor(readonly problems: string[]) {
    super("invalid_config", problems.join("\n"), { details: { problems } });
  }
}
