/**
 * A JSON-RPC proxy on 127.0.0.1 that forwards every request to a node and keeps a copy of each call
 * (method and params, batches unpacked), so that a test can see what the relayer asked the node.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RpcCall {
  method: string;
  params: unknown[];
}

export interface RpcRecorder {
  url: string;
  calls: RpcCall[];
  /** The eth_call requests made to `address`. */
  callsTo(address: string): Array<{ to: string; data: string; gas?: string }>;
  close(): Promise<void>;
}

export async function startRpcRecorder(nodeUrl: string): Promise<RpcRecorder> {
  const calls: RpcCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString("utf8")) as RpcCall | RpcCall[];
        for (const c of Array.isArray(parsed) ? parsed : [parsed]) calls.push({ method: c.method, params: c.params ?? [] });
      } catch {
        // not JSON-RPC: forwarded all the same
      }
      try {
        const answer = await fetch(nodeUrl, { method: "POST", headers: { "content-type": "application/json" }, body: new Uint8Array(body) });
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    callsTo: (address) =>
      calls
        .filter((c) => c.method === "eth_call")
        .map((c) => c.params[0] as { to: string; data: string; gas?: string })
        .filter((tx) => tx?.to?.toLowerCase() === address.toLowerCase()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
