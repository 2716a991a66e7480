/** Value encodings of the store: graph-ts' BigInt bytes and the order-preserving BigInt column. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeBigInt, encodeBigInt, toColumn } from "../../src/store/codec.js";
import type { FieldDef } from "../../src/store/subgraph-schema.js";
import { bigIntToLeBytes, bigIntValueFromLe, leBytesToBigInt } from "../../src/runtime/values.js";

const SAMPLES = [
  0n, 1n, 127n, 128n, 255n, 256n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 47n, 2n ** 48n, 2n ** 53n - 1n, 2n ** 53n,
  2n ** 63n, 2n ** 64n + 5n, 10n ** 30n, 2n ** 256n - 1n, -1n, -128n, -129n, -(2n ** 40n), -(10n ** 20n),
];
const BIGINT_FIELD: FieldDef = { name: "weight", typeName: "BigInt", kind: "scalar", scalar: "BigInt", list: false, nonNull: true };

describe("BigInt encodings", () => {
  it("round-trips graph-ts' little-endian two's-complement bytes", () => {
    for (const n of SAMPLES) assert.equal(leBytesToBigInt(bigIntToLeBytes(n)), n, String(n));
    assert.deepEqual([...bigIntToLeBytes(128n)], [0x80, 0x00]);
    assert.deepEqual([...bigIntToLeBytes(-1n)], [0xff]);
  });

  it("stores BigInts so that byte order is numeric order", () => {
    const sorted = [...SAMPLES].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const encoded = sorted.map(encodeBigInt);
    for (let i = 1; i < encoded.length; i++) {
      assert.ok(Buffer.compare(encoded[i - 1]!, encoded[i]!) < 0, `${sorted[i - 1]} < ${sorted[i]}`);
    }
    for (const n of SAMPLES) assert.equal(decodeBigInt(encodeBigInt(n)), n);
  });

  it("stores a mapping's BigInt bytes, padded or not, as the same column value", () => {
    for (const n of SAMPLES) {
      const le = bigIntToLeBytes(n);
      const padded = Uint8Array.from([...le, ...(n < 0n ? [0xff, 0xff] : [0, 0])]);
      for (const bytes of [le, padded]) {
        assert.deepEqual(toColumn(BIGINT_FIELD, bigIntValueFromLe(bytes)), encodeBigInt(n), String(n));
      }
    }
  });
});
