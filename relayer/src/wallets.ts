/**
 * Contract wallets (ERC-1271) at intake. Whether an account has code is cached (a bounded LRU: the
 * accounts come from what clients post). A wallet is asked whether it accepts a ballot's signature
 * with one `eth_call` capped at `gasCap` gas — the contract's own bound — so a wallet that burns all
 * the gas it is given costs the node that much and no more, and its answer counts only as the
 * contract reads it (the magic value in the first 32 bytes) and only when short: a wallet cannot
 * make intake read a large answer, nor pass here what the contract would refuse.
 */
import { Interface, toQuantity, type JsonRpcProvider } from "ethers";
import { LruMap } from "#lib/lru-map.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";

const ERC1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);
/** `isValidSignature.selector`, as the first word of the answer. */
const MAGIC_WORD = "0x1626ba7e" + "0".repeat(56);
/** The longest answer read: a bytes4 takes one word; a little room for wallets that pad. */
export const MAX_ANSWER_BYTES = 256;
const CODE_CACHE = 100_000;

export class ContractWallets {
  private readonly code = new LruMap<string, boolean>(CODE_CACHE);

  constructor(
    private readonly provider: JsonRpcProvider,
    readonly gasCap: number,
  ) {}

  /** Whether `address` has code (a contract wallet, or an account delegating to one). */
  async isContract(address: string): Promise<boolean> {
    const key = address.toLowerCase();
    const cached = this.code.get(key);
    if (cached !== undefined) return cached;
    try {
      const code: string = await this.provider.send("eth_getCode", [address, "latest"]);
      const result = code !== "0x";
      this.code.set(key, result);
      return result;
    } catch (err) {
      if (isUnreachable(err)) throw chainUnavailable(err);
      throw err;
    }
  }

  /** Whether the wallet at `address` accepts `signature` of `digest`, asked with at most `gasCap` gas. */
  async accepts(address: string, digest: string, signature: string): Promise<boolean> {
    const data = ERC1271.encodeFunctionData("isValidSignature", [digest, signature]);
    let answer: unknown;
    try {
      answer = await this.provider.send("eth_call", [{ to: address, data, gas: toQuantity(this.gasCap) }, "latest"]);
    } catch (err) {
      if (isUnreachable(err)) throw chainUnavailable(err);
      return false; // reverted or ran out of gas
    }
    if (typeof answer !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(answer)) return false;
    const bytes = (answer.length - 2) / 2;
    return bytes >= 32 && bytes <= MAX_ANSWER_BYTES && answer.slice(0, 66).toLowerCase() === MAGIC_WORD;
  }
}
