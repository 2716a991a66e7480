/**
 * Comparison of a recount with a published result: a protocol JSON written by `protocol` (by us or
 * anyone else). Every figure that differs is a difference.
 */
import { readFile } from "node:fs/promises";
import { UsageError } from "./errors.js";
import type { Difference } from "#lib/recount/differences.js";
import type { Recount } from "#lib/recount/recount.js";

interface PublishedResult {
  meetingId: string;
  totalWeight: string;
  participatingWeight: string;
  ballotCount: number;
  quorumReached: boolean | null;
  questions: Array<{ number: number; forWeight: string; againstWeight: string; abstainWeight: string; passed: boolean | null }>;
}

export async function readPublished(file: string): Promise<PublishedResult> {
  let json: PublishedResult;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--expect ${file}: ${(err as Error).message}`);
  }
  const ok =
    json &&
    typeof json.meetingId === "string" &&
    typeof json.totalWeight === "string" &&
    typeof json.participatingWeight === "string" &&
    Array.isArray(json.questions) &&
    json.questions.every((q) => typeof q?.number === "number" && typeof q.forWeight === "string");
  if (!ok) throw new UsageError(`--expect ${file}: not a protocol JSON (meetingId, totalWeight, participatingWeight, questions[] expected)`);
  return json;
}

export function compareWithPublished(recount: Recount, published: PublishedResult, differences: Difference[]): void {
  const where = "published result";
  const eq = (field: string, expected: string, actual: string) => {
    if (expected !== actual) differences.push({ where, field, expected, actual });
  };
  eq("meetingId", recount.meeting.meetingId.toString(), published.meetingId);
  eq("totalWeight", recount.totalWeight.toString(), published.totalWeight);
  eq("participatingWeight", recount.participatingWeight.toString(), published.participatingWeight);
  eq("ballotCount", String(recount.countedBallots), String(published.ballotCount));
  eq("quorumReached", String(recount.quorumReached), String(published.quorumReached));
  for (const q of recount.questions) {
    const p = published.questions.find((x) => x.number === q.index + 1);
    const w = `${where}, question ${q.index + 1}`;
    if (!p) {
      differences.push({ where: w, field: "question", expected: "present", actual: "missing" });
      continue;
    }
    const qeq = (field: string, expected: string, actual: string) => {
      if (expected !== actual) differences.push({ where: w, field, expected, actual });
    };
    qeq("forWeight", q.forWeight.toString(), p.forWeight);
    qeq("againstWeight", q.againstWeight.toString(), p.againstWeight);
    qeq("abstainWeight", q.abstainWeight.toString(), p.abstainWeight);
    qeq("passed", String(q.passed), String(p.passed));
  }
  if (published.questions.length > recount.questions.length) {
    differences.push({ where, field: "questions", expected: String(recount.questions.length), actual: String(published.questions.length) });
  }
}
