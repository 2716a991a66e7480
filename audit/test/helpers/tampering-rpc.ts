/**
 * A JSON-RPC endpoint that lies: it forwards every request to a real node and alters the logs it
 * answers (`eth_getLogs`, and the logs of `eth_getTransactionReceipt`) with a function of the test's
 * choosing, as a compromised or buggy node serving an auditor would. Everything else passes through,
 * so the contracts' views still tell the truth. Listens on 127.0.0.1 on a free port.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { EventFragment, Interface } from "ethers";

/** A log as JSON-RPC carries it. */
export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
  [field: string]: unknown;
}

/** Returns the altered log, or undefined to leave it as it is. */
export type Tamper = (log: RpcLog) => RpcLog | undefined;

export interface TamperingRpc {
  url: string;
  /** How many logs were altered so far. */
  altered(): number;
  close(): Promise<void>;
}

interface Request {
  id?: unknown;
  method?: string;
}

export async function startTamperingRpc(upstream: string, tamper: Tamper): Promise<TamperingRpc> {
  let altered = 0;
  const rewrite = (logs: RpcLog[]) =>
    logs.map((log) => {
      const changed = tamper(log);
      if (!changed) return log;
      altered++;
      return changed;
    });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      try {
        const body = Buffer.concat(chunks).toString("utf8");
        const answer = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
        const text = await answer.text();
        const requests = JSON.parse(body) as Request | Request[];
        const replies = JSON.parse(text) as { id?: unknown; result?: unknown } | Array<{ id?: unknown; result?: unknown }>;
        const methodOf = new Map((Array.isArray(requests) ? requests : [requests]).map((r) => [JSON.stringify(r.id), r.method]));
        for (const reply of Array.isArray(replies) ? replies : [replies]) {
          const method = methodOf.get(JSON.stringify(reply.id));
          if (method === "eth_getLogs" && Array.isArray(reply.result)) reply.result = rewrite(reply.result as RpcLog[]);
          if (method === "eth_getTransactionReceipt" && reply.result && typeof reply.result === "object") {
            const receipt = reply.result as { logs?: RpcLog[] };
            if (Array.isArray(receipt.logs)) receipt.logs = rewrite(receipt.logs);
          }
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(replies));
      } catch (err) {
        res.statusCode = 502;
        res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: (err as Error).message } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    altered: () => altered,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A tamper that rewrites the first log of `event` (emitted by `address`) for which `match` holds:
 * `change` gets its decoded arguments as a plain array and returns the arguments to encode instead.
 */
export function alterEvent(
  iface: Interface,
  address: string,
  event: string,
  match: (args: unknown[]) => boolean,
  change: (args: unknown[]) => unknown[],
): Tamper {
  const fragment = iface.getEvent(event) as EventFragment;
  let target: string | undefined;
  return (log) => {
    if (log.address.toLowerCase() !== address.toLowerCase() || log.topics[0] !== fragment.topicHash) return undefined;
    const id = `${log.transactionHash}:${log.logIndex}`;
    const args = [...iface.decodeEventLog(fragment, log.data, log.topics).toArray(true)] as unknown[];
    if (target === undefined && match(args)) target = id;
    if (target !== id) return undefined;
    const { data, topics } = iface.encodeEventLog(fragment, change(args));
    return { ...log, data, topics };
  };
}
