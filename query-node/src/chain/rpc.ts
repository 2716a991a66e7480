/** A minimal Ethereum JSON-RPC client over HTTP with batched requests. */

export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    message: string,
    readonly code?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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

export class JsonRpc {
  private nextId = 1;

  constructor(readonly url: string) {}

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const [result] = await this.batch<T>([{ method, params }]);
    return result!;
  }

  async batch<T>(calls: Array<{ method: string; params: unknown[] }>): Promise<T[]> {
    if (calls.length === 0) return [];
    const requests = calls.map((c) => ({ jsonrpc: "2.0", id: this.nextId++, method: c.method, params: c.params }));
    const body = JSON.stringify(requests.length === 1 ? requests[0] : requests);
    let response: Response | null = null;
    // A kept-alive connection the node has just closed fails once; a fresh one then succeeds.
    for (let attempt = 1; response === null; attempt++) {
      try {
        response = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body });
      } catch (err) {
        if (attempt >= 3) {
          throw new RpcError(`JSON-RPC ${this.url} unreachable: ${(err as Error).message}`, undefined, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
    if (!response.ok) throw new RpcError(`JSON-RPC ${this.url} answered HTTP ${response.status}`);
    const json = (await response.json()) as unknown;
    const replies = (Array.isArray(json) ? json : [json]) as Array<{
      id: number;
      result?: T;
      error?: { code: number; message: string };
    }>;
    const byId = new Map(replies.map((r) => [r.id, r]));
    return requests.map((req) => {
      const reply = byId.get(req.id);
      if (!reply) throw new RpcError(`JSON-RPC ${req.method}: no reply`);
      if (reply.error) throw new RpcError(`JSON-RPC ${req.method}: ${reply.error.message}`, reply.error.code);
      return reply.result as T;
    });
  }
}
