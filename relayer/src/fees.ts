/** EIP-1559 fees for new transactions and the bumped fees of a replacement. */
import type { JsonRpcProvider } from "ethers";

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

const GWEI = 1_000_000_000n;

export class FeeOracle {
  private cached: { fees: Fees; at: number } | undefined;
  private loading: Promise<Fees> | undefined;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly maxFeeGwei: number,
    private readonly ttlMs = 500,
  ) {}

  /** Current fees: twice the latest base fee plus the node's suggested tip, capped. */
  async current(): Promise<Fees> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.fees;
    if (!this.loading) {
      this.loading = this.load().finally(() => {
        this.loading = undefined;
      });
    }
    return this.loading;
  }

  /** Fees of a replacement: at least `bumpPercent` above the stuck transaction's, and at least current. */
  async bumped(previous: Fees, bumpPercent: number): Promise<Fees> {
    const now = await this.current();
    const factor = BigInt(100 + bumpPercent);
    const tip = max((previous.maxPriorityFeePerGas * factor) / 100n + 1n, now.maxPriorityFeePerGas);
    const fee = max((previous.maxFeePerGas * factor) / 100n + 1n, now.maxFeePerGas, tip);
    return this.cap({ maxFeePerGas: fee, maxPriorityFeePerGas: tip });
  }

  /** Caps fees at RELAYER_MAX_FEE_GWEI (0: no cap). */
  private cap(fees: Fees): Fees {
    if (this.maxFeeGwei === 0) return fees;
    const cap = BigInt(this.maxFeeGwei) * GWEI;
    const maxFee = fees.maxFeePerGas > cap ? cap : fees.maxFeePerGas;
    const tip = fees.maxPriorityFeePerGas > maxFee ? maxFee : fees.maxPriorityFeePerGas;
    return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
  }

  private async load(): Promise<Fees> {
    const [block, tipHex] = await Promise.all([
      this.provider.send("eth_getBlockByNumber", ["latest", false]) as Promise<{ baseFeePerGas?: string }>,
      (this.provider.send("eth_maxPriorityFeePerGas", []) as Promise<string>).catch(() => "0x3b9aca00"),
    ]);
    const base = block.baseFeePerGas === undefined ? 0n : BigInt(block.baseFeePerGas);
    const tip = BigInt(tipHex);
    const fees = this.cap({ maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip });
    this.cached = { fees, at: Date.now() };
    return fees;
  }
}

function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}
