/**
 * The graph-ts host functions (what graph-node links into a mapping): store, logging, conversions,
 * big-number arithmetic, crypto and data-source queries, over an AscMemory and a HostStore.
 */
import { getAddress, keccak256, encodeBase58 } from "ethers";
import { AscMemory, formatBigDecimal, parseBigDecimal } from "./asc-memory.js";
import { bytesToHex, type EntityData } from "./values.js";
import { AppError, type AppErrorOptions } from "#lib/errors.js";

/** What the mappings read and write through `store.*`. */
export interface HostStore {
  get(entityType: string, id: string): EntityData | null;
  getInBlock(entityType: string, id: string): EntityData | null;
  set(entityType: string, id: string, data: EntityData): void;
  remove(entityType: string, id: string): void;
}

export enum LogLevel {
  Critical = 0,
  Error = 1,
  Warning = 2,
  Info = 3,
  Debug = 4,
}

export interface HostContext {
  memory(): AscMemory;
  store: HostStore;
  log(level: LogLevel, message: string): void;
  dataSource?: { address: string; network: string };
}

/** A mapping called `abort`, `log.critical` or a host function with bad input: the handler fails. */
export class MappingError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("mapping_failed", message, options);
  }
}

type HostFn = (...args: number[]) => number | bigint | void;

const decimalScale = 34;

function divideDecimal(a: { digits: bigint; exp: number }, b: { digits: bigint; exp: number }) {
  if (b.digits === 0n) throw new MappingError("division by zero");
  const scaled = (a.digits * 10n ** BigInt(decimalScale)) / b.digits;
  return formatBigDecimal(scaled, a.exp - b.exp - decimalScale);
}

export function graphHostFunctions(ctx: HostContext): Record<string, HostFn> {
  const m = () => ctx.memory();
  const big = (p: number) => m().bigInt(p);
  const newBig = (n: bigint) => m().newBigInt(n);
  const dec = (p: number) => parseBigDecimal(m().bigDecimal(p));
  const newDec = (digits: bigint, exp: number) => m().newBigDecimal(formatBigDecimal(digits, exp));

  const functions: Record<string, HostFn> = {
    abort(messagePtr, filePtr, line, column) {
      const message = messagePtr ? m().string(messagePtr) : "abort";
      const file = filePtr ? m().string(filePtr) : "?";
      throw new MappingError(`Mapping aborted at ${file}, line ${line}, column ${column}, with message: ${message}`);
    },

    "store.get"(entityPtr, idPtr) {
      const data = ctx.store.get(m().string(entityPtr), m().string(idPtr));
      return data === null ? 0 : m().newEntity(data);
    },
    "store.get_in_block"(entityPtr, idPtr) {
      const data = ctx.store.getInBlock(m().string(entityPtr), m().string(idPtr));
      return data === null ? 0 : m().newEntity(data);
    },
    "store.set"(entityPtr, idPtr, dataPtr) {
      ctx.store.set(m().string(entityPtr), m().string(idPtr), m().entity(dataPtr));
    },
    "store.remove"(entityPtr, idPtr) {
      ctx.store.remove(m().string(entityPtr), m().string(idPtr));
    },

    "log.log"(level, messagePtr) {
      const message = m().string(messagePtr);
      ctx.log(level as LogLevel, message);
      if (level === LogLevel.Critical) throw new MappingError(`Critical error logged by the mapping: ${message}`);
    },

    "typeConversion.bytesToString"(p) {
      const text = new TextDecoder().decode(m().bytes(p)).replace(/\u0000/g, "");
      return m().newString(text);
    },
    "typeConversion.bytesToHex"(p) {
      return m().newString(bytesToHex(m().bytes(p)));
    },
    "typeConversion.bigIntToString"(p) {
      return m().newString(big(p).toString());
    },
    "typeConversion.bigIntToHex"(p) {
      const n = big(p);
      return m().newString(n < 0n ? "-0x" + (-n).toString(16) : "0x" + n.toString(16));
    },
    "typeConversion.stringToH160"(p) {
      const text = m().string(p);
      let address: string;
      try {
        address = getAddress(text.startsWith("0x") ? text : "0x" + text);
      } catch {
        throw new MappingError(`Failed to convert string to Address/H160: '${text}'`);
      }
      return m().newBytes(Uint8Array.from(Buffer.from(address.slice(2), "hex")));
    },
    "typeConversion.bytesToBase58"(p) {
      return m().newString(encodeBase58(m().bytes(p)));
    },

    "bigInt.plus": (a, b) => newBig(big(a) + big(b)),
    "bigInt.minus": (a, b) => newBig(big(a) - big(b)),
    "bigInt.times": (a, b) => newBig(big(a) * big(b)),
    "bigInt.dividedBy"(a, b) {
      const d = big(b);
      if (d === 0n) throw new MappingError("attempted to divide BigInt by zero");
      return newBig(big(a) / d);
    },
    "bigInt.dividedByDecimal"(a, b) {
      return m().newBigDecimal(divideDecimal({ digits: big(a), exp: 0 }, dec(b)));
    },
    "bigInt.mod"(a, b) {
      const d = big(b);
      if (d === 0n) throw new MappingError("attempted to calculate the remainder of a division by zero");
      return newBig(big(a) % d);
    },
    "bigInt.pow": (a, exp) => newBig(big(a) ** BigInt(exp)),
    "bigInt.fromString"(p) {
      const text = m().string(p);
      if (!/^-?\d+$/.test(text)) throw new MappingError(`Failed to parse BigInt from '${text}'`);
      return newBig(BigInt(text));
    },
    "bigInt.bitOr": (a, b) => newBig(big(a) | big(b)),
    "bigInt.bitAnd": (a, b) => newBig(big(a) & big(b)),
    "bigInt.leftShift": (a, bits) => newBig(big(a) << BigInt(bits & 0xff)),
    "bigInt.rightShift": (a, bits) => newBig(big(a) >> BigInt(bits & 0xff)),

    "bigDecimal.toString": (p) => m().newString(m().bigDecimal(p)),
    "bigDecimal.fromString"(p) {
      const text = m().string(p);
      try {
        return m().newBigDecimal(text);
      } catch {
        throw new MappingError(`Failed to parse BigDecimal from '${text}'`);
      }
    },
    "bigDecimal.plus"(a, b) {
      const x = dec(a);
      const y = dec(b);
      const e = Math.min(x.exp, y.exp);
      return newDec(x.digits * 10n ** BigInt(x.exp - e) + y.digits * 10n ** BigInt(y.exp - e), e);
    },
    "bigDecimal.minus"(a, b) {
      const x = dec(a);
      const y = dec(b);
      const e = Math.min(x.exp, y.exp);
      return newDec(x.digits * 10n ** BigInt(x.exp - e) - y.digits * 10n ** BigInt(y.exp - e), e);
    },
    "bigDecimal.times"(a, b) {
      const x = dec(a);
      const y = dec(b);
      return newDec(x.digits * y.digits, x.exp + y.exp);
    },
    "bigDecimal.dividedBy": (a, b) => m().newBigDecimal(divideDecimal(dec(a), dec(b))),
    "bigDecimal.equals"(a, b) {
      return m().bigDecimal(a) === m().bigDecimal(b) ? 1 : 0;
    },

    "crypto.keccak256": (p) => m().newBytes(Uint8Array.from(Buffer.from(keccak256(m().bytes(p)).slice(2), "hex"))),

    "dataSource.address"() {
      const address = ctx.dataSource?.address ?? "0x0000000000000000000000000000000000000000";
      return m().newBytes(Uint8Array.from(Buffer.from(address.slice(2), "hex")));
    },
    "dataSource.network": () => m().newString(ctx.dataSource?.network ?? "mainnet"),
    "dataSource.context": () => m().newEntity(new Map()),
  };
  return functions;
}

/** Host functions graph-node has that this node does not: linking succeeds, calling fails the handler. */
export function unsupported(name: string): HostFn {
  return () => {
    throw new MappingError(`host function ${name} is not supported by the embedded query node`);
  };
}

/** Builds a WebAssembly import object for a module, matching imports by name as graph-node does. */
export function linkImports(
  module: WebAssembly.Module,
  functions: Record<string, HostFn>,
): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function") continue;
    const fn = functions[imp.name] ?? unsupported(imp.name);
    (imports[imp.module] ??= {})[imp.name] = fn as WebAssembly.ImportValue;
  }
  return imports;
}
