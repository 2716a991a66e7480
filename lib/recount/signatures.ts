/**
 * Whether an account signed a digest, as MeetingHall decides it: a 65-byte secp256k1 signature with
 * v = 27 or 28 and a low s that recovers to the account, or else, for an account with code, its
 * ERC-1271 `isValidSignature` answering the magic value within the gas the contract allows it
 * (`ERC1271_GAS`), asked at the block that counted the ballot.
 */
import { Interface } from "ethers";
import { recoverSigner, signatureProblem } from "../recover.js";
import type { ChainReader } from "./chain.js";

const erc1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);
const ERC1271_MAGIC = "0x1626ba7e";
/** `MeetingHall.ERC1271_GAS`. */
const ERC1271_GAS = 50_000n;

/** The signer of an ECDSA signature in the one form the contract recovers (v 27/28, low s), lower-case, or null. */
export function ecdsaSigner(digest: string, signature: string): string | null {
  if (signatureProblem(signature) !== undefined) return null;
  return recoverSigner(digest, signature);
}

export async function signedBy(reader: ChainReader, signer: string, digest: string, signature: string, blockNumber: number): Promise<boolean> {
  if (ecdsaSigner(digest, signature) === signer.toLowerCase()) return true;
  if ((await reader.provider.getCode(signer, blockNumber)) === "0x") return false;
  try {
    const data = erc1271.encodeFunctionData("isValidSignature", [digest, signature]);
    const out = await reader.provider.call({ to: signer, data, blockTag: blockNumber, gasLimit: ERC1271_GAS });
    return out.length >= 66 && out.slice(0, 10).toLowerCase() === ERC1271_MAGIC;
  } catch {
    return false; // a reverting wallet does not accept
  }
}
