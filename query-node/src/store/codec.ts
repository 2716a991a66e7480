/**
 * How entity values are stored in SQLite columns: typed so that filters and ordering run in SQL.
 * BigInt is a BLOB whose byte order is numeric order (sign and length prefix, then magnitude),
 * Bytes a BLOB, Int/Int8/Timestamp/Boolean INTEGER, String/ID/enums TEXT, lists JSON text.
 */
import type { FieldDef, ScalarName } from "./subgraph-schema.js";
import { bytesToHex, hexToBytes, ValueKind, type Value } from "../runtime/values.js";
import { AppError } from "#lib/errors.js";

export type SqlValue = string | number | bigint | Uint8Array | null;

const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

export function sqlType(field: FieldDef): string {
  if (field.list) return "TEXT";
  switch (field.scalar) {
    case "Bytes":
    case "BigInt":
      return "BLOB";
    case "Int":
    case "Int8":
    case "Timestamp":
    case "Boolean":
      return "INTEGER";
    default:
      return "TEXT";
  }
}

/** The stored form of a non-negative BigInt given as graph-ts' little-endian two's-complement bytes. */
function encodeLeBytes(le: Uint8Array): Buffer | null {
  if (le.length === 0) return Buffer.from([0x80]);
  if (le[le.length - 1]! & 0x80) return null;
  let top = le.length - 1;
  while (top >= 0 && le[top] === 0) top--;
  const out = Buffer.allocUnsafe(top + 2);
  out[0] = 0x80 + top + 1;
  for (let i = 0; i <= top; i++) out[i + 1] = le[top - i]!;
  return out;
}

export function encodeBigInt(n: bigint): Buffer {
  const negative = n < 0n;
  let hex = n === 0n ? "" : (negative ? -n : n).toString(16);
  if (hex.length % 2) hex = "0" + hex;
  const length = hex.length / 2;
  if (length > 126) throw new AppError("value_too_large", "BigInt too large to store");
  const out = Buffer.allocUnsafe(1 + length);
  out.write(hex, 1, "hex");
  if (!negative) {
    out[0] = 0x80 + length;
    return out;
  }
  out[0] = 0x7f - length;
  for (let i = 1; i <= length; i++) out[i] = ~out[i]! & 0xff;
  return out;
}

export function decodeBigInt(buf: Uint8Array): bigint {
  const prefix = buf[0]!;
  if (prefix >= 0x80) {
    const len = prefix - 0x80;
    return len === 0 ? 0n : BigInt("0x" + Buffer.from(buf.subarray(1, 1 + len)).toString("hex"));
  }
  const len = 0x7f - prefix;
  const magnitude = Buffer.from(buf.subarray(1, 1 + len));
  for (let i = 0; i < magnitude.length; i++) magnitude[i] = ~magnitude[i]! & 0xff;
  return -BigInt("0x" + magnitude.toString("hex"));
}

const SCALAR_KIND: Record<ScalarName, ValueKind> = {
  ID: ValueKind.String,
  String: ValueKind.String,
  Bytes: ValueKind.Bytes,
  BigInt: ValueKind.BigInt,
  BigDecimal: ValueKind.BigDecimal,
  Int: ValueKind.Int,
  Int8: ValueKind.Int8,
  Boolean: ValueKind.Bool,
  Timestamp: ValueKind.Timestamp,
};

export function valueKindOf(field: FieldDef): ValueKind {
  return SCALAR_KIND[field.scalar];
}

/** A store value to its column value; throws when the value does not fit the field's type. */
export function toColumn(field: FieldDef, value: Value): SqlValue {
  if (value.kind === ValueKind.Null) return null;
  if (field.list) {
    if (value.kind !== ValueKind.Array) throw new AppError("wrong_value_kind", `expected a list, got ${ValueKind[value.kind]}`);
    return JSON.stringify(value.value.map((v) => toJsonElement(field, v)));
  }
  const expected = SCALAR_KIND[field.scalar];
  if (value.kind !== expected && !(expected === ValueKind.Int8 && value.kind === ValueKind.Int)) {
    throw new AppError("wrong_value_kind", `expected ${ValueKind[expected]}, got ${ValueKind[value.kind]}`);
  }
  switch (value.kind) {
    case ValueKind.String:
    case ValueKind.BigDecimal:
      return value.value;
    case ValueKind.Int:
      return value.value;
    case ValueKind.Int8:
    case ValueKind.Timestamp:
      return value.value;
    case ValueKind.Bool:
      return value.value ? 1 : 0;
    case ValueKind.Bytes:
      return Buffer.from(value.value);
    case ValueKind.BigInt:
      return (value.le && encodeLeBytes(value.le)) || encodeBigInt(value.value);
    default:
      throw new AppError("wrong_value_kind", `cannot store ${ValueKind[value.kind]}`);
  }
}

function toJsonElement(field: FieldDef, value: Value): unknown {
  const expected = SCALAR_KIND[field.scalar];
  if (value.kind !== expected) throw new AppError("wrong_value_kind", `list element: expected ${ValueKind[expected]}, got ${ValueKind[value.kind]}`);
  switch (value.kind) {
    case ValueKind.Bytes:
      return bytesToHex(value.value);
    case ValueKind.BigInt:
    case ValueKind.Int8:
    case ValueKind.Timestamp:
      return value.value.toString();
    default:
      return value.value;
  }
}

function fromJsonElement(field: FieldDef, element: unknown): Value {
  switch (field.scalar) {
    case "Bytes":
      return { kind: ValueKind.Bytes, value: hexToBytes(element as string) };
    case "BigInt":
      return { kind: ValueKind.BigInt, value: BigInt(element as string) };
    case "Int8":
      return { kind: ValueKind.Int8, value: BigInt(element as string) };
    case "Timestamp":
      return { kind: ValueKind.Timestamp, value: BigInt(element as string) };
    case "Int":
      return { kind: ValueKind.Int, value: element as number };
    case "Boolean":
      return { kind: ValueKind.Bool, value: element as boolean };
    case "BigDecimal":
      return { kind: ValueKind.BigDecimal, value: element as string };
    default:
      return { kind: ValueKind.String, value: element as string };
  }
}

/** A column value back to a store value. */
export function fromColumn(field: FieldDef, column: SqlValue): Value {
  if (column === null) return { kind: ValueKind.Null, value: null };
  if (field.list) {
    return { kind: ValueKind.Array, value: (JSON.parse(column as string) as unknown[]).map((e) => fromJsonElement(field, e)) };
  }
  switch (field.scalar) {
    case "Bytes":
      return { kind: ValueKind.Bytes, value: Uint8Array.from(column as Uint8Array) };
    case "BigInt":
      return { kind: ValueKind.BigInt, value: decodeBigInt(column as Uint8Array) };
    case "Int":
      return { kind: ValueKind.Int, value: Number(column) };
    case "Int8":
      return { kind: ValueKind.Int8, value: BigInt(column as number) };
    case "Timestamp":
      return { kind: ValueKind.Timestamp, value: BigInt(column as number) };
    case "Boolean":
      return { kind: ValueKind.Bool, value: Number(column) !== 0 };
    case "BigDecimal":
      return { kind: ValueKind.BigDecimal, value: column as string };
    default:
      return { kind: ValueKind.String, value: column as string };
  }
}

/** A column value as The Graph's JSON result shows it (BigInt, BigDecimal and Int8 as strings). */
export function columnToGraphql(field: FieldDef, column: SqlValue): unknown {
  if (column === null) return null;
  if (field.list) {
    return (JSON.parse(column as string) as unknown[]).map((e) =>
      field.scalar === "Int" || field.scalar === "Boolean" ? e : String(e),
    );
  }
  switch (field.scalar) {
    case "Bytes":
      return "0x" + hexOf(column as Uint8Array);
    case "BigInt":
      return decodeBigInt(column as Uint8Array).toString();
    case "Int":
      return Number(column);
    case "Int8":
    case "Timestamp":
      return String(column);
    case "Boolean":
      return Number(column) !== 0;
    default:
      return column;
  }
}

/** A GraphQL argument value (string for BigInt/Bytes) to a column value, for filters. */
export function graphqlToColumn(field: FieldDef, input: unknown): SqlValue {
  if (input === null || input === undefined) return null;
  switch (field.scalar) {
    case "Bytes":
      return Buffer.from(hexToBytes(String(input)));
    case "BigInt":
      return encodeBigInt(BigInt(String(input)));
    case "Int":
      return Number(input);
    case "Int8":
    case "Timestamp":
      return BigInt(String(input));
    case "Boolean":
      return input ? 1 : 0;
    default:
      return String(input);
  }
}
