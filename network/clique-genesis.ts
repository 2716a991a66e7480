/**
 * The genesis of the local network: Clique proof of authority with the signers in `extraData`
 * (32 bytes of vanity ‖ the signers' addresses, ascending ‖ 65 bytes where a seal goes), every fork
 * up to London at block 0 and none after it (geth's Clique refuses Shanghai and Cancun), and the
 * deployer and the relayer's senders funded.
 */
import { getAddress } from "ethers";

export interface CliqueGenesisOptions {
  chainId: number;
  /** Seconds between blocks. */
  period: number;
  gasLimit: number;
  signers: readonly string[];
  /** Address → balance in wei. */
  alloc: Record<string, bigint>;
  /** Unix seconds (default now). */
  timestamp?: number;
}

/** Blocks after which Clique takes a checkpoint of the signers (geth's default). */
export const CLIQUE_EPOCH = 30_000;
/** London's base fee never falls below 7 wei; start there instead of at 1 gwei. */
export const GENESIS_BASE_FEE = 7n;

const hex = (n: number | bigint) => "0x" + n.toString(16);

/** Signers sorted ascending by address, as geth's Clique orders them for the in-turn rotation. */
export function sortSigners(signers: readonly string[]): string[] {
  return [...signers].map((s) => getAddress(s)).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
}

export function cliqueExtraData(signers: readonly string[]): string {
  return "0x" + "00".repeat(32) + sortSigners(signers).map((s) => s.slice(2).toLowerCase()).join("") + "00".repeat(65);
}

/** Decodes the signers from a Clique genesis extraData (inverse of `cliqueExtraData`). */
export function signersOfExtraData(extraData: string): string[] {
  const body = extraData.replace(/^0x/, "");
  const list = body.slice(64, body.length - 130);
  if (body.length < 64 + 130 || list.length % 40 !== 0) throw new RangeError(`not a Clique extraData: ${body.length / 2} bytes`);
  return Array.from({ length: list.length / 40 }, (_, i) => getAddress("0x" + list.slice(i * 40, i * 40 + 40)));
}

export function cliqueGenesis(options: CliqueGenesisOptions): Record<string, unknown> {
  const alloc: Record<string, { balance: string }> = {};
  for (const [address, balance] of Object.entries(options.alloc)) alloc[getAddress(address).slice(2).toLowerCase()] = { balance: hex(balance) };
  return {
    config: {
      chainId: options.chainId,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      clique: { period: options.period, epoch: CLIQUE_EPOCH },
    },
    nonce: "0x0",
    timestamp: hex(options.timestamp ?? Math.floor(Date.now() / 1000)),
    extraData: cliqueExtraData(options.signers),
    gasLimit: hex(options.gasLimit),
    difficulty: "0x1",
    mixHash: "0x" + "00".repeat(32),
    coinbase: "0x" + "00".repeat(20),
    baseFeePerGas: hex(GENESIS_BASE_FEE),
    alloc,
    number: "0x0",
    gasUsed: "0x0",
    parentHash: "0x" + "00".repeat(32),
  };
}
