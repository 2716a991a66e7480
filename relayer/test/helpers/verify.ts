/** Checks on the chain itself: how many times each ballot was counted. */
import type { JsonRpcProvider } from "ethers";
import { meetingHallInterface } from "../../src/chain.js";
import type { Fixture } from "./chain.js";

/** BallotCast events per `meetingId:voter`. */
export async function castCounts(fx: Fixture, provider: JsonRpcProvider): Promise<Map<string, number>> {
  const topic = meetingHallInterface.getEvent("BallotCast")!.topicHash;
  const logs = await provider.getLogs({
    address: fx.deployment.contracts.MeetingHall.address,
    fromBlock: fx.deployment.startBlock,
    toBlock: "latest",
    topics: [topic],
  });
  const counts = new Map<string, number>();
  for (const log of logs) {
    const parsed = meetingHallInterface.parseLog(log)!;
    const key = `${parsed.args.meetingId}:${parsed.args.voter}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
