/**
 * Who has voted, from the MeetingHall's BallotCast events: a meeting's voters are loaded when intake
 * first sees the meeting and kept current block by block, so intake answers "already voted" without
 * a call per ballot. The index follows the chain head in the background; intake waits for it only
 * when it lags the head by more than MAX_LAG_BLOCKS (a node busy with large blocks answers the logs
 * of a block later than its header). A vote cast outside this relayer in the newest few blocks can
 * therefore pass intake; the contract then skips the relayed ballot as AlreadyVoted and the relayer
 * reports it rejected. Ballots relayed here never need the index: the queue holds them, confirmed
 * ones included, and refuses a second ballot of the same voter.
 */
import { toBeHex, toQuantity, zeroPadValue, type JsonRpcProvider } from "ethers";
import { checksumAddress } from "#lib/keccak.js";
import { meetingHallInterface } from "./chain.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";

const CAST_TOPIC = meetingHallInterface.getEvent("BallotCast")!.topicHash;
/** How many blocks the index may lag the chain head before intake waits for it. */
export const MAX_LAG_BLOCKS = 4;

interface RawLog {
  topics: string[];
}

export class VotedIndex {
  private readonly voted = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<Set<string>>>();
  private syncedTo = -1;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly hallAddress: string,
    private readonly startBlock: number,
  ) {}

  /** Starts catching up to a block in the background (the clock calls this on each new reading). */
  follow(blockNumber: number): void {
    if (this.syncedTo < blockNumber) this.fresh().catch(() => undefined);
  }

  /** Whether the voter has a counted ballot in the meeting, as of block `atLeast - lag` or later. */
  async hasVoted(meetingId: bigint, voter: string, atLeast: number, lag = MAX_LAG_BLOCKS): Promise<boolean> {
    try {
      while (this.syncedTo < atLeast - lag) await this.fresh();
      const set = await this.meeting(meetingId);
      return set.has(voter);
    } catch (err) {
      throw isUnreachable(err) ? chainUnavailable(err) : err;
    }
  }

  /** Loads the meeting's voters so far. */
  async prepare(meetingId: bigint): Promise<void> {
    await this.meeting(meetingId);
  }

  /** A sync that starts after this call: a new one if none runs, else one queued behind the running one. */
  private fresh(): Promise<void> {
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const p: Promise<void> = this.sync().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  /** Follows new blocks up to the latest. */
  private async sync(): Promise<void> {
    const to = Number(BigInt(await this.provider.send("eth_blockNumber", [])));
    if (this.syncedTo < 0) {
      this.syncedTo = to;
      return;
    }
    const from = this.syncedTo + 1;
    if (from > to) return;
    const logs: RawLog[] = await this.provider.send("eth_getLogs", [
      { address: this.hallAddress, fromBlock: toQuantity(from), toBlock: toQuantity(to), topics: [CAST_TOPIC] },
    ]);
    for (const log of logs) this.voted.get(BigInt(log.topics[1]!).toString())?.add(voterOf(log));
    this.syncedTo = Math.max(this.syncedTo, to);
  }

  private meeting(meetingId: bigint): Promise<Set<string>> {
    const key = meetingId.toString();
    const known = this.voted.get(key);
    if (known) return Promise.resolve(known);
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(meetingId).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(meetingId: bigint): Promise<Set<string>> {
    const set = new Set<string>();
    let from = this.startBlock;
    // Read history up to the synced block; repeat if sync moved on meanwhile, then let sync continue.
    for (;;) {
      const to = this.syncedTo;
      if (from <= to) {
        const logs: RawLog[] = await this.provider.send("eth_getLogs", [
          {
            address: this.hallAddress,
            fromBlock: toQuantity(from),
            toBlock: toQuantity(to),
            topics: [CAST_TOPIC, zeroPadValue(toBeHex(meetingId), 32)],
          },
        ]);
        for (const log of logs) set.add(voterOf(log));
      }
      from = to + 1;
      if (this.syncedTo === to && !this.running) break;
      if (this.running) await this.running;
      if (this.syncedTo === to) break;
    }
    this.voted.set(meetingId.toString(), set);
    return set;
  }
}

function voterOf(log: RawLog): string {
  return checksumAddress("0x" + log.topics[2]!.slice(26));
}
