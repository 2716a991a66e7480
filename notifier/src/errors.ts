/**
 * The one error class of the notifier. `code` names the failure for clients and logs, `status` is the
 * HTTP status it maps to, `retryable` separates transient failures (SMTP server down, gateway 5xx)
 * from final ones (malformed address, 4xx answer).
 */
export interface NotifierErrorOptions {
  status?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
  retryable?: boolean;
}

export class NotifierError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: NotifierErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "NotifierError";
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** Configuration that fails validation; the message lists every problem, one a line. */
export class ConfigError extends NotifierError {
  constructor(readonly problems: string[]) {
    super("invalid_config", problems.join("\n"), { details: { problems } });
    this.name = "ConfigError";
  }
}
