/**
 * `protocol <meetingId>`: the minutes of a meeting as the Housing Code expects them (art. 46, 47.1):
 * building, initiator, form and dates, total votes, votes taking part and quorum, each question with
 * its threshold, For / Against / Abstain and whether it passed, and the list of ballots. Written as
 * JSON, CSV (questions and ballots) and PDF; every figure comes from the recount.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { id } from "ethers";
import PDFDocument from "pdfkit";
import { csvRow, isoTime, percent, squareMetres } from "./format.js";
import { UsageError } from "./errors.js";
import type { Recount } from "./recount.js";

const require = createRequire(import.meta.url);
const FONT_DIR = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");

export type Language = "ru" | "en";

const LABELS = {
  ru: {
    title: (kind: string) => (kind === "Poll" ? "ИТОГИ ОПРОСА ЖИТЕЛЕЙ" : "ПРОТОКОЛ общего собрания собственников помещений в многоквартирном доме"),
    form: (kind: string) =>
      kind === "Poll"
        ? "Форма: электронный опрос жителей (консультативный, без правовых последствий)"
        : "Форма: заочное голосование с использованием информационной системы (ст. 47.1 ЖК РФ)",
    meeting: "Собрание №",
    building: "Дом (номер в реестре)",
    buildingRef: "Ссылка на запись реестра",
    initiator: "Инициатор (администратор)",
    announced: "Сообщение о проведении размещено",
    votingStart: "Начало голосования",
    votingEnd: "Окончание голосования",
    snapshot: "Состав собственников и доли определены на",
    totalVotes: "Общее количество голосов собственников (кв. м)",
    totalPeople: "Число жителей и собственников, имеющих право участвовать",
    participating: "Приняли участие (кв. м голосов)",
    participatingPeople: "Приняли участие (человек)",
    ballots: "Бюллетеней",
    quorum: "Кворум (более 50 % голосов)",
    quorumYes: "имеется",
    quorumNo: "отсутствует",
    quorumNa: "не подсчитан: голосование не завершено",
    agenda: "Повестка дня и итоги голосования",
    question: "Вопрос",
    threshold: "Порог принятия решения",
    for: "За",
    against: "Против",
    abstain: "Воздержались",
    ofParticipants: "% от участвовавших",
    ofAll: "% от всех голосов",
    decision: "Решение",
    passed: "ПРИНЯТО",
    notPassed: "НЕ ПРИНЯТО",
    pending: "голосование не завершено",
    ballotList: "Список бюллетеней",
    voter: "Голосующий",
    weight: "Голоса (кв. м)",
    answers: "Ответы",
    tx: "Транзакция",
    status: "Состояние",
    statuses: { Announced: "голосование объявлено / идёт", Cancelled: "отменено инициатором", Finalized: "итоги подведены" },
    finalized: "Итоги подведены в блоке",
    chain: "Сеть (chain id) и контракт",
    textUnknown: "текст не приложен; хэш",
    thresholds: {
      MajorityOfParticipants: "большинство голосов участвовавших",
      MajorityOfAll: "более 50 % голосов всех собственников",
      TwoThirdsOfAll: "не менее 2/3 голосов всех собственников",
      Unanimous: "100 % голосов всех собственников",
      Consultative: "консультативный (большинство ответивших)",
    },
    answerNames: { For: "За", Against: "Против", Abstain: "Воздерж." } as Record<string, string>,
  },
  en: {
    title: (kind: string) => (kind === "Poll" ? "RESULTS OF THE NEIGHBOURS' POLL" : "MINUTES of the general meeting of the owners of an apartment building"),
    form: (kind: string) =>
      kind === "Poll" ? "Form: online poll of residents (consultative, no legal effect)" : "Form: absentee vote through an information system (Housing Code art. 47.1)",
    meeting: "Meeting no.",
    building: "Building (register id)",
    buildingRef: "Register entry reference",
    initiator: "Initiator (administrator)",
    announced: "Notice published",
    votingStart: "Voting starts",
    votingEnd: "Voting ends",
    snapshot: "Owners and shares as of",
    totalVotes: "Total votes of the owners (m²)",
    totalPeople: "Residents and owners entitled to answer",
    participating: "Votes taking part (m²)",
    participatingPeople: "Took part (people)",
    ballots: "Ballots",
    quorum: "Quorum (more than 50 % of the votes)",
    quorumYes: "reached",
    quorumNo: "not reached",
    quorumNa: "not counted: voting not closed",
    agenda: "Agenda and results",
    question: "Question",
    threshold: "Threshold",
    for: "For",
    against: "Against",
    abstain: "Abstain",
    ofParticipants: "% of those taking part",
    ofAll: "% of all votes",
    decision: "Decision",
    passed: "PASSED",
    notPassed: "NOT PASSED",
    pending: "voting not closed",
    ballotList: "Ballots",
    voter: "Voter",
    weight: "Votes (m²)",
    answers: "Answers",
    tx: "Transaction",
    status: "Status",
    statuses: { Announced: "announced / voting", Cancelled: "cancelled by the initiator", Finalized: "closed and counted" },
    finalized: "Counted in block",
    chain: "Chain id and contract",
    textUnknown: "text not supplied; hash",
    thresholds: {
      MajorityOfParticipants: "majority of the votes taking part",
      MajorityOfAll: "more than 50 % of all votes",
      TwoThirdsOfAll: "at least 2/3 of all votes",
      Unanimous: "100 % of all votes",
      Consultative: "consultative (majority of answers)",
    },
    answerNames: { For: "For", Against: "Against", Abstain: "Abstain" } as Record<string, string>,
  },
};

export interface ProtocolTexts {
  /** keccak256 of a UTF-8 text → the text (agenda questions, notice, building reference). */
  byHash: Map<string, string>;
}

/** Reads a texts file: a JSON array of strings or an object whose values are strings; keys are ignored
 * and every text is indexed by its keccak256, so a text that does not match its hash is never shown. */
export async function readTexts(file: string): Promise<ProtocolTexts> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--texts ${file}: ${(err as Error).message}`);
  }
  const values = Array.isArray(json) ? json : json && typeof json === "object" ? Object.values(json) : null;
  if (!values || !values.every((v) => typeof v === "string")) {
    throw new UsageError(`--texts ${file}: expected a JSON array of strings or an object of strings`);
  }
  return { byHash: new Map(values.map((t) => [id(t).toLowerCase(), t])) };
}

export interface ProtocolDocument {
  language: Language;
  chainId: number;
  meetingHall: string;
  meetingId: string;
  kind: "Meeting" | "Poll";
  status: Recount["status"];
  buildingId: string;
  initiator: string;
  announcedAt: string;
  votingStart: string;
  votingEnd: string;
  snapshot: string;
  agendaRef: string;
  totalWeight: string;
  totalSquareMetres: string;
  participatingWeight: string;
  participatingSquareMetres: string;
  participationPercent: string;
  ballotCount: number;
  quorumReached: boolean | null;
  finalizedBlock: number | null;
  questions: Array<{
    number: number;
    textRef: string;
    text: string | null;
    threshold: string;
    forWeight: string;
    againstWeight: string;
    abstainWeight: string;
    forSquareMetres: string;
    againstSquareMetres: string;
    abstainSquareMetres: string;
    forPercentOfParticipants: string;
    againstPercentOfParticipants: string;
    abstainPercentOfParticipants: string;
    forPercentOfAll: string;
    passed: boolean | null;
  }>;
  ballots: Array<{ voter: string; weight: string; squareMetres: string; answers: string[]; transactionHash: string; blockNumber: number; via: string }>;
}

export function buildProtocol(recount: Recount, opts: { chainId: number; meetingHall: string; language: Language; texts?: ProtocolTexts }): ProtocolDocument {
  const { meeting } = recount;
  const poll = meeting.kind === "Poll";
  const amount = (w: bigint) => (poll ? w.toString() : squareMetres(w));
  const total = recount.totalWeight;
  const part = recount.participatingWeight;
  return {
    language: opts.language,
    chainId: opts.chainId,
    meetingHall: opts.meetingHall,
    meetingId: meeting.meetingId.toString(),
    kind: meeting.kind,
    status: recount.status,
    buildingId: meeting.buildingId.toString(),
    initiator: meeting.initiator,
    announcedAt: isoTime(meeting.announcedAt),
    votingStart: isoTime(meeting.votingStart),
    votingEnd: isoTime(meeting.votingEnd),
    snapshot: isoTime(meeting.snapshot),
    agendaRef: meeting.agendaRef,
    totalWeight: total.toString(),
    totalSquareMetres: amount(total),
    participatingWeight: part.toString(),
    participatingSquareMetres: amount(part),
    participationPercent: percent(part, total),
    ballotCount: recount.ballots.length,
    quorumReached: recount.quorumReached,
    finalizedBlock: recount.finalizedBlock ?? null,
    questions: recount.questions.map((q) => ({
      number: q.index + 1,
      textRef: q.textRef,
      text: opts.texts?.byHash.get(q.textRef.toLowerCase()) ?? null,
      threshold: q.threshold,
      forWeight: q.forWeight.toString(),
      againstWeight: q.againstWeight.toString(),
      abstainWeight: q.abstainWeight.toString(),
      forSquareMetres: amount(q.forWeight),
      againstSquareMetres: amount(q.againstWeight),
      abstainSquareMetres: amount(q.abstainWeight),
      forPercentOfParticipants: percent(q.forWeight, part),
      againstPercentOfParticipants: percent(q.againstWeight, part),
      abstainPercentOfParticipants: percent(q.abstainWeight, part),
      forPercentOfAll: percent(q.forWeight, total),
      passed: q.passed,
    })),
    ballots: recount.ballots.map((b) => ({
      voter: b.voter,
      weight: b.weight.toString(),
      squareMetres: amount(b.weight),
      answers: b.answers,
      transactionHash: b.transactionHash,
      blockNumber: b.blockNumber,
      via: b.via,
    })),
  };
}

export function protocolCsv(doc: ProtocolDocument): { questions: string; ballots: string } {
  const questions = [
    csvRow(["meetingId", "question", "textRef", "threshold", "forWeight", "againstWeight", "abstainWeight", "forPercentOfParticipants", "againstPercentOfParticipants", "abstainPercentOfParticipants", "forPercentOfAll", "passed", "totalWeight", "participatingWeight", "quorumReached"]),
    ...doc.questions.map((q) =>
      csvRow([doc.meetingId, q.number, q.textRef, q.threshold, q.forWeight, q.againstWeight, q.abstainWeight, q.forPercentOfParticipants, q.againstPercentOfParticipants, q.abstainPercentOfParticipants, q.forPercentOfAll, q.passed, doc.totalWeight, doc.participatingWeight, doc.quorumReached]),
    ),
  ].join("\n");
  const ballots = [
    csvRow(["meetingId", "voter", "weight", "answers", "transactionHash", "blockNumber", "via"]),
    ...doc.ballots.map((b) => csvRow([doc.meetingId, b.voter, b.weight, b.answers.join(" "), b.transactionHash, b.blockNumber, b.via])),
  ].join("\n");
  return { questions: questions + "\n", ballots: ballots + "\n" };
}

export function writeProtocolPdf(doc: ProtocolDocument, file: string): Promise<void> {
  const L = LABELS[doc.language];
  const poll = doc.kind === "Poll";
  const pdf = new PDFDocument({ size: "A4", margin: 50, info: { Title: `${L.meeting} ${doc.meetingId}`, Producer: "Digital Home" } });
  pdf.registerFont("regular", path.join(FONT_DIR, "DejaVuSans.ttf"));
  pdf.registerFont("bold", path.join(FONT_DIR, "DejaVuSans-Bold.ttf"));
  const done = new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    out.on("finish", () => resolve());
    out.on("error", reject);
    pdf.pipe(out);
  });

  const line = (label: string, value: string) => {
    pdf.font("bold").fontSize(9).text(`${label}: `, { continued: true }).font("regular").text(value);
  };
  pdf.font("bold").fontSize(13).text(L.title(doc.kind), { align: "center" });
  pdf.moveDown(0.3).font("regular").fontSize(9).text(L.form(doc.kind), { align: "center" });
  pdf.moveDown();
  line(L.meeting, doc.meetingId);
  line(L.status, L.statuses[doc.status]);
  line(L.building, doc.buildingId);
  line(L.initiator, doc.initiator);
  line(L.announced, doc.announcedAt);
  line(L.votingStart, doc.votingStart);
  line(L.votingEnd, doc.votingEnd);
  line(L.snapshot, doc.snapshot);
  line(poll ? L.totalPeople : L.totalVotes, doc.totalSquareMetres);
  line(poll ? L.participatingPeople : L.participating, `${doc.participatingSquareMetres} (${doc.participationPercent} %)`);
  line(L.ballots, String(doc.ballotCount));
  if (!poll) line(L.quorum, doc.quorumReached === null ? L.quorumNa : doc.quorumReached ? L.quorumYes : L.quorumNo);
  line(L.chain, `${doc.chainId}, ${doc.meetingHall}`);
  if (doc.finalizedBlock !== null) line(L.finalized, String(doc.finalizedBlock));

  pdf.moveDown().font("bold").fontSize(11).text(L.agenda);
  for (const q of doc.questions) {
    pdf.moveDown(0.5).font("bold").fontSize(10).text(`${L.question} ${q.number}. ${q.text ?? `(${L.textUnknown} ${q.textRef})`}`);
    pdf.font("regular").fontSize(9);
    pdf.text(`${L.threshold}: ${L.thresholds[q.threshold as keyof typeof L.thresholds]}`);
    pdf.text(`${L.for}: ${q.forSquareMetres} (${q.forPercentOfParticipants} ${L.ofParticipants}; ${q.forPercentOfAll} ${L.ofAll})`);
    pdf.text(`${L.against}: ${q.againstSquareMetres} (${q.againstPercentOfParticipants} ${L.ofParticipants})`);
    pdf.text(`${L.abstain}: ${q.abstainSquareMetres} (${q.abstainPercentOfParticipants} ${L.ofParticipants})`);
    pdf.font("bold").text(`${L.decision}: ${q.passed === null ? L.pending : q.passed ? L.passed : L.notPassed}`);
  }

  pdf.addPage().font("bold").fontSize(11).text(L.ballotList);
  pdf.moveDown(0.5).font("regular").fontSize(7);
  for (const [i, b] of doc.ballots.entries()) {
    const answers = b.answers.map((a) => L.answerNames[a] ?? a).join(" ");
    pdf.text(`${i + 1}. ${b.voter}  ${L.weight}: ${b.squareMetres}  ${L.answers}: ${answers}  ${L.tx}: ${b.transactionHash} #${b.blockNumber}`);
  }
  pdf.end();
  return done;
}

export async function writeProtocol(doc: ProtocolDocument, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const base = path.join(outDir, `protocol-${doc.meetingId}`);
  const csv = protocolCsv(doc);
  const files = [`${base}.json`, `${base}-questions.csv`, `${base}-ballots.csv`, `${base}.pdf`];
  await writeFile(files[0], JSON.stringify(doc, null, 2) + "\n");
  await writeFile(files[1], csv.questions);
  await writeFile(files[2], csv.ballots);
  await writeProtocolPdf(doc, files[3]);
  return files;
}
