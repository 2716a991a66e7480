/**
 * Notices in Russian and English: the notice of a meeting or poll (kind of meeting, initiator,
 * administrator, agenda with each question's type and the rule that decides it, voting start and end,
 * how to vote), the reminder, the results (each question against the base of its rule) and the
 * cancellation. Each renders a subject, a full text (e-mail, in-app) and a short text (SMS).
 */
import { Kind, MeetingType, type Rule } from "#lib/domain.js";
import type { Language } from "./config.js";

export type NoticeType = "announced" | "reminder" | "results" | "cancelled";

export interface QuestionView {
  text: string;
  /** The question's type in the meeting's rules version: its code, name (when known) and rule; none for a poll. */
  type?: { code: string; name?: { ru: string; en: string }; rule?: Rule };
}

export interface DecisionView {
  forWeight: bigint;
  againstWeight: bigint;
  abstainWeight: bigint;
  passed: boolean;
}

export interface NoticeData {
  meetingId: bigint;
  buildingId: bigint;
  kind: number;
  /** `IMeetingHall.MeetingType` of a general meeting. */
  meetingType: number;
  initiator: string;
  administrator: string;
  votingStart: number;
  votingEnd: number;
  questions: QuestionView[];
  voteUrl: string;
  timeZone: string;
  /** What the meeting's notice document adds (lib/notice.ts), when it is in the store and agrees with the chain. */
  notice?: {
    buildingAddress: string;
    initiatorName: string;
    administratorName: string;
    /** Each material with the link it downloads from. */
    materials: Array<{ name: string; url: string; questions?: number[] }>;
    paperDecisions?: string;
  };
  results?: {
    totalWeight: bigint;
    participatingWeight: bigint;
    ballots: number;
    quorumReached: boolean;
    decisions: DecisionView[];
  };
}

export interface Rendered {
  subject: string;
  text: string;
  short: string;
}

/** A rule in words: "не менее 2/3 голосов всех собственников", "more than 50 % of the votes cast". */
export function ruleWords(rule: Rule, language: Language): string {
  const all = rule.base === "All";
  if (rule.numerator === rule.denominator && !rule.strict) return language === "ru" ? "единогласно (100 % голосов всех собственников)" : "unanimously (100 % of all votes)";
  const fraction = rule.numerator * 2 === rule.denominator ? "50 %" : `${rule.numerator}/${rule.denominator}`;
  if (language === "ru") return `${rule.strict ? "более" : "не менее"} ${fraction} ${all ? "голосов всех собственников" : "голосов участвующих"}`;
  return `${rule.strict ? "more than" : "at least"} ${fraction} of ${all ? "all votes" : "the votes cast"}`;
}

/** A chain timestamp as a local date and time with its zone, e.g. "5 декабря 2026 г., 10:00 (Europe/Moscow)". */
export function formatTime(unixSeconds: number, language: Language, timeZone: string): string {
  const text = new Intl.DateTimeFormat(language === "ru" ? "ru-RU" : "en-GB", {
    dateStyle: "long",
    timeStyle: "short",
    timeZone,
  }).format(new Date(unixSeconds * 1000));
  return `${text} (${timeZone})`;
}

/** A share as a percentage with two decimals, computed with integers. */
export function percent(part: bigint, whole: bigint): string {
  if (whole === 0n) return "0.00 %";
  const hundredths = (part * 10_000n) / whole;
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, "0")} %`;
}

/**
 * The denominator a question is decided against: the votes of those who took part when its rule
 * counts from the participants, and for polls (the answers given); all votes of the building when
 * its rule counts from all of them (DOMAIN.md), or when its rule is not known.
 */
function baseOf(poll: boolean, q: QuestionView, r: NonNullable<NoticeData["results"]>, x: DecisionView): { base: bigint; ofParticipants: boolean } {
  if (poll) return { base: x.forWeight + x.againstWeight + x.abstainWeight, ofParticipants: true };
  if (q.type?.rule?.base === "Participants") return { base: r.participatingWeight, ofParticipants: true };
  return { base: r.totalWeight, ofParticipants: false };
}

function agenda(d: NoticeData, language: Language): string {
  return d.questions
    .map((q, i) => {
      if (d.kind === Kind.Poll || !q.type) return `${i + 1}. ${q.text}`;
      const name = q.type.name?.[language] ?? q.type.code;
      const rule = q.type.rule ? `; ${language === "ru" ? "решение принимается" : "decided by"} ${ruleWords(q.type.rule, language)}` : "";
      return `${i + 1}. ${q.text}\n   ${name} [${q.type.code}]${rule}`;
    })
    .join("\n");
}

/** The materials of the meeting as lines with their links, and where paper decisions go. */
function materials(d: NoticeData, language: Language): string[] {
  const n = d.notice;
  if (!n) return [];
  const ru = language === "ru";
  const out: string[] = [];
  if (n.materials.length) {
    out.push("", ru ? "Материалы собрания:" : "Materials of the meeting:");
    for (const m of n.materials) out.push(`- ${m.name}${m.questions?.length ? (ru ? ` (к вопросам ${m.questions.join(", ")})` : ` (questions ${m.questions.join(", ")})`) : ""}: ${m.url}`);
  }
  if (n.paperDecisions) out.push("", `${ru ? "Решения на бумаге" : "Decisions on paper"}: ${n.paperDecisions}`);
  return out;
}

/** A party as the notice names it: name and account, or the account alone. */
const party = (name: string | undefined, account: string) => (name ? `${name} (${account})` : account);

function ru(type: NoticeType, d: NoticeData): Rendered {
  const poll = d.kind === Kind.Poll;
  const what = poll ? `Опрос жителей № ${d.meetingId}` : `Общее собрание собственников № ${d.meetingId}`;
  const start = formatTime(d.votingStart, "ru", d.timeZone);
  const end = formatTime(d.votingEnd, "ru", d.timeZone);
  switch (type) {
    case "announced":
      return {
        subject: `${what}: голосование с ${start}`,
        text: [
          poll
            ? `Объявлен опрос жителей дома № ${d.buildingId} (консультативный, без юридической силы).`
            : `Объявлено ${d.meetingType === MeetingType.Annual ? "годовое" : "внеочередное"} общее собрание собственников помещений дома № ${d.buildingId} в электронной форме (ст. 47.1 ЖК РФ).`,
          ...(d.notice ? [`Адрес дома: ${d.notice.buildingAddress}`] : []),
          `Инициатор: ${party(d.notice?.initiatorName, d.initiator)}`,
          ...(poll ? [] : [`Администратор собрания: ${party(d.notice?.administratorName, d.administrator)}`]),
          `Голосование: с ${start} по ${end}.`,
          "",
          "Повестка дня:",
          agenda(d, "ru"),
          ...materials(d, "ru"),
          "",
          `Как проголосовать: войдите на ${d.voteUrl} и отметьте по каждому вопросу «За», «Против» или «Воздержался».`,
        ].join("\n"),
        short: `${what}: голосование с ${start} по ${end}. ${d.voteUrl}`,
      };
    case "reminder":
      return {
        subject: `Напоминание: ${what.toLowerCase()} — голосование до ${end}`,
        text: [`Вы ещё не проголосовали. ${what}, дом № ${d.buildingId}: голосование закрывается ${end}.`, "", "Повестка дня:", agenda(d, "ru"), "", `Проголосовать: ${d.voteUrl}`].join("\n"),
        short: `Напоминание: ${what}, голосование до ${end}. ${d.voteUrl}`,
      };
    case "cancelled":
      return {
        subject: `${what} отменено`,
        text: `${what}, дом № ${d.buildingId}, назначенное с ${start} по ${end}, отменено инициатором.`,
        short: `${what} отменено.`,
      };
    case "results": {
      const r = d.results!;
      const lines = d.questions.map((q, i) => {
        const x = r.decisions[i];
        if (!x) return `${i + 1}. ${q.text}: нет данных`;
        const { base, ofParticipants } = baseOf(poll, q, r, x);
        return `${i + 1}. ${q.text}\n   За ${percent(x.forWeight, base)}, против ${percent(x.againstWeight, base)}, воздержались ${percent(x.abstainWeight, base)} ${ofParticipants ? "голосов участвовавших" : "всех голосов"} — ${x.passed ? "решение принято" : "решение не принято"}${!poll && q.type?.rule ? ` (требуется ${ruleWords(q.type.rule, "ru")})` : ""}`;
      });
      const participation = poll ? `Ответов: ${r.ballots}.` : `Приняли участие собственники с ${percent(r.participatingWeight, r.totalWeight)} голосов (бюллетеней: ${r.ballots}); кворум ${r.quorumReached ? "есть" : "отсутствует"}.`;
      return {
        subject: `Итоги: ${what.toLowerCase()}`,
        text: [`${what}, дом № ${d.buildingId}: голосование завершено ${end}.`, participation, "", ...lines, "", `Протокол и бюллетени: ${d.voteUrl}`].join("\n"),
        short: `Итоги: ${what}. ${poll ? "" : `Кворум ${r.quorumReached ? "есть" : "отсутствует"}. `}${d.voteUrl}`,
      };
    }
  }
}

function en(type: NoticeType, d: NoticeData): Rendered {
  const poll = d.kind === Kind.Poll;
  const what = poll ? `Residents' poll #${d.meetingId}` : `General meeting of owners #${d.meetingId}`;
  const start = formatTime(d.votingStart, "en", d.timeZone);
  const end = formatTime(d.votingEnd, "en", d.timeZone);
  switch (type) {
    case "announced":
      return {
        subject: `${what}: voting from ${start}`,
        text: [
          poll
            ? `A residents' poll of building #${d.buildingId} has been announced (consultative, not legally binding).`
            : `An electronic ${d.meetingType === MeetingType.Annual ? "annual" : "extraordinary"} general meeting of the owners of building #${d.buildingId} has been announced (Housing Code art. 47.1).`,
          ...(d.notice ? [`Address of the building: ${d.notice.buildingAddress}`] : []),
          `Initiator: ${party(d.notice?.initiatorName, d.initiator)}`,
          ...(poll ? [] : [`Administrator of the meeting: ${party(d.notice?.administratorName, d.administrator)}`]),
          `Voting: from ${start} to ${end}.`,
          "",
          "Agenda:",
          agenda(d, "en"),
          ...materials(d, "en"),
          "",
          `How to vote: sign in at ${d.voteUrl} and mark For, Against or Abstain on every question.`,
        ].join("\n"),
        short: `${what}: voting from ${start} to ${end}. ${d.voteUrl}`,
      };
    case "reminder":
      return {
        subject: `Reminder: ${what} — voting closes ${end}`,
        text: [`You have not voted yet. ${what}, building #${d.buildingId}: voting closes ${end}.`, "", "Agenda:", agenda(d, "en"), "", `Vote: ${d.voteUrl}`].join("\n"),
        short: `Reminder: ${what}, voting closes ${end}. ${d.voteUrl}`,
      };
    case "cancelled":
      return {
        subject: `${what} cancelled`,
        text: `${what}, building #${d.buildingId}, scheduled from ${start} to ${end}, has been cancelled by its initiator.`,
        short: `${what} cancelled.`,
      };
    case "results": {
      const r = d.results!;
      const lines = d.questions.map((q, i) => {
        const x = r.decisions[i];
        if (!x) return `${i + 1}. ${q.text}: no data`;
        const { base, ofParticipants } = baseOf(poll, q, r, x);
        return `${i + 1}. ${q.text}\n   For ${percent(x.forWeight, base)}, against ${percent(x.againstWeight, base)}, abstain ${percent(x.abstainWeight, base)} of ${ofParticipants ? "the votes cast" : "all votes"} — ${x.passed ? "passed" : "not passed"}${!poll && q.type?.rule ? ` (needs ${ruleWords(q.type.rule, "en")})` : ""}`;
      });
      const participation = poll ? `Answers: ${r.ballots}.` : `Owners holding ${percent(r.participatingWeight, r.totalWeight)} of the votes took part (${r.ballots} ballots); quorum ${r.quorumReached ? "reached" : "not reached"}.`;
      return {
        subject: `Results: ${what}`,
        text: [`${what}, building #${d.buildingId}: voting closed ${end}.`, participation, "", ...lines, "", `Protocol and ballots: ${d.voteUrl}`].join("\n"),
        short: `Results: ${what}. ${poll ? "" : `Quorum ${r.quorumReached ? "reached" : "not reached"}. `}${d.voteUrl}`,
      };
    }
  }
}

export function render(type: NoticeType, language: Language, data: NoticeData): Rendered {
  return language === "ru" ? ru(type, data) : en(type, data);
}
