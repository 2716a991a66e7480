/**
 * A minimal Ethereum JSON-RPC client with batched requests, on the services' one transport
 * (lib/rpc.ts): its failures are the same RpcError as ethers' provider's, and an error reply is an
 * RpcError `rpc_error_reply` whose reason is the JSON-RPC error code.
 */
import { JsonRpcTransport, RpcError } from "#lib/rpc.js";

export interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  sha3Uncles: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  gasUsed: string;
  gasLimit: string;
  timestamp: string;
  difficulty?: string;
  totalDifficulty?: string;
  size?: string;
  baseFeePerGas?: string;
  transactions: Array<RpcTransaction | string>;
}

export interface RpcTransaction {
  hash: string;
  transactionIndex: string;
  from: string;
  to: string | null;
  value: string;
  gas: string;
  gasPrice?: string;
  input: string;
  nonce: string;
}

export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

export interface JsonRpcOptions {
  /** Milliseconds before a request is abandoned (default 120,000: a range of logs can be large). */
  timeoutMs?: number;
}

/** Tries of a request whose connection fails: a kept-alive connection the node has just closed fails once. */
const ATTEMPTS = 3;

export class JsonRpc {
  private nextId = 1;
  private readonly transport: JsonRpcTransport;

  constructor(
    readonly url: string,
    options: JsonRpcOptions = {},
  ) {
    this.transport = new JsonRpcTransport(url, { timeoutMs: options.timeoutMs ?? 120_000 });
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const [result] = await this.batch<T>([{ method, params }]);
    return result!;
  }

  async batch<T>(calls: Array<{ method: string; params: unknown[] }>): Promise<T[]> {
    if (calls.length === 0) return [];
    const requests = calls.map((c) => ({ jsonrpc: "2.0", id: this.nextId++, method: c.method, params: c.params }));
    let json: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        json = await this.transport.postJson(requests.length === 1 ? requests[0] : requests);
        break;
      } catch (err) {
        if (!(err instanceof RpcError && err.code === "rpc_unreachable") || attempt >= ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
    const replies = (Array.isArray(json) ? json : [json]) as Array<{
      id: number;
      result?: T;
      error?: { code: number; message: string };
    }>;
    const byId = new Map(replies.map((r) => [r?.id, r]));
    return requests.map((req) => {
      const reply = byId.get(req.id);
      if (!reply) {
        throw new RpcError("rpc_server_error", `JSON-RPC ${req.method}: no reply`, "SERVER_ERROR", { retryable: true, details: { method: req.method } });
      }
      if (reply.error) {
        throw new RpcError("rpc_error_reply", `JSON-RPC ${req.method}: ${reply.error.message}`, reply.error.code, { details: { method: req.method } });
      }
      return reply.result as T;
    });
  }

  close(): void {
    this.transport.close();
  }
}
