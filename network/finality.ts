/**
 * How deep a block must be before a service on a Clique chain treats it as final. Clique's finality
 * is probabilistic: the heaviest chain wins, so the head can reorganize. How far it can, follows from
 * the rule that a signer seals at most one of any ⌊N/2⌋+1 consecutive blocks:
 *
 * - a group of signers cut off from the others that holds no majority (k ≤ ⌊N/2⌋ of N) seals at most
 *   k blocks and stalls, so a fork sealed without a majority is never longer than ⌊N/2⌋ blocks;
 * - such a fork weighs at most 2·⌊N/2⌋ (every block in turn, difficulty 2), and the chain of the
 *   majority must outweigh it: with ⌊N/2⌋+1 blocks it may still only tie it (N = 5: three blocks of
 *   the three-signer side, one in turn, against two in-turn blocks of the other two), and geth then
 *   keeps the shorter chain; with ⌊N/2⌋+2 it always outweighs it.
 *
 * So a block with ⌊N/2⌋+2 confirmations (itself and ⌊N/2⌋+1 blocks on top) is on no fork that a
 * partition of the signers can make win: 4 for the network's 4 signers (and for 5), 5 for 6 or 7.
 * The relayer (RELAYER_CONFIRMATIONS), the query node and the notifier wait for that many.
 */
import { NetworkError } from "./errors.js";

/** Confirmations (the block itself counted) that a Clique chain of `signers` signers needs. */
export function cliqueConfirmations(signers: number): number {
  if (!Number.isInteger(signers) || signers < 1) throw new NetworkError("BAD_ARGUMENT", `signers: got ${signers}, expected a whole number from 1`);
  return Math.floor(signers / 2) + 2;
}
