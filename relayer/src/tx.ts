/**
 * Signs the submitter's EIP-1559 transactions with Buffers, native Keccak (lib/keccak.ts) and
 * libsecp256k1 from the `secp256k1` package. ethers' Transaction converts a batch's calldata between
 * hex and bytes several times in JavaScript, which cost more per ballot than the whole intake
 * pipeline. The output is checked against ethers' Transaction when this module loads.
 */
import { createRequire } from "node:module";
import { SigningKey, Transaction, getBytes, keccak256 } from "ethers";
import { AppError } from "#lib/errors.js";

export interface Eip1559Fields {
  chainId: bigint;
  nonce: number;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gasLimit: bigint;
  to: string;
  /** 0x-prefixed calldata. */
  data: string;
}

interface NativeSecp256k1 {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
}

let native: NativeSecp256k1 | null = null;
try {
  native = createRequire(import.meta.url)("secp256k1") as NativeSecp256k1;
} catch {
  native = null;
}

function quantity(value: bigint | number): Buffer {
  const v = BigInt(value);
  if (v < 0n) throw new AppError("invalid_transaction", "negative value in a transaction field");
  if (v === 0n) return Buffer.alloc(0);
  let hex = v.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  return Buffer.from(hex, "hex");
}

function length(prefix: number, n: number): Buffer {
  if (n <= 55) return Buffer.from([prefix + n]);
  const len = quantity(n);
  return Buffer.concat([Buffer.from([prefix + 55 + len.length]), len]);
}

function rlpBytes(b: Buffer): Buffer {
  if (b.length === 1 && b[0]! < 0x80) return b;
  return Buffer.concat([length(0x80, b.length), b]);
}

function rlpList(items: Buffer[]): Buffer {
  const payload = Buffer.concat(items);
  return Buffer.concat([length(0xc0, payload.length), payload]);
}

function stripZeros(b: Uint8Array): Buffer {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return Buffer.from(b.subarray(i));
}

/** A signed type-2 transaction: its raw bytes (0x-hex) and hash. */
export function signEip1559(tx: Eip1559Fields, privateKey: string): { raw: string; hash: string } {
  const fields = [
    rlpBytes(quantity(tx.chainId)),
    rlpBytes(quantity(tx.nonce)),
    rlpBytes(quantity(tx.maxPriorityFeePerGas)),
    rlpBytes(quantity(tx.maxFeePerGas)),
    rlpBytes(quantity(tx.gasLimit)),
    rlpBytes(Buffer.from(tx.to.slice(2), "hex")),
    rlpBytes(quantity(0n)),
    rlpBytes(Buffer.from(tx.data.slice(2), "hex")),
    rlpList([]),
  ];
  const unsignedHash = getBytes(keccak256(Buffer.concat([Buffer.from([2]), rlpList(fields)])));
  let r: Uint8Array, s: Uint8Array, yParity: number;
  if (native) {
    const sig = native.ecdsaSign(unsignedHash, getBytes(privateKey));
    r = sig.signature.subarray(0, 32);
    s = sig.signature.subarray(32, 64);
    yParity = sig.recid;
  } else {
    const sig = new SigningKey(privateKey).sign(unsignedHash);
    r = getBytes(sig.r);
    s = getBytes(sig.s);
    yParity = sig.yParity;
  }
  const signed = Buffer.concat([
    Buffer.from([2]),
    rlpList([...fields, rlpBytes(quantity(yParity)), rlpBytes(stripZeros(r)), rlpBytes(stripZeros(s))]),
  ]);
  return { raw: "0x" + signed.toString("hex"), hash: keccak256(signed) };
}

{
  const key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
  const samples: Eip1559Fields[] = [
    { chainId: 31337n, nonce: 0, maxPriorityFeePerGas: 0n, maxFeePerGas: 1n, gasLimit: 21_000n, to: "0x" + "11".repeat(20), data: "0x" },
    {
      chainId: 1337n,
      nonce: 300,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 123_456_789_012n,
      gasLimit: 16_000_000n,
      to: "0x00000000000000000000000000000000000000ab",
      data: "0x" + "7f".repeat(3000),
    },
    { chainId: 5n, nonce: 127, maxPriorityFeePerGas: 127n, maxFeePerGas: 128n, gasLimit: 56n, to: "0x" + "ff".repeat(20), data: "0x05" },
  ];
  for (const f of samples) {
    const ours = signEip1559(f, key);
    const theirs = Transaction.from({ type: 2, ...f, value: 0n });
    theirs.signature = new SigningKey(key).sign(theirs.unsignedHash);
    if (ours.raw !== theirs.serialized || ours.hash !== theirs.hash) throw new AppError("self_check_failed", "the transaction signer disagrees with ethers' Transaction");
  }
}
