/**
 * Decoding of event logs by their ABI (head/tail encoding), straight into the values the mapping
 * runtime writes as `ethereum.Value`s: addresses and bytes as raw bytes, integers as bigint.
 * An indexed parameter of a dynamic type is only its hash in a topic.
 */
import type { EventFragment, ParamType } from "ethers";
import { hexToBytes } from "./values.js";
import { AppError } from "#lib/errors.js";

/** The keccak hash a topic holds for an indexed string, bytes, array or tuple. */
export class TopicHash {
  constructor(readonly hash: Uint8Array) {}
}

export type Decoded = Uint8Array | bigint | boolean | string | TopicHash | Decoded[];

const utf8 = new TextDecoder();

function repeat(t: ParamType, n: number): ParamType[] {
  return Array.from({ length: n }, () => t);
}

function isDynamic(t: ParamType): boolean {
  if (t.baseType === "string" || t.baseType === "bytes") return true;
  if (t.baseType === "array") return t.arrayLength === -1 || isDynamic(t.arrayChildren!);
  if (t.baseType === "tuple") return t.components!.some(isDynamic);
  return false;
}

function headSize(t: ParamType): number {
  if (isDynamic(t)) return 32;
  if (t.baseType === "array") return t.arrayLength! * headSize(t.arrayChildren!);
  if (t.baseType === "tuple") return t.components!.reduce((n, c) => n + headSize(c), 0);
  return 32;
}

function word(buf: Uint8Array, pos: number): bigint {
  if (pos + 32 > buf.length) throw new AppError("abi_decode_failed", "ABI data too short");
  const view = new DataView(buf.buffer, buf.byteOffset + pos, 32);
  const low = view.getBigUint64(24);
  if (view.getUint32(0) === 0 && view.getUint32(4) === 0 && view.getBigUint64(8) === 0n && view.getBigUint64(16) === 0n) {
    return low;
  }
  return BigInt("0x" + Buffer.from(buf.buffer, buf.byteOffset + pos, 32).toString("hex"));
}

function offset(buf: Uint8Array, pos: number): number {
  const v = word(buf, pos);
  if (v > BigInt(buf.length)) throw new AppError("abi_decode_failed", "ABI offset out of range");
  return Number(v);
}

function decodeStatic(t: ParamType, buf: Uint8Array, pos: number): Decoded {
  // every static value takes a whole word; a cut-off address or bytesN must fail, not come out short
  if (pos + 32 > buf.length) throw new AppError("abi_decode_failed", "ABI data too short");
  const base = t.baseType;
  if (base === "address") return buf.slice(pos + 12, pos + 32);
  if (base === "bool") return word(buf, pos) !== 0n;
  if (base.startsWith("uint")) return word(buf, pos);
  if (base.startsWith("int")) return BigInt.asIntN(256, word(buf, pos));
  const fixed = /^bytes(\d+)$/.exec(base);
  if (fixed) return buf.slice(pos, pos + Number(fixed[1]));
  throw new AppError("unsupported_abi_type", `unsupported ABI type ${t.type}`);
}

/** Decodes a sequence (function arguments, tuple or array elements) starting at `start`. */
function decodeSequence(types: readonly ParamType[], buf: Uint8Array, start: number): Decoded[] {
  const out: Decoded[] = [];
  let pos = start;
  for (const t of types) {
    out.push(isDynamic(t) ? decodeAt(t, buf, start + offset(buf, pos)) : decodeInline(t, buf, pos));
    pos += headSize(t);
  }
  return out;
}

function decodeInline(t: ParamType, buf: Uint8Array, pos: number): Decoded {
  if (t.baseType === "tuple") return decodeSequence(t.components!, buf, pos);
  if (t.baseType === "array") return decodeSequence(repeat(t.arrayChildren!, t.arrayLength!), buf, pos);
  return decodeStatic(t, buf, pos);
}

/** A dynamic value whose encoding starts at `pos`. */
function decodeAt(t: ParamType, buf: Uint8Array, pos: number): Decoded {
  if (t.baseType === "string" || t.baseType === "bytes") {
    const length = Number(word(buf, pos));
    if (pos + 32 + length > buf.length) throw new AppError("abi_decode_failed", "ABI data too short");
    const bytes = buf.slice(pos + 32, pos + 32 + length);
    return t.baseType === "string" ? utf8.decode(bytes) : bytes;
  }
  if (t.baseType === "array") {
    if (t.arrayLength === -1) {
      const length = Number(word(buf, pos));
      if (length > buf.length) throw new AppError("abi_decode_failed", "ABI array length out of range");
      return decodeSequence(repeat(t.arrayChildren!, length), buf, pos + 32);
    }
    return decodeSequence(repeat(t.arrayChildren!, t.arrayLength!), buf, pos);
  }
  if (t.baseType === "tuple") return decodeSequence(t.components!, buf, pos);
  throw new AppError("unsupported_abi_type", `unsupported ABI type ${t.type}`);
}

/** The parameters of a log, in the order of the event's inputs. */
export function decodeEventLog(fragment: EventFragment, topics: readonly string[], data: string): Decoded[] {
  const indexed = fragment.inputs.filter((i) => i.indexed);
  const expectedTopics = indexed.length + (fragment.anonymous ? 0 : 1);
  if (topics.length !== expectedTopics) {
    throw new AppError("abi_decode_failed", `${fragment.name}: expected ${expectedTopics} topics, got ${topics.length}`);
  }
  const body = decodeSequence(
    fragment.inputs.filter((i) => !i.indexed),
    hexToBytes(data),
    0,
  );
  let topic = fragment.anonymous ? 0 : 1;
  let next = 0;
  return fragment.inputs.map((input) => {
    if (!input.indexed) return body[next++]!;
    const bytes = hexToBytes(topics[topic++]!);
    return isDynamic(input) || input.baseType === "tuple" || input.baseType === "array"
      ? new TopicHash(bytes)
      : decodeStatic(input, bytes, 0);
  });
}
