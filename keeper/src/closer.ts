/**
 * Closes each meeting once after its window: sends `finalize(meetingId)` from the keeper's own key.
 *
 * Never twice, surviving restarts and reorgs:
 * - before signing, the contract's view of the meeting is read: only a meeting still `Announced`, its
 *   window over by the chain's clock, and without a transaction of ours that may still land, is sent;
 * - the signed transaction (its raw bytes and nonce) is recorded before it is broadcast, so a keeper
 *   killed at any point finds it on restart and follows it up instead of signing another;
 * - each tick follows every live transaction: mined (and then confirmed under `confirmations`
 *   blocks), still pending, or gone — dropped from the node, or out of the chain by a reorg after it
 *   was mined. A transaction that is gone while the meeting is still open is broadcast again as it
 *   was (same nonce, same hash: it can land at most once) while its nonce is free; if the nonce was
 *   used by another of the keeper's transactions, it can never land, and the meeting is sent anew.
 *   A meeting someone else finalized meanwhile is recorded as such and nothing more is sent.
 */
import { Transaction, Wallet, type JsonRpcProvider, type TransactionReceipt } from "ethers";
import type { MeetingHall } from "#typechain/index.js";
import { STATUSES, nameAt } from "#lib/domain.js";
import { isUnreachable } from "#lib/rpc.js";
import type { Logger } from "#lib/log.js";
import { now, type Database } from "./db.js";

interface SendRow {
  id: number;
  meeting_id: string;
  nonce: number;
  tx_hash: string;
  raw: string;
  state: string;
  mined_block: number | null;
  mined_block_hash: string | null;
  broadcasts: number;
}

export interface CloserOptions {
  chainId: number;
  confirmations: number;
  gasLimit: number;
}

const LIVE = "('signed', 'sent', 'mined')";

export class Closer {
  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly wallet: Wallet,
    private readonly hall: MeetingHall,
    private readonly db: Database,
    private readonly options: CloserOptions,
    private readonly log: Logger,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /** One pass: follow up every live transaction, then send for every meeting due. */
  async tick(head: { number: number; timestamp: number }): Promise<void> {
    for (const send of this.db.sql(`SELECT * FROM sends WHERE state IN ${LIVE} ORDER BY nonce, id`).all() as unknown as SendRow[]) {
      await this.followUp(send, head.number);
    }
    const due = this.db.sql("SELECT meeting_id FROM meetings WHERE state = 'open' AND voting_end <= ? ORDER BY voting_end, CAST(meeting_id AS INTEGER)").all(head.timestamp) as Array<{ meeting_id: string }>;
    for (const { meeting_id } of due) {
      const live = this.db.sql(`SELECT 1 FROM sends WHERE meeting_id = ? AND state IN ${LIVE}`).get(meeting_id);
      if (!live) await this.close(BigInt(meeting_id), head.timestamp);
    }
  }

  private async statusOf(meetingId: bigint): Promise<string> {
    const view = await this.hall.getMeeting(meetingId);
    return nameAt(STATUSES, view.status) ?? String(view.status);
  }

  private setMeeting(meetingId: string, state: "finalized" | "cancelled", by: string | null = null) {
    this.db.sql("UPDATE meetings SET state = ?, finalized_by = COALESCE(?, finalized_by), updated_at = ? WHERE meeting_id = ?").run(state, by, now(), meetingId);
  }

  private setSend(id: number, state: string, fields: { minedBlock?: number | null; minedBlockHash?: string | null; note?: string; broadcast?: boolean } = {}) {
    this.db
      .sql("UPDATE sends SET state = ?, mined_block = COALESCE(?, mined_block), mined_block_hash = COALESCE(?, mined_block_hash), note = COALESCE(?, note), broadcasts = broadcasts + ?, updated_at = ? WHERE id = ?")
      .run(state, fields.minedBlock ?? null, fields.minedBlockHash ?? null, fields.note ?? null, fields.broadcast ? 1 : 0, now(), id);
  }

  /** Sends `finalize` for a meeting whose window is over, if the chain says it is still open. */
  private async close(meetingId: bigint, chainTime: number): Promise<void> {
    const status = await this.statusOf(meetingId);
    if (status === "Finalized") {
      this.log.info("meeting finalized by another", { meetingId });
      this.setMeeting(meetingId.toString(), "finalized");
      return;
    }
    if (status === "Cancelled") {
      this.setMeeting(meetingId.toString(), "cancelled");
      return;
    }
    if (status !== "Announced") {
      this.log.warn("meeting in an unexpected state; not sending", { meetingId, status });
      return;
    }
    const view = await this.hall.getMeeting(meetingId);
    if (Number(view.votingEnd) > chainTime) return;
    const nonce = await this.provider.getTransactionCount(this.wallet.address, "pending");
    const fees = await this.provider.getFeeData();
    const data = this.hall.interface.encodeFunctionData("finalize", [meetingId]);
    const maxFeePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.options.chainId,
      nonce,
      to: await this.hall.getAddress(),
      data,
      gasLimit: BigInt(this.options.gasLimit),
      maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas ?? (maxFeePerGas < 1_000_000_000n ? maxFeePerGas : 1_000_000_000n),
      value: 0n,
    });
    const txHash = Transaction.from(raw).hash!;
    // recorded first: a keeper killed after this line follows the transaction up instead of signing another
    const { lastInsertRowid } = this.db
      .sql("INSERT INTO sends (meeting_id, nonce, tx_hash, raw, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'signed', ?, ?)")
      .run(meetingId.toString(), nonce, txHash, raw, now(), now());
    this.log.info("finalizing", { meetingId, txHash, nonce });
    await this.broadcast(Number(lastInsertRowid), raw, txHash, meetingId.toString());
  }

  private async broadcast(id: number, raw: string, txHash: string, meetingId: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
      this.setSend(id, "sent", { broadcast: true });
    } catch (err) {
      if (isUnreachable(err)) throw err;
      // "already known" and the like: the next follow-up finds out where it stands
      this.log.warn("broadcast refused; following it up", { meetingId, txHash, err });
    }
  }

  private async followUp(send: SendRow, head: number): Promise<void> {
    const receipt: TransactionReceipt | null = await this.provider.getTransactionReceipt(send.tx_hash);
    if (receipt) {
      if (receipt.status !== 1) {
        const status = await this.statusOf(BigInt(send.meeting_id));
        this.setSend(send.id, "reverted", { minedBlock: receipt.blockNumber, minedBlockHash: receipt.blockHash, note: `mined and failed; the meeting is ${status}` });
        if (status === "Finalized") this.setMeeting(send.meeting_id, "finalized");
        this.log.warn("finalize transaction failed", { meetingId: send.meeting_id, txHash: send.tx_hash, status });
        return;
      }
      const depth = head - receipt.blockNumber + 1;
      if (depth > this.options.confirmations) {
        this.db.transaction(() => {
          this.setSend(send.id, "confirmed", { minedBlock: receipt.blockNumber, minedBlockHash: receipt.blockHash });
          this.setMeeting(send.meeting_id, "finalized", send.tx_hash);
        });
        this.log.info("meeting finalized", { meetingId: send.meeting_id, txHash: send.tx_hash, blockNumber: receipt.blockNumber });
      } else if (send.state !== "mined" || send.mined_block_hash !== receipt.blockHash) {
        this.setSend(send.id, "mined", { minedBlock: receipt.blockNumber, minedBlockHash: receipt.blockHash });
      }
      return;
    }
    const pending = await this.provider.getTransaction(send.tx_hash);
    if (pending) {
      if (send.state === "signed") this.setSend(send.id, "sent");
      return;
    }
    // gone: never accepted, dropped, or taken out of the chain by a reorg
    if (send.state === "mined") this.log.warn("finalize transaction left the chain (reorg)", { meetingId: send.meeting_id, txHash: send.tx_hash, wasInBlock: send.mined_block });
    const status = await this.statusOf(BigInt(send.meeting_id));
    if (status === "Finalized") {
      this.db.transaction(() => {
        this.setSend(send.id, "superseded", { note: "the meeting was finalized by another transaction" });
        this.setMeeting(send.meeting_id, "finalized");
      });
      return;
    }
    if (status !== "Announced") {
      this.db.transaction(() => {
        this.setSend(send.id, "superseded", { note: `the meeting is ${status}` });
        if (status === "Cancelled") this.setMeeting(send.meeting_id, "cancelled");
      });
      return;
    }
    const used = await this.provider.getTransactionCount(this.wallet.address, "latest");
    if (used <= send.nonce) {
      this.log.warn("sending the finalize transaction again", { meetingId: send.meeting_id, txHash: send.tx_hash, nonce: send.nonce });
      await this.broadcast(send.id, send.raw, send.tx_hash, send.meeting_id);
      return;
    }
    this.setSend(send.id, "dropped", { note: `nonce ${send.nonce} was used by another transaction` });
    this.log.warn("finalize transaction can no longer land; the meeting is sent anew", { meetingId: send.meeting_id, txHash: send.tx_hash });
  }
}
