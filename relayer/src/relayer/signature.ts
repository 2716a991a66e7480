/**
 * Recovers the signer of a ballot digest. Uses libsecp256k1 (the `secp256k1` package's N-API
 * binding) when it is installed, roughly fifty times faster than the JavaScript implementation that
 * ethers falls back to. Both reject malleable (high-s) signatures, as the contract does.
 */
import { createRequire } from "node:module";
import { Signature, getBytes, keccak256, recoverAddress } from "ethers";

interface NativeSecp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
}

const SECP256K1_N_HALF = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

function loadNative(): NativeSecp256k1 | undefined {
  try {
    return createRequire(import.meta.url)("secp256k1") as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

const native = loadNative();

export const signatureBackend = native ? "libsecp256k1" : "javascript";

/**
 * The address that signed `digest`, lower-case, or undefined for a malformed or malleable signature.
 */
export function recoverSigner(digest: string, signature: string): string | undefined {
  const bytes = getBytes(signature);
  if (bytes.length !== 65) return undefined;
  if (!native) {
    try {
      return recoverAddress(digest, Signature.from(signature)).toLowerCase();
    } catch {
      return undefined;
    }
  }
  const v = bytes[64]!;
  const recid = v >= 27 ? v - 27 : v;
  if (recid !== 0 && recid !== 1) return undefined;
  const s = BigInt("0x" + Buffer.from(bytes.subarray(32, 64)).toString("hex"));
  if (s === 0n || s > SECP256K1_N_HALF) return undefined;
  try {
    const pub = native.ecdsaRecover(bytes.subarray(0, 64), recid, getBytes(digest), false);
    return "0x" + keccak256(pub.subarray(1)).slice(26);
  } catch {
    return undefined;
  }
}
