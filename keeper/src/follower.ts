/**
 * Follows the meeting hall's announcements: reads `MeetingAnnounced` logs from the deployment's start
 * block to the head less the confirmations, in chunks, records each meeting (id, building, end of
 * voting) and commits the cursor with them in one transaction. Replaying a chunk after a crash
 * changes nothing. Whether a meeting is still open is never taken from here: the closer asks the
 * contract before it acts.
 */
import { Interface, type JsonRpcProvider } from "ethers";
import { MeetingHall__factory } from "#typechain/index.js";
import type { Logger } from "#lib/log.js";
import { now, type Database } from "./db.js";

const hall = new Interface(MeetingHall__factory.abi);
const ANNOUNCED = hall.getEvent("MeetingAnnounced")!;

export interface FollowerOptions {
  hall: string;
  startBlock: number;
  confirmations: number;
  logChunk: number;
}

export class Follower {
  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly db: Database,
    private readonly options: FollowerOptions,
    private readonly log: Logger,
  ) {}

  get cursor(): number {
    const row = this.db.sql("SELECT block FROM cursor WHERE id = 1").get() as { block: number } | undefined;
    return row ? Number(row.block) : this.options.startBlock - 1;
  }

  /** Records every announcement up to `head` less the confirmations. */
  async follow(head: number): Promise<void> {
    const last = head - this.options.confirmations;
    let from = this.cursor + 1;
    while (from <= last) {
      const to = Math.min(last, from + this.options.logChunk - 1);
      const logs = await this.provider.getLogs({ address: this.options.hall, topics: [ANNOUNCED.topicHash], fromBlock: from, toBlock: to });
      this.db.transaction(() => {
        for (const log of logs) {
          const a = hall.decodeEventLog(ANNOUNCED, log.data, log.topics);
          this.db
            .sql("INSERT INTO meetings (meeting_id, building_id, voting_end, announced_block, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (meeting_id) DO NOTHING")
            .run(a.meetingId.toString(), a.buildingId.toString(), Number(a.votingEnd), log.blockNumber, now());
        }
        this.db.sql("INSERT INTO cursor (id, block) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET block = excluded.block").run(to);
      });
      if (logs.length) this.log.info("meetings announced", { from, to, meetings: logs.length });
      from = to + 1;
    }
  }
}
