/**
 * Nonces of the relayer's sender accounts, assigned here rather than by the node so that many
 * batches of one sender can be in flight at once. At start each sender continues after the higher of
 * the node's pending count and the highest nonce recorded in the queue database, so a restart
 * neither reuses a nonce nor leaves a recorded one behind (the submitter rebroadcasts those).
 */
import type { JsonRpcProvider } from "ethers";
import type { BallotStore } from "./queue.js";
import { AppError } from "#lib/errors.js";

export class NonceManager {
  private readonly next = new Map<string, number>();

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly store: BallotStore,
  ) {}

  async init(sender: string): Promise<void> {
    const pending = await this.provider.getTransactionCount(sender, "pending");
    this.next.set(sender, Math.max(pending, this.store.maxNonce(sender) + 1));
  }

  isReady(sender: string): boolean {
    return this.next.has(sender);
  }

  /** Takes the next nonce; the caller records a signed transaction with it before any await. */
  take(sender: string): number {
    const n = this.next.get(sender);
    if (n === undefined) throw new AppError("nonce_not_initialised", `nonces of ${sender} not initialised`);
    this.next.set(sender, n + 1);
    return n;
  }

  peek(sender: string): number | undefined {
    return this.next.get(sender);
  }
}
