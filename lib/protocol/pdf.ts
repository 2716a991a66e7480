/**
 * The protocol's PDF: A4, DejaVu Sans (for Cyrillic), laid out from the model as a list of blocks.
 * The blocks that carry a figure the chain decides (totals, participation, quorum, each question's
 * For / Against / Abstain and decision, each counted ballot) are marked, so that a verifier can
 * rebuild them from a recount and find each, in order, in the text of a PDF it is given
 * (`chainFigureLines`). The bytes are deterministic: the creation date is the protocol's own date, so
 * the same protocol always renders to the same file (and the same document id in a store).
 */
import { createRequire } from "node:module";
import path from "node:path";
import PDFDocument from "pdfkit";
import { LABELS } from "./labels.js";
import type { ProtocolDocument } from "./model.js";

const require = createRequire(import.meta.url);
const FONT_DIR = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");

/** One element of the layout. `figure`: its text is decided by the chain alone (see the module's note). */
export type Block =
  | { kind: "title" | "subtitle" | "heading" | "question" | "small" | "text" | "emphasis"; text: string; figure?: boolean }
  | { kind: "field"; label: string; value: string; figure?: boolean }
  | { kind: "page" };

/** The protocol laid out. */
export function protocolBlocks(doc: ProtocolDocument): Block[] {
  const L = LABELS[doc.language];
  const poll = doc.kind === "Poll";
  const out: Block[] = [];
  const field = (label: string, value: string, figure = false) => out.push({ kind: "field", label, value, figure });
  const party = (p: ProtocolDocument["initiatorParty"]) => (p.name ? `${p.name}${p.identity ? ` (${L.identity}: ${p.identity})` : ""}, ${p.account}` : p.account);

  out.push({ kind: "title", text: L.title(poll) });
  out.push({ kind: "subtitle", text: L.form(poll) });
  field(L.number(poll), doc.number, true);
  field(L.drawnUp, doc.drawnUpAt ?? L.pending, true);
  field(L.place, doc.place);
  field(L.status, L.statuses[doc.status], true);
  if (!poll) field(L.meetingType, L.meetingTypes[doc.meetingType], true);
  if (doc.building) field(L.address, `${doc.building.address} (${L.cadastralNumber} ${doc.building.cadastralNumber})`);
  field(L.building, doc.buildingId, true);
  field(L.initiator, party(doc.initiatorParty));
  if (!poll) field(L.administrator, party(doc.administratorParty));
  field(L.announced(poll), doc.announcedAt, true);
  field(L.votingStart(poll), doc.votingStart, true);
  field(L.votingEnd(poll), doc.votingEnd, true);
  field(L.snapshot(poll), doc.snapshot, true);
  if (doc.registerHash) field(L.registerHash, doc.registerHash, true);
  if (doc.rules) {
    const source = doc.rules.source ? `${doc.rules.effectiveFrom}: ${doc.rules.source}` : L.rulesUnknown;
    field(L.rules, `${doc.rules.version} (${doc.rules.sourceRef}); ${source}`, true);
  }
  field(poll ? L.totalPeople : L.totalVotes, doc.totalSquareMetres, true);
  field(poll ? L.participatingPeople : L.participating, `${doc.participatingSquareMetres} (${doc.participationPercent} %)`, true);
  field(L.ballots(poll), poll ? String(doc.ballotCount) : `${doc.ballotCount}: ${L.ballotForms(doc.ballotsByForm.direct, doc.ballotsByForm.relayed, doc.ballotsByForm.paper, doc.ballotsByForm.representative)}`, true);
  if (poll) {
    field(L.turnout, `${doc.participationPercent} %`, true);
  } else {
    const rule = doc.rules ? ` (${doc.rules.quorumText}${doc.rules.quorumArticle ? `, ${doc.rules.quorumArticle}` : ""})` : "";
    field(`${L.quorum}${rule}`, doc.quorumReached === null ? L.quorumNa : doc.quorumReached ? L.quorumYes : L.quorumNo, true);
  }
  field(L.chain, `${doc.chainId}, ${doc.meetingHall}`, true);
  if (doc.finalizedBlock !== null) field(L.finalized, String(doc.finalizedBlock), true);

  out.push({ kind: "heading", text: L.agenda(poll) });
  for (const q of doc.questions) {
    out.push({ kind: "question", text: `${L.question} ${q.number}. ${q.text ?? `(${L.textUnknown} ${q.textRef})`}` });
    if (poll) {
      out.push({ kind: "text", text: `${L.for}: ${q.forSquareMetres} (${q.forPercentOfParticipants} ${L.ofAnswers})`, figure: true });
      out.push({ kind: "text", text: `${L.against}: ${q.againstSquareMetres} (${q.againstPercentOfParticipants} ${L.ofAnswers})`, figure: true });
      out.push({ kind: "text", text: `${L.abstain}: ${q.abstainSquareMetres} (${q.abstainPercentOfParticipants} ${L.ofAnswers})`, figure: true });
    } else {
      out.push({ kind: "text", text: `${L.questionType}: ${[q.code, q.typeName].filter(Boolean).join(" — ")}`, figure: true });
      if (q.article) out.push({ kind: "text", text: `${L.article}: ${q.article}${q.confirmed === false ? ` ${L.unconfirmed}` : ""}`, figure: true });
      out.push({ kind: "text", text: `${L.threshold}: ${q.threshold}`, figure: true });
      out.push({ kind: "text", text: `${L.for}: ${q.forSquareMetres} (${q.forPercentOfParticipants} ${L.ofParticipants}; ${q.forPercentOfAll} ${L.ofAll})`, figure: true });
      out.push({ kind: "text", text: `${L.against}: ${q.againstSquareMetres} (${q.againstPercentOfParticipants} ${L.ofParticipants})`, figure: true });
      out.push({ kind: "text", text: `${L.abstain}: ${q.abstainSquareMetres} (${q.abstainPercentOfParticipants} ${L.ofParticipants})`, figure: true });
    }
    if (q.noAnswerWeight !== "0") out.push({ kind: "text", text: `${L.noAnswer}: ${q.noAnswerSquareMetres}`, figure: true });
    out.push({ kind: "emphasis", text: q.resultText, figure: true });
  }

  if (doc.annexes) {
    out.push({ kind: "page" });
    out.push({ kind: "heading", text: L.registerAnnex(poll) });
    out.push({ kind: "small", text: L.registerChecked(doc.annexes.registerHash) });
    for (const [i, o] of doc.annexes.owners.entries()) {
      const who = `${o.name}${o.identity ? ` (${o.identity})` : ""}, ${o.account}`;
      const premises = `${o.premisesNumber}${o.premisesCadastralNumber ? ` (${L.cadastralNumber} ${o.premisesCadastralNumber})` : ""}`;
      out.push({ kind: "small", text: poll ? L.pollOwnerLine(i + 1, who, premises) : L.ownerLine(i + 1, who, premises, o.areaSquareMetres, o.share, L.ownerships[o.ownership] ?? o.ownership, o.titleDocument) });
    }
    out.push({ kind: "heading", text: L.participantsAnnex(poll) });
    for (const [i, p] of doc.annexes.participants.entries()) {
      const who = p.name ? `${p.name}${p.identity ? ` (${p.identity})` : ""}, ${p.account}` : p.account;
      const via = p.representative ? `; ${L.via} ${L.representative} ${p.representative.name ?? ""} ${p.representative.identity ? `(${p.representative.identity}) ` : ""}${p.representative.account}` : "";
      out.push({ kind: "small", text: `${i + 1}. ${who}${via}` });
    }
  }

  out.push({ kind: "page" });
  out.push({ kind: "heading", text: L.ballotList(poll) });
  for (const [i, b] of doc.ballots.entries()) {
    const answers = b.answers.map((a) => L.answerNames[a] ?? a).join(" ");
    out.push({ kind: "small", text: `${i + 1}. ${b.voter}  ${L.weight(poll)}: ${b.squareMetres}  ${L.answers}: ${answers}  ${L.tx}: ${b.transactionHash} #${b.blockNumber}`, figure: true });
    // how it was cast, each detail on a line of its own
    const details = [L.forms[b.form] ?? b.form, b.representative ? `${L.representative} ${b.representative}, ${L.powerOfAttorney} ${b.powerOfAttorney ?? "?"}` : "", b.jointWith.length ? `${L.jointGroup} ${b.jointWith.join(", ")}` : "", b.scanHash ? `${L.scan} ${b.scanHash}` : ""];
    for (const d of details.filter(Boolean)) out.push({ kind: "small", text: `      ${d}`, figure: true });
  }
  if (doc.rejected.length) {
    out.push({ kind: "heading", text: L.rejectedList });
    for (const [i, r] of doc.rejected.entries()) {
      out.push({ kind: "small", text: `${i + 1}. ${L.rejectedLine(r.signer, r.voter, r.representative === null)}: ${r.reasonText}`, figure: true });
      out.push({ kind: "small", text: `      ballot id ${r.ballotId}  ${L.tx}: ${r.transactionHash} #${r.blockNumber}`, figure: true });
    }
  }
  if (doc.discardedCount) out.push({ kind: "field", label: L.discarded, value: String(doc.discardedCount), figure: true });
  out.push({ kind: "small", text: L.signature(poll) });
  return out;
}

/** The text of each block decided by the chain alone, in order: what a verifier looks for in a PDF. */
export function chainFigureLines(doc: ProtocolDocument): string[] {
  return protocolBlocks(doc).flatMap((b) => (b.kind === "page" || !b.figure ? [] : [b.kind === "field" ? `${b.label}: ${b.value}` : b.text]));
}

/** The protocol as PDF bytes. */
export function renderProtocolPdf(doc: ProtocolDocument): Promise<Buffer> {
  const L = LABELS[doc.language];
  const poll = doc.kind === "Poll";
  const created = new Date(doc.drawnUpAt ?? doc.votingEnd);
  const pdf = new PDFDocument({
    size: "A4",
    margin: 50,
    info: { Title: `${L.meeting(poll)} ${doc.meetingId}`, Producer: "Digital Home", Creator: "Digital Home", CreationDate: created },
  });
  pdf.registerFont("regular", path.join(FONT_DIR, "DejaVuSans.ttf"));
  pdf.registerFont("bold", path.join(FONT_DIR, "DejaVuSans-Bold.ttf"));
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on("data", (c: Buffer) => chunks.push(c));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });
  for (const b of protocolBlocks(doc)) {
    switch (b.kind) {
      case "title":
        pdf.font("bold").fontSize(13).text(b.text, { align: "center" });
        break;
      case "subtitle":
        pdf.moveDown(0.3).font("regular").fontSize(9).text(b.text, { align: "center" }).moveDown();
        break;
      case "field":
        pdf.font("bold").fontSize(9).text(`${b.label}: `, { continued: true }).font("regular").text(b.value);
        break;
      case "heading":
        pdf.moveDown().font("bold").fontSize(11).text(b.text).moveDown(0.3);
        break;
      case "question":
        pdf.moveDown(0.5).font("bold").fontSize(10).text(b.text);
        break;
      case "text":
        pdf.font("regular").fontSize(9).text(b.text);
        break;
      case "emphasis":
        pdf.font("bold").fontSize(9).text(b.text);
        break;
      case "small":
        pdf.font("regular").fontSize(7).text(b.text);
        break;
      case "page":
        pdf.addPage();
        break;
    }
  }
  pdf.end();
  return done;
}
