/**
 * Who has voted, from the MeetingHall's BallotCast and JointGroupVoted events: a meeting's voters,
 * and the joint groups counted within their ballots (with the holder whose ballot counted each), are
 * loaded when intake first sees the meeting and kept current block by block, so intake answers
 * "already voted" without a call per ballot. The index follows the chain head in the background; intake waits for it only
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
const JOINT_TOPIC = meetingHallInterface.getEvent("JointGroupVoted")!.topicHash;
/** BallotCast(meetingId, voter, representative, …) and JointGroupVoted(meetingId, group, voter, …). */
const TOPICS = [CAST_TOPIC, JOINT_TOPIC];
/** How many blocks the index may lag the chain head before intake waits for it. */
export const MAX_LAG_BLOCKS = 4;

interface RawLog {
  topics: string[];
}

/**
 * What has been voted in one meeting: each voter whose ballot counted, and each joint group counted
 * within a ballot, mapped to the voter whose ballot counted it (a voter to themselves).
 */
export type VotedAccounts = ReadonlyMap<string, string>;

export class VotedIndex {
  private readonly voted = new Map<string, Map<string, string>>();
  private readonly loading = new Map<string, Promise<Map<string, string>>>();
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
    return (await this.votedIn(meetingId, atLeast, lag)).has(voter);
  }

  /**
   * The voters and joint groups counted in the meeting, as of block `atLeast - lag` or later; a joint
   * group maps to the holder whose ballot counted it.
   */
  async votedIn(meetingId: bigint, atLeast: number, lag = MAX_LAG_BLOCKS): Promise<VotedAccounts> {
    try {
      while (this.syncedTo < atLeast - lag) await this.fresh();
      return await this.meeting(meetingId);
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
      { address: this.hallAddress, fromBlock: toQuantity(from), toBlock: toQuantity(to), topics: [TOPICS] },
    ]);
    for (const log of logs) {
      const voted = this.voted.get(BigInt(log.topics[1]!).toString());
      if (voted) record(voted, log);
    }
    this.syncedTo = Math.max(this.syncedTo, to);
  }

  private meeting(meetingId: bigint): Promise<Map<string, string>> {
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

  private async load(meetingId: bigint): Promise<Map<string, string>> {
    const voted = new Map<string, string>();
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
            topics: [TOPICS, zeroPadValue(toBeHex(meetingId), 32)],
          },
        ]);
        for (const log of logs) record(voted, log);
      }
      from = to + 1;
      if (this.syncedTo === to && !this.running) break;
      if (this.running) await this.running;
      if (this.syncedTo === to) break;
    }
    this.voted.set(meetingId.toString(), voted);
    return voted;
  }
}

/** Records a BallotCast's voter, or a JointGroupVoted's group with the voter whose ballot counted it. */
function record(voted: Map<string, string>, log: RawLog): void {
  const account = checksumAddress("0x" + log.topics[2]!.slice(26));
  voted.set(account, log.topics[0] === JOINT_TOPIC ? checksumAddress("0x" + log.topics[3]!.slice(26)) : account);
}
