/**
 * Comparison of a recount with the subgraph's view of the same meeting, read over GraphQL: the
 * meeting's record (kind, type, administrator, rules version, totals, counts of rejected and
 * discarded ballots), each question's type, tally and decision, every counted ballot (voter,
 * representative, form, weight, choices, void mask and the joint groups counted within it), and every
 * rejected ballot (who signed it, its id and reason). A tampered index shows up as a named difference.
 */
import { getAddress } from "ethers";
import { UnreachableError } from "#lib/recount/errors.js";
import type { Difference } from "#lib/recount/differences.js";
import type { Recount } from "#lib/recount/recount.js";

const PAGE = 1000;

interface SubgraphMeeting {
  kind: string;
  meetingType: string;
  administrator: string;
  rulesVersion: number;
  ballotCount: number;
  rejectedBallotCount: number;
  discardedBallotCount: number;
  participatingWeight: string;
  totalWeight: string | null;
  quorumReached: boolean | null;
  status: string;
  questions: Array<{ index: number; questionType: number; code: string | null; forWeight: string; againstWeight: string; abstainWeight: string; voidWeight: string; unansweredWeight: string; passed: boolean | null }>;
}

interface SubgraphBallot {
  id: string;
  voter: string;
  representative: string | null;
  form: string;
  weight: string;
  choices: string;
  voidMask: string;
  jointGroupVotes: Array<{ weight: string; group: { address: string } }>;
  transactionHash: string;
  logIndex: string;
}

interface SubgraphRejected {
  id: string;
  voter: string;
  representative: string | null;
  signer: string;
  ballotId: string;
  reason: string;
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

/** Every entity of a meeting from one collection, paged by id. */
async function all<T extends { id: string }>(url: string, collection: string, fields: string, meetingId: string): Promise<T[]> {
  const out: T[] = [];
  let after = "0x";
  for (;;) {
    const page = await query<Record<string, T[]>>(
      url,
      `query ($meeting: String!, $after: Bytes!, $first: Int!) {
         ${collection}(first: $first, orderBy: id, orderDirection: asc, where: { meeting: $meeting, id_gt: $after }) { id ${fields} } }`,
      { meeting: meetingId, after, first: PAGE },
    );
    const rows = page[collection] ?? [];
    out.push(...rows);
    if (rows.length < PAGE) return out;
    after = rows[rows.length - 1].id;
  }
}

const address = (a: string | null) => (a === null ? null : getAddress(a));

export async function compareWithSubgraph(url: string, recount: Recount, differences: Difference[]): Promise<void> {
  const id = recount.meeting.meetingId.toString();
  const { meeting } = await query<{ meeting: SubgraphMeeting | null }>(
    url,
    `query ($id: ID!) { meeting(id: $id) { kind meetingType administrator rulesVersion ballotCount rejectedBallotCount discardedBallotCount
       participatingWeight totalWeight quorumReached status
       questions(first: 64, orderBy: index, orderDirection: asc) { index questionType code forWeight againstWeight abstainWeight voidWeight unansweredWeight passed } } }`,
    { id },
  );
  const where = "subgraph, meeting";
  if (!meeting) {
    differences.push({ where, field: "meeting", expected: `meeting ${id}`, actual: "missing" });
    return;
  }
  const eq = (w: string, field: string, expected: string | null, actual: string | null) => {
    if (expected !== actual) differences.push({ where: w, field, expected: String(expected), actual: String(actual) });
  };
  const m = recount.meeting;
  eq(where, "kind", m.kind, meeting.kind);
  eq(where, "meetingType", m.meetingType, meeting.meetingType);
  eq(where, "administrator", m.administrator, address(meeting.administrator));
  eq(where, "rulesVersion", String(m.rulesVersion), String(meeting.rulesVersion));
  eq(where, "ballotCount", String(recount.countedBallots), String(meeting.ballotCount));
  eq(where, "rejectedBallotCount", String(recount.rejected.length), String(meeting.rejectedBallotCount));
  eq(where, "discardedBallotCount", String(recount.discarded.length), String(meeting.discardedBallotCount));
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
    eq(w, "questionType", String(q.questionType), String(s.questionType));
    eq(w, "code", q.code, s.code);
    eq(w, "forWeight", q.forWeight.toString(), s.forWeight);
    eq(w, "againstWeight", q.againstWeight.toString(), s.againstWeight);
    eq(w, "abstainWeight", q.abstainWeight.toString(), s.abstainWeight);
    eq(w, "void and unanswered weight", q.noAnswerWeight.toString(), (BigInt(s.voidWeight) + BigInt(s.unansweredWeight)).toString());
    if (recount.status === "Finalized") eq(w, "passed", String(q.passed), String(s.passed));
  }

  // every counted ballot, paged by id
  const key = (tx: string, logIndex: number | string) => `${tx.toLowerCase()}:${Number(logIndex)}`;
  const indexed = new Map(
    (await all<SubgraphBallot>(url, "ballots", "voter representative form weight choices voidMask jointGroupVotes { weight group { address } } transactionHash logIndex", id)).map((b) => [key(b.transactionHash, b.logIndex), b]),
  );
  for (const b of recount.ballots) {
    const k = key(b.transactionHash, b.logIndex);
    const s = indexed.get(k);
    const w = `subgraph, ballot of ${b.voter} (tx ${b.transactionHash}, log ${b.logIndex})`;
    indexed.delete(k);
    if (!s) {
      differences.push({ where: w, field: "ballot", expected: "indexed", actual: "missing" });
      continue;
    }
    eq(w, "voter", b.voter, getAddress(s.voter));
    eq(w, "representative", b.representative, address(s.representative));
    eq(w, "form", b.form, s.form);
    eq(w, "weight", b.weight.toString(), s.weight);
    eq(w, "choices", b.choices.toString(), s.choices);
    eq(w, "voidMask", b.voidMask.toString(), s.voidMask);
    const groups = (list: Array<{ group: string; weight: string }>) => list.map((g) => `${getAddress(g.group)}:${g.weight}`).sort().join(" ");
    eq(w, "joint groups", groups(b.jointGroups.map((g) => ({ group: g.group, weight: g.weight.toString() }))), groups(s.jointGroupVotes.map((g) => ({ group: g.group.address, weight: g.weight }))));
  }
  for (const s of indexed.values()) {
    differences.push({ where: `subgraph, ballot ${s.id}`, field: "ballot", expected: "absent (not on chain)", actual: `voter ${s.voter}` });
  }

  // every rejected ballot, by what it proves
  const rejected = new Map((await all<SubgraphRejected>(url, "rejectedBallots", "voter representative signer ballotId reason transactionHash logIndex", id)).map((r) => [key(r.transactionHash, r.logIndex), r]));
  for (const r of recount.rejected) {
    const k = key(r.transactionHash, r.logIndex);
    const s = rejected.get(k);
    const w = `subgraph, rejected ballot of ${r.voter} (tx ${r.transactionHash}, log ${r.logIndex})`;
    rejected.delete(k);
    if (!s) {
      differences.push({ where: w, field: "rejected ballot", expected: "indexed", actual: "missing" });
      continue;
    }
    eq(w, "voter", r.voter, getAddress(s.voter));
    eq(w, "representative", r.representative, address(s.representative));
    eq(w, "signer", r.signer, getAddress(s.signer));
    eq(w, "ballotId", r.ballotId.toLowerCase(), s.ballotId.toLowerCase());
    eq(w, "reason", r.reason, s.reason);
  }
  for (const s of rejected.values()) {
    differences.push({ where: `subgraph, rejected ballot ${s.id}`, field: "rejected ballot", expected: "absent (not on chain)", actual: `voter ${s.voter}` });
  }
}
