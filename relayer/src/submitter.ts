/**
 * Sends planned batches from several sender accounts and follows them to confirmation.
 *
 * - Nonces come from NonceManager; a transaction is signed synchronously and recorded in the queue
 *   database before it is broadcast, so a crash at any point leaves either nothing sent or a record
 *   to rebroadcast and track.
 * - A transaction not mined after RELAYER_STUCK_AFTER_MS (underpriced, or dropped from the pool) is
 *   replaced by one with the same nonce and bumped fees.
 * - A mined transaction whose block a reorganization drops (on a chain with probabilistic finality,
 *   before RELAYER_CONFIRMATIONS) is broadcast again at once: the node that held the dropped block
 *   usually takes it back into its pool, but nothing obliges a node to, and any other node never had it.
 * - A mined batch is settled from its events: BallotCast confirms (the JointGroupVoted events before
 *   it name the joint groups its weight counted), BallotRejected rejects the ballot it names by id
 *   with the reason, BallotDiscarded rejects the ballot at its index as `bad_signature`; an
 *   AlreadyVoted skip is reconciled against the BallotCast events of the meeting, since the ballot
 *   may have landed in an earlier transaction of ours.
 * - A forward request travels as a batch of its own, sent with `Forwarder.execute`: simulated first
 *   (the hall's call, then `execute`), confirmed by its receipt, and, when the forwarder no longer
 *   takes it, reconciled against its `ExecutedForwardRequest` event, since anyone may have executed
 *   it (a signed request is valid once, for whoever submits it).
 * - A mined-but-reverted batch is split in halves and retried, so good ballots still land; a ballot
 *   alone is tried again, at most three times in all (reverting on chain or in simulation), before it is
 *   rejected with the contract's reason.
 * - When the node is unreachable everything stays recorded and is retried with backoff.
 */
import { AbiCoder, Transaction, Wallet, getAddress, toBeHex, toQuantity, zeroPadValue, type JsonRpcProvider } from "ethers";
import { meetingHallInterface } from "./chain.js";
import { isUnreachable } from "#lib/rpc.js";
import type { Logger } from "#lib/log.js";
import type { Batcher } from "./batcher.js";
import type { FeeOracle } from "./fees.js";
import { REJECT_CODES, rejectCode } from "#lib/domain.js";
import type { RelayerMetrics } from "./metrics.js";
import type { NonceManager } from "./nonce.js";
import type { BallotRecord, BallotStore, BatchOutcome, BatchRecord, RequestRecord, TxRecord } from "./queue.js";
import { encodeExecute, executeGasLimit, forwarderInterface, type ForwarderCalls } from "./forwarding.js";
import { signEip1559 } from "./tx.js";
import { checksumAddress } from "#lib/keccak.js";
import { AppError } from "#lib/errors.js";

export interface SubmitterOptions {
  chainId: bigint;
  hallAddress: string;
  startBlock: number;
  maxInflightPerSender: number;
  stuckAfterMs: number;
  feeBumpPercent: number;
  confirmations: number;
  pollIntervalMs: number;
  /** Told, for each ballot a mined batch settles, when the ballot was acknowledged (ms). */
  observeInclusion?: (acknowledgedAt: number) => void;
  /** The forwarder and its calls, for forward requests. */
  forwarder: ForwarderCalls;
}

interface RawReceipt {
  transactionHash: string;
  blockNumber: string;
  status: string;
  gasUsed: string;
  logs: Array<{ address: string; topics: string[]; data: string; logIndex: string; blockNumber: string; transactionHash: string }>;
}

const CAST_TOPIC = meetingHallInterface.getEvent("BallotCast")!.topicHash;
const REJECTED_TOPIC = meetingHallInterface.getEvent("BallotRejected")!.topicHash;
const DISCARDED_TOPIC = meetingHallInterface.getEvent("BallotDiscarded")!.topicHash;
const JOINT_TOPIC = meetingHallInterface.getEvent("JointGroupVoted")!.topicHash;
const EXECUTED_TOPIC = forwarderInterface.getEvent("ExecutedForwardRequest")!.topicHash;
/** The forwarder's errors that mean it will never take the request as it is. */
const FINAL_FORWARDER_ERRORS = new Set(["ERC2771ForwarderInvalidSigner", "ERC2771ForwarderExpiredRequest", "ERC2771UntrustfulTarget"]);
const MAX_BACKOFF_MS = 5_000;
/** How many tries of a ballot alone in its batch may revert (on chain, or in simulation after that) before it is rejected. */
const MAX_MINED_REVERTS = 3;

export class Submitter {
  private readonly senders: Wallet[];
  private readonly claimed = new Set<number>();
  private readonly dispatching = new Map<Promise<void>, string>();
  private readonly suspects = new Map<number, number>();
  private readonly lastAttempt = new Map<number, number>();
  /** The block at which a sent batch was last found without a receipt: none can appear before the next block. */
  private readonly noReceiptAt = new Map<number, number>();
  /** Batches seen mined and not yet settled: the transaction found, for noticing a reorganization that drops it. */
  private readonly minedUnsettled = new Map<number, string>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private currentTick: Promise<void> | undefined;
  private backoffMs = 0;
  private lastBlock = 0;

  constructor(
    senderKeys: string[],
    private readonly provider: JsonRpcProvider,
    private readonly store: BallotStore,
    private readonly batcher: Batcher,
    private readonly nonces: NonceManager,
    private readonly fees: FeeOracle,
    private readonly metrics: RelayerMetrics,
    private readonly log: Logger,
    private readonly options: SubmitterOptions,
  ) {
    this.senders = senderKeys.map((k) => new Wallet(k));
  }

  get addresses(): string[] {
    return this.senders.map((s) => s.address);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops planning and sending; waits for transactions being signed and recorded to be broadcast. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.currentTick;
    await Promise.allSettled([...this.dispatching.keys()]);
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.currentTick = this.tick().finally(() => {
        this.currentTick = undefined;
        this.schedule(this.options.pollIntervalMs + this.backoffMs);
      });
    }, delay);
  }

  private async tick(): Promise<void> {
    try {
      for (const s of this.senders) if (!this.nonces.isReady(s.address)) await this.nonces.init(s.address);
      this.batcher.plan();
      const inflight = await this.track();
      if (this.running) this.dispatch(inflight);
      this.backoffMs = 0;
    } catch (err) {
      if (!isUnreachable(err)) this.log.error("submitter tick failed", { err });
      else {
        this.metrics.rpcErrors.inc();
        this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(100, this.backoffMs * 2));
        this.log.warn("chain node unreachable, retrying", { backoffMs: this.backoffMs });
      }
    }
  }

  // ------------------------------------------------------------------------------------------ send

  private dispatch(inflight: Map<string, number>): void {
    for (const [, sender] of this.dispatching) inflight.set(sender, (inflight.get(sender) ?? 0) + 1);
    const free = this.senders.reduce((n, s) => n + Math.max(0, this.options.maxInflightPerSender - (inflight.get(s.address) ?? 0)), 0);
    if (free === 0) return;
    const planned = this.store.plannedBatches(free, this.claimed);
    for (const batch of planned) {
      const lane = this.senders
        .map((s) => ({ s, n: inflight.get(s.address) ?? 0 }))
        .filter((l) => l.n < this.options.maxInflightPerSender)
        .sort((a, b) => a.n - b.n)[0];
      if (!lane) break;
      inflight.set(lane.s.address, lane.n + 1);
      this.claimed.add(batch.id);
      const p: Promise<void> = this.send(lane.s, batch)
        .catch((err) => {
          if (isUnreachable(err)) this.metrics.rpcErrors.inc();
          else this.log.error("sending a batch failed", { batchId: batch.id, err });
        })
        .finally(() => {
          this.claimed.delete(batch.id);
          this.dispatching.delete(p);
        });
      this.dispatching.set(p, lane.s.address);
    }
  }

  private async send(sender: Wallet, batch: BatchRecord): Promise<void> {
    if (batch.requestId !== null) return this.sendRequest(sender, batch);
    if (batch.ballots.length === 0) {
      this.store.abandonBatch(batch.id);
      return;
    }
    const sim = await this.batcher.simulate(batch, sender.address);
    if (sim.kind === "unreachable") throw sim.cause;
    if (sim.kind === "revert") {
      this.log.warn("batch simulation reverted", { batchId: batch.id, meetingId: batch.meetingId, error: sim.error, size: batch.ballots.length });
      if (batch.ballots.length > 1) {
        this.store.splitBatch(batch.id);
        return;
      }
      const id = batch.ballots[0]!.id;
      const tries = this.store.reverts(id);
      if (tries > 0 && tries < MAX_MINED_REVERTS) {
        // It reverted on chain after passing simulation, and the state it met may not be back yet:
        // queued again, within the same few tries.
        this.store.countRevert(id, batch.id);
      } else {
        this.store.rejectBallots([id], `reverted:${sim.error}`);
      }
      this.store.abandonBatch(batch.id);
      return;
    }
    await this.sign(sender, batch, this.options.hallAddress, sim.data, sim.gasLimit);
  }

  /**
   * A forward request's batch: the hall's call simulated as the forwarder will make it, then
   * `execute` from this sender. What the forwarder will never take (its nonce moved on, its deadline
   * passed) is reconciled: executed already by anyone, or rejected with why.
   */
  private async sendRequest(sender: Wallet, batch: BatchRecord): Promise<void> {
    const request = this.store.requestOfBatch(batch.id);
    if (!request) {
      this.store.abandonBatch(batch.id);
      return;
    }
    const data = encodeExecute(request);
    const gasLimit = executeGasLimit(request.gas);
    const forwarder = this.options.forwarder;
    let sim = await forwarder.simulateExecute(data, sender.address, gasLimit);
    if (sim.kind === "unreachable") throw sim.cause;
    if (sim.kind === "revert") {
      const forwarderError = sim.error?.name;
      if (forwarderError !== undefined && FINAL_FORWARDER_ERRORS.has(forwarderError)) {
        const executed = await this.executedRequest(request);
        if (executed) this.store.completeRequest(batch.id, executed);
        else this.store.completeRequest(batch.id, { reason: forwarderError === "ERC2771ForwarderExpiredRequest" ? "request_expired" : `refused:${forwarderError}` });
        this.log.warn("forward request no longer executable", { requestId: request.id, batchId: batch.id, error: forwarderError, executedElsewhere: executed !== undefined });
        return;
      }
      // the hall refuses the call now: its own error names why
      sim = await forwarder.simulateCall(request);
      if (sim.kind === "unreachable") throw sim.cause;
      const why = sim.kind === "revert" ? (sim.error?.name ?? "reverted") : (forwarderError ?? "reverted");
      this.log.warn("forward request simulation reverted", { requestId: request.id, batchId: batch.id, error: why });
      const tries = this.store.countRevert(request.id, batch.id);
      if (tries < MAX_MINED_REVERTS) this.store.abandonBatch(batch.id);
      else this.store.completeRequest(batch.id, { reason: `reverted:${why}` });
      return;
    }
    await this.sign(sender, batch, forwarder.forwarderAddress, data, gasLimit);
  }

  /** Signs a batch's transaction, records it, then broadcasts it. */
  private async sign(sender: Wallet, batch: BatchRecord, to: string, data: string, gasLimit: bigint): Promise<void> {
    const fees = await this.fees.current();
    if (!this.running) return;
    // From here to recordSent nothing awaits: the nonce is used by exactly one recorded transaction.
    const nonce = this.nonces.take(sender.address);
    const { raw, hash } = signEip1559(
      {
        chainId: this.options.chainId,
        nonce,
        to,
        data,
        gasLimit,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      },
      sender.privateKey,
    );
    const record: TxRecord = {
      hash,
      batchId: batch.id,
      sender: sender.address,
      nonce,
      raw,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      gasLimit,
      sentAt: Date.now(),
      broadcast: false,
    };
    this.store.recordSent(batch.id, record);
    this.metrics.txSent.inc();
    this.log.debug("batch sent", {
      batchId: batch.id,
      meetingId: batch.meetingId,
      requestId: batch.requestId ?? undefined,
      txHash: record.hash,
      nonce,
      sender: sender.address,
      size: batch.ballots.length,
    });
    await this.broadcast(record);
  }

  /** Where a request was executed, if its ExecutedForwardRequest(signer, nonce, success) is on chain. */
  private async executedRequest(request: RequestRecord): Promise<{ txHash: string; blockNumber: number } | undefined> {
    const logs: RawReceipt["logs"] = await this.provider.send("eth_getLogs", [
      {
        address: this.options.forwarder.forwarderAddress,
        fromBlock: toQuantity(this.options.startBlock),
        toBlock: "latest",
        topics: [EXECUTED_TOPIC, zeroPadValue(request.from, 32)],
      },
    ]);
    for (const log of logs) {
      const [nonce, success] = AbiCoder.defaultAbiCoder().decode(["uint256", "bool"], log.data);
      if (BigInt(nonce) === request.nonce && success === true) return { txHash: log.transactionHash, blockNumber: Number(BigInt(log.blockNumber)) };
    }
    return undefined;
  }

  /** Broadcasts a recorded transaction; a node that already knows it, or its nonce, counts as done. */
  private async broadcast(tx: TxRecord): Promise<void> {
    try {
      await this.provider.send("eth_sendRawTransaction", [tx.raw]);
      this.store.markBroadcast(tx.hash);
    } catch (err) {
      if (isUnreachable(err)) throw err;
      // Refused by the node (already known, nonce used, fee too low): tracking decides what follows.
      this.store.markBroadcast(tx.hash);
      this.log.warn("node refused a transaction", { txHash: tx.hash, nonce: tx.nonce, sender: tx.sender, code: (err as { code?: string }).code, err });
    }
  }

  // ------------------------------------------------------------------------------------------ track

  /** Follows sent batches; returns how many are in flight per sender. */
  private async track(): Promise<Map<string, number>> {
    const batches = this.store.sentBatches();
    const inflight = new Map<string, number>();
    if (this.noReceiptAt.size > batches.length || this.minedUnsettled.size > batches.length) {
      const live = new Set(batches.map((b) => b.id));
      for (const id of this.noReceiptAt.keys()) if (!live.has(id)) this.noReceiptAt.delete(id);
      for (const id of this.minedUnsettled.keys()) if (!live.has(id)) this.minedUnsettled.delete(id);
    }
    if (batches.length === 0) return inflight;
    this.lastBlock = Number(BigInt(await this.provider.send("eth_blockNumber", [])));
    const heads = new Map<string, number>();
    for (const b of batches) {
      inflight.set(b.sender!, (inflight.get(b.sender!) ?? 0) + 1);
      heads.set(b.sender!, Math.min(heads.get(b.sender!) ?? Infinity, b.nonce!));
    }
    const results = await Promise.allSettled(batches.map((b) => this.trackBatch(b, heads.get(b.sender!) === b.nonce)));
    for (const r of results) {
      if (r.status === "rejected") {
        if (isUnreachable(r.reason)) throw r.reason;
        this.log.error("tracking a batch failed", { err: r.reason });
      }
    }
    return inflight;
  }

  private async trackBatch(batch: BatchRecord, isHead: boolean): Promise<void> {
    const checkedAt = this.lastBlock;
    if (this.noReceiptAt.get(batch.id) !== checkedAt) {
      const receipts: Array<RawReceipt | null> = await Promise.all(
        batch.txs.map((t) => this.provider.send("eth_getTransactionReceipt", [t.hash]) as Promise<RawReceipt | null>),
      );
      const receipt = receipts.find((r) => r !== null);
      if (receipt) {
        this.noReceiptAt.delete(batch.id);
        this.suspects.delete(batch.id);
        this.lastAttempt.delete(batch.id);
        if (this.lastBlock - Number(BigInt(receipt.blockNumber)) + 1 < this.options.confirmations) {
          this.minedUnsettled.set(batch.id, receipt.transactionHash);
          return;
        }
        this.minedUnsettled.delete(batch.id);
        await this.settle(batch, receipt);
        return;
      }
      this.noReceiptAt.set(batch.id, checkedAt);
      const dropped = this.minedUnsettled.get(batch.id);
      if (dropped !== undefined) {
        this.minedUnsettled.delete(batch.id);
        await this.rebroadcastDropped(batch, dropped);
        return;
      }
    }
    // A transaction recorded but not broadcast (a crash between the two) is broadcast here, unless
    // `send` is still at it (its batch is claimed until then). The batch was read before the receipt
    // was asked for, so its broadcast flags are read again first.
    if (batch.txs.some((t) => !t.broadcast) && !this.claimed.has(batch.id)) {
      const current = this.store.getBatch(batch.id)?.txs ?? [];
      for (const t of current.filter((t) => !t.broadcast)) await this.broadcast(t);
    }
    const latest = batch.txs[batch.txs.length - 1]!;
    const since = Math.max(latest.sentAt, this.lastAttempt.get(batch.id) ?? 0);
    if (!isHead || Date.now() - since < this.options.stuckAfterMs) return;

    const mined = Number(BigInt(await this.provider.send("eth_getTransactionCount", [batch.sender, "latest"])));
    if (mined > batch.nonce!) {
      // The nonce is used, yet none of our transactions with it has a receipt: look again, then requeue.
      const seen = (this.suspects.get(batch.id) ?? 0) + 1;
      this.suspects.set(batch.id, seen);
      if (seen >= 3) {
        this.suspects.delete(batch.id);
        this.log.warn("batch nonce used by no known transaction; ballots requeued", { batchId: batch.id, nonce: batch.nonce });
        this.store.abandonBatch(batch.id);
      }
      return;
    }
    await this.replace(latest);
  }

  /**
   * The batch's transaction had a receipt, and has none now: a reorganization dropped its block. The
   * same signed transaction is broadcast again (a node that took it back already knows it), and the
   * wait before replacing it as stuck starts over.
   */
  private async rebroadcastDropped(batch: BatchRecord, txHash: string): Promise<void> {
    const tx = batch.txs.find((t) => t.hash === txHash) ?? batch.txs[batch.txs.length - 1]!;
    this.metrics.txReorged.inc();
    this.log.warn("a reorganization dropped a mined batch; broadcasting it again", { batchId: batch.id, meetingId: batch.meetingId, txHash: tx.hash, nonce: tx.nonce });
    try {
      await this.provider.send("eth_sendRawTransaction", [tx.raw]);
    } catch (err) {
      if (isUnreachable(err)) throw err;
      // already known: the node's pool took it back
    }
    this.lastAttempt.set(batch.id, Date.now());
  }

  private async replace(previous: TxRecord): Promise<void> {
    const fees = await this.fees.bumped(previous, this.options.feeBumpPercent);
    if (fees.maxFeePerGas <= previous.maxFeePerGas || fees.maxPriorityFeePerGas <= previous.maxPriorityFeePerGas) {
      // At the fee cap: all we can do is offer the same transaction again (it may have been dropped).
      this.log.warn("stuck transaction at the fee cap; rebroadcasting", { txHash: previous.hash, nonce: previous.nonce });
      try {
        await this.provider.send("eth_sendRawTransaction", [previous.raw]);
      } catch (err) {
        if (isUnreachable(err)) throw err;
      }
      this.lastAttempt.set(previous.batchId, Date.now());
      return;
    }
    const sender = this.senders.find((s) => s.address === previous.sender);
    if (!sender) throw new AppError("unknown_sender", `no key for sender ${previous.sender}`);
    const tx = Transaction.from(previous.raw);
    const { raw, hash } = signEip1559(
      {
        chainId: tx.chainId,
        nonce: tx.nonce,
        to: tx.to!,
        data: tx.data,
        gasLimit: tx.gasLimit,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      },
      sender.privateKey,
    );
    const record: TxRecord = {
      ...previous,
      hash,
      raw,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      sentAt: Date.now(),
      broadcast: false,
    };
    this.store.recordReplacement(record);
    this.metrics.txReplaced.inc();
    this.log.info("stuck transaction replaced", {
      batchId: previous.batchId,
      replaced: previous.hash,
      txHash: record.hash,
      nonce: record.nonce,
      maxFeePerGas: record.maxFeePerGas,
    });
    await this.broadcast(record);
  }

  // ------------------------------------------------------------------------------------------ settle

  private async settle(head: BatchRecord, receipt: RawReceipt): Promise<void> {
    if (head.requestId !== null) return this.settleRequest(head, receipt);
    const batch = this.store.getBatch(head.id);
    if (!batch) return;
    const gasUsed = BigInt(receipt.gasUsed);
    this.metrics.gasUsed.inc(Number(gasUsed));
    if (BigInt(receipt.status) !== 1n) {
      this.metrics.txReverted.inc();
      this.log.warn("batch reverted on chain; splitting", { batchId: batch.id, txHash: receipt.transactionHash, size: batch.ballots.length });
      if (batch.ballots.length > 1) {
        this.store.splitBatch(batch.id);
        return;
      }
      // One ballot: what reverted at inclusion may pass now (the state it met has changed again). It
      // is tried again, and given up after a few tries that revert, on chain or in simulation.
      const ballot = batch.ballots[0]!;
      if (this.store.countRevert(ballot.id, batch.id) < MAX_MINED_REVERTS) {
        this.store.splitBatch(batch.id);
      } else {
        this.store.completeBatch(batch.id, { confirmed: [], rejected: [{ id: ballot.id, reason: "reverted" }] });
      }
      return;
    }
    const outcome: BatchOutcome = { confirmed: [], rejected: [], jointGroupVotes: [] };
    const alreadyVoted: string[] = [];
    const hall = this.options.hallAddress.toLowerCase();
    const byId = new Map(batch.ballots.map((b) => [b.id, b]));
    // BallotCast(uint256 indexed meetingId, address indexed voter, address indexed representative,
    // uint256 weight, uint128 choices, uint8 form): the voter is the second topic, the weight the
    // first data word. BallotRejected(meetingId, voter, representative, bytes32 ballotId, uint8 reason):
    // the ballot by its id, the first data word. BallotDiscarded(meetingId, uint256 index): the ballot
    // at that place of the batch (encoded in the batch's order). JointGroupVoted(meetingId, group,
    // voter, weight) comes before the BallotCast that counted the group.
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== hall) continue;
      const topic = log.topics[0];
      if (topic === CAST_TOPIC) {
        outcome.confirmed.push({
          voter: checksumAddress("0x" + log.topics[2]!.slice(26)),
          txHash: receipt.transactionHash,
          blockNumber: Number(BigInt(receipt.blockNumber)),
          logIndex: Number(BigInt(log.logIndex)),
          weight: BigInt(log.data.slice(0, 66)).toString(),
        });
      } else if (topic === JOINT_TOPIC) {
        outcome.jointGroupVotes!.push({ group: checksumAddress("0x" + log.topics[2]!.slice(26)), voter: checksumAddress("0x" + log.topics[3]!.slice(26)) });
      } else if (topic === REJECTED_TOPIC) {
        const id = log.data.slice(0, 66).toLowerCase();
        const ballot = byId.get(id);
        if (!ballot) continue;
        const reason = rejectCode(BigInt("0x" + log.data.slice(66, 130))) ?? "rejected";
        if (reason === REJECT_CODES.AlreadyVoted) alreadyVoted.push(ballot.voter);
        else outcome.rejected.push({ id, reason });
      } else if (topic === DISCARDED_TOPIC) {
        const ballot = batch.ballots[Number(BigInt(log.data.slice(0, 66)))];
        if (ballot) outcome.rejected.push({ id: ballot.id, reason: REJECT_CODES.BadSignature });
      }
    }
    if (alreadyVoted.length > 0) await this.reconcile(batch, alreadyVoted, outcome);
    await this.findJointVotes(batch, outcome);
    this.store.completeBatch(batch.id, outcome);
    if (this.options.observeInclusion) {
      const settled = new Set([...outcome.confirmed.map((x) => x.voter), ...outcome.rejected.map((x) => byId.get(x.id)?.voter)]);
      for (const b of batch.ballots) if (settled.has(b.voter)) this.options.observeInclusion(b.createdAt);
    }
    this.batcher.observe(gasUsed, batch.ballots.length);
    this.metrics.confirmed.inc(outcome.confirmed.length);
    for (const r of outcome.rejected) this.metrics.rejected.inc({ reason: r.reason });
    this.log.info("batch mined", {
      batchId: batch.id,
      meetingId: batch.meetingId,
      txHash: receipt.transactionHash,
      block: Number(BigInt(receipt.blockNumber)),
      confirmed: outcome.confirmed.length,
      rejected: outcome.rejected.length,
      gasUsed,
    });
  }

  /** A forward request's receipt: executed (execute reverts when the hall's call fails), or tried again a few times. */
  private async settleRequest(batch: BatchRecord, receipt: RawReceipt): Promise<void> {
    const gasUsed = BigInt(receipt.gasUsed);
    this.metrics.gasUsed.inc(Number(gasUsed));
    const request = this.store.requestOfBatch(batch.id);
    if (!request) return;
    if (BigInt(receipt.status) === 1n) {
      this.store.completeRequest(batch.id, { txHash: receipt.transactionHash, blockNumber: Number(BigInt(receipt.blockNumber)) });
      this.metrics.requestsConfirmed.inc();
      this.log.info("forward request executed", { requestId: request.id, function: request.functionName, from: request.from, txHash: receipt.transactionHash });
      return;
    }
    this.metrics.txReverted.inc();
    const executed = await this.executedRequest(request);
    if (executed) {
      this.store.completeRequest(batch.id, executed);
      return;
    }
    if (this.store.countRevert(request.id, batch.id) < MAX_MINED_REVERTS) this.store.splitBatch(batch.id);
    else this.store.completeRequest(batch.id, { reason: "reverted" });
  }

  /**
   * Who counted the joint groups of this batch's joint owners whose ballots settled without them:
   * earlier in this transaction, or else in an earlier one (one read of the meeting's
   * JointGroupVoted events for those groups).
   */
  private async findJointVotes(batch: BatchRecord, outcome: BatchOutcome): Promise<void> {
    const joint = batch.ballots.filter((b) => b.joint);
    if (joint.length === 0) return;
    const known = new Set(outcome.jointGroupVotes!.map((v) => v.group));
    const missing = new Set<string>();
    for (const b of joint) for (const g of this.store.jointGroups(b.id)) if (g.votedBy === null && !known.has(g.group)) missing.add(g.group);
    if (missing.size === 0) return;
    const logs: RawReceipt["logs"] = await this.provider.send("eth_getLogs", [
      {
        address: this.options.hallAddress,
        fromBlock: toQuantity(this.options.startBlock),
        toBlock: "latest",
        topics: [JOINT_TOPIC, zeroPadValue(toBeHex(batch.meetingId), 32), [...missing].map((g) => zeroPadValue(g, 32))],
      },
    ]);
    for (const log of logs) {
      outcome.jointGroupVotes!.push({ group: checksumAddress("0x" + log.topics[2]!.slice(26)), voter: checksumAddress("0x" + log.topics[3]!.slice(26)) });
    }
  }

  /**
   * A voter "already voted": if the counted ballot is this one (an earlier transaction of ours,
   * before a crash or a replacement), it is confirmed where it landed; otherwise it is rejected.
   */
  private async reconcile(batch: BatchRecord, voters: string[], outcome: BatchOutcome): Promise<void> {
    const byVoter = new Map<string, BallotRecord>(batch.ballots.map((b) => [b.voter, b]));
    const logs: RawReceipt["logs"] = await this.provider.send("eth_getLogs", [
      {
        address: this.options.hallAddress,
        fromBlock: toQuantity(this.options.startBlock),
        toBlock: "latest",
        topics: [CAST_TOPIC, zeroPadValue(toBeHex(batch.meetingId), 32), voters.map((v) => zeroPadValue(v, 32))],
      },
    ]);
    const found = new Map<string, RawReceipt["logs"][number]>();
    for (const log of logs) found.set(getAddress("0x" + log.topics[2]!.slice(26)), log);
    for (const voter of voters) {
      const log = found.get(voter);
      const ballot = byVoter.get(voter);
      if (log && ballot) {
        const parsed = meetingHallInterface.parseLog(log)!;
        if (BigInt(parsed.args.choices) === ballot.choices && getAddress(parsed.args.representative) === ballot.representative) {
          outcome.confirmed.push({
            voter,
            txHash: log.transactionHash,
            blockNumber: Number(BigInt(log.blockNumber)),
            logIndex: Number(BigInt(log.logIndex)),
            weight: parsed.args.weight.toString(),
          });
          continue;
        }
      }
      if (ballot) outcome.rejected.push({ id: ballot.id, reason: REJECT_CODES.AlreadyVoted });
    }
  }
}
