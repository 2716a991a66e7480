/**
 * JSON-RPC to one geth node, over HTTP (what a signer serves its operator) or over the node's IPC
 * socket (every module; only the operator's user can open it). The tool reaches an observer over
 * IPC, since its public HTTP endpoint serves no peer management or Clique API.
 */
import net from "node:net";
import { NetworkError } from "./errors.js";

export interface NodeRpc {
  /** Where it connects, for messages. */
  readonly target: string;
  call<T = unknown>(method: string, params?: unknown[], timeoutMs?: number): Promise<T>;
}

interface RpcAnswer {
  id?: number;
  result?: unknown;
  error?: { code: number; message: string };
}

let nextId = 1;

function answerOf<T>(target: string, method: string, answer: RpcAnswer): T {
  if (answer.error) throw new NetworkError("RPC_FAILED", `${target}: ${method} failed: ${answer.error.message}`, { details: { code: answer.error.code } });
  return answer.result as T;
}

export class HttpNodeRpc implements NodeRpc {
  constructor(readonly target: string) {}

  async call<T = unknown>(method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new NetworkError("NODE_FAILED", `${this.target}: ${method}: no answer (${(err as Error).cause ?? (err as Error).message})`, { cause: err });
    }
    if (!response.ok) throw new NetworkError("NODE_FAILED", `${this.target}: ${method}: HTTP ${response.status}`);
    return answerOf<T>(this.target, method, (await response.json()) as RpcAnswer);
  }
}

export class IpcNodeRpc implements NodeRpc {
  constructor(readonly target: string) {}

  call<T = unknown>(method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const socket = net.connect(this.target);
      let buffer = "";
      const fail = (err: unknown) => {
        socket.destroy();
        reject(err instanceof NetworkError ? err : new NetworkError("NODE_FAILED", `${this.target}: ${method}: ${(err as Error).message}`, { cause: err }));
      };
      socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs} ms`)));
      socket.on("error", fail);
      socket.on("connect", () => socket.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n"));
      socket.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        // geth writes one JSON document per line
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          let answer: RpcAnswer;
          try {
            answer = JSON.parse(line);
          } catch (err) {
            fail(err);
            return;
          }
          if (answer.id !== id) continue;
          socket.end();
          try {
            resolve(answerOf<T>(this.target, method, answer));
          } catch (err) {
            reject(err);
          }
          return;
        }
      });
    });
  }
}
