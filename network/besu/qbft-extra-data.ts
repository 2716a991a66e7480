/**
 * The `extraData` of a QBFT genesis block (block header validator selection):
 * RLP([32 bytes of vanity, [validator addresses], no vote, round 0, no seals]). Round 0 is the RLP
 * integer 0 (an empty string, 0x80), as `besu rlp encode --type=QBFT_EXTRA_DATA` writes it; the
 * addresses keep the order given.
 */
import { decodeRlp, encodeRlp, getAddress, hexlify, zeroPadValue } from "ethers";

export const QBFT_VANITY = zeroPadValue("0x", 32);

export function qbftExtraData(validators: readonly string[]): string {
  return encodeRlp([QBFT_VANITY, validators.map((v) => getAddress(v).toLowerCase()), [], "0x", []]);
}

export interface QbftExtraData {
  vanity: string;
  validators: string[];
  votes: unknown[];
  round: number;
  seals: unknown[];
}

/** Decodes a QBFT extraData; throws RangeError when it is not one. */
export function decodeQbftExtraData(extraData: string): QbftExtraData {
  let decoded: ReturnType<typeof decodeRlp>;
  try {
    decoded = decodeRlp(extraData);
  } catch (err) {
    throw new RangeError(`QBFT extraData: not RLP (${(err as Error).message.split(" (")[0]})`, { cause: err });
  }
  if (!Array.isArray(decoded) || decoded.length !== 5) throw new RangeError("QBFT extraData: expected an RLP list of 5 items");
  const [vanity, validators, votes, round, seals] = decoded;
  if (typeof vanity !== "string" || (vanity.length - 2) / 2 !== 32) throw new RangeError("QBFT extraData: the vanity is not 32 bytes");
  if (!Array.isArray(validators) || validators.some((v) => typeof v !== "string" || (v.length - 2) / 2 !== 20)) {
    throw new RangeError("QBFT extraData: the validators are not a list of 20-byte addresses");
  }
  if (!Array.isArray(votes) || !Array.isArray(seals) || typeof round !== "string") throw new RangeError("QBFT extraData: votes, round or seals malformed");
  return {
    vanity: hexlify(vanity),
    validators: (validators as string[]).map((v) => getAddress(v)),
    votes,
    round: round === "0x" ? 0 : Number(round),
    seals,
  };
}
