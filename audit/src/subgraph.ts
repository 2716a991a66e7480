/**
 * Comparison of a recount with the subgraph's view of the same meeting, read over GraphQL: the
 * meeting's totals, each question's tally and decision, and every ballot (voter, weight, choices,
 * transaction, log index). A tampered index shows up as a named difference.
 */
import { getAddress } from "ethers";
import { UnreachableError } from "./errors.js";
import type { Difference } from "./differences.js";
import type { Recount } from "./recount.js";

const PAGE = 1000;

interface SubgraphMeeting {
  ballotCount: number;
  participatingWeight: string;
  totalWeight: string | null;
  quorumReached: boolean | null;
  status: string;
  questions: Array<{ index: number; forWeight: string; againstWeight: string; abstainWeight: string; passed: boolean | null }>;
}

interface SubgraphBallot {
  id: string;
  voter: string;
  weight: string;
  choices: string;
  transactionHash: string;
  logIndex: string;
}

async function query<T>(url: string, text: string, variables: Record<string, unknown>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: text, variables }) });
  } catch (err) {
    throw new UnreachableError(`GraphQL endpoint ${url} is unreachable: ${(err as Error).message}`, err);
  }
  const body = (await response.json().catch(() => null)) as { data?: T; errors?: Array<{ message: string }> } | null;
  if (!response.ok || !body || body.errors?.length || !body.data) {
    const why = body?.errors?.map((e) => e.message).join("; ") ?? `HTTP ${response.status}`;
    throw new UnreachableError(`GraphQL endpoint ${url} answered with an error: ${why}`);
  }
  return body.data;
}

export async function compareWithSubgraph(url: string, recount: Recount, differences: Difference[]): Promise<void> {
  const id = recount.meeting.meetingId.toString();
  const { meeting } = await query<{ meeting: SubgraphMeeting | null }>(
    url,
    `query ($id: ID!) { meeting(id: $id) { ballotCount participatingWeight totalWeight quorumReached status
       questions(first: 64, orderBy: index, orderDirection: asc) { index forWeight againstWeight abstainWeight passed } } }`,
    { id },
  );
  const where = "subgraph, meeting";
  if (!meeting) {
    differences.push({ where, field: "meeting", expected: `meeting ${id}`, actual: "missing" });
    return;
  }
  const eq = (w: string, field: string, expected: string, actual: string) => {
    if (expected !== actual) differences.push({ where: w, field, expected, actual });
  };
  eq(where, "ballotCount", String(recount.countedBallots), String(meeting.ballotCount));
  eq(where, "participatingWeight", recount.participatingWeight.toString(), meeting.participatingWeight);
  eq(where, "status", recount.status, meeting.status);
  if (recount.status === "Finalized") {
    eq(where, "totalWeight", recount.totalWeight.toString(), String(meeting.totalWeight));
    eq(where, "quorumReached", String(recount.quorumReached), String(meeting.quorumReached));
  }
  for (const q of recount.questions) {
    const s = meeting.questions.find((x) => x.index === q.index);
    const w = `subgraph, question ${q.index + 1}`;
    if (!s) {
      differences.push({ where: w, field: "question", expected: "present", actual: "missing" });
      continue;
    }
    eq(w, "forWeight", q.forWeight.toString(), s.forWeight);
    eq(w, "againstWeight", q.againstWeight.toString(), s.againstWeight);
    eq(w, "abstainWeight", q.abstainWeight.toString(), s.abstainWeight);
    if (recount.status === "Finalized") eq(w, "passed", String(q.passed), String(s.passed));
  }

  // every ballot, paged by id
  const indexed = new Map<string, SubgraphBallot>();
  let after = "0x";
  for (;;) {
    const { ballots } = await query<{ ballots: SubgraphBallot[] }>(
      url,
      `query ($meeting: String!, $after: Bytes!, $first: Int!) {
         ballots(first: $first, orderBy: id, orderDirection: asc, where: { meeting: $meeting, id_gt: $after }) {
           id voter weight choices transactionHash logIndex } }`,
      { meeting: id, after, first: PAGE },
    );
    for (const b of ballots) indexed.set(`${b.transactionHash.toLowerCase()}:${Number(b.logIndex)}`, b);
    if (ballots.length < PAGE) break;
    after = ballots[ballots.length - 1].id;
  }
  for (const b of recount.ballots) {
    const key = `${b.transactionHash.toLowerCase()}:${b.logIndex}`;
    const s = indexed.get(key);
    const w = `subgraph, ballot of ${b.voter} (tx ${b.transactionHash}, log ${b.logIndex})`;
    indexed.delete(key);
    if (!s) {
      differences.push({ where: w, field: "ballot", expected: "indexed", actual: "missing" });
      continue;
    }
    eq(w, "voter", b.voter, getAddress(s.voter));
    eq(w, "weight", b.weight.toString(), s.weight);
    eq(w, "choices", b.choices.toString(), s.choices);
  }
  for (const s of indexed.values()) {
    differences.push({ where: `subgraph, ballot ${s.id}`, field: "ballot", expected: "absent (not on chain)", actual: `voter ${s.voter}` });
  }
}
