/**
 * Keccak-256 through the native add-on that the `keccak` package ships prebuilt (N-API, so the same
 * binary loads on every Node version). `useNativeKeccak()` registers it as ethers' keccak256, so
 * addresses, EIP-712 digests and transaction hashes in this process all use it: about five times
 * faster than ethers' JavaScript Keccak on a ballot, twenty times on the calldata of a batch. Where
 * the add-on does not load, or disagrees with the known digests, ethers keeps its own.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { getAddress, getBytes, keccak256 } from "ethers";
import { AppError } from "./errors.js";

interface KeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

function loadNative(): ((data: Uint8Array) => Uint8Array) | null {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve("keccak/package.json"));
    const State = createRequire(path.join(dir, "package.json"))("node-gyp-build")(dir) as new () => KeccakState;
    const state = new State();
    const hash = (data: Uint8Array): Uint8Array => {
      // Keccak-256: rate 1088 bits, capacity 512, the original padding (suffix 0x01).
      state.initialize(1088, 512);
      state.absorb(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      state.absorbLastFewBits(0x01);
      return new Uint8Array(state.squeeze(32));
    };
    const known: Array<[string, string]> = [
      ["", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"],
      ["abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"],
    ];
    for (const [input, digest] of known) {
      if (Buffer.from(hash(Buffer.from(input))).toString("hex") !== digest) return null;
    }
    const long = new Uint8Array(1000).map((_, i) => i & 0xff);
    if (Buffer.from(hash(long)).toString("hex") !== keccak256(long).slice(2)) return null;
    return hash;
  } catch {
    return null;
  }
}

const native = loadNative();
let registered = false;

for (const sample of ["0x52908400098527886e0f7030069857d2e4169ee7", "0xde709f2102306220921060314715629080e2fb77", "0x" + "0".repeat(40)]) {
  if (checksumAddress(sample) !== getAddress(sample)) throw new AppError("self_check_failed", "checksumAddress disagrees with ethers' getAddress");
}

/** Whether the native Keccak loaded. */
export const nativeKeccak = native !== null;

/** Keccak-256 of bytes, as bytes: the native add-on when it loaded, else ethers. */
export function keccakBytes(data: Uint8Array): Uint8Array {
  return native ? native(data) : getBytes(keccak256(data));
}

/**
 * The EIP-55 checksummed form of a 0x-prefixed 20-byte hex address given in one case (all lower or
 * all upper hex digits), without ethers' conversions between hex and bytes.
 */
export function checksumAddress(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = keccakBytes(Buffer.from(lower, "latin1"));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const c = lower.charCodeAt(i);
    const nibble = i % 2 === 0 ? hash[i >> 1]! >> 4 : hash[i >> 1]! & 0x0f;
    out += c >= 97 && nibble >= 8 ? String.fromCharCode(c - 32) : lower[i];
  }
  return out;
}

/** Makes ethers' keccak256 use the native add-on in this process (once; harmless without it). */
export function useNativeKeccak(): void {
  if (registered || !native) return;
  registered = true;
  keccak256.register(native);
}
