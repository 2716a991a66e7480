/**
 * Store values as graph-ts and graph-node know them (`ValueKind` of graph-ts' common/value.ts), in
 * their JavaScript form.
 */
import { AppError } from "#lib/errors.js";

export enum ValueKind {
  String = 0,
  Int = 1,
  BigDecimal = 2,
  Bool = 3,
  Array = 4,
  Null = 5,
  Bytes = 6,
  BigInt = 7,
  Int8 = 8,
  Timestamp = 9,
}

export type Value =
  | { kind: ValueKind.String; value: string }
  | { kind: ValueKind.Int; value: number }
  | { kind: ValueKind.BigDecimal; value: string }
  | { kind: ValueKind.Bool; value: boolean }
  | { kind: ValueKind.Array; value: Value[] }
  | { kind: ValueKind.Null; value: null }
  | { kind: ValueKind.Bytes; value: Uint8Array }
  | { kind: ValueKind.BigInt; value: bigint; /** graph-ts' bytes of the value, when known */ le?: Uint8Array }
  | { kind: ValueKind.Int8; value: bigint }
  | { kind: ValueKind.Timestamp; value: bigint };

/** An entity's fields, in the order the mapping set them. */
export type EntityData = Map<string, Value>;

export const NULL_VALUE: Value = { kind: ValueKind.Null, value: null };

export function bytesToHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function hexToBytes(hex: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new AppError("invalid_value", `not a hex string: ${hex}`);
  return new Uint8Array(Buffer.from(h, "hex"));
}

/** An entity id as the store keys it: a string for ID/String ids, 0x-hex for Bytes ids. */
export function idKey(value: Value): string {
  if (value.kind === ValueKind.String) return value.value;
  if (value.kind === ValueKind.Bytes) return bytesToHex(value.value);
  if (value.kind === ValueKind.Int8) return value.value.toString();
  throw new AppError("invalid_value", `an id must be a String, Bytes or Int8, got ${ValueKind[value.kind]}`);
}

/** The text graph-node and matchstick show for a value (used by assert.fieldEquals). */
export function valueToString(value: Value): string {
  switch (value.kind) {
    case ValueKind.String:
    case ValueKind.BigDecimal:
      return value.value;
    case ValueKind.Int:
    case ValueKind.BigInt:
    case ValueKind.Int8:
    case ValueKind.Timestamp:
      return value.value.toString();
    case ValueKind.Bool:
      return value.value ? "true" : "false";
    case ValueKind.Bytes:
      return bytesToHex(value.value);
    case ValueKind.Null:
      return "null";
    case ValueKind.Array:
      return "[" + value.value.map(valueToString).join(", ") + "]";
  }
}

const TWO_32 = 2 ** 32;

/** Two's-complement little-endian bytes of a bigint, as graph-ts' BigInt stores it (at least one byte). */
export function bigIntToLeBytes(n: bigint): Uint8Array {
  if (n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER)) {
    let v = Number(n);
    const out: number[] = [];
    do {
      out.push(v % 256);
      v = Math.floor(v / 256);
    } while (v > 0);
    // A leading 1 bit would read as negative: keep a zero byte on top.
    if (out[out.length - 1]! & 0x80) out.push(0);
    return Uint8Array.from(out);
  }
  if (n >= 0n) {
    let hex = n.toString(16);
    if (hex.length % 2 === 1) hex = "0" + hex;
    if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = "00" + hex;
    return Buffer.from(hex, "hex").reverse();
  }
  const out: number[] = [];
  let v = n;
  for (;;) {
    const byte = Number(v & 0xffn);
    out.push(byte);
    v >>= 8n;
    if (v === -1n && (byte & 0x80) !== 0) break;
  }
  return Uint8Array.from(out);
}

export function leBytesToBigInt(bytes: Uint8Array): bigint {
  const n = bytes.length;
  if (n === 0) return 0n;
  let v: bigint;
  if (n <= 8) {
    let lo = 0;
    let hi = 0;
    for (let i = Math.min(n, 4) - 1; i >= 0; i--) lo = lo * 256 + bytes[i]!;
    for (let i = n - 1; i >= 4; i--) hi = hi * 256 + bytes[i]!;
    v = n <= 6 ? BigInt(hi * TWO_32 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
  } else {
    v = BigInt("0x" + Buffer.from(bytes).reverse().toString("hex"));
  }
  return bytes[n - 1]! & 0x80 ? v - (1n << BigInt(8 * n)) : v;
}

/** A BigInt store value read from a mapping: the bigint is computed only if someone asks. */
class LazyBigIntValue {
  readonly kind = ValueKind.BigInt as const;
  private computed: bigint | undefined;

  constructor(readonly le: Uint8Array) {}

  get value(): bigint {
    return (this.computed ??= leBytesToBigInt(this.le));
  }
}

export function bigIntValueFromLe(le: Uint8Array): Value {
  return new LazyBigIntValue(le);
}
