/**
 * The start-up check of every service that reads the chain: the node serves the chain of the
 * deployment record, and each of the record's contracts has code there. A service started against
 * the wrong node or an outdated record stops at once with a message that says which, instead of
 * signing, relaying or following for a chain that does not know its contracts.
 */
import type { Deployment } from "./deployment.js";
import { redactUrl } from "./env-reader.js";
import { AppError } from "./errors.js";
import { chainUnavailable } from "./rpc.js";

/** What the check needs of a JSON-RPC client: ethers' providers and the query node's client have it. */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export interface ChainCheckOptions {
  /** The endpoint, for messages (a password in it is hidden). */
  rpcUrl: string;
  /** Tries while the node cannot be reached or answers an error (default 1); a mismatch is final at once. */
  attempts?: number;
  /** Pause between tries (default 500 ms). */
  retryDelayMs?: number;
}

/** Checks chain id and contract code against the record; throws `wrong_chain`, `no_contract` or `chain_unavailable`. */
export async function checkDeployedChain(rpc: RpcSender, deployment: Deployment, options: ChainCheckOptions): Promise<void> {
  const endpoint = redactUrl(options.rpcUrl);
  const attempts = Math.max(1, options.attempts ?? 1);
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 500));
    let chainId: bigint;
    const codes: Array<[name: string, address: string, code: unknown]> = [];
    try {
      chainId = BigInt((await rpc.send("eth_chainId", [])) as string);
      for (const [name, record] of Object.entries(deployment.contracts)) {
        codes.push([name, record.address, await rpc.send("eth_getCode", [record.address, "latest"])]);
      }
    } catch (err) {
      lastError = err;
      continue;
    }
    if (chainId !== BigInt(deployment.chainId)) {
      throw new AppError("wrong_chain", `JSON-RPC endpoint ${endpoint} serves chain ${chainId}, the deployment record is for chain ${deployment.chainId}`, {
        details: { expected: deployment.chainId, actual: Number(chainId) },
      });
    }
    for (const [name, address, code] of codes) {
      if (typeof code !== "string" || code === "0x" || code === "") {
        throw new AppError("no_contract", `no ${name} at ${address} on ${endpoint}`, { details: { contract: name, address } });
      }
    }
    return;
  }
  const why = lastError instanceof Error ? `: ${lastError.message.split("\n")[0]}` : "";
  throw chainUnavailable(lastError, `JSON-RPC endpoint ${endpoint} is unreachable${why}`);
}
