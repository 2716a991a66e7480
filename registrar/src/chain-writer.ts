/**
 * Sends the registrar's transactions so that none is ever sent twice, even across a crash: each one
 * is signed, then written to the journal with its raw bytes, nonce and hash (store.ts `chain_ops`),
 * and only then broadcast. Its receipt is recorded together with what it did (the register's
 * mirror of the chain, effects.ts) in one database transaction. A run that stopped half-way leaves
 * journal entries still `signed`; `recover` settles each before anything new is planned: a receipt
 * found is recorded; a transaction the node still holds is waited for; one never seen is broadcast
 * again from its journalled bytes (the same hash, so it cannot count twice); one whose nonce another
 * transaction took is marked `dropped`, and the next plan does its work again.
 *
 * Errors are told apart by ethers' codes and the contract's decoded custom errors, never by text.
 */
import { Transaction, Wallet, type TransactionReceipt, type TransactionRequest } from "ethers";
import type { BuildingRegistry } from "#typechain/index.js";
import { AppError } from "#lib/errors.js";
import type { Logger } from "#lib/log.js";
import { chainUnavailable, isUnreachable, type HttpJsonRpcProvider } from "#lib/rpc.js";
import type { ChainOp, RegisterStore } from "./store.js";

/** What a transaction is for; effects.ts applies each kind's receipt to the store. */
export type OpKind = "registerBuilding" | "addPremises" | "setOwners" | "setResidents" | "setOrganiser" | "publishRegister";

export interface OpRequest {
  kind: OpKind;
  buildingKey: string;
  /** What effects.ts needs to record the receipt (JSON). */
  args: unknown;
  data: string;
  gasLimit: bigint;
}

/** The block a receipt is in: its number and time. */
export interface BlockRef {
  number: number;
  timestamp: number;
}

/** Records a confirmed transaction's effects; runs inside the database transaction that settles it. */
export type Effects = (op: ChainOp, receipt: TransactionReceipt, block: BlockRef) => void;

export interface ChainWriterOptions {
  /** Give up waiting for a receipt after this long (the journal keeps the transaction; a re-run goes on waiting). */
  txTimeoutMs: number;
  pollMs: number;
}

/** The contract's custom error in a failed call or estimate, decoded, or undefined. */
export function decodeRevert(err: unknown, registry: BuildingRegistry): { name: string; args: string[] } | undefined {
  for (let e = err as { data?: unknown; error?: unknown; info?: { error?: { data?: unknown } } } | undefined, depth = 0; e && depth < 5; depth++) {
    const data = typeof e.data === "string" ? e.data : typeof e.info?.error?.data === "string" ? (e.info.error.data as string) : undefined;
    if (data && data.length >= 10) {
      try {
        const parsed = registry.interface.parseError(data);
        if (parsed) return { name: parsed.name, args: parsed.args.map((a: unknown) => String(a)) };
      } catch {
        // not one of the registry's errors
      }
    }
    e = e.error as typeof e;
  }
  return undefined;
}

/** A refusal of the chain (a revert in an estimate or a receipt) as an AppError naming the contract's error. */
export function chainRefused(err: unknown, registry: BuildingRegistry, what: string): AppError {
  if (isUnreachable(err)) return chainUnavailable(err);
  const revert = decodeRevert(err, registry);
  if (revert?.name === "AccessControlUnauthorizedAccount") {
    return new AppError("not_registrar", `the registrar's key does not hold REGISTRAR_ROLE on the registry (${what})`, { cause: err, details: { revert } });
  }
  return new AppError("chain_refused", `the registry refused ${what}${revert ? `: ${revert.name}(${revert.args.join(", ")})` : ""}`, { cause: err, details: revert ? { revert } : undefined });
}

export class ChainWriter {
  private nextNonce: number | undefined;
  private fees: Pick<TransactionRequest, "maxFeePerGas" | "maxPriorityFeePerGas" | "gasPrice" | "type"> | undefined;

  constructor(
    private readonly provider: HttpJsonRpcProvider,
    private readonly wallet: Wallet,
    private readonly registry: BuildingRegistry,
    private readonly registryAddress: string,
    private readonly chainId: bigint,
    private readonly store: RegisterStore,
    private readonly effects: Effects,
    private readonly options: ChainWriterOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Forgets the nonce and fees it keeps between transactions: at the start of each import, since the
   * key may have signed elsewhere in between (another run of the CLI, the operator by hand).
   */
  reset(): void {
    this.nextNonce = undefined;
    this.fees = undefined;
  }

  get address(): string {
    return this.wallet.address;
  }

  /** The gas a call would use now, or the registry's refusal. */
  async estimate(data: string, what: string): Promise<bigint> {
    try {
      return await this.provider.estimateGas({ from: this.wallet.address, to: this.registryAddress, data });
    } catch (err) {
      throw chainRefused(err, this.registry, what);
    }
  }

  async blockGasLimit(): Promise<bigint> {
    const block = await this.call(() => this.provider.getBlock("latest"));
    if (!block) throw new AppError("chain_unavailable", "the node has no latest block", { retryable: true });
    return block.gasLimit;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUnreachable(err)) throw chainUnavailable(err);
      throw err;
    }
  }

  private async feeFields(): Promise<Pick<TransactionRequest, "maxFeePerGas" | "maxPriorityFeePerGas" | "gasPrice" | "type">> {
    const data = await this.call(() => this.provider.getFeeData());
    if (data.maxFeePerGas !== null && data.maxPriorityFeePerGas !== null) {
      return { type: 2, maxFeePerGas: data.maxFeePerGas, maxPriorityFeePerGas: data.maxPriorityFeePerGas };
    }
    return { type: 0, gasPrice: data.gasPrice ?? 0n };
  }

  /** Signs, journals and broadcasts one transaction; returns its journal entry (still `signed`). */
  async send(importId: string, request: OpRequest): Promise<ChainOp> {
    if (this.nextNonce === undefined) this.nextNonce = await this.call(() => this.provider.getTransactionCount(this.wallet.address, "pending"));
    this.fees ??= await this.feeFields();
    const nonce = this.nextNonce;
    const raw = await this.wallet.signTransaction({
      ...this.fees,
      chainId: this.chainId,
      nonce,
      to: this.registryAddress,
      data: request.data,
      gasLimit: request.gasLimit,
      value: 0n,
    });
    const txHash = Transaction.from(raw).hash!;
    const opId = this.store.addOp({ importId, kind: request.kind, buildingKey: request.buildingKey, args: request.args, nonce, txHash, raw });
    this.nextNonce = nonce + 1;
    const op: ChainOp = { opId, importId, kind: request.kind, buildingKey: request.buildingKey, args: request.args, nonce, txHash, raw, status: "signed", blockNumber: null };
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (err) {
      // The journal keeps it: a re-run finds out whether it reached the node after all.
      this.nextNonce = undefined;
      this.fees = undefined;
      throw isUnreachable(err) ? chainUnavailable(err) : chainRefused(err, this.registry, `transaction ${txHash} (${request.kind})`);
    }
    this.log.debug("transaction sent", { kind: request.kind, txHash, nonce, building: request.buildingKey });
    return op;
  }

  /** Waits for a sent transaction's receipt and records it; throws `chain_refused` when it reverted. */
  async settle(op: ChainOp): Promise<TransactionReceipt> {
    const receipt = await this.waitForReceipt(op);
    return this.record(op, receipt);
  }

  private async waitForReceipt(op: ChainOp): Promise<TransactionReceipt> {
    const deadline = Date.now() + this.options.txTimeoutMs;
    for (;;) {
      const receipt = await this.call(() => this.provider.getTransactionReceipt(op.txHash));
      if (receipt) return receipt;
      if (Date.now() > deadline) {
        throw new AppError("tx_timeout", `transaction ${op.txHash} (${op.kind}) has no receipt after ${Math.round(this.options.txTimeoutMs / 1000)} s; it stays in the journal and a re-run goes on waiting for it`, {
          retryable: true,
          details: { txHash: op.txHash, nonce: op.nonce },
        });
      }
      await new Promise((r) => setTimeout(r, this.options.pollMs));
    }
  }

  private async record(op: ChainOp, receipt: TransactionReceipt): Promise<TransactionReceipt> {
    if (receipt.status !== 1) {
      this.store.settleOp(op.opId, "failed", receipt.blockNumber);
      this.nextNonce = undefined;
      let reason: unknown;
      try {
        await this.provider.call({ from: this.wallet.address, to: this.registryAddress, data: Transaction.from(op.raw).data, blockTag: receipt.blockNumber - 1 });
      } catch (err) {
        reason = err;
      }
      throw chainRefused(reason, this.registry, `transaction ${op.txHash} (${op.kind}) in block ${receipt.blockNumber}`);
    }
    const block = await this.call(() => this.provider.getBlock(receipt.blockNumber));
    if (!block) throw new AppError("chain_unavailable", `the node does not return block ${receipt.blockNumber}`, { retryable: true });
    this.store.transaction(() => {
      this.store.settleOp(op.opId, "confirmed", receipt.blockNumber);
      this.effects(op, receipt, { number: block.number, timestamp: block.timestamp });
    });
    this.log.debug("transaction confirmed", { kind: op.kind, txHash: op.txHash, block: receipt.blockNumber });
    return receipt;
  }

  /**
   * Settles every transaction a stopped run left `signed`, in nonce order: returns how many were
   * recorded and how many were dropped (their nonce taken by another transaction).
   */
  async recover(): Promise<{ confirmed: number; dropped: number }> {
    let confirmed = 0;
    let dropped = 0;
    for (const op of this.store.openOps()) {
      const receipt = await this.call(() => this.provider.getTransactionReceipt(op.txHash));
      if (receipt) {
        await this.record(op, receipt);
        confirmed++;
        continue;
      }
      const known = await this.call(() => this.provider.getTransaction(op.txHash));
      if (!known) {
        const used = await this.call(() => this.provider.getTransactionCount(this.wallet.address, "latest"));
        if (used > op.nonce) {
          this.store.settleOp(op.opId, "dropped", null);
          this.log.warn("a journalled transaction never reached the chain and its nonce is taken; its work is planned again", { txHash: op.txHash, kind: op.kind, nonce: op.nonce });
          dropped++;
          continue;
        }
        try {
          await this.provider.broadcastTransaction(op.raw);
        } catch (err) {
          throw isUnreachable(err) ? chainUnavailable(err) : chainRefused(err, this.registry, `the journalled transaction ${op.txHash} (${op.kind}) sent again`);
        }
        this.log.info("journalled transaction sent again", { txHash: op.txHash, kind: op.kind, nonce: op.nonce });
      }
      await this.settle(op);
      confirmed++;
    }
    this.nextNonce = undefined;
    this.fees = undefined;
    return { confirmed, dropped };
  }
}
