/** The protocol's tables as CSV: one row a question, one row a counted ballot (the figures of the model). */
import { csvRow } from "./format.js";
import type { ProtocolDocument } from "./model.js";

export function protocolCsv(doc: ProtocolDocument): { questions: string; ballots: string } {
  const questions = [
    csvRow(["meetingId", "question", "textRef", "questionType", "code", "forWeight", "againstWeight", "abstainWeight", "noAnswerWeight", "forPercentOfParticipants", "againstPercentOfParticipants", "abstainPercentOfParticipants", "forPercentOfAll", "passed", "totalWeight", "participatingWeight", "quorumReached", "rule", "article"]),
    ...doc.questions.map((q) =>
      csvRow([doc.meetingId, q.number, q.textRef, q.questionType, q.code, q.forWeight, q.againstWeight, q.abstainWeight, q.noAnswerWeight, q.forPercentOfParticipants, q.againstPercentOfParticipants, q.abstainPercentOfParticipants, q.forPercentOfAll, q.passed, doc.totalWeight, doc.participatingWeight, doc.quorumReached, q.threshold, q.article]),
    ),
  ].join("\n");
  const ballots = [
    csvRow(["meetingId", "voter", "representative", "powerOfAttorney", "form", "weight", "jointWith", "answers", "scanHash", "transactionHash", "blockNumber", "via"]),
    ...doc.ballots.map((b) => csvRow([doc.meetingId, b.voter, b.representative, b.powerOfAttorney, b.form, b.weight, b.jointWith.join(" "), b.answers.join(" "), b.scanHash, b.transactionHash, b.blockNumber, b.via])),
  ].join("\n");
  return { questions: questions + "\n", ballots: ballots + "\n" };
}

