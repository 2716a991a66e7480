/**
 * `verify <ballotId | txHash>`: whether and how a ballot counted. A transaction hash shows every ballot
 * of that transaction; a ballot id (the EIP-712 digest the relayer returned) is looked up among the
 * counted and rejected ballots of the deployment.
 */
import { getAddress } from "ethers";
import { BallotHasher, ballotDomain, unpackChoices } from "#lib/ballot.js";
import { ChainReader, hallInterface, topicOf, type DecodedLog } from "./chain.js";
import { NotFoundError } from "./errors.js";
import { ANSWERS, REJECT_REASONS, nameAt } from "#lib/domain.js";
import { loadMeeting, recountMeeting, type CountedBallot } from "./recount.js";

export interface Verification {
  query: string;
  kind: "transaction" | "ballotId";
  ballots: Array<
    | { status: "counted"; meetingId: bigint; ballot: CountedBallot; expectedWeight: string; weightMatchesRegister: boolean; timestamp: number }
    | { status: "rejected"; meetingId: bigint; voter: string; reason: string; transactionHash: string; blockNumber: number; logIndex: number }
  >;
}

export async function verify(reader: ChainReader, query: string): Promise<Verification> {
  const receipt = await reader.provider.getTransactionReceipt(query);
  const hall = reader.deployment.contracts.MeetingHall.address.toLowerCase();
  let logs: DecodedLog[];
  let kind: Verification["kind"];
  if (receipt) {
    kind = "transaction";
    logs = receipt.logs
      .filter((l) => l.address.toLowerCase() === hall)
      .map((l) => {
        const parsed = hallInterface.parseLog(l);
        return parsed && { name: parsed.name, args: parsed.args, blockNumber: l.blockNumber, blockHash: l.blockHash, transactionHash: l.transactionHash, logIndex: l.index, address: l.address };
      })
      .filter((l): l is DecodedLog => !!l && (l.name === "BallotCast" || l.name === "BallotRejected"));
    if (logs.length === 0) throw new NotFoundError(`transaction ${query} carries no ballot of this deployment's MeetingHall`);
  } else {
    kind = "ballotId";
    const hasher = new BallotHasher(ballotDomain(reader.deployment.chainId, reader.deployment.contracts.MeetingHall.address));
    const all = await reader.logs("hall", [[topicOf(hallInterface, "BallotCast")]]);
    const match = all.find((e) => hasher.digest(e.args.meetingId, e.args.voter, e.args.choices) === query.toLowerCase());
    if (!match) throw new NotFoundError(`no counted ballot has id ${query} and no transaction has this hash (a ballot still queued at the relayer is not on the chain yet)`);
    logs = [match];
  }

  const out: Verification = { query, kind, ballots: [] };
  const recounts = new Map<bigint, Awaited<ReturnType<typeof recountMeeting>>>();
  for (const log of logs) {
    const meetingId: bigint = log.args.meetingId;
    if (log.name === "BallotRejected") {
      out.ballots.push({
        status: "rejected",
        meetingId,
        voter: getAddress(log.args.voter),
        reason: nameAt(REJECT_REASONS, log.args.reason) ?? String(log.args.reason),
        transactionHash: log.transactionHash,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
      });
      continue;
    }
    let recount = recounts.get(meetingId);
    if (!recount) {
      recount = await recountMeeting(reader, meetingId);
      recounts.set(meetingId, recount);
    }
    const ballot = recount.ballots.find((b) => b.transactionHash === log.transactionHash && b.logIndex === log.logIndex);
    if (!ballot) throw new NotFoundError(`ballot at log ${log.logIndex} of ${log.transactionHash} not found in the recount`);
    const diff = recount.differences.filter((d) => d.where.startsWith(`ballot of ${ballot.voter} (tx ${ballot.transactionHash}`) && d.field === "weight");
    out.ballots.push({
      status: "counted",
      meetingId,
      ballot,
      expectedWeight: diff[0]?.expected ?? ballot.weight.toString(),
      weightMatchesRegister: diff.length === 0,
      timestamp: await reader.timestampOf(ballot.blockNumber),
    });
  }
  return out;
}

export function describeChoices(choices: bigint, questionCount: number): string {
  return unpackChoices(choices, questionCount)
    .map((a, i) => `${i + 1}: ${ANSWERS[a] || "—"}`)
    .join(", ");
}

export { loadMeeting };
