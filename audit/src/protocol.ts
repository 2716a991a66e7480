/**
 * `protocol <meetingId>`: the minutes of a meeting as the Housing Code expects them (arts. 46, 47.1):
 * building, initiator and administrator, form, kind (annual or extraordinary) and dates, total votes,
 * votes taking part and the quorum with its rule, each question with its type (the item of art. 44
 * part 2 it decides, its name and article from lib/legal-rules.ts) and the rule of that type in the
 * meeting's rules version, For / Against / Abstain and whether it passed; the list of ballots (direct,
 * relayed, cast by a representative, paper decisions with their void and unanswered questions); the
 * rejected ballots by what they prove (their signer signed them) and the count of discarded ones. A
 * poll is worded as a poll: consultative, one person one answer, no quorum and no thresholds.
 * Written as JSON, CSV (questions and ballots) and PDF; every figure comes from the recount.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { id } from "ethers";
import PDFDocument from "pdfkit";
import type { Rule } from "#lib/domain.js";
import { csvRow, isoTime, percent, squareMetres } from "./format.js";
import { UsageError } from "./errors.js";
import type { Recount } from "./recount.js";

const require = createRequire(import.meta.url);
const FONT_DIR = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");

export type Language = "ru" | "en";

/** A rule in words: "более 50 % голосов участвовавших", "at least 2/3 of all votes". */
export function ruleText(rule: Rule, language: Language): string {
  const all = rule.base === "All";
  if (rule.numerator === rule.denominator && !rule.strict) return language === "ru" ? "100 % голосов всех собственников (единогласно)" : "100 % of all votes (unanimous)";
  const fraction = rule.numerator * 2 === rule.denominator ? "50 %" : `${rule.numerator}/${rule.denominator}`;
  if (language === "ru") return `${rule.strict ? "более" : "не менее"} ${fraction} ${all ? "голосов всех собственников" : "голосов собственников, принявших участие"}`;
  return `${rule.strict ? "more than" : "at least"} ${fraction} of ${all ? "all votes of the owners" : "the votes of the owners taking part"}`;
}

const LABELS = {
  ru: {
    title: (poll: boolean) => (poll ? "ИТОГИ ОПРОСА ЖИТЕЛЕЙ" : "ПРОТОКОЛ общего собрания собственников помещений в многоквартирном доме"),
    form: (poll: boolean) =>
      poll
        ? "Форма: электронный опрос жителей (консультативный, без правовых последствий; один участник — один ответ)"
        : "Форма: заочное голосование с использованием информационной системы (ст. 47.1 ЖК РФ)",
    meeting: (poll: boolean) => (poll ? "Опрос №" : "Собрание №"),
    meetingType: "Вид собрания (ст. 45 ЖК РФ)",
    meetingTypes: { Annual: "годовое", Extraordinary: "внеочередное" },
    building: "Дом (номер в реестре)",
    initiator: "Инициатор",
    administrator: "Администратор общего собрания (ст. 47.1 ЖК РФ)",
    announced: (poll: boolean) => (poll ? "Опрос объявлен" : "Сообщение о проведении размещено"),
    votingStart: (poll: boolean) => (poll ? "Начало опроса" : "Начало голосования"),
    votingEnd: (poll: boolean) => (poll ? "Окончание опроса" : "Окончание голосования"),
    snapshot: (poll: boolean) => (poll ? "Состав жителей и собственников определён на" : "Состав собственников и доли определены на"),
    registerHash: "Хэш реестра собственников (приложение)",
    rules: "Правила подсчёта (версия, источник)",
    rulesUnknown: "названия и статьи этой версии инструменту не известны",
    totalVotes: "Общее количество голосов собственников (кв. м)",
    totalPeople: "Число жителей и собственников, имеющих право участвовать",
    participating: "Приняли участие (кв. м голосов)",
    participatingPeople: "Приняли участие (человек)",
    ballots: (poll: boolean) => (poll ? "Ответов" : "Решений собственников (бюллетеней)"),
    ballotForms: (direct: number, relayed: number, paper: number, represented: number) => `электронно ${direct + relayed} (из них через сервис ${relayed}), на бумаге ${paper}; через представителя ${represented}`,
    quorum: "Кворум",
    quorumYes: "имеется",
    quorumNo: "отсутствует",
    quorumNa: "не подсчитан: голосование не завершено",
    turnout: "Явка (справочно, на результат опроса не влияет)",
    agenda: (poll: boolean) => (poll ? "Вопросы опроса и ответы" : "Повестка дня и итоги голосования"),
    question: "Вопрос",
    questionType: "Вопрос относится к",
    article: "Основание",
    threshold: "Решение принимается",
    for: "За",
    against: "Против",
    abstain: "Воздержались",
    noAnswer: "Не ответили или недействительно (учтено в кворуме)",
    ofParticipants: "% от участвовавших",
    ofAll: "% от всех голосов",
    ofAnswers: "% ответивших",
    decision: "Решение",
    passed: "ПРИНЯТО",
    notPassed: "НЕ ПРИНЯТО",
    pollMajority: "Большинство ответивших «за»",
    yes: "да",
    no: "нет",
    pending: "голосование не завершено",
    ballotList: (poll: boolean) => (poll ? "Список ответов" : "Список решений собственников"),
    voter: "Голосующий",
    weight: (poll: boolean) => (poll ? "Голос" : "Голоса (кв. м)"),
    answers: "Ответы",
    tx: "Транзакция",
    forms: { Direct: "электронно", Relayed: "электронно через сервис", Paper: "бумажное решение" } as Record<string, string>,
    representative: "представитель",
    powerOfAttorney: "доверенность №",
    jointGroup: "в т. ч. совместная собственность с",
    scan: "скан",
    rejectedList: "Отклонённые бюллетени: подписаны подписантом, но не засчитаны",
    rejectedLine: (signer: string, voter: string, own: boolean) => (own ? `подписал ${signer}` : `подписал ${signer} как представитель ${voter}`),
    reasons: {
      NotOpen: "голосование не было открыто",
      Expired: "истёк срок действия бюллетеня",
      NotEligible: "нет права голоса на дату определения состава собственников",
      AlreadyVoted: "решение этого собственника уже учтено (учитывается первое)",
      MalformedChoices: "ответ дан не на все вопросы",
      NoPowerOfAttorney: "у представителя нет действующей доверенности",
    } as Record<string, string>,
    discarded: "Бюллетени с подписью, не принадлежащей подписанту (никого не называют, не учтены)",
    status: "Состояние",
    statuses: { Announced: "голосование объявлено / идёт", Cancelled: "отменено инициатором", Finalized: "итоги подведены" },
    finalized: "Итоги подведены в блоке",
    chain: "Сеть (chain id) и контракт",
    textUnknown: "текст не приложен; хэш",
    answerNames: { For: "За", Against: "Против", Abstain: "Воздерж.", void: "недейств.", unanswered: "без ответа" } as Record<string, string>,
    unconfirmed: "(≈ не сверено с официальным текстом)",
  },
  en: {
    title: (poll: boolean) => (poll ? "RESULTS OF THE NEIGHBOURS' POLL" : "MINUTES of the general meeting of the owners of an apartment building"),
    form: (poll: boolean) => (poll ? "Form: online poll of residents (consultative, no legal effect; one person, one answer)" : "Form: absentee vote through an information system (Housing Code art. 47.1)"),
    meeting: (poll: boolean) => (poll ? "Poll no." : "Meeting no."),
    meetingType: "Kind of meeting (art. 45)",
    meetingTypes: { Annual: "annual", Extraordinary: "extraordinary" },
    building: "Building (register id)",
    initiator: "Initiator",
    administrator: "Administrator of the meeting (art. 47.1)",
    announced: (poll: boolean) => (poll ? "Poll announced" : "Notice published"),
    votingStart: (poll: boolean) => (poll ? "Poll opens" : "Voting starts"),
    votingEnd: (poll: boolean) => (poll ? "Poll closes" : "Voting ends"),
    snapshot: (poll: boolean) => (poll ? "Residents and owners as of" : "Owners and shares as of"),
    registerHash: "Hash of the register of owners (annex)",
    rules: "Counting rules (version, source)",
    rulesUnknown: "names and articles of this version are not known to this tool",
    totalVotes: "Total votes of the owners (m²)",
    totalPeople: "Residents and owners entitled to answer",
    participating: "Votes taking part (m²)",
    participatingPeople: "Took part (people)",
    ballots: (poll: boolean) => (poll ? "Answers" : "Owners' decisions (ballots)"),
    ballotForms: (direct: number, relayed: number, paper: number, represented: number) => `electronic ${direct + relayed} (relayed ${relayed}), on paper ${paper}; through a representative ${represented}`,
    quorum: "Quorum",
    quorumYes: "reached",
    quorumNo: "not reached",
    quorumNa: "not counted: voting not closed",
    turnout: "Turnout (for information; it does not decide a poll)",
    agenda: (poll: boolean) => (poll ? "Questions and answers" : "Agenda and results"),
    question: "Question",
    questionType: "The question decides",
    article: "Legal basis",
    threshold: "Decided by",
    for: "For",
    against: "Against",
    abstain: "Abstain",
    noAnswer: "No answer or void (counted for the quorum)",
    ofParticipants: "% of those taking part",
    ofAll: "% of all votes",
    ofAnswers: "% of answers",
    decision: "Decision",
    passed: "PASSED",
    notPassed: "NOT PASSED",
    pollMajority: "Most answers For",
    yes: "yes",
    no: "no",
    pending: "voting not closed",
    ballotList: (poll: boolean) => (poll ? "Answers" : "Owners' decisions"),
    voter: "Voter",
    weight: (poll: boolean) => (poll ? "Vote" : "Votes (m²)"),
    answers: "Answers",
    tx: "Transaction",
    forms: { Direct: "electronic", Relayed: "electronic, relayed", Paper: "paper decision" } as Record<string, string>,
    representative: "representative",
    powerOfAttorney: "power of attorney no.",
    jointGroup: "including joint ownership with",
    scan: "scan",
    rejectedList: "Rejected ballots: signed by their signer, not counted",
    rejectedLine: (signer: string, voter: string, own: boolean) => (own ? `signed by ${signer}` : `signed by ${signer} as representative of ${voter}`),
    reasons: {
      NotOpen: "voting was not open",
      Expired: "the ballot had expired",
      NotEligible: "no vote at the snapshot",
      AlreadyVoted: "this owner's decision was already counted (the first one counts)",
      MalformedChoices: "not every question answered",
      NoPowerOfAttorney: "the representative held no valid power of attorney",
    } as Record<string, string>,
    discarded: "Ballots whose signature is not their signer's (they name nobody and did not count)",
    status: "Status",
    statuses: { Announced: "announced / voting", Cancelled: "cancelled by the initiator", Finalized: "closed and counted" },
    finalized: "Counted in block",
    chain: "Chain id and contract",
    textUnknown: "text not supplied; hash",
    answerNames: { For: "For", Against: "Against", Abstain: "Abstain", void: "void", unanswered: "unanswered" } as Record<string, string>,
    unconfirmed: "(≈ not confirmed against the official text)",
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
  /** Annual or Extraordinary (a poll: Extraordinary, not shown). */
  meetingType: "Annual" | "Extraordinary";
  status: Recount["status"];
  buildingId: string;
  initiator: string;
  administrator: string;
  announcedAt: string;
  votingStart: string;
  votingEnd: string;
  snapshot: string;
  agendaRef: string;
  registerHash: string | null;
  /** The rules version the meeting is counted by (null for a poll). */
  rules: {
    version: number;
    sourceRef: string;
    effectiveFrom: string | null;
    source: string | null;
    quorum: Rule;
    quorumText: string;
    quorumArticle: string | null;
  } | null;
  totalWeight: string;
  totalSquareMetres: string;
  participatingWeight: string;
  participatingSquareMetres: string;
  participationPercent: string;
  ballotCount: number;
  ballotsByForm: { direct: number; relayed: number; paper: number; representative: number };
  quorumReached: boolean | null;
  finalizedBlock: number | null;
  questions: Array<{
    number: number;
    textRef: string;
    text: string | null;
    questionType: number;
    /** The type's code ("44.2.1", "other", …), name and article; null for a poll. */
    code: string | null;
    typeName: string | null;
    article: string | null;
    confirmed: boolean | null;
    rule: Rule | null;
    /** The rule in words, or "consultative" for a poll. */
    threshold: string;
    forWeight: string;
    againstWeight: string;
    abstainWeight: string;
    noAnswerWeight: string;
    forSquareMetres: string;
    againstSquareMetres: string;
    abstainSquareMetres: string;
    noAnswerSquareMetres: string;
    forPercentOfParticipants: string;
    againstPercentOfParticipants: string;
    abstainPercentOfParticipants: string;
    forPercentOfAll: string;
    passed: boolean | null;
  }>;
  ballots: Array<{
    voter: string;
    representative: string | null;
    powerOfAttorney: string | null;
    form: string;
    weight: string;
    squareMetres: string;
    jointWith: string[];
    answers: string[];
    scanHash: string | null;
    transactionHash: string;
    blockNumber: number;
    via: string;
  }>;
  /** Rejected ballots by what they prove: their signer signed them. */
  rejected: Array<{ signer: string; voter: string; representative: string | null; ballotId: string; reason: string; reasonText: string; signatureChecked: boolean; transactionHash: string; blockNumber: number }>;
  /** Ballots whose signature is not their signer's: a count, naming nobody. */
  discardedCount: number;
}

export function buildProtocol(recount: Recount, opts: { chainId: number; meetingHall: string; language: Language; texts?: ProtocolTexts }): ProtocolDocument {
  const { meeting } = recount;
  const L = LABELS[opts.language];
  const poll = meeting.kind === "Poll";
  const amount = (w: bigint) => (poll ? w.toString() : squareMetres(w));
  const total = recount.totalWeight;
  const part = recount.participatingWeight;
  const rules = recount.rules;
  const countedForm = (form: string) => recount.ballots.filter((b) => b.expectedWeight > 0n && b.form === form).length;
  return {
    language: opts.language,
    chainId: opts.chainId,
    meetingHall: opts.meetingHall,
    meetingId: meeting.meetingId.toString(),
    kind: meeting.kind,
    meetingType: meeting.meetingType,
    status: recount.status,
    buildingId: meeting.buildingId.toString(),
    initiator: meeting.initiator,
    administrator: meeting.administrator,
    announcedAt: isoTime(meeting.announcedAt),
    votingStart: isoTime(meeting.votingStart),
    votingEnd: isoTime(meeting.votingEnd),
    snapshot: isoTime(meeting.snapshot),
    agendaRef: meeting.agendaRef,
    registerHash: recount.registerHash,
    rules: rules && {
      version: rules.version,
      sourceRef: rules.sourceRef,
      effectiveFrom: rules.known?.effectiveFrom ?? null,
      source: rules.known?.source ?? null,
      quorum: rules.quorum,
      quorumText: ruleText(rules.quorum, opts.language),
      quorumArticle: rules.known?.quorum.article ?? null,
    },
    totalWeight: total.toString(),
    totalSquareMetres: amount(total),
    participatingWeight: part.toString(),
    participatingSquareMetres: amount(part),
    participationPercent: percent(part, total),
    ballotCount: recount.countedBallots,
    ballotsByForm: {
      direct: countedForm("Direct"),
      relayed: countedForm("Relayed"),
      paper: countedForm("Paper"),
      representative: recount.ballots.filter((b) => b.expectedWeight > 0n && b.representative !== null).length,
    },
    quorumReached: recount.quorumReached,
    finalizedBlock: recount.finalizedBlock ?? null,
    questions: recount.questions.map((q) => {
      const type = poll ? undefined : rules?.questionTypes[q.questionType];
      return {
        number: q.index + 1,
        textRef: q.textRef,
        text: opts.texts?.byHash.get(q.textRef.toLowerCase()) ?? null,
        questionType: q.questionType,
        code: poll ? null : q.code,
        typeName: type?.known?.name[opts.language] ?? null,
        article: type?.known?.article ?? null,
        confirmed: type?.known?.confirmed ?? null,
        rule: q.rule,
        threshold: poll ? (opts.language === "ru" ? "консультативный (большинство ответивших)" : "consultative (majority of answers)") : q.rule ? ruleText(q.rule, opts.language) : "?",
        forWeight: q.forWeight.toString(),
        againstWeight: q.againstWeight.toString(),
        abstainWeight: q.abstainWeight.toString(),
        noAnswerWeight: q.noAnswerWeight.toString(),
        forSquareMetres: amount(q.forWeight),
        againstSquareMetres: amount(q.againstWeight),
        abstainSquareMetres: amount(q.abstainWeight),
        noAnswerSquareMetres: amount(q.noAnswerWeight),
        forPercentOfParticipants: percent(q.forWeight, part),
        againstPercentOfParticipants: percent(q.againstWeight, part),
        abstainPercentOfParticipants: percent(q.abstainWeight, part),
        forPercentOfAll: percent(q.forWeight, total),
        passed: q.passed,
      };
    }),
    ballots: recount.ballots.map((b) => ({
      voter: b.voter,
      representative: b.representative,
      powerOfAttorney: b.powerOfAttorney,
      form: b.form,
      weight: b.weight.toString(),
      squareMetres: amount(b.weight),
      jointWith: [...new Set(b.jointGroups.flatMap((g) => g.holders).filter((h) => h.toLowerCase() !== b.voter.toLowerCase()))],
      answers: b.answers,
      scanHash: b.scanHash ?? null,
      transactionHash: b.transactionHash,
      blockNumber: b.blockNumber,
      via: b.via,
    })),
    rejected: recount.rejected.map((r) => ({
      signer: r.signer,
      voter: r.voter,
      representative: r.representative,
      ballotId: r.ballotId,
      reason: r.reason,
      reasonText: L.reasons[r.reason] ?? r.reason,
      signatureChecked: r.signatureValid === true,
      transactionHash: r.transactionHash,
      blockNumber: r.blockNumber,
    })),
    discardedCount: recount.discarded.length,
  };
}

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

export function writeProtocolPdf(doc: ProtocolDocument, file: string): Promise<void> {
  const L = LABELS[doc.language];
  const poll = doc.kind === "Poll";
  const pdf = new PDFDocument({ size: "A4", margin: 50, info: { Title: `${L.meeting(poll)} ${doc.meetingId}`, Producer: "Digital Home" } });
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
  pdf.font("bold").fontSize(13).text(L.title(poll), { align: "center" });
  pdf.moveDown(0.3).font("regular").fontSize(9).text(L.form(poll), { align: "center" });
  pdf.moveDown();
  line(L.meeting(poll), doc.meetingId);
  line(L.status, L.statuses[doc.status]);
  if (!poll) line(L.meetingType, L.meetingTypes[doc.meetingType]);
  line(L.building, doc.buildingId);
  line(L.initiator, doc.initiator);
  if (!poll) line(L.administrator, doc.administrator);
  line(L.announced(poll), doc.announcedAt);
  line(L.votingStart(poll), doc.votingStart);
  line(L.votingEnd(poll), doc.votingEnd);
  line(L.snapshot(poll), doc.snapshot);
  if (doc.registerHash) line(L.registerHash, doc.registerHash);
  if (doc.rules) {
    const source = doc.rules.source ? `${doc.rules.effectiveFrom}: ${doc.rules.source}` : L.rulesUnknown;
    line(L.rules, `${doc.rules.version} (${doc.rules.sourceRef}); ${source}`);
  }
  line(poll ? L.totalPeople : L.totalVotes, doc.totalSquareMetres);
  line(poll ? L.participatingPeople : L.participating, `${doc.participatingSquareMetres} (${doc.participationPercent} %)`);
  line(L.ballots(poll), poll ? String(doc.ballotCount) : `${doc.ballotCount}: ${L.ballotForms(doc.ballotsByForm.direct, doc.ballotsByForm.relayed, doc.ballotsByForm.paper, doc.ballotsByForm.representative)}`);
  if (poll) {
    line(L.turnout, `${doc.participationPercent} %`);
  } else {
    const rule = doc.rules ? ` (${doc.rules.quorumText}${doc.rules.quorumArticle ? `, ${doc.rules.quorumArticle}` : ""})` : "";
    line(`${L.quorum}${rule}`, doc.quorumReached === null ? L.quorumNa : doc.quorumReached ? L.quorumYes : L.quorumNo);
  }
  line(L.chain, `${doc.chainId}, ${doc.meetingHall}`);
  if (doc.finalizedBlock !== null) line(L.finalized, String(doc.finalizedBlock));

  pdf.moveDown().font("bold").fontSize(11).text(L.agenda(poll));
  for (const q of doc.questions) {
    pdf.moveDown(0.5).font("bold").fontSize(10).text(`${L.question} ${q.number}. ${q.text ?? `(${L.textUnknown} ${q.textRef})`}`);
    pdf.font("regular").fontSize(9);
    if (poll) {
      pdf.text(`${L.for}: ${q.forSquareMetres} (${q.forPercentOfParticipants} ${L.ofAnswers})`);
      pdf.text(`${L.against}: ${q.againstSquareMetres} (${q.againstPercentOfParticipants} ${L.ofAnswers})`);
      pdf.text(`${L.abstain}: ${q.abstainSquareMetres} (${q.abstainPercentOfParticipants} ${L.ofAnswers})`);
      if (q.noAnswerWeight !== "0") pdf.text(`${L.noAnswer}: ${q.noAnswerSquareMetres}`);
      pdf.font("bold").text(`${L.pollMajority}: ${q.passed === null ? L.pending : q.passed ? L.yes : L.no}`);
      continue;
    }
    pdf.text(`${L.questionType}: ${[q.code, q.typeName].filter(Boolean).join(" — ")}`);
    if (q.article) pdf.text(`${L.article}: ${q.article}${q.confirmed === false ? ` ${L.unconfirmed}` : ""}`);
    pdf.text(`${L.threshold}: ${q.threshold}`);
    pdf.text(`${L.for}: ${q.forSquareMetres} (${q.forPercentOfParticipants} ${L.ofParticipants}; ${q.forPercentOfAll} ${L.ofAll})`);
    pdf.text(`${L.against}: ${q.againstSquareMetres} (${q.againstPercentOfParticipants} ${L.ofParticipants})`);
    pdf.text(`${L.abstain}: ${q.abstainSquareMetres} (${q.abstainPercentOfParticipants} ${L.ofParticipants})`);
    if (q.noAnswerWeight !== "0") pdf.text(`${L.noAnswer}: ${q.noAnswerSquareMetres}`);
    pdf.font("bold").text(`${L.decision}: ${q.passed === null ? L.pending : q.passed ? L.passed : L.notPassed}`);
  }

  pdf.addPage().font("bold").fontSize(11).text(L.ballotList(poll));
  pdf.moveDown(0.5).font("regular").fontSize(7);
  for (const [i, b] of doc.ballots.entries()) {
    const answers = b.answers.map((a) => L.answerNames[a] ?? a).join(" ");
    pdf.text(`${i + 1}. ${b.voter}  ${L.weight(poll)}: ${b.squareMetres}  ${L.answers}: ${answers}  ${L.tx}: ${b.transactionHash} #${b.blockNumber}`);
    // how it was cast, each detail on a line of its own
    const details = [L.forms[b.form] ?? b.form, b.representative ? `${L.representative} ${b.representative}, ${L.powerOfAttorney} ${b.powerOfAttorney ?? "?"}` : "", b.jointWith.length ? `${L.jointGroup} ${b.jointWith.join(", ")}` : "", b.scanHash ? `${L.scan} ${b.scanHash}` : ""];
    for (const d of details.filter(Boolean)) pdf.text(`      ${d}`);
  }
  if (doc.rejected.length) {
    pdf.moveDown().font("bold").fontSize(10).text(L.rejectedList);
    pdf.moveDown(0.3).font("regular").fontSize(7);
    for (const [i, r] of doc.rejected.entries()) {
      pdf.text(`${i + 1}. ${L.rejectedLine(r.signer, r.voter, r.representative === null)}: ${r.reasonText}`);
      pdf.text(`      ballot id ${r.ballotId}  ${L.tx}: ${r.transactionHash} #${r.blockNumber}`);
    }
  }
  if (doc.discardedCount) {
    pdf.moveDown().font("bold").fontSize(9).text(`${L.discarded}: `, { continued: true }).font("regular").text(String(doc.discardedCount));
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
