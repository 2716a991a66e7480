/**
 * The network tool's one error type. `code` says what kind of failure it is, so that the command line
 * can tell the operator's mistakes (exit 2) from a node or a toolchain that failed (exit 1) without
 * reading messages.
 */
export type NetworkErrorCode =
  /** A command-line argument or an option of the API is wrong. */
  | "BAD_ARGUMENT"
  /** Go is not installed, or too old to build geth. */
  | "GO_MISSING"
  /** `go install` failed, or the binary it made is not the expected geth. */
  | "GETH_BUILD_FAILED"
  /** The network folder is missing, incomplete or not one this tool made. */
  | "BAD_NETWORK"
  /** A node did not start, answer or stop as expected. */
  | "NODE_FAILED"
  /** A node's process ended while it was expected to run. */
  | "NODE_EXITED"
  /** A node answered a JSON-RPC call with an error. */
  | "RPC_FAILED"
  /** A condition waited for did not hold within its time. */
  | "TIMEOUT";

export class NetworkError extends Error {
  override readonly name = "NetworkError";
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details ?? {};
  }
  /** Values that explain the failure (a JSON-RPC error code, a port). */
  readonly details: Record<string, unknown>;
}
