/**
 * Prepares intake for the meetings people are voting in: at start-up (before the relayer reports
 * ready, within a time bound) and then every minute for meetings announced since, it reads the
 * MeetingHall's MeetingAnnounced events and has intake load each open meeting's window, register at
 * the snapshot and voters so far. A meeting this misses (its snapshot was still ahead) is loaded by
 * its first ballot, as before.
 */
import { toQuantity, type JsonRpcProvider } from "ethers";
import { meetingHallInterface } from "./chain.js";
import { AppError } from "#lib/errors.js";
import type { Logger } from "#lib/log.js";
import type { Intake } from "./intake.js";

const ANNOUNCED_TOPIC = meetingHallInterface.getEvent("MeetingAnnounced")!.topicHash;
/** The most meetings prepared at once, and at all in one pass (the newest). */
const CONCURRENCY = 8;
const MAX_MEETINGS = 1_000;

export class MeetingPrefetcher {
  private scannedTo: number;
  private readonly waiting = new Set<bigint>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly hallAddress: string,
    startBlock: number,
    private readonly intake: Intake,
    private readonly log: Logger,
  ) {
    this.scannedTo = startBlock - 1;
  }

  /** One pass, giving up after `timeoutMs` (the pass goes on in the background). */
  async run(timeoutMs: number): Promise<void> {
    const pass = this.pass().catch((err) => this.log.warn("preparing meetings failed", { err }));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pass, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Passes every `intervalMs` from now on. */
  follow(intervalMs = 60_000): void {
    this.timer = setInterval(() => void this.pass().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async pass(): Promise<void> {
    const to = Number(BigInt(await this.provider.send("eth_blockNumber", [])));
    if (to > this.scannedTo) {
      const logs: Array<{ topics: string[] }> = await this.provider.send("eth_getLogs", [
        { address: this.hallAddress, fromBlock: toQuantity(this.scannedTo + 1), toBlock: toQuantity(to), topics: [ANNOUNCED_TOPIC] },
      ]);
      for (const log of logs) this.waiting.add(BigInt(log.topics[1]!));
      this.scannedTo = to;
    }
    const ids = [...this.waiting].slice(-MAX_MEETINGS);
    let prepared = 0;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          const outcome = await this.intake.prepare(id);
          if (outcome !== "later") this.waiting.delete(id);
          if (outcome === "prepared") prepared++;
        } catch (err) {
          if (err instanceof AppError && err.code === "unknown_meeting") this.waiting.delete(id);
          else this.log.debug("a meeting could not be prepared", { meetingId: id, err });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (prepared > 0) this.log.info("meetings prepared for intake", { prepared });
  }
}
