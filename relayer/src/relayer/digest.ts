/**
 * Fast ballot digests for intake. The struct layout and type hash come from the shared
 * `BALLOT_TYPES` (scripts/lib/ballot.ts); only the per-ballot work is done directly (one ABI-encoded
 * struct hash and the EIP-712 envelope) instead of rebuilding an encoder for every ballot. The
 * result is checked against `ballotDigest` when the hasher is made.
 */
import { TypedDataEncoder, concat, keccak256, toBeHex, zeroPadValue, type TypedDataDomain } from "ethers";
import { BALLOT_TYPES, ballotDigest, type Ballot } from "../../../scripts/lib/ballot.js";

export type BallotHasher = (ballot: Ballot) => string;

export function createBallotHasher(domain: TypedDataDomain): BallotHasher {
  const encoder = TypedDataEncoder.from(BALLOT_TYPES as unknown as Record<string, Array<{ name: string; type: string }>>);
  const typeHash = keccak256(Buffer.from(encoder.encodeType("Ballot"), "utf8"));
  const fields = BALLOT_TYPES.Ballot.map((f) => f.name).join(",");
  if (fields !== "meetingId,voter,choices") throw new Error(`unexpected Ballot fields: ${fields}`);
  const prefix = concat(["0x1901", TypedDataEncoder.hashDomain(domain)]);
  const hasher: BallotHasher = (b) => {
    const structHash = keccak256(
      concat([typeHash, zeroPadValue(toBeHex(b.meetingId), 32), zeroPadValue(b.voter, 32), zeroPadValue(toBeHex(b.choices), 32)]),
    );
    return keccak256(concat([prefix, structHash]));
  };
  const sample = { meetingId: 7n, voter: "0x00000000000000000000000000000000000000aa", choices: 57n };
  if (hasher(sample) !== ballotDigest(domain, sample)) throw new Error("the fast ballot hasher disagrees with ballotDigest");
  return hasher;
}
