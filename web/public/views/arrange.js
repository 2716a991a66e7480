// Arranging a general meeting or a poll: the initiator fills in the building, the form, the
// administrator, the agenda (each question's type from the legal list of the rules version in force,
// its wording, its attachments) and the dates; the page checks the dates against the deployment's
// legal minimums and shows the notice as owners will read it before anything is signed. Then the
// attachments, the wordings and the notice are stored as documents (by their hash, which the chain
// records), custody signs the announcement as a forward request and the relayer submits it gas-free;
// the page follows it to the announced meeting. A refusal (the hall's custom error, from custody's
// check or the relayer's) is explained in the resident's language (refusals.js).
import * as api from "../api.js";
import { buildingName, date, h, short, show } from "../app.js";
import { extendTexts, language, t } from "../i18n.js";
import { ruleText } from "../rules.js";
import { refusalText } from "./refusals.js";

extendTexts({
  ru: {
    navArrange: "Созвать собрание",
    arrangeTitle: "Созвать собрание или опрос",
    arrangeLogin: "Войдите, чтобы созвать собрание или опрос.",
    arrangeNoBuildings: "Вы не собственник и не организация ни в одном доме: созвать собрание вы не можете.",
    arrangeBuilding: "Дом",
    arrangeForm: "Что созвать",
    arrangeMeeting: "Общее собрание собственников (решения по ЖК РФ)",
    arrangePoll: "Опрос жителей (консультативный, один человек — один голос)",
    arrangeType: "Вид собрания",
    arrangeAnnual: "годовое",
    arrangeExtraordinary: "внеочередное",
    arrangeAdministrator: "Администратор собрания",
    arrangeAdministratorHint: "Вносит решения на бумаге и доверенности. По умолчанию — вы.",
    arrangeAdministratorMe: "я",
    arrangeAdministratorOther: "другой адрес",
    arrangeAgenda: "Повестка дня",
    arrangeQuestionType: "Вид вопроса (ЖК РФ ст. 44 ч. 2)",
    arrangeWording: "Формулировка вопроса",
    arrangeAttachments: "Материалы (PDF, PNG, JPEG)",
    arrangeAddQuestion: "Добавить вопрос",
    arrangeRemoveQuestion: "Убрать вопрос",
    arrangeDates: "Сроки",
    arrangeStart: "Начало голосования",
    arrangeEnd: "Окончание голосования",
    arrangeMinimums: "Правила этой сети: уведомление не позднее чем за {notice} до начала; голосование длится от {min} до {max}.",
    arrangePreview: "Показать уведомление",
    arrangeEdit: "Изменить",
    arrangeSign: "Подписать и объявить",
    arrangeNoticeTitle: "Так уведомление увидят собственники",
    arrangeNoticeAnnual: "Сообщение о проведении годового общего собрания собственников помещений в многоквартирном доме",
    arrangeNoticeExtraordinary: "Сообщение о проведении внеочередного общего собрания собственников помещений в многоквартирном доме",
    arrangeNoticePoll: "Сообщение о проведении опроса жителей дома",
    arrangeNoticeForm: "Форма проведения: очно-заочное голосование с использованием системы «Электронный дом» (ЖК РФ ст. 47.1); решения на бумаге принимает администратор собрания.",
    arrangeNoticeHowToVote: "Как голосовать: войдите на страницу «Электронного дома», откройте собрание и отметьте ответ на каждый вопрос; или передайте решение на бумаге администратору до окончания голосования.",
    arrangeNoticeMaterials: "Материалы к вопросу",
    arrangeNoticeMaterialsAfter: "будут доступны по ссылкам после объявления",
    arrangeInitiator: "Инициатор",
    arrangeStoring: "Сохраняем материалы и тексты…",
    arrangeSigning: "Подписываем объявление и передаём в сеть…",
    arrangeWaiting: "Объявление передано, ждём включения в блок…",
    arrangeIndexing: "Объявление в блоке, ждём, пока его покажет индекс…",
    arrangeDone: "Собрание объявлено.",
    arrangeRefused: "Объявление отклонено",
    errNoBuilding: "Выберите дом.",
    errNoQuestions: "В повестке должен быть хотя бы один вопрос.",
    errEmptyWording: "Вопрос {n}: нет формулировки.",
    errNoType: "Вопрос {n}: выберите вид вопроса.",
    errAdministrator: "Адрес администратора должен быть вида 0x и 40 шестнадцатеричных цифр.",
    errBadDate: "Укажите дату и время начала и окончания.",
    errNoticeShort: "Начало не раньше {earliest}: уведомить собственников нужно не позднее чем за {notice}.",
    errWindowShort: "Голосование слишком короткое: не меньше {min}.",
    errWindowLong: "Голосование слишком длинное: не больше {max}.",
    errFileType: "Файл «{name}»: принимаются только PDF, PNG и JPEG.",
    duration: { d: "дн.", h: "ч", min: "мин", s: "с" },
  },
  en: {
    navArrange: "Arrange a meeting",
    arrangeTitle: "Arrange a meeting or a poll",
    arrangeLogin: "Sign in to arrange a meeting or a poll.",
    arrangeNoBuildings: "You are neither an owner nor an organisation in any building: you cannot arrange a meeting.",
    arrangeBuilding: "Building",
    arrangeForm: "What to arrange",
    arrangeMeeting: "General meeting of owners (decisions under the Housing Code)",
    arrangePoll: "Residents' poll (consultative, one person one vote)",
    arrangeType: "Meeting type",
    arrangeAnnual: "annual",
    arrangeExtraordinary: "extraordinary",
    arrangeAdministrator: "Administrator of the meeting",
    arrangeAdministratorHint: "Enters paper decisions and powers of attorney. You, unless you choose another.",
    arrangeAdministratorMe: "me",
    arrangeAdministratorOther: "another address",
    arrangeAgenda: "Agenda",
    arrangeQuestionType: "Question type (Housing Code art. 44 part 2)",
    arrangeWording: "Wording of the question",
    arrangeAttachments: "Materials (PDF, PNG, JPEG)",
    arrangeAddQuestion: "Add a question",
    arrangeRemoveQuestion: "Remove the question",
    arrangeDates: "Dates",
    arrangeStart: "Voting starts",
    arrangeEnd: "Voting ends",
    arrangeMinimums: "This network's rules: notice at least {notice} before the start; voting lasts {min} to {max}.",
    arrangePreview: "Preview the notice",
    arrangeEdit: "Edit",
    arrangeSign: "Sign and announce",
    arrangeNoticeTitle: "The notice as owners will see it",
    arrangeNoticeAnnual: "Notice of the annual general meeting of the owners of premises in the apartment building",
    arrangeNoticeExtraordinary: "Notice of an extraordinary general meeting of the owners of premises in the apartment building",
    arrangeNoticePoll: "Notice of a poll of the building's residents",
    arrangeNoticeForm: "Form: voting in person and in absentia through the Digital Home system (Housing Code art. 47.1); the administrator of the meeting takes paper decisions.",
    arrangeNoticeHowToVote: "How to vote: sign in on the Digital Home page, open the meeting and mark an answer to every question; or hand a paper decision to the administrator before voting ends.",
    arrangeNoticeMaterials: "Materials for the question",
    arrangeNoticeMaterialsAfter: "linked once announced",
    arrangeInitiator: "Initiator",
    arrangeStoring: "Storing the materials and texts…",
    arrangeSigning: "Signing the announcement and handing it to the network…",
    arrangeWaiting: "The announcement is on its way, waiting for a block…",
    arrangeIndexing: "The announcement is in a block, waiting for the index to show it…",
    arrangeDone: "The meeting is announced.",
    arrangeRefused: "The announcement was refused",
    errNoBuilding: "Choose the building.",
    errNoQuestions: "The agenda needs at least one question.",
    errEmptyWording: "Question {n}: no wording.",
    errNoType: "Question {n}: choose its type.",
    errAdministrator: "The administrator's address must be 0x and 40 hexadecimal digits.",
    errBadDate: "Give the date and time of the start and of the end.",
    errNoticeShort: "Start no earlier than {earliest}: owners must be notified at least {notice} ahead.",
    errWindowShort: "Voting is too short: at least {min}.",
    errWindowLong: "Voting is too long: at most {max}.",
    errFileType: "File “{name}”: only PDF, PNG and JPEG are accepted.",
    duration: { d: "d", h: "h", min: "min", s: "s" },
  },
});

/** "{name}" placeholders filled in. */
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));

/** Seconds as the largest units that say them: "10 дн.", "2 h 30 min", "5 min". */
export function duration(seconds) {
  const u = t("duration");
  const parts = [];
  let rest = Math.max(0, Math.round(seconds));
  for (const [size, unit] of [[86400, u.d], [3600, u.h], [60, u.min], [1, u.s]]) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ") || `0 ${u.s}`;
}

/** The seconds the announcement may take from this check to its block: signing, the relayer's batch. */
const LEAD_SECONDS = 60;

/** A datetime-local input's value for a time in seconds, in the browser's time zone. */
function localInput(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const fromInput = (value) => {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : NaN;
};

/**
 * The problems of a draft, in the reader's language (empty when it may be signed): the dates checked
 * against the deployment's parameters as MeetingHall checks them, with the time the announcement
 * takes to reach a block, at the chain's time `now`.
 */
export function problemsOf(draft, parameters, now) {
  const problems = [];
  if (!draft.buildingId) problems.push(t("errNoBuilding"));
  if (draft.questions.length === 0) problems.push(t("errNoQuestions"));
  draft.questions.forEach((q, i) => {
    if (!q.wording.trim()) problems.push(fill(t("errEmptyWording"), { n: i + 1 }));
    if (draft.kind === "Meeting" && !Number.isInteger(q.questionType)) problems.push(fill(t("errNoType"), { n: i + 1 }));
    for (const f of q.files) if (!/^(application\/pdf|image\/png|image\/jpeg)$/.test(f.type)) problems.push(fill(t("errFileType"), { name: f.name }));
  });
  if (draft.kind === "Meeting" && draft.administrator && !/^0x[0-9a-fA-F]{40}$/.test(draft.administrator)) problems.push(t("errAdministrator"));
  if (!Number.isFinite(draft.votingStart) || !Number.isFinite(draft.votingEnd)) {
    problems.push(t("errBadDate"));
    return problems;
  }
  const earliest = now + parameters.minNotice + LEAD_SECONDS;
  if (draft.votingStart < earliest) problems.push(fill(t("errNoticeShort"), { earliest: date(earliest), notice: duration(parameters.minNotice) }));
  const length = draft.votingEnd - draft.votingStart;
  if (length < parameters.minWindow) problems.push(fill(t("errWindowShort"), { min: duration(parameters.minWindow) }));
  if (length > parameters.maxWindow) problems.push(fill(t("errWindowLong"), { max: duration(parameters.maxWindow) }));
  return problems;
}

/** The names and articles of the rules version's question types, under the hash the chain holds. */
function typeEntries(rules, descriptions) {
  const version = rules ? descriptions[String(rules.sourceRef).toLowerCase()] : undefined;
  return (rules?.questionTypes ?? []).map((qt) => {
    const entry = version?.questionTypes.find((e) => e.code === qt.code);
    const rule = { base: qt.base, numerator: Number(qt.numerator), denominator: Number(qt.denominator), strict: qt.strict };
    return { index: qt.index, code: qt.code, name: entry ? entry.name[language()] : qt.code, article: entry?.article ?? "", rule };
  });
}

/** The notice as the owners will read it: what the law wants a notice to say (art. 45 part 5). */
function noticeOf(draft, ctx) {
  const type = (q) => ctx.types.find((e) => e.index === q.questionType);
  const head = draft.kind === "Poll" ? t("arrangeNoticePoll") : draft.meetingType === "Annual" ? t("arrangeNoticeAnnual") : t("arrangeNoticeExtraordinary");
  return h(
    "div",
    { className: "card", id: "notice-preview", "data-kind": draft.kind },
    h("h2", {}, t("arrangeNoticeTitle")),
    h("p", {}, h("strong", {}, head)),
    h(
      "dl",
      { className: "grid" },
      h("dt", {}, t("arrangeBuilding")),
      h("dd", {}, ctx.buildingNames.get(draft.buildingId) ?? draft.buildingId),
      h("dt", {}, t("arrangeInitiator")),
      h("dd", { className: "mono" }, ctx.me),
      draft.kind === "Meeting" ? [h("dt", {}, t("arrangeAdministrator")), h("dd", { className: "mono", id: "preview-administrator" }, draft.administrator || ctx.me)] : null,
      h("dt", {}, t("arrangeStart")),
      h("dd", { id: "preview-start" }, date(draft.votingStart)),
      h("dt", {}, t("arrangeEnd")),
      h("dd", { id: "preview-end" }, date(draft.votingEnd)),
    ),
    h("p", {}, t("arrangeNoticeForm")),
    h("h2", {}, t("arrangeAgenda")),
    h(
      "ol",
      { id: "preview-agenda" },
      draft.questions.map((q) =>
        h(
          "li",
          { "data-question-type": draft.kind === "Meeting" ? type(q)?.code ?? "" : "" },
          h("div", {}, q.wording),
          draft.kind === "Meeting" && type(q) ? h("div", { className: "muted" }, `${type(q).name} (${type(q).article}) · ${ruleText(type(q).rule)}`) : null,
          q.files.length ? h("div", { className: "muted" }, `${t("arrangeNoticeMaterials")}: ${q.files.map((f) => f.name).join(", ")} — ${t("arrangeNoticeMaterialsAfter")}`) : null,
        ),
      ),
    ),
    h("p", {}, t("arrangeNoticeHowToVote")),
  );
}

/** One question's editor: its type (a meeting's), its wording, its attachments. */
function questionEditor(ctx, onRemove) {
  const box = h("fieldset", { className: "question", "data-question-editor": "" });
  const typeSelect = h(
    "select",
    { name: "type", className: "question-type" },
    h("option", { value: "" }, "—"),
    ctx.types.map((e) => h("option", { value: String(e.index), "data-code": e.code }, `${e.name}${e.article ? ` — ${e.article}` : ""} · ${ruleText(e.rule)}`)),
  );
  const wording = h("textarea", { name: "wording", rows: 3, className: "wording", maxlength: 4000 });
  const files = h("input", { type: "file", name: "files", multiple: true, accept: "application/pdf,image/png,image/jpeg", className: "attachments" });
  const typeLabel = h("label", { className: "type-label" }, t("arrangeQuestionType"), typeSelect);
  box.append(
    h("legend", {}, t("question")),
    typeLabel,
    h("label", {}, t("arrangeWording"), wording),
    h("label", {}, t("arrangeAttachments"), files),
    h("button", { type: "button", className: "secondary remove-question", onclick: () => onRemove(box) }, t("arrangeRemoveQuestion")),
  );
  box.read = () => ({ questionType: typeSelect.value === "" ? undefined : Number(typeSelect.value), wording: wording.value, files: [...files.files] });
  box.showType = (shown) => (typeLabel.hidden = !shown);
  return box;
}

async function storeAndAnnounce(draft, ctx, status) {
  const say = (key, cls = "muted") => status.replaceChildren(h("p", { className: cls, "data-step": key }, t(key)));
  say("arrangeStoring");
  const questions = [];
  for (const q of draft.questions) {
    const attachments = [];
    for (const f of q.files) {
      const doc = await api.documents.upload(new Uint8Array(await f.arrayBuffer()), f.type, { name: f.name });
      attachments.push({ document: doc.id, name: f.name, mediaType: doc.mediaType ?? f.type });
    }
    // the wording's id is keccak256 of its UTF-8 bytes: the question's textRef on chain
    const text = await api.documents.upload(new TextEncoder().encode(q.wording.trim()), "text/plain; charset=utf-8");
    questions.push({ textRef: text.id, wording: q.wording.trim(), questionType: q.questionType, attachments });
  }
  const type = (q) => ctx.types.find((e) => e.index === q.questionType);
  // the notice and its materials, whose hash the chain records as the agendaRef
  const notice = {
    notice: "digital-home/notice",
    version: 1,
    kind: draft.kind,
    meetingType: draft.kind === "Meeting" ? draft.meetingType : "Extraordinary",
    buildingId: draft.buildingId,
    building: ctx.buildingNames.get(draft.buildingId) ?? null,
    initiator: ctx.me,
    administrator: draft.kind === "Meeting" ? draft.administrator || ctx.me : null,
    votingStart: draft.votingStart,
    votingEnd: draft.votingEnd,
    rulesVersion: draft.kind === "Meeting" ? ctx.rules?.version ?? null : null,
    language: language(),
    questions: questions.map((q, i) => ({
      index: i,
      textRef: q.textRef,
      wording: q.wording,
      ...(draft.kind === "Meeting" ? { questionType: q.questionType, code: type(q)?.code ?? null } : {}),
      attachments: q.attachments,
    })),
  };
  const agenda = await api.documents.upload(new TextEncoder().encode(JSON.stringify(notice, null, 2)), "application/json");

  say("arrangeSigning");
  const s = api.session.get();
  const answer =
    draft.kind === "Meeting"
      ? await api.requests.send(s.token, "announceMeeting", {
          buildingId: draft.buildingId,
          meetingType: draft.meetingType,
          ...(draft.administrator ? { administrator: draft.administrator } : {}),
          votingStart: String(draft.votingStart),
          votingEnd: String(draft.votingEnd),
          agendaRef: agenda.id,
          questions: questions.map((q) => ({ textRef: q.textRef, questionType: q.questionType })),
        })
      : await api.requests.send(s.token, "announcePoll", {
          buildingId: draft.buildingId,
          votingStart: String(draft.votingStart),
          votingEnd: String(draft.votingEnd),
          agendaRef: agenda.id,
          questionRefs: questions.map((q) => q.textRef),
        });

  // follow it: the relayer's status, then the index
  say("arrangeWaiting");
  status.dataset.request = answer.id;
  let request = answer;
  for (let i = 0; request.status !== "confirmed"; i++) {
    if (request.status === "rejected") throw Object.assign(new Error(request.reason), { reason: request.reason, code: "request_rejected" });
    if (!location.hash.startsWith("#/arrange")) return;
    await new Promise((r) => setTimeout(r, 1000));
    request = await api.relayer.request(answer.id);
  }
  say("arrangeIndexing");
  for (;;) {
    const m = await api.meetingAnnouncedIn(request.txHash);
    if (m) {
      say("arrangeDone", "ok");
      if (location.hash.startsWith("#/arrange")) location.hash = `#/meeting/${m.id}`;
      return;
    }
    if (!location.hash.startsWith("#/arrange")) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function viewArrange() {
  const s = api.session.get();
  if (!s) return show(h("h1", {}, t("arrangeTitle")), h("div", { className: "card" }, h("p", {}, h("a", { href: "#/login" }, t("arrangeLogin")))));
  const [members, rules, descriptions, parameters, now] = await Promise.all([api.initiableBuildings(s.address), api.currentRules(), api.rulesTexts(), api.parameters(), api.chainNow()]);
  if (members.length === 0) return show(h("h1", {}, t("arrangeTitle")), h("div", { className: "card notice", id: "arrange-refused" }, t("arrangeNoBuildings")));
  const ctx = { me: s.address, rules, types: typeEntries(rules, descriptions), buildingNames: new Map() };
  for (const m of members) ctx.buildingNames.set(m.building.buildingId, await buildingName(m.building));

  const buildingSelect = h(
    "select",
    { id: "arrange-building" },
    members.map((m) => h("option", { value: m.building.buildingId }, ctx.buildingNames.get(m.building.buildingId))),
  );
  const kindMeeting = h("input", { type: "radio", name: "kind", value: "Meeting", checked: true, id: "kind-meeting" });
  const kindPoll = h("input", { type: "radio", name: "kind", value: "Poll", id: "kind-poll" });
  const typeAnnual = h("input", { type: "radio", name: "meetingType", value: "Annual", id: "type-annual" });
  const typeExtra = h("input", { type: "radio", name: "meetingType", value: "Extraordinary", checked: true, id: "type-extraordinary" });
  const adminInput = h("input", { type: "text", id: "arrange-administrator", placeholder: "0x…", hidden: true, autocomplete: "off" });
  const adminChoice = h(
    "select",
    { id: "arrange-administrator-choice", onchange: () => (adminInput.hidden = adminChoice.value === "me") },
    h("option", { value: "me" }, `${t("arrangeAdministratorMe")} (${short(s.address)})`),
    h("option", { value: "other" }, t("arrangeAdministratorOther")),
  );
  const start = h("input", { type: "datetime-local", id: "arrange-start", value: localInput(Math.ceil((now + parameters.minNotice + 2 * LEAD_SECONDS) / 60) * 60) });
  const end = h("input", { type: "datetime-local", id: "arrange-end" });
  end.value = localInput(fromInput(start.value) + Math.max(parameters.minWindow, Math.min(parameters.maxWindow, 7 * 86400)));

  const questionList = h("div", { id: "arrange-questions" });
  const meetingOnly = h(
    "div",
    { id: "arrange-meeting-only" },
    h("fieldset", {}, h("legend", {}, t("arrangeType")), h("label", {}, typeAnnual, t("arrangeAnnual")), h("label", {}, typeExtra, t("arrangeExtraordinary"))),
    h("fieldset", {}, h("legend", {}, t("arrangeAdministrator")), h("p", { className: "muted" }, t("arrangeAdministratorHint")), adminChoice, adminInput),
  );
  const syncKind = () => {
    const meeting = kindMeeting.checked;
    meetingOnly.hidden = !meeting;
    for (const box of questionList.children) box.showType(meeting);
  };
  const addQuestion = () => {
    const box = questionEditor(ctx, (b) => b.remove());
    questionList.append(box);
    syncKind();
  };
  kindMeeting.addEventListener("change", syncKind);
  kindPoll.addEventListener("change", syncKind);
  addQuestion();

  const problems = h("div", { id: "arrange-problems", role: "alert" });
  const preview = h("div", { id: "arrange-preview" });
  const status = h("div", { id: "arrange-status", role: "status" });
  const form = h(
    "form",
    { id: "arrange-form", className: "card arrange" },
    h("label", {}, t("arrangeBuilding"), buildingSelect),
    h("fieldset", {}, h("legend", {}, t("arrangeForm")), h("label", {}, kindMeeting, t("arrangeMeeting")), h("label", {}, kindPoll, t("arrangePoll"))),
    meetingOnly,
    h("h2", {}, t("arrangeAgenda")),
    questionList,
    h("button", { type: "button", className: "secondary", id: "add-question", onclick: addQuestion }, t("arrangeAddQuestion")),
    h("h2", {}, t("arrangeDates")),
    h("p", { className: "muted", id: "arrange-minimums" }, fill(t("arrangeMinimums"), { notice: duration(parameters.minNotice), min: duration(parameters.minWindow), max: duration(parameters.maxWindow) })),
    h("div", { className: "dates" }, h("label", {}, t("arrangeStart"), start), h("label", {}, t("arrangeEnd"), end)),
    problems,
    h("button", { type: "submit", id: "arrange-preview-button" }, t("arrangePreview")),
  );

  const draftOf = () => ({
    buildingId: buildingSelect.value,
    kind: kindPoll.checked ? "Poll" : "Meeting",
    meetingType: typeAnnual.checked ? "Annual" : "Extraordinary",
    administrator: kindMeeting.checked && adminChoice.value === "other" ? adminInput.value.trim() : "",
    votingStart: fromInput(start.value),
    votingEnd: fromInput(end.value),
    questions: [...questionList.children].map((box) => box.read()),
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const draft = draftOf();
    const found = problemsOf(draft, parameters, await api.chainNow());
    preview.replaceChildren();
    status.replaceChildren();
    if (found.length) return problems.replaceChildren(h("ul", { className: "bad" }, found.map((p) => h("li", {}, p))));
    problems.replaceChildren();
    form.hidden = true;
    const sign = h("button", { type: "button", id: "arrange-sign" }, t("arrangeSign"));
    const back = h("button", { type: "button", className: "secondary", id: "arrange-edit", onclick: () => ((form.hidden = false), preview.replaceChildren(), status.replaceChildren()) }, t("arrangeEdit"));
    sign.addEventListener("click", async () => {
      sign.disabled = back.disabled = true;
      // the dates are checked again at the moment of signing: the chain's clock has moved on
      const late = problemsOf(draft, parameters, await api.chainNow());
      if (late.length) {
        sign.disabled = back.disabled = false;
        return status.replaceChildren(h("ul", { className: "bad" }, late.map((p) => h("li", {}, p))));
      }
      try {
        await storeAndAnnounce(draft, ctx, status);
      } catch (err) {
        sign.disabled = back.disabled = false;
        status.replaceChildren(h("p", { className: "notice", id: "arrange-refusal", "data-code": err.details?.error ?? err.reason ?? err.code ?? "" }, `${t("arrangeRefused")}: ${refusalText(err)}`));
      }
    });
    preview.replaceChildren(noticeOf(draft, ctx), h("div", { className: "card choices" }, sign, back), status);
  });
  show(h("h1", {}, t("arrangeTitle")), form, preview);
}
