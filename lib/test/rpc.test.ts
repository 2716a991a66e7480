/**
 * The one JSON-RPC transport: a node that refuses connections, answers an HTTP error, answers
 * something that is not JSON, or does not answer in time fails with one shape (RpcError: a code and
 * the reason as the services name it), under ethers' provider as under the transport itself.
 */
import { expect } from "chai";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AppError } from "../errors.js";
import { HttpJsonRpcProvider, JsonRpcTransport, RpcError, chainUnavailable, isUnreachable } from "../rpc.js";

type Handler = (body: any, req: IncomingMessage, res: ServerResponse) => void;

/** A JSON-RPC endpoint on 127.0.0.1 whose answers the test chooses. */
async function endpoint(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => handler(JSON.parse(text), req, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A port that was just free: nothing listens there. */
async function closedPort(): Promise<string> {
  const { url, server } = await endpoint(() => undefined);
  await new Promise((r) => server.close(r));
  return url;
}

async function rpcFailure(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(RpcError);
    return err as RpcError;
  }
  throw new AppError("test_failed", "expected the call to fail");
}

describe("JSON-RPC transport", function () {
  const servers: Server[] = [];
  after(async function () {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const serve = async (handler: Handler) => {
    const e = await endpoint(handler);
    servers.push(e.server);
    return e.url;
  };

  it("posts a body and answers the parsed reply over kept-alive connections", async function () {
    const url = await serve((body, _req, res) => res.end(JSON.stringify({ jsonrpc: "2.0", id: body.id, result: "0x7a69" })));
    const transport = new JsonRpcTransport(url);
    try {
      expect(await transport.postJson({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] })).to.deep.equal({ jsonrpc: "2.0", id: 1, result: "0x7a69" });
      expect(await transport.postJson({ jsonrpc: "2.0", id: 2, method: "eth_chainId", params: [] })).to.deep.equal({ jsonrpc: "2.0", id: 2, result: "0x7a69" });
    } finally {
      transport.close();
    }
  });

  it("fails with one shape: refused, HTTP error, not JSON, no answer in time", async function () {
    const refused = new JsonRpcTransport(await closedPort());
    const httpError = new JsonRpcTransport(await serve((_b, _q, res) => res.writeHead(502).end("bad gateway")));
    const notJson = new JsonRpcTransport(await serve((_b, _q, res) => res.end("<html>")));
    const silent = new JsonRpcTransport(await serve(() => undefined), { timeoutMs: 200 });
    const call = { jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] };
    const cases: Array<[JsonRpcTransport, string, string | number]> = [
      [refused, "rpc_unreachable", "ECONNREFUSED"],
      [httpError, "rpc_server_error", "SERVER_ERROR"],
      [notJson, "rpc_server_error", "SERVER_ERROR"],
      [silent, "rpc_timeout", "TIMEOUT"],
    ];
    for (const [transport, code, reason] of cases) {
      const err = await rpcFailure(transport.postJson(call));
      expect([err.code, err.reason, err.retryable]).to.deep.equal([code, reason, true]);
      expect(err.details).to.include({ reason });
      expect(err).to.be.instanceOf(AppError);
      expect(isUnreachable(err), code).to.equal(true);
      expect(err.message).to.contain("JSON-RPC http://127.0.0.1:");
      transport.close();
    }
  });

  it("refuses a URL that is not http(s)", function () {
    let err: unknown;
    try {
      new JsonRpcTransport("ws://127.0.0.1:8546");
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal("invalid_rpc_url");
  });

  describe("under ethers' provider", function () {
    it("answers calls and JSON-RPC batches", async function () {
      const url = await serve((body, _req, res) => {
        const reply = (b: { id: number; method: string }) => ({ jsonrpc: "2.0", id: b.id, result: b.method === "eth_chainId" ? "0x7a69" : "0x10" });
        res.end(JSON.stringify(Array.isArray(body) ? body.map(reply) : reply(body)));
      });
      const provider = new HttpJsonRpcProvider(url, 31337, { staticNetwork: true, batchMaxCount: 10, cacheTimeout: -1 });
      try {
        expect(await provider.getBlockNumber()).to.equal(16);
        expect(await Promise.all([provider.send("eth_chainId", []), provider.send("eth_blockNumber", [])])).to.deep.equal(["0x7a69", "0x10"]);
      } finally {
        provider.destroy();
      }
    });

    it("estimates gas against the pending block, where the transaction will run, not the latest one", async function () {
      const asked: unknown[][] = [];
      const url = await serve((body, _req, res) => {
        const b = body as { id: number; method: string; params: unknown[] };
        if (b.method === "eth_estimateGas") asked.push(b.params);
        res.end(JSON.stringify({ jsonrpc: "2.0", id: b.id, result: b.method === "eth_chainId" ? "0x7a69" : "0x5208" }));
      });
      const provider = new HttpJsonRpcProvider(url, 31337, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
      try {
        expect(await provider.estimateGas({ to: "0x0000000000000000000000000000000000000001", data: "0x" })).to.equal(21000n);
        expect(asked).to.have.length(1);
        expect(asked[0]).to.have.length(2);
        expect(asked[0]![1]).to.equal("pending");
      } finally {
        provider.destroy();
      }
    });

    it("fails with the transport's RpcError when the node is down, which counts as unreachable", async function () {
      const provider = new HttpJsonRpcProvider(await closedPort(), 31337, { staticNetwork: true, batchMaxCount: 1 });
      try {
        let failure: unknown;
        await provider.getBlockNumber().catch((err) => (failure = err));
        expect(isUnreachable(failure), String(failure)).to.equal(true);
        const wrapped = chainUnavailable(failure);
        expect([wrapped.code, wrapped.retryable, wrapped.cause]).to.deep.equal(["chain_unavailable", true, failure]);
        expect(isUnreachable(wrapped)).to.equal(true);
      } finally {
        provider.destroy();
      }
    });
  });

  describe("isUnreachable", function () {
    it("tells a node that cannot be reached from a refusal that is final", function () {
      expect(isUnreachable(new RpcError("rpc_error_reply", "execution reverted", 3))).to.equal(false);
      expect(isUnreachable(new AppError("unknown_meeting", "no meeting has id 9"))).to.equal(false);
      expect(isUnreachable(Object.assign(new RangeError("wrapped"), { code: "CALL_EXCEPTION" }))).to.equal(false);
      expect(isUnreachable({ code: "UNKNOWN_ERROR", error: { code: "ECONNRESET" } })).to.equal(true, "ethers wrapping a socket error");
      expect(isUnreachable({ code: "TIMEOUT" })).to.equal(true, "ethers' own timeout");
    });
  });
});
