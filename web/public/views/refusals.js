// The hall's refusals in the resident's language: custody asks the hall how it answers a forward
// request before signing it (`request_reverted`, the custom error's name in `details.error`), and the
// relayer reports a request the chain reverted or the forwarder refused (`reverted:<error>`,
// `refused:<error>`). Any other code is the page's error text (i18n.js), else the service's message.
import { errorText, extendTexts, t } from "../i18n.js";

extendTexts({
  ru: {
    hallErrors: {
      MeetingHallNotInitiator: "В этом доме вы не можете созывать собрания: созывают собственники помещений и организации, которым регистратор дал это право (УК, ТСЖ, фонд капремонта).",
      MeetingHallTooManyOpenMeetings: "У вас уже слишком много объявленных и не завершённых собраний в этом доме.",
      MeetingHallNoticeTooShort: "Слишком поздно: между объявлением и началом голосования должен пройти минимальный срок уведомления. Перенесите начало.",
      MeetingHallWindowLength: "Срок голосования вне допустимых границ.",
      MeetingHallAgendaSize: "Недопустимое число вопросов в повестке.",
      MeetingHallInvalidQuestionType: "Такого вида вопроса нет в действующей редакции правил.",
      MeetingHallNoRules: "В сети не опубликованы правила проведения собраний.",
      MeetingHallUnknownBuilding: "Такого дома нет в реестре.",
      MeetingHallInvalidParameters: "Недопустимые параметры собрания.",
      request_expired: "Подписанное объявление не успело попасть в блок и истекло. Попробуйте ещё раз.",
      MeetingHallNotAdministrator: "Это может только администратор собрания.",
      MeetingHallVotingClosed: "Голосование по этому собранию сейчас не идёт: решения принимаются только между его началом и окончанием.",
      MeetingHallNotEligible: "Этот человек не собственник в доме на дату собрания: его решение не считается.",
      MeetingHallAlreadyVoted: "Этот собственник уже проголосовал: второе решение не принимается.",
      MeetingHallMalformedChoices: "Ответы не соответствуют повестке.",
      MeetingHallMalformedVoidMask: "Отметки «испорчен» не соответствуют повестке.",
      MeetingHallPaperDecisionRejected: "Решение на бумаге не принято: собственник уже голосовал, не имеет права голоса или ответы не соответствуют повестке.",
      MeetingHallNoPowerOfAttorney: "Нет действующей доверенности на это собрание.",
      MeetingHallInvalidPowerOfAttorney: "Доверенность не может быть записана: доверитель и представитель должны быть разными людьми, срок — непустым, дом — этим, а совместную собственность доверяют все её владельцы у регистратора.",
      MeetingHallNotRecorder: "Записать доверенность на это собрание может только его администратор, пока собрание не завершено; доверенности на все собрания за период записывает регистратор.",
      MeetingHallUnknownMeeting: "Такого собрания нет.",
    },
  },
  en: {
    hallErrors: {
      MeetingHallNotInitiator: "You may not arrange meetings in this building: its owners may, and the organisations the registrar gave that right (management organisation, HOA, Capital Repair Fund).",
      MeetingHallTooManyOpenMeetings: "You already have too many announced and unfinished meetings in this building.",
      MeetingHallNoticeTooShort: "Too late: the minimum notice must pass between the announcement and the start of voting. Move the start.",
      MeetingHallWindowLength: "The voting window is outside the allowed bounds.",
      MeetingHallAgendaSize: "The agenda has a number of questions that is not allowed.",
      MeetingHallInvalidQuestionType: "The rules in force have no such question type.",
      MeetingHallNoRules: "The network has no published rules for meetings.",
      MeetingHallUnknownBuilding: "The register has no such building.",
      MeetingHallInvalidParameters: "The meeting's parameters are not allowed.",
      request_expired: "The signed announcement did not reach a block in time and expired. Try again.",
      MeetingHallNotAdministrator: "Only the meeting's administrator may do this.",
      MeetingHallVotingClosed: "Voting is not open for this meeting: decisions are taken only between its start and its end.",
      MeetingHallNotEligible: "This person is not an owner in the building at the meeting's snapshot: their decision does not count.",
      MeetingHallAlreadyVoted: "This owner has voted already: a second decision is not taken.",
      MeetingHallMalformedChoices: "The answers do not fit the agenda.",
      MeetingHallMalformedVoidMask: "The void marks do not fit the agenda.",
      MeetingHallPaperDecisionRejected: "The paper decision was not taken: the owner has voted already, may not vote, or the answers do not fit the agenda.",
      MeetingHallNoPowerOfAttorney: "There is no power of attorney in force for this meeting.",
      MeetingHallInvalidPowerOfAttorney: "The power of attorney cannot be recorded: principal and representative must be two people, the validity not empty, the building this one, and a joint holding is entrusted by all its holders at the registrar.",
      MeetingHallNotRecorder: "Only the meeting's administrator records a power of attorney for it, while the meeting is not finished; the registrar records powers for all meetings in a period.",
      MeetingHallUnknownMeeting: "There is no such meeting.",
    },
  },
});

/** The hall's custom error a refusal names, if any: custody's check, or the relayer's reason. */
export function hallErrorOf(err) {
  return err.details?.error ?? /^(?:reverted|refused):(\w+)/.exec(err.reason ?? "")?.[1] ?? (err.reason || undefined);
}

/** A refusal in the reader's language, with its code. */
export function refusalText(err) {
  const texts = t("hallErrors");
  const hallError = hallErrorOf(err);
  if (hallError && texts[hallError]) return texts[hallError];
  return `${errorText(err.code) ?? err.message ?? err.reason ?? ""}${err.code ? ` (${err.code})` : ""}`;
}
