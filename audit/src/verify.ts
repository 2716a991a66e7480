/**
 * `verify <ballotId | txHash>`: whether and how a ballot counted. A transaction hash shows every
 * ballot of that transaction (counted, rejected, discarded); a ballot id (the EIP-712 digest the
 * relayer returned) is looked up among the rejected ballots, which carry it, and the signed ballots in
 * the calldata of every relayed batch.
 */
import { BallotHasher, ballotDomain, unpackChoices, unpackPaperChoices } from "#lib/ballot.js";
import { ANSWERS, BALLOT_FORMS, nameAt } from "#lib/domain.js";
import { hallCallsOf } from "#lib/recount/calldata.js";
import { ChainReader, hallInterface, topicOf, type DecodedLog } from "#lib/recount/chain.js";
import type { Difference } from "#lib/recount/differences.js";
import { NotFoundError } from "#lib/recount/errors.js";
import { ballotLabel, recountMeeting, type CountedBallot, type DiscardedBallot, type Recount, type RejectedBallot } from "#lib/recount/recount.js";

export type VerifiedBallot =
  | { status: "counted"; meetingId: bigint; ballot: CountedBallot; expectedWeight: string; weightMatchesRegister: boolean; timestamp: number; differences: Difference[] }
  | ({ status: "rejected"; meetingId: bigint } & RejectedBallot)
  | ({ status: "discarded"; meetingId: bigint } & DiscardedBallot);

export interface Verification {
  query: string;
  kind: "transaction" | "ballotId";
  ballots: VerifiedBallot[];
}

const OUTCOMES = new Set(["BallotCast", "BallotRejected", "BallotDiscarded"]);

export async function verify(reader: ChainReader, query: string): Promise<Verification> {
  const receipt = await reader.provider.getTransactionReceipt(query);
  const hall = reader.addressOf("hall").toLowerCase();
  let wanted: Array<{ meetingId: bigint; transactionHash: string; logIndex?: number; ballotId?: string }>;
  let kind: Verification["kind"];
  if (receipt) {
    kind = "transaction";
    wanted = receipt.logs
      .filter((l) => l.address.toLowerCase() === hall)
      .map((l) => ({ log: l, parsed: hallInterface.parseLog(l) }))
      .filter((x) => x.parsed && OUTCOMES.has(x.parsed.name))
      .map((x) => ({ meetingId: x.parsed!.args.meetingId as bigint, transactionHash: x.log.transactionHash, logIndex: x.log.index }));
    if (wanted.length === 0) throw new NotFoundError(`transaction ${query} carries no ballot of this deployment's MeetingHall`);
  } else {
    kind = "ballotId";
    const found = await findBallotId(reader, query.toLowerCase());
    if (!found) throw new NotFoundError(`no ballot has id ${query} and no transaction has this hash (a ballot still queued at the relayer is not on the chain yet)`);
    wanted = [found];
  }

  const out: Verification = { query, kind, ballots: [] };
  const recounts = new Map<bigint, Recount>();
  for (const w of wanted) {
    let recount = recounts.get(w.meetingId);
    if (!recount) {
      recount = await recountMeeting(reader, w.meetingId);
      recounts.set(w.meetingId, recount);
    }
    const at = (x: { transactionHash: string; logIndex: number }) => x.transactionHash === w.transactionHash && (w.logIndex === undefined || x.logIndex === w.logIndex);
    const rejected = recount.rejected.find((r) => at(r) && (w.ballotId === undefined || r.ballotId.toLowerCase() === w.ballotId));
    if (rejected) {
      out.ballots.push({ status: "rejected", meetingId: w.meetingId, ...rejected });
      continue;
    }
    const discarded = recount.discarded.find((d) => at(d));
    if (discarded && w.ballotId === undefined) {
      out.ballots.push({ status: "discarded", meetingId: w.meetingId, ...discarded });
      continue;
    }
    const ballot = recount.ballots.find((b) => at(b) && (w.ballotId === undefined || b.ballotId === w.ballotId));
    if (!ballot) throw new NotFoundError(`ballot ${w.ballotId ?? `at log ${w.logIndex}`} of ${w.transactionHash} not found in the recount of meeting ${w.meetingId}`);
    const label = ballotLabel(ballot.voter, ballot.transactionHash, ballot.logIndex);
    const differences = recount.differences.filter((d) => d.where === label);
    out.ballots.push({
      status: "counted",
      meetingId: w.meetingId,
      ballot,
      expectedWeight: ballot.expectedWeight.toString(),
      weightMatchesRegister: ballot.expectedWeight === ballot.weight,
      timestamp: await reader.timestampOf(ballot.blockNumber),
      differences,
    });
  }
  return out;
}

/**
 * Where a ballot id occurs: a `BallotRejected` that names it, or a signed ballot in the calldata of a
 * batch that counted relayed ballots whose digest it is.
 */
async function findBallotId(reader: ChainReader, ballotId: string): Promise<{ meetingId: bigint; transactionHash: string; ballotId: string } | undefined> {
  const rejected = await reader.logs("hall", [[topicOf(hallInterface, "BallotRejected")]]);
  const hit = rejected.find((e) => String(e.args.ballotId).toLowerCase() === ballotId);
  if (hit) return { meetingId: hit.args.meetingId, transactionHash: hit.transactionHash, ballotId };

  const cast = await reader.logs("hall", [[topicOf(hallInterface, "BallotCast")]]);
  const batches = new Map<string, DecodedLog>();
  for (const e of cast) if (nameAt(BALLOT_FORMS, e.args.form) === "Relayed" && !batches.has(e.transactionHash)) batches.set(e.transactionHash, e);
  const hasher = new BallotHasher(ballotDomain(reader.deployment.chainId, reader.addressOf("hall")));
  const txs = await reader.transactions([...batches.keys()]);
  for (const [hash, tx] of txs) {
    if (!tx) continue;
    for (const call of hallCallsOf(tx, reader.addressOf("hall"), reader.addressOf("forwarder")) ?? []) {
      if (call.name !== "castBallotsBySig" || !call.args) continue;
      const meetingId = call.args[0] as bigint;
      for (const s of call.args[1] as Array<{ voter: string; representative: string; choices: bigint; deadline: bigint }>) {
        if (hasher.digest(meetingId, s.voter, s.choices, s.representative, s.deadline) === ballotId) return { meetingId, transactionHash: hash, ballotId };
      }
    }
  }
  return undefined;
}

/** A ballot's answers in words: "1: For, 2: Against, 3: void, …". */
export function describeChoices(ballot: Pick<CountedBallot, "choices" | "voidMask" | "form">, questionCount: number): string {
  const answers =
    ballot.form === "Paper"
      ? unpackPaperChoices({ choices: ballot.choices, voidMask: ballot.voidMask }, questionCount).map((a) => (typeof a === "string" ? a : ANSWERS[a]))
      : unpackChoices(ballot.choices, questionCount).map((a) => ANSWERS[a as 1 | 2 | 3] || "—");
  return answers.map((a, i) => `${i + 1}: ${a}`).join(", ");
}

