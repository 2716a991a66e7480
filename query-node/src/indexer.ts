/**
 * The indexer: takes blocks from the block stream, runs each log of a data source through its
 * handler, commits every block's entity changes with the block's pointer as the cursor, reverts
 * abandoned blocks on a reorg, and stops at the first mapping error, recording it for `_meta`.
 */
import { decodeEventLog } from "./runtime/abi-decode.js";
import { BlockStream, type ChainBlock } from "./chain/block-stream.js";
import { MappingRuntime, type Trigger } from "./runtime/mapping-runtime.js";
import type { Subgraph, DataSource, EventHandler } from "./runtime/manifest.js";
import { JsonRpc } from "./chain/rpc.js";
import type { BlockPtr, IndexingError, SubgraphStore } from "./store/store.js";
import { LogLevel } from "./runtime/host-functions.js";
import { AppError } from "#lib/errors.js";

/** A handler that failed on a log: which handler, and where (recorded in `_meta` as the indexing error). */
export class HandlerError extends AppError {
  constructor(
    readonly handler: string,
    message: string,
    cause: unknown,
  ) {
    super("handler_failed", message, { cause, details: { handler } });
  }
}

export interface IndexerOptions {
  rpcUrl: string;
  /** Blocks behind the head that are left unindexed until they have this many confirmations. */
  confirmations?: number;
  /** Most blocks fetched and committed in one step. */
  maxBlocks?: number;
  /** Pause between polls when the index is at the head, in ms. */
  pollIntervalMs?: number;
  log?: (entry: { msg: string; [key: string]: unknown }) => void;
}

export interface IndexerStats {
  blocks: number;
  triggers: number;
  /** Time spent fetching blocks and logs over JSON-RPC, in ms. */
  fetchMs: number;
  /** Time spent running mappings and writing the store, in ms. */
  processMs: number;
}

export class Indexer {
  readonly stats: IndexerStats = { blocks: 0, triggers: 0, fetchMs: 0, processMs: 0 };
  private readonly stream: BlockStream;
  private readonly runtime: MappingRuntime;
  private readonly routes = new Map<string, { dataSource: DataSource; handler: EventHandler }>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly log: NonNullable<IndexerOptions["log"]>;
  private readonly rpc: JsonRpc;

  constructor(
    readonly subgraph: Subgraph,
    readonly store: SubgraphStore,
    readonly options: IndexerOptions,
  ) {
    this.log = options.log ?? (() => {});
    const startBlock = Math.min(...subgraph.dataSources.map((ds) => ds.startBlock));
    this.rpc = new JsonRpc(options.rpcUrl);
    this.stream = new BlockStream({
      rpc: this.rpc,
      addresses: subgraph.dataSources.map((ds) => ds.address),
      startBlock,
      confirmations: options.confirmations ?? 0,
      maxBlocks: options.maxBlocks ?? 100,
      storedBlock: (n) => store.blockByNumber(n),
    });
    for (const ds of subgraph.dataSources) {
      for (const handler of ds.handlers) this.routes.set(`${ds.address.toLowerCase()}:${handler.topic0}`, { dataSource: ds, handler });
    }
    this.runtime = new MappingRuntime(subgraph.dataSources, store, (level, message) => {
      if (level <= LogLevel.Warning) this.log({ msg: "mapping log", level: LogLevel[level], message });
    });
    store.setMeta("deployment", subgraph.deployment);
  }

  get cursor(): BlockPtr | null {
    return this.store.cursor();
  }

  /**
   * One step: revert, index the next blocks, or nothing (at the head, or stopped by an error).
   * Returns what it did.
   */
  async step(): Promise<"indexed" | "reverted" | "idle" | "failed"> {
    if (this.store.fatalError() !== null) return "failed";
    const fetchStarted = performance.now();
    const step = await this.stream.next(this.store.cursor());
    this.stats.fetchMs += performance.now() - fetchStarted;
    if (step.kind === "idle") return "idle";
    if (step.kind === "revert") {
      this.log({ msg: "reorg: reverting", to: step.to?.number ?? null });
      this.store.revertTo(step.to);
      return "reverted";
    }
    const processStarted = performance.now();
    const failure = this.indexBlocks(step.blocks);
    this.stats.processMs += performance.now() - processStarted;
    if (failure !== null) {
      this.store.setFatalError(failure);
      this.log({ msg: "indexing stopped by a mapping error", block: failure.block.number, error: failure.message });
      return "failed";
    }
    return "indexed";
  }

  private indexBlocks(blocks: ChainBlock[]): IndexingError | null {
    let failure: IndexingError | null = null;
    this.store.transaction(() => {
      for (const block of blocks) {
        try {
          this.runBlock(block);
          this.store.commitBlock(block.ptr);
        } catch (err) {
          this.store.discardBlock();
          failure = { message: (err as Error).message, block: block.ptr, handler: err instanceof HandlerError ? err.handler : undefined };
          return;
        }
        this.stats.blocks++;
      }
    });
    return failure;
  }

  private runBlock(block: ChainBlock): void {
    this.runtime.startBlock();
    const perTransaction = new Map<string, number>();
    for (const log of block.logs) {
      const route = this.routes.get(`${log.address.toLowerCase()}:${log.topics[0]}`);
      const txHash = log.transactionHash.toLowerCase();
      const transactionLogIndex = perTransaction.get(txHash) ?? 0;
      perTransaction.set(txHash, transactionLogIndex + 1);
      if (!route || block.ptr.number < route.dataSource.startBlock) continue;
      const args = decodeEventLog(route.handler.fragment, log.topics, log.data);
      const trigger: Trigger = { dataSource: route.dataSource, handler: route.handler, log, args };
      try {
        this.runtime.run(trigger, block.header, block.transactions.get(txHash), transactionLogIndex);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new HandlerError(route.handler.handler, `${route.handler.handler} (log ${Number(log.logIndex)} of transaction ${log.transactionHash}): ${message}`, err);
      }
      this.stats.triggers++;
    }
  }

  /** Indexes until the head (minus confirmations) is reached; for tests and benchmarks. */
  async syncToHead(): Promise<BlockPtr | null> {
    for (;;) {
      const result = await this.step();
      if (result === "idle" || result === "failed") return this.store.cursor();
    }
  }

  /** Follows the chain until `stop()`. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    const pollIntervalMs = this.options.pollIntervalMs ?? 500;
    this.running = (async () => {
      while (!this.stopping) {
        let result: Awaited<ReturnType<Indexer["step"]>>;
        try {
          result = await this.step();
        } catch (err) {
          this.log({ msg: "indexing step failed; retrying", error: (err as Error).message });
          result = "idle";
        }
        if (result === "idle" || result === "failed") {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollIntervalMs);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = null;
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
    // Closes the idle connections to the node; a later start opens new ones.
    this.rpc.close();
  }
}
