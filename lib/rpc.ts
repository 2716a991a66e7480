/**
 * A JSON-RPC provider whose transport is node:http(s) with keep-alive connections and Node's native
 * UTF-8 and JSON handling. ethers' own FetchRequest decodes every response byte by byte in
 * JavaScript, which dominates the cost of large answers (receipts and logs of batches of hundreds of
 * ballots). Errors keep the shapes the services test for: socket errors carry their `code`
 * (ECONNREFUSED, ECONNRESET, …), a request past its deadline has code `TIMEOUT`, and an HTTP status
 * other than 2xx has code `SERVER_ERROR`.
 */
import http from "node:http";
import https from "node:https";
import { JsonRpcProvider, Network, type JsonRpcApiProviderOptions, type JsonRpcPayload, type JsonRpcResult } from "ethers";

export interface HttpJsonRpcOptions extends JsonRpcApiProviderOptions {
  /** Milliseconds before a request is abandoned with code TIMEOUT (default 10,000). */
  timeoutMs?: number;
  /** Connections kept open to the node (default 16). */
  maxSockets?: number;
}

class RpcTransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RpcTransportError";
  }
}

export class HttpJsonRpcProvider extends JsonRpcProvider {
  private readonly target: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(url: string, chainId?: number | bigint, options: HttpJsonRpcOptions = {}) {
    const { timeoutMs = 10_000, maxSockets = 16, ...providerOptions } = options;
    super(url, chainId === undefined ? undefined : Network.from(chainId), providerOptions);
    this.target = new URL(url);
    if (this.target.protocol !== "http:" && this.target.protocol !== "https:") {
      throw new Error(`JSON-RPC URL ${url}: expected http: or https:`);
    }
    const Agent = this.target.protocol === "https:" ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets });
    this.timeoutMs = timeoutMs;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const body = Buffer.from(JSON.stringify(payload), "utf8");
    const text = await this.post(body);
    let parsed: JsonRpcResult | JsonRpcResult[];
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new RpcTransportError(`JSON-RPC ${this.target.origin}: the answer is not JSON`, "SERVER_ERROR", { cause: err });
    }
    return Array.isArray(parsed) ? parsed : [parsed];
  }

  override destroy(): void {
    super.destroy();
    this.agent.destroy();
  }

  private post(body: Buffer): Promise<string> {
    const request = this.target.protocol === "https:" ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(
        this.target,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            if (status < 200 || status >= 300) {
              reject(new RpcTransportError(`JSON-RPC ${this.target.origin}: HTTP ${status} ${text.slice(0, 200)}`, "SERVER_ERROR"));
            } else resolve(text);
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new RpcTransportError(`JSON-RPC ${this.target.origin}: no answer within ${this.timeoutMs} ms`, "TIMEOUT"));
      });
      req.on("error", reject);
      req.end(body);
    });
  }
}
