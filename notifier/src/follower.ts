/**
 * Follows the chain: reads the registry's, the hall's and the legal rules' logs from the deployment's
 * start block in chunks, applies them in chain order, and commits a cursor after each chunk. Everything it applies
 * is idempotent, so a chunk replayed after a crash changes nothing twice; notices for events missed
 * while the notifier was stopped are queued when it starts. Reminders are checked against the chain's
 * clock once the follower has reached the head.
 */
import { EventFragment, Interface, type JsonRpcProvider, type Log } from "ethers";
import { BuildingRegistry__factory, LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";
import type { NoticeBudget } from "./budget.js";
import type { Database } from "./db.js";
import type { Logger } from "#lib/log.js";
import type { Meetings } from "./meetings.js";
import type { NoticePlanner } from "./notices.js";
import type { Recipients } from "./recipients.js";
import type { RulesVersions } from "./rules.js";

const registryInterface = new Interface(BuildingRegistry__factory.abi);
const hallInterface = new Interface(MeetingHall__factory.abi);
const rulesInterface = new Interface(LegalRules__factory.abi);

/** topic0 → event of each contract, computed once. */
function eventsByTopic(iface: Interface): Map<string, EventFragment> {
  const map = new Map<string, EventFragment>();
  iface.forEachEvent((fragment) => map.set(fragment.topicHash, fragment));
  return map;
}
const REGISTRY_EVENTS = eventsByTopic(registryInterface);
const HALL_EVENTS = eventsByTopic(hallInterface);
const RULES_EVENTS = eventsByTopic(rulesInterface);

export interface FollowerOptions {
  registry: string;
  hall: string;
  rules: string;
  startBlock: number;
  confirmations: number;
  logChunk: number;
  pollIntervalMs: number;
}

export class Follower {
  private running = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  head = -1;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly db: Database,
    private readonly meetings: Meetings,
    private readonly recipients: Recipients,
    private readonly rules: RulesVersions,
    private readonly planner: NoticePlanner,
    private readonly budget: NoticeBudget,
    private readonly options: FollowerOptions,
    private readonly log: Logger,
  ) {}

  /** The last block whose logs are applied. */
  get cursor(): number {
    const row = this.db.sql("SELECT block FROM cursor WHERE id = 1").get() as { block: number } | undefined;
    return row ? Number(row.block) : this.options.startBlock - 1;
  }

  private setCursor(block: number): void {
    this.db.sql("INSERT INTO cursor (id, block) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET block = excluded.block").run(block);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.tick();
      } catch (err) {
        this.log.warn("following the chain failed; retrying", { err, cursor: this.cursor });
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.options.pollIntervalMs);
      });
    }
  }

  /** Applies every log up to the head (less confirmations), then checks reminders. */
  async tick(): Promise<void> {
    const latest = await this.provider.getBlock("latest");
    if (!latest) return;
    const head = latest.number - this.options.confirmations;
    let from = this.cursor + 1;
    while (this.running && from <= head) {
      const to = Math.min(head, from + this.options.logChunk - 1);
      const logs = await this.provider.getLogs({ address: [this.options.registry, this.options.hall, this.options.rules], fromBlock: from, toBlock: to });
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of logs) await this.apply(log, latest.timestamp);
      await this.planner.results();
      this.setCursor(to);
      if (logs.length) this.log.debug("applied logs", { from, to, logs: logs.length });
      from = to + 1;
    }
    if (!this.running) return;
    this.head = head;
    await this.planner.reminders(latest.timestamp);
  }

  private async apply(log: Log, chainTime: number): Promise<void> {
    const emitter = log.address.toLowerCase();
    const [iface, events] =
      emitter === this.options.hall.toLowerCase()
        ? [hallInterface, HALL_EVENTS]
        : emitter === this.options.rules.toLowerCase()
          ? [rulesInterface, RULES_EVENTS]
          : [registryInterface, REGISTRY_EVENTS];
    const fragment = events.get(log.topics[0] ?? "");
    if (!fragment) return;
    const a = iface.decodeEventLog(fragment, log.data, log.topics);
    switch (fragment.name) {
      case "RulesPublished":
        this.rules.published(Number(a.version), a.sourceRef, a.quorum, a.questionTypes);
        break;
      case "JointGroupRegistered":
        // emitted before the group's first weight change: the group is no person to notify, its holders are
        this.recipients.addJointGroup(a.buildingId, a.group);
        for (const holder of a.holders as string[]) this.recipients.addMember(a.buildingId, holder);
        break;
      case "VoterWeightChanged":
        this.recipients.addMember(a.buildingId, a.voter);
        break;
      case "ResidentChanged":
        this.recipients.addMember(a.buildingId, a.resident);
        break;
      case "OwnershipChanged":
        for (const holding of a.holdings as Array<{ holders: string[] }>) for (const holder of holding.holders) this.recipients.addMember(a.buildingId, holder);
        break;
      case "MeetingAnnounced": {
        if (!this.meetings.get(a.meetingId)) {
          const announcedAt = (await this.provider.getBlock(log.blockNumber))!.timestamp;
          const record = { meetingId: a.meetingId as bigint, buildingId: a.buildingId as bigint, initiator: a.initiator as string, announcedAt };
          this.meetings.announced({
            ...record,
            kind: Number(a.kind),
            meetingType: Number(a.meetingType),
            administrator: a.administrator,
            rulesVersion: Number(a.rulesVersion),
            snapshot: Number(a.snapshot),
            votingStart: Number(a.votingStart),
            votingEnd: Number(a.votingEnd),
            agendaRef: a.agendaRef,
            questions: (a.questions as Array<{ textRef: string; questionType: bigint }>).map((q) => ({ textRef: q.textRef, questionType: Number(q.questionType) })),
            paidChannels: this.budget.decide(record),
          });
        }
        await this.planner.announced(a.meetingId, chainTime);
        break;
      }
      case "BallotCast":
        this.meetings.ballotCast(a.meetingId, a.voter);
        break;
      case "JointGroupVoted":
        this.meetings.ballotCast(a.meetingId, a.group);
        break;
      case "MeetingCancelled":
        this.meetings.cancelled(a.meetingId);
        await this.planner.cancelled(a.meetingId);
        break;
      case "MeetingFinalized":
        this.meetings.finalized(a.meetingId, a.totalWeight, a.participatingWeight, a.ballots, a.quorumReached);
        break;
      case "QuestionDecided":
        this.meetings.decided(a.meetingId, {
          questionIndex: Number(a.questionIndex),
          questionType: Number(a.questionType),
          forWeight: a.forWeight,
          againstWeight: a.againstWeight,
          abstainWeight: a.abstainWeight,
          passed: a.passed,
        });
        break;
    }
  }
}
