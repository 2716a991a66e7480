/**
 * Ballot load for the tests on the network: signed ballots posted to the relayer at a steady pace
 * while something happens to the nodes, and the check that every ballot the relayer acknowledged is
 * counted exactly once on the final chain, where the relayer says it is.
 */
import { JsonRpcProvider, Wallet, type TypedDataDomain } from "ethers";
import { IMeetingHall__factory } from "#typechain/index.js";
import type { Deployment } from "#lib/deployment.js";
import { signedBallot } from "../../../relayer/test/helpers/chain.js";
import { postLoad, type JsonResponse } from "../../../relayer/test/helpers/http.js";
import { sleep } from "../../wait.js";
import { settled, type BallotState } from "./system.js";

const hall = IMeetingHall__factory.createInterface();
export const CAST_TOPIC = hall.getEvent("BallotCast")!.topicHash;

export interface LoadItem {
  id: string;
  meetingId: bigint;
  voter: string;
  body: Record<string, string>;
}

/** Every voter's ballot in each meeting, For/Against/Abstain in turn, signed by the voter with the meeting's close as its deadline. */
export function ballotsOf(domain: TypedDataDomain, voters: Wallet[], meetings: Array<{ meetingId: bigint; votingEnd: number }>, questions: number): LoadItem[] {
  const items: LoadItem[] = [];
  for (const [v, voter] of voters.entries()) {
    for (const { meetingId, votingEnd } of meetings) {
      let choices = 0n;
      for (let q = 0; q < questions; q++) choices |= BigInt(1 + ((v + q) % 3)) << BigInt(2 * q);
      const { id, body } = signedBallot(domain, voter, meetingId, choices, { deadline: BigInt(votingEnd) });
      items.push({ id, meetingId, voter: voter.address, body });
    }
  }
  return items;
}

/**
 * Posts the items in chunks, `perSecond` a second, each chunk by a few concurrent clients. A ballot is
 * acknowledged on a 202 with its id; 5xx and 429 are retried (the load waits while the relayer cannot
 * take ballots: its node down), 4xx are refusals.
 */
export class BallotLoad {
  readonly acked = new Set<string>();
  readonly refused = new Map<string, JsonResponse>();
  private stopping = false;
  private next = 0;
  private readonly running: Promise<void>;

  constructor(
    private readonly relayerUrl: () => string,
    private readonly items: LoadItem[],
    perSecond: number,
    /** A client token of the relayer: the load is one client, and an anonymous one would be rate limited. */
    token?: string,
  ) {
    const chunk = Math.max(1, Math.round(perSecond / 5));
    this.running = (async () => {
      while (!this.stopping && this.next < this.items.length) {
        const tick = Date.now();
        const batch = this.items.slice(this.next, this.next + chunk);
        this.next += batch.length;
        const { acked, refused } = await postLoad(this.relayerUrl, batch, Math.min(4, batch.length), { giveUp: () => this.stopping, token });
        for (const id of acked) this.acked.add(id);
        for (const [id, r] of refused) this.refused.set(id, r);
        await sleep(Math.max(0, 200 - (Date.now() - tick)));
      }
    })();
  }

  /** How many ballots have been acknowledged so far. */
  get count(): number {
    return this.acked.size;
  }

  /** Stops posting (a ballot whose post is being retried is given up, not acknowledged). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Waits until every item has been posted. */
  async finish(): Promise<void> {
    await this.running;
  }

  ackedItems(): LoadItem[] {
    return this.items.filter((i) => this.acked.has(i.id));
  }
}

export interface CountResult {
  acked: number;
  confirmed: number;
  /** Acknowledged, and not on the final chain (or rejected). */
  lost: string[];
  /** Counted more than once. */
  twice: string[];
  /** Confirmed by the relayer at a transaction or block other than where the final chain holds the ballot. */
  misplaced: string[];
  states: Map<string, BallotState>;
}

/** BallotCast events on the chain, by `meetingId:voter`. */
export async function castsOnChain(provider: JsonRpcProvider, deployment: Deployment): Promise<Map<string, Array<{ txHash: string; blockNumber: number }>>> {
  const logs = await provider.getLogs({ address: deployment.contracts.MeetingHall.address, fromBlock: deployment.startBlock, toBlock: "latest", topics: [CAST_TOPIC] });
  const casts = new Map<string, Array<{ txHash: string; blockNumber: number }>>();
  for (const log of logs) {
    const key = `${BigInt(log.topics[1]!)}:${("0x" + log.topics[2]!.slice(26)).toLowerCase()}`;
    casts.set(key, [...(casts.get(key) ?? []), { txHash: log.transactionHash, blockNumber: log.blockNumber }]);
  }
  return casts;
}

/**
 * Waits until the relayer has settled every acknowledged ballot, then holds each against the final
 * chain as `provider` (an observer) sees it once the relayer's last block is final there too.
 */
export async function countAcknowledged(relayerUrl: string, provider: JsonRpcProvider, deployment: Deployment, acked: LoadItem[], confirmations: number): Promise<CountResult> {
  const states = await settled(relayerUrl, acked.map((i) => i.id));
  const last = Math.max(0, ...[...states.values()].map((s) => s.blockNumber ?? 0));
  while ((await provider.getBlockNumber()) < last + confirmations) await sleep(250);
  const casts = await castsOnChain(provider, deployment);
  const result: CountResult = { acked: acked.length, confirmed: 0, lost: [], twice: [], misplaced: [], states };
  for (const item of acked) {
    const state = states.get(item.id)!;
    const onChain = casts.get(`${item.meetingId}:${item.voter.toLowerCase()}`) ?? [];
    if (state.status === "confirmed") result.confirmed++;
    if (state.status !== "confirmed" || onChain.length === 0) result.lost.push(`${item.id} (${state.status}${state.reason ? `: ${state.reason}` : ""}, ${onChain.length} on chain)`);
    else if (onChain.length > 1) result.twice.push(`${item.id} (${onChain.length} times)`);
    else if (onChain[0]!.txHash !== state.txHash || onChain[0]!.blockNumber !== state.blockNumber) {
      result.misplaced.push(`${item.id}: relayer ${state.txHash}@${state.blockNumber}, chain ${onChain[0]!.txHash}@${onChain[0]!.blockNumber}`);
    }
  }
  return result;
}
