/**
 * The one JSON-RPC transport of the services: node:http(s) with keep-alive connections and Node's
 * native UTF-8 and JSON handling, under ethers' provider (`HttpJsonRpcProvider`) and the query
 * node's own minimal client alike. ethers' own FetchRequest decodes every response byte by byte in
 * JavaScript, which dominates the cost of large answers (receipts and logs of batches of hundreds of
 * ballots).
 *
 * Every failure of the transport is an RpcError with one shape: a code (`rpc_unreachable`,
 * `rpc_timeout`, `rpc_server_error`, `rpc_error_reply`) and a `reason` that says what failed as the
 * services have always named it — the socket's code (ECONNREFUSED, ECONNRESET, …), TIMEOUT for a
 * request past its deadline, SERVER_ERROR for an HTTP status other than 2xx or an answer that is not
 * JSON, or the JSON-RPC error code of an error reply.
 */
import http from "node:http";
import https from "node:https";
import { JsonRpcProvider, Network, type JsonRpcApiProviderOptions, type JsonRpcPayload, type JsonRpcResult, type PerformActionRequest } from "ethers";
import { AppError, type AppErrorOptions } from "./errors.js";

export class RpcError extends AppError {
  /** The socket's code, TIMEOUT, SERVER_ERROR, or the JSON-RPC error code of an error reply. */
  readonly reason: string | number;

  constructor(code: string, message: string, reason: string | number, options: AppErrorOptions = {}) {
    super(code, message, { ...options, details: { reason, ...options.details } });
    this.reason = reason;
  }
}

export interface TransportOptions {
  /** Milliseconds before a request is abandoned with reason TIMEOUT (default 10,000). */
  timeoutMs?: number;
  /** Connections kept open to the node (default 16). */
  maxSockets?: number;
}

/** Posts JSON-RPC bodies to one endpoint over kept-alive connections; answers the body's text. */
export class JsonRpcTransport {
  readonly target: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(url: string, options: TransportOptions = {}) {
    let target: URL | undefined;
    try {
      target = new URL(url);
    } catch {
      target = undefined;
    }
    if (!target || (target.protocol !== "http:" && target.protocol !== "https:")) {
      throw new AppError("invalid_rpc_url", `JSON-RPC URL ${url}: expected http: or https:`);
    }
    this.target = target;
    const Agent = target.protocol === "https:" ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Where the requests go, without credentials: for messages. */
  get origin(): string {
    return this.target.origin;
  }

  post(body: Buffer | string): Promise<string> {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const request = this.target.protocol === "https:" ? https.request : http.request;
    const origin = this.origin;
    const failed = (err: unknown) =>
      err instanceof RpcError
        ? err
        : new RpcError("rpc_unreachable", `JSON-RPC ${origin}: ${(err as Error).message}`, (err as { code?: string }).code ?? "NETWORK_ERROR", {
            cause: err,
            retryable: true,
          });
    return new Promise((resolve, reject) => {
      const req = request(
        this.target,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": bytes.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => reject(failed(err)));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            if (status < 200 || status >= 300) {
              reject(
                new RpcError("rpc_server_error", `JSON-RPC ${origin}: HTTP ${status} ${text.slice(0, 200)}`, "SERVER_ERROR", {
                  retryable: true,
                  details: { status },
                }),
              );
            } else resolve(text);
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new RpcError("rpc_timeout", `JSON-RPC ${origin}: no answer within ${this.timeoutMs} ms`, "TIMEOUT", { retryable: true }));
      });
      req.on("error", (err) => reject(failed(err)));
      req.end(bytes);
    });
  }

  /** Posts `payload` and parses the answer; an answer that is not JSON is a SERVER_ERROR. */
  async postJson(payload: unknown): Promise<unknown> {
    const text = await this.post(JSON.stringify(payload));
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new RpcError("rpc_server_error", `JSON-RPC ${this.origin}: the answer is not JSON`, "SERVER_ERROR", { cause: err, retryable: true });
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface HttpJsonRpcOptions extends JsonRpcApiProviderOptions, TransportOptions {}

/** ethers' JSON-RPC provider on the one transport. */
export class HttpJsonRpcProvider extends JsonRpcProvider {
  private readonly transport: JsonRpcTransport;

  constructor(url: string, chainId?: number | bigint, options: HttpJsonRpcOptions = {}) {
    const { timeoutMs, maxSockets, ...providerOptions } = options;
    // The transport checks the URL before ethers sees it.
    const transport = new JsonRpcTransport(url, { timeoutMs, maxSockets });
    super(url, chainId === undefined ? undefined : Network.from(chainId), providerOptions);
    this.transport = transport;
  }

  /**
   * Gas is estimated against the block the node seals next ("pending"), as the transaction will run.
   * geth estimates in the latest block's context, at its timestamp, unless told which block; the
   * registry keys its checkpoints by timestamp, so a write right after another (the next batch of a
   * register's premises) is estimated as updating that block's checkpoints in place and runs out of
   * gas writing new ones when it lands in a later block. Hardhat's simulator and Besu take the tag too.
   */
  override getRpcRequest(req: PerformActionRequest): null | { method: string; args: Array<unknown> } {
    const request = super.getRpcRequest(req);
    if (request !== null && req.method === "estimateGas" && request.args.length === 1) return { method: request.method, args: [...request.args, "pending"] };
    return request;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const parsed = (await this.transport.postJson(payload)) as JsonRpcResult | JsonRpcResult[];
    return Array.isArray(parsed) ? parsed : [parsed];
  }

  override destroy(): void {
    super.destroy();
    this.transport.close();
  }
}

/** ethers' codes and raw socket codes that mean the node could not be reached or failed to answer. */
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

/** Whether an error raised by ethers or the transport (or wrapping one) means the node could not be reached. */
export function isUnreachable(err: unknown, depth = 0): boolean {
  const e = err as { code?: unknown; cause?: unknown; error?: unknown } | undefined;
  if (!e || typeof e !== "object" || depth > 4) return false;
  if (e instanceof RpcError) return e.retryable;
  if (e instanceof AppError) return e.code === "chain_unavailable";
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  return isUnreachable(e.cause, depth + 1) || isUnreachable(e.error, depth + 1);
}

/** A failed node call as the retryable `chain_unavailable`. */
export function chainUnavailable(err: unknown, message = "the chain node cannot be reached; retry later"): AppError {
  return new AppError("chain_unavailable", message, { retryable: true, cause: err });
}
