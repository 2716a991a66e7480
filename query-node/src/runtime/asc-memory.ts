/**
 * Reading and writing AssemblyScript 0.19 objects in a mapping's linear memory, the layout graph-node
 * uses with the stub runtime: a 20-byte header before each object, with the class id at -8 and the
 * payload size at -4; strings in UTF-16; typed arrays and arrays as views on an ArrayBuffer.
 */
import { bigIntToLeBytes, bigIntValueFromLe, leBytesToBigInt, ValueKind, type EntityData, type Value } from "./values.js";
import { AppError } from "#lib/errors.js";

/** graph-ts `TypeId`: the discriminants `id_of_type` maps to class ids. */
export enum TypeId {
  String = 0,
  ArrayBuffer = 1,
  Uint8Array = 6,
  BigDecimal = 12,
  ArrayBool = 13,
  ArrayUint8Array = 14,
  ArrayEthereumValue = 15,
  ArrayStoreValue = 16,
  ArrayString = 18,
  ArrayEventParam = 19,
  ArrayTypedMapEntryStringStoreValue = 21,
  EventParam = 23,
  EthereumTransaction = 24,
  EthereumBlock = 25,
  EthereumValue = 30,
  StoreValue = 31,
  EthereumEvent = 33,
  TypedMapEntryStringStoreValue = 34,
  TypedMapStringStoreValue = 36,
  TransactionReceipt = 1000,
  Log = 1001,
}

export interface AscExports {
  memory: WebAssembly.Memory;
  __new(size: number, id: number): number;
  id_of_type(typeId: number): number;
}

const utf16 = new TextDecoder("utf-16le");

export class AscMemory {
  private readonly classIds = new Map<number, number>();
  /** Strings never change and the stub runtime never frees memory, so a pointer names one string. */
  private readonly strings = new Map<number, string>();
  private readonly interned = new Map<string, number>();
  private u8: Uint8Array;
  private view: DataView;
  private buffer: ArrayBuffer;

  constructor(private readonly exports: AscExports) {
    this.buffer = exports.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** Growing the memory detaches the old buffer; take the new one then. */
  private refresh(): void {
    if (this.buffer.byteLength === 0) {
      this.buffer = this.exports.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.view = new DataView(this.buffer);
    }
  }

  private ensure(): void {
    if (this.buffer.byteLength === 0) this.refresh();
  }

  classId(typeId: TypeId): number {
    let id = this.classIds.get(typeId);
    if (id === undefined) {
      id = this.exports.id_of_type(typeId);
      this.classIds.set(typeId, id);
    }
    return id;
  }

  // ------------------------------------------------------------------ reading

  u32(ptr: number): number {
    this.ensure();
    return this.view.getUint32(ptr, true);
  }

  i32(ptr: number): number {
    this.ensure();
    return this.view.getInt32(ptr, true);
  }

  i64(ptr: number): bigint {
    this.ensure();
    return this.view.getBigInt64(ptr, true);
  }

  f64(ptr: number): number {
    this.ensure();
    return this.view.getFloat64(ptr, true);
  }

  rtId(ptr: number): number {
    return this.u32(ptr - 8);
  }

  rtSize(ptr: number): number {
    return this.u32(ptr - 4);
  }

  string(ptr: number): string {
    if (ptr === 0) throw new AppError("invalid_value", "null string");
    let s = this.strings.get(ptr);
    if (s === undefined) {
      const size = this.rtSize(ptr);
      s = utf16.decode(this.u8.subarray(ptr, ptr + size));
      this.strings.set(ptr, s);
    }
    return s;
  }

  nullableString(ptr: number): string | null {
    return ptr === 0 ? null : this.string(ptr);
  }

  /** A copy of a Uint8Array's bytes (Bytes, Address, BigInt). */
  bytes(ptr: number): Uint8Array {
    const dataStart = this.u32(ptr + 4);
    const byteLength = this.u32(ptr + 8);
    return this.u8.slice(dataStart, dataStart + byteLength);
  }

  bigInt(ptr: number): bigint {
    return leBytesToBigInt(this.bytes(ptr));
  }

  /** The 32-bit elements of an Array (pointers or i32). */
  arrayU32(ptr: number): number[] {
    const dataStart = this.u32(ptr + 4);
    const length = this.i32(ptr + 12);
    const out = new Array<number>(length);
    for (let i = 0; i < length; i++) out[i] = this.u32(dataStart + 4 * i);
    return out;
  }

  arrayBool(ptr: number): boolean[] {
    const dataStart = this.u32(ptr + 4);
    const length = this.i32(ptr + 12);
    return Array.from({ length }, (_, i) => this.u8[dataStart + i] !== 0);
  }

  stringArray(ptr: number): string[] {
    return this.arrayU32(ptr).map((p) => this.string(p));
  }

  bigDecimal(ptr: number): string {
    const digits = this.bigInt(this.u32(ptr));
    const exp = Number(this.bigInt(this.u32(ptr + 4)));
    return formatBigDecimal(digits, exp);
  }

  /** A store `Value` { kind: i32, data: u64 }. */
  storeValue(ptr: number): Value {
    const kind = this.i32(ptr) as ValueKind;
    const payload = ptr + 8;
    switch (kind) {
      case ValueKind.String:
        return { kind, value: this.string(this.u32(payload)) };
      case ValueKind.Int:
        return { kind, value: this.i32(payload) };
      case ValueKind.BigDecimal:
        return { kind, value: this.bigDecimal(this.u32(payload)) };
      case ValueKind.Bool:
        return { kind, value: this.i32(payload) !== 0 };
      case ValueKind.Array:
        return { kind, value: this.arrayU32(this.u32(payload)).map((p) => this.storeValue(p)) };
      case ValueKind.Null:
        return { kind, value: null };
      case ValueKind.Bytes:
        return { kind, value: this.bytes(this.u32(payload)) };
      case ValueKind.BigInt:
        return bigIntValueFromLe(this.bytes(this.u32(payload)));
      case ValueKind.Int8:
      case ValueKind.Timestamp:
        return { kind, value: this.i64(payload) };
      default:
        throw new AppError("invalid_value", `unknown store value kind ${kind as number}`);
    }
  }

  /** An `Entity` (TypedMap<string, Value>). */
  entity(ptr: number): EntityData {
    const data: EntityData = new Map();
    for (const entry of this.arrayU32(this.u32(ptr))) {
      data.set(this.string(this.u32(entry)), this.storeValue(this.u32(entry + 4)));
    }
    return data;
  }

  // ------------------------------------------------------------------ writing

  private alloc(size: number, typeId: TypeId): number {
    const ptr = this.exports.__new(size, this.classId(typeId));
    this.refresh();
    return ptr;
  }

  private allocRaw(size: number, classId: number): number {
    const ptr = this.exports.__new(size, classId);
    this.refresh();
    return ptr;
  }

  /** A string in memory; equal strings share one object, which is safe as strings are immutable. */
  newString(s: string): number {
    const existing = this.interned.get(s);
    if (existing !== undefined) return existing;
    const ptr = this.alloc(s.length * 2, TypeId.String);
    for (let i = 0; i < s.length; i++) this.view.setUint16(ptr + 2 * i, s.charCodeAt(i), true);
    this.strings.set(ptr, s);
    if (s.length <= 128) this.interned.set(s, ptr);
    return ptr;
  }

  private newArrayBuffer(bytes: Uint8Array): number {
    const ptr = this.alloc(bytes.length, TypeId.ArrayBuffer);
    this.u8.set(bytes, ptr);
    return ptr;
  }

  /** A Uint8Array (also Bytes, Address and BigInt). */
  newBytes(bytes: Uint8Array): number {
    const buffer = this.newArrayBuffer(bytes);
    const ptr = this.alloc(12, TypeId.Uint8Array);
    this.view.setUint32(ptr, buffer, true);
    this.view.setUint32(ptr + 4, buffer, true);
    this.view.setUint32(ptr + 8, bytes.length, true);
    return ptr;
  }

  newBigInt(n: bigint): number {
    return this.newBytes(bigIntToLeBytes(n));
  }

  /** An Array of 32-bit elements (pointers). */
  newArrayU32(typeId: TypeId, elements: readonly number[]): number {
    const raw = new Uint8Array(elements.length * 4);
    const dv = new DataView(raw.buffer);
    elements.forEach((e, i) => dv.setUint32(4 * i, e, true));
    const buffer = this.newArrayBuffer(raw);
    const ptr = this.alloc(16, typeId);
    this.view.setUint32(ptr, buffer, true);
    this.view.setUint32(ptr + 4, buffer, true);
    this.view.setUint32(ptr + 8, raw.length, true);
    this.view.setUint32(ptr + 12, elements.length, true);
    return ptr;
  }

  newBigDecimal(text: string): number {
    const { digits, exp } = parseBigDecimal(text);
    const d = this.newBigInt(digits);
    const e = this.newBigInt(BigInt(exp));
    const ptr = this.alloc(8, TypeId.BigDecimal);
    this.view.setUint32(ptr, d, true);
    this.view.setUint32(ptr + 4, e, true);
    return ptr;
  }

  /** A { kind: i32, data: u64 } value object (store or ethereum). */
  newKindValue(typeId: TypeId, kind: number, data: bigint | number): number {
    const ptr = this.alloc(16, typeId);
    this.view.setInt32(ptr, kind, true);
    this.view.setBigUint64(ptr + 8, BigInt.asUintN(64, BigInt(data)), true);
    return ptr;
  }

  newStoreValue(value: Value): number {
    let data: bigint | number;
    switch (value.kind) {
      case ValueKind.String:
        data = this.newString(value.value);
        break;
      case ValueKind.Int:
        data = value.value;
        break;
      case ValueKind.BigDecimal:
        data = this.newBigDecimal(value.value);
        break;
      case ValueKind.Bool:
        data = value.value ? 1 : 0;
        break;
      case ValueKind.Array:
        data = this.newArrayU32(
          TypeId.ArrayStoreValue,
          value.value.map((v) => this.newStoreValue(v)),
        );
        break;
      case ValueKind.Null:
        data = 0;
        break;
      case ValueKind.Bytes:
        data = this.newBytes(value.value);
        break;
      case ValueKind.BigInt:
        data = value.le ? this.newBytes(value.le) : this.newBigInt(value.value);
        break;
      case ValueKind.Int8:
      case ValueKind.Timestamp:
        data = value.value;
        break;
    }
    return this.newKindValue(TypeId.StoreValue, value.kind, data);
  }

  newEntity(data: EntityData): number {
    const entries: number[] = [];
    for (const [key, value] of data) {
      const k = this.newString(key);
      const v = this.newStoreValue(value);
      const entry = this.alloc(8, TypeId.TypedMapEntryStringStoreValue);
      this.view.setUint32(entry, k, true);
      this.view.setUint32(entry + 4, v, true);
      entries.push(entry);
    }
    const array = this.newArrayU32(TypeId.ArrayTypedMapEntryStringStoreValue, entries);
    const ptr = this.alloc(4, TypeId.TypedMapStringStoreValue);
    this.view.setUint32(ptr, array, true);
    return ptr;
  }

  /** An object of 32-bit fields (pointers), allocated with a class of graph-ts' TypeId. */
  newObject(typeId: TypeId, fields: readonly number[]): number {
    const ptr = this.alloc(fields.length * 4, typeId);
    fields.forEach((f, i) => this.view.setUint32(ptr + 4 * i, f, true));
    return ptr;
  }

  newObjectOfClass(classId: number, fields: readonly number[]): number {
    const ptr = this.allocRaw(fields.length * 4, classId);
    fields.forEach((f, i) => this.view.setUint32(ptr + 4 * i, f, true));
    return ptr;
  }
}

export function formatBigDecimal(digits: bigint, exp: number): string {
  if (digits === 0n) return "0";
  const negative = digits < 0n;
  let s = (negative ? -digits : digits).toString();
  if (exp >= 0) s = s + "0".repeat(exp);
  else {
    const point = s.length + exp;
    s = point > 0 ? s.slice(0, point) + "." + s.slice(point) : "0." + "0".repeat(-point) + s;
    s = s.replace(/\.?0+$/, "");
  }
  return (negative ? "-" : "") + s;
}

export function parseBigDecimal(text: string): { digits: bigint; exp: number } {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new AppError("invalid_value", `not a decimal number: ${text}`);
  const int = m[2] ?? "";
  const frac = m[3] ?? "";
  let digits = BigInt((int + frac).replace(/^0+(?=\d)/, "") || "0");
  let exp = -frac.length + Number(m[4] ?? 0);
  if (digits === 0n) return { digits: 0n, exp: 0 };
  while (digits % 10n === 0n) {
    digits /= 10n;
    exp += 1;
  }
  return { digits: m[1] === "-" ? -digits : digits, exp };
}
