/**
 * Follows a chain over JSON-RPC block by block from a start block, up to the head minus a
 * confirmation depth. Each step either yields the next blocks (headers chained by parent hash, with
 * the data sources' logs and their transactions) or, when the chain no longer contains the cursor's
 * block, the common ancestor to revert to.
 */
import { JsonRpc, type RpcBlock, type RpcLog, type RpcTransaction } from "./rpc.js";
import type { BlockPtr } from "../store/store.js";

export interface ChainBlock {
  ptr: BlockPtr;
  header: RpcBlock;
  logs: RpcLog[];
  transactions: Map<string, RpcTransaction>;
}

export type StreamStep =
  | { kind: "blocks"; blocks: ChainBlock[] }
  | { kind: "revert"; to: BlockPtr | null }
  | { kind: "idle"; head: number };

export interface BlockStreamOptions {
  rpc: JsonRpc;
  addresses: string[];
  startBlock: number;
  confirmations: number;
  /** Most blocks fetched in one step. */
  maxBlocks: number;
  /** The stored block at a height, to find the common ancestor after a reorg. */
  storedBlock(number: number): BlockPtr | null;
}

const hex = (n: number) => "0x" + n.toString(16);

export function toPtr(block: RpcBlock): BlockPtr {
  return {
    number: Number(block.number),
    hash: block.hash.toLowerCase(),
    parentHash: block.parentHash.toLowerCase(),
    timestamp: Number(block.timestamp),
  };
}

export class BlockStream {
  constructor(private readonly options: BlockStreamOptions) {}

  async next(cursor: BlockPtr | null): Promise<StreamStep> {
    const { rpc, confirmations, maxBlocks, startBlock } = this.options;
    const head = Number(await rpc.call<string>("eth_blockNumber"));
    if (cursor !== null) {
      const canonical = await rpc.call<RpcBlock | null>("eth_getBlockByNumber", [hex(cursor.number), false]);
      if (canonical === null || canonical.hash.toLowerCase() !== cursor.hash) {
        return { kind: "revert", to: await this.commonAncestor(cursor.number - 1) };
      }
    }
    const from = cursor === null ? startBlock : cursor.number + 1;
    const to = Math.min(head - confirmations, from + maxBlocks - 1);
    if (to < from) return { kind: "idle", head };

    const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const [headers, logs] = await Promise.all([
      rpc.batch<RpcBlock | null>(numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [hex(n), false] }))),
      rpc.call<RpcLog[]>("eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(to), address: this.options.addresses }]),
    ]);
    // The chain must link up from the cursor; otherwise it changed under us and the next step sees it.
    let parent = cursor?.hash ?? null;
    for (const header of headers) {
      if (header === null) return { kind: "idle", head };
      if (parent !== null && header.parentHash.toLowerCase() !== parent) return { kind: "idle", head };
      parent = header.hash.toLowerCase();
    }
    const byHash = new Map<string, ChainBlock>();
    const blocks = headers.map((header) => {
      const block: ChainBlock = { ptr: toPtr(header!), header: header!, logs: [], transactions: new Map() };
      byHash.set(block.ptr.hash, block);
      return block;
    });
    for (const log of logs) {
      if (log.removed) continue;
      const block = byHash.get(log.blockHash.toLowerCase());
      if (!block) return { kind: "idle", head };
      block.logs.push(log);
    }
    const withLogs = blocks.filter((b) => b.logs.length > 0);
    const full = await rpc.batch<RpcBlock | null>(
      withLogs.map((b) => ({ method: "eth_getBlockByHash", params: [b.ptr.hash, true] })),
    );
    for (let i = 0; i < withLogs.length; i++) {
      const block = withLogs[i]!;
      if (full[i] === null) return { kind: "idle", head };
      for (const tx of full[i]!.transactions as RpcTransaction[]) block.transactions.set(tx.hash.toLowerCase(), tx);
      block.logs.sort((a, b) => Number(a.logIndex) - Number(b.logIndex));
    }
    return { kind: "blocks", blocks };
  }

  /** The highest stored block at or below `number` that is still on the chain. */
  private async commonAncestor(number: number): Promise<BlockPtr | null> {
    for (let n = number; n >= 0; n--) {
      const stored = this.options.storedBlock(n);
      if (stored === null) {
        if (n < this.options.startBlock) return null;
        continue;
      }
      const canonical = await this.options.rpc.call<RpcBlock | null>("eth_getBlockByNumber", [hex(n), false]);
      if (canonical !== null && canonical.hash.toLowerCase() === stored.hash) return stored;
    }
    return null;
  }
}
