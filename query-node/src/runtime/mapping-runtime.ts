/**
 * Runs the compiled mappings: one WebAssembly module per data source, a fresh instance per block
 * (the stub runtime never frees memory), the graph-ts host functions linked in, and each log passed
 * to its handler as an `ethereum.Event` written into the instance's memory.
 */
import type { ParamType } from "ethers";
import { TopicHash, type Decoded } from "./abi-decode.js";
import { AscMemory, TypeId, type AscExports } from "./asc-memory.js";
import { MappingError, graphHostFunctions, linkImports, type HostStore, type LogLevel } from "./host-functions.js";
import type { DataSource, EventHandler } from "./manifest.js";
import type { RpcBlock, RpcLog, RpcTransaction } from "../chain/rpc.js";
import { hexToBytes } from "./values.js";
import { AppError } from "#lib/errors.js";

enum EthereumValueKind {
  Address = 0,
  FixedBytes = 1,
  Bytes = 2,
  Int = 3,
  Uint = 4,
  Bool = 5,
  String = 6,
  FixedArray = 7,
  Array = 8,
  Tuple = 9,
}

export interface Trigger {
  dataSource: DataSource;
  handler: EventHandler;
  log: RpcLog;
  args: Decoded[];
}

interface Instance {
  exports: AscExports & Record<string, unknown>;
  memory: AscMemory;
  block: number;
  blockPtr: number;
  txPtrs: Map<string, number>;
}

export class MappingRuntime {
  private readonly modules = new Map<string, WebAssembly.Module>();
  private readonly instances = new Map<string, Instance>();
  private current: Instance | null = null;

  constructor(
    readonly dataSources: DataSource[],
    private readonly store: HostStore,
    private readonly log: (level: LogLevel, message: string) => void = () => {},
  ) {
    for (const ds of dataSources) this.modules.set(ds.name, new WebAssembly.Module(ds.wasm));
  }

  /** Drops the instances of the previous block. */
  startBlock(): void {
    this.instances.clear();
  }

  private instance(ds: DataSource, block: number): Instance {
    const existing = this.instances.get(ds.name);
    if (existing && existing.block === block) return existing;
    const module = this.modules.get(ds.name)!;
    const functions = graphHostFunctions({
      memory: () => this.current!.memory,
      store: this.store,
      log: this.log,
      dataSource: { address: ds.address, network: ds.network },
    });
    const wasm = new WebAssembly.Instance(module, linkImports(module, functions));
    const exports = wasm.exports as unknown as Instance["exports"];
    const instance: Instance = { exports, memory: new AscMemory(exports), block, blockPtr: 0, txPtrs: new Map() };
    this.current = instance;
    (exports._start as () => void)();
    this.instances.set(ds.name, instance);
    return instance;
  }

  run(trigger: Trigger, block: RpcBlock, transaction: RpcTransaction | undefined, transactionLogIndex: number): void {
    const instance = this.instance(trigger.dataSource, Number(block.number));
    this.current = instance;
    const m = instance.memory;
    if (instance.blockPtr === 0) instance.blockPtr = this.writeBlock(m, block);
    const txHash = trigger.log.transactionHash.toLowerCase();
    let txPtr = instance.txPtrs.get(txHash);
    if (txPtr === undefined) {
      txPtr = this.writeTransaction(m, trigger.log, transaction);
      instance.txPtrs.set(txHash, txPtr);
    }
    const params = trigger.handler.fragment.inputs.map((input, i) =>
      m.newObject(TypeId.EventParam, [m.newString(input.name), this.writeValue(m, input, trigger.args[i])]),
    );
    const event = m.newObject(TypeId.EthereumEvent, [
      m.newBytes(hexToBytes(trigger.log.address)),
      m.newBigInt(BigInt(trigger.log.logIndex)),
      m.newBigInt(BigInt(transactionLogIndex)),
      0,
      instance.blockPtr,
      txPtr,
      m.newArrayU32(TypeId.ArrayEventParam, params),
      0,
    ]);
    const handler = instance.exports[trigger.handler.handler] as ((ptr: number) => void) | undefined;
    if (typeof handler !== "function") throw new MappingError(`the mapping exports no handler ${trigger.handler.handler}`);
    handler(event);
  }

  private writeBlock(m: AscMemory, b: RpcBlock): number {
    const bytes = (h: string | undefined) => m.newBytes(hexToBytes(h ?? "0x"));
    const big = (h: string | undefined) => m.newBigInt(BigInt(h ?? "0x0"));
    return m.newObject(TypeId.EthereumBlock, [
      bytes(b.hash),
      bytes(b.parentHash),
      bytes(b.sha3Uncles),
      bytes(b.miner),
      bytes(b.stateRoot),
      bytes(b.transactionsRoot),
      bytes(b.receiptsRoot),
      big(b.number),
      big(b.gasUsed),
      big(b.gasLimit),
      big(b.timestamp),
      big(b.difficulty),
      big(b.totalDifficulty),
      b.size === undefined ? 0 : big(b.size),
      b.baseFeePerGas === undefined ? 0 : big(b.baseFeePerGas),
    ]);
  }

  private writeTransaction(m: AscMemory, log: RpcLog, tx: RpcTransaction | undefined): number {
    const bytes = (h: string) => m.newBytes(hexToBytes(h));
    const big = (h: string | undefined) => m.newBigInt(BigInt(h ?? "0x0"));
    return m.newObject(TypeId.EthereumTransaction, [
      bytes(log.transactionHash),
      big(log.transactionIndex),
      bytes(tx?.from ?? "0x0000000000000000000000000000000000000000"),
      tx?.to ? bytes(tx.to) : 0,
      big(tx?.value),
      big(tx?.gas),
      big(tx?.gasPrice),
      bytes(tx?.input ?? "0x"),
      big(tx?.nonce),
    ]);
  }

  /** An ABI-decoded value as an `ethereum.Value`. */
  private writeValue(m: AscMemory, type: ParamType, value: Decoded): number {
    const V = (kind: EthereumValueKind, data: number) => m.newKindValue(TypeId.EthereumValue, kind, data);
    if (value instanceof TopicHash) return V(EthereumValueKind.FixedBytes, m.newBytes(value.hash));
    const base = type.baseType;
    if (base === "address") return V(EthereumValueKind.Address, m.newBytes(value as Uint8Array));
    if (base === "bool") return V(EthereumValueKind.Bool, value ? 1 : 0);
    if (base === "string") return V(EthereumValueKind.String, m.newString(value as string));
    if (base === "bytes") return V(EthereumValueKind.Bytes, m.newBytes(value as Uint8Array));
    if (/^bytes\d+$/.test(base)) return V(EthereumValueKind.FixedBytes, m.newBytes(value as Uint8Array));
    if (base.startsWith("uint")) return V(EthereumValueKind.Uint, m.newBigInt(value as bigint));
    if (base.startsWith("int")) return V(EthereumValueKind.Int, m.newBigInt(value as bigint));
    if (base === "array") {
      const items = (value as Decoded[]).map((v) => this.writeValue(m, type.arrayChildren!, v));
      const kind = type.arrayLength === -1 ? EthereumValueKind.Array : EthereumValueKind.FixedArray;
      return V(kind, m.newArrayU32(TypeId.ArrayEthereumValue, items));
    }
    if (base === "tuple") {
      const items = type.components!.map((c, i) => this.writeValue(m, c, (value as Decoded[])[i]!));
      return V(EthereumValueKind.Tuple, m.newArrayU32(TypeId.ArrayEthereumValue, items));
    }
    throw new AppError("unsupported_abi_type", `unsupported ABI type ${type.type}`);
  }
}
