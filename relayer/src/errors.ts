/**
 * The one error class of the service. A code names the failure for clients and logs; `status` is the
 * HTTP status it maps to; `retryable` separates transient failures (node unreachable) from final ones.
 */
export interface ServiceErrorOptions {
  status?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
  retryable?: boolean;
}

export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ServiceError";
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** A configuration value that fails validation; the message names the variable and what it expects. */
export class ConfigError extends ServiceError {
  constructor(problems: string[]) {
    super("invalid_config", problems.join("\n"), { details: { problems } });
    this.name = "ConfigError";
  }
}

/** Whether an error raised by ethers or the transport means the node could not be reached. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "TIMEOUT",
  "NETWORK_ERROR",
  "SERVER_ERROR",
]);

export function isUnreachable(err: unknown, depth = 0): boolean {
  const e = err as { code?: string; cause?: unknown; error?: unknown } | undefined;
  if (!e || typeof e !== "object" || depth > 4) return false;
  if (e instanceof ServiceError) return e.code === "chain_unavailable";
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  return isUnreachable(e.cause, depth + 1) || isUnreachable(e.error, depth + 1);
}

/** Wraps a failed node call as a retryable 503. */
export function chainUnavailable(err: unknown): ServiceError {
  return new ServiceError("chain_unavailable", "the chain node cannot be reached; retry later", {
    status: 503,
    retryable: true,
    cause: err,
  });
}
