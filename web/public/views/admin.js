// The administrator's screens of a meeting: who has not voted yet (the registrar's list with names,
// for the meeting's administrator or initiator), a paper decision entered for one of them (answers
// per question including void and unanswered, the scan stored as a restricted document whose hash
// goes on chain), a power of attorney for this meeting (the registrar records those for all meetings
// in a period), and the delivery log of the notice, the proof that owners were notified. Every
// change is a forward request custody signs and the relayer submits gas-free; the hall decides.
import * as api from "../api.js";
import { date, errorCard, errorMessage, h, route, short, show } from "../app.js";
import { extendTexts, language, t } from "../i18n.js";
import { ANSWERS, SHARE_UNIT } from "../lib/domain.js";
import { hallErrorOf, refusalText } from "./refusals.js";

extendTexts({
  ru: {
    adminTitle: "Администратор собрания",
    adminLink: "Администратор: решения на бумаге, доверенности, кто не голосовал",
    adminOnly: "Этот раздел — для администратора и инициатора собрания.",
    adminNotVoted: "Ещё не проголосовали",
    adminNotVotedNone: "Проголосовали все.",
    adminOutstanding: "Не проголосовало {part} из {total}",
    adminName: "Собственник",
    adminPremises: "Помещения",
    adminWeight: "Голосов",
    adminEnterPaper: "Внести решение",
    adminPaperTitle: "Решение собственника на бумаге",
    adminPaperVoter: "Собственник",
    adminPaperScan: "Скан решения (PDF, PNG, JPEG) — хранится с ограниченным доступом",
    adminPaperSubmit: "Внести решение",
    adminPaperDone: "Решение внесено.",
    adminVoid: "испорчен",
    adminUnanswered: "не заполнен",
    adminPowerTitle: "Доверенность на это собрание",
    adminPowerHint: "Доверенности на все собрания за период записывает регистратор.",
    adminPrincipal: "Доверитель",
    adminRepresentative: "Представитель (адрес)",
    adminValidFrom: "Действует с",
    adminValidTo: "Действует по",
    adminPowerDocument: "Доверенность (PDF, PNG, JPEG) — хранится с ограниченным доступом",
    adminPowerSubmit: "Записать доверенность",
    adminPowerDone: "Доверенность записана.",
    adminDeliveryTitle: "Журнал доставки уведомлений",
    adminDeliveryHint: "Доказательство уведомления собственников: кому, каким каналом, когда и с каким ответом.",
    adminDeliveryCsv: "Скачать CSV",
    adminDeliveryJson: "Скачать JSON",
    adminSending: "Сохраняем документ и подписываем…",
    adminWaiting: "Передано в сеть, ждём включения в блок…",
    adminRefused: "Отклонено",
    adminNeedScan: "Приложите скан решения.",
    adminNeedDocument: "Приложите доверенность.",
    adminAnswerAll: "Отметьте каждый вопрос: за, против, воздержался, испорчен или не заполнен.",
    adminBadAddress: "Адрес должен быть вида 0x и 40 шестнадцатеричных цифр.",
    adminBadDates: "Укажите срок действия: окончание позже начала.",
  },
  en: {
    adminTitle: "Administrator of the meeting",
    adminLink: "Administrator: paper decisions, powers of attorney, who has not voted",
    adminOnly: "This part is for the meeting's administrator and initiator.",
    adminNotVoted: "Not voted yet",
    adminNotVotedNone: "Everybody has voted.",
    adminOutstanding: "{part} of {total} not voted",
    adminName: "Owner",
    adminPremises: "Premises",
    adminWeight: "Votes",
    adminEnterPaper: "Enter a decision",
    adminPaperTitle: "An owner's decision on paper",
    adminPaperVoter: "Owner",
    adminPaperScan: "Scan of the decision (PDF, PNG, JPEG) — kept restricted",
    adminPaperSubmit: "Enter the decision",
    adminPaperDone: "The decision is entered.",
    adminVoid: "void",
    adminUnanswered: "unanswered",
    adminPowerTitle: "A power of attorney for this meeting",
    adminPowerHint: "The registrar records powers of attorney for all meetings in a period.",
    adminPrincipal: "Principal",
    adminRepresentative: "Representative (address)",
    adminValidFrom: "Valid from",
    adminValidTo: "Valid to",
    adminPowerDocument: "The power of attorney (PDF, PNG, JPEG) — kept restricted",
    adminPowerSubmit: "Record the power of attorney",
    adminPowerDone: "The power of attorney is recorded.",
    adminDeliveryTitle: "Delivery log of the notices",
    adminDeliveryHint: "The proof of notice: to whom, by which channel, when, and what the channel answered.",
    adminDeliveryCsv: "Download CSV",
    adminDeliveryJson: "Download JSON",
    adminSending: "Storing the document and signing…",
    adminWaiting: "Handed to the network, waiting for a block…",
    adminRefused: "Refused",
    adminNeedScan: "Attach the scan of the decision.",
    adminNeedDocument: "Attach the power of attorney.",
    adminAnswerAll: "Mark every question: for, against, abstain, void or unanswered.",
    adminBadAddress: "An address is 0x and 40 hexadecimal digits.",
    adminBadDates: "Give the validity: its end after its start.",
  },
});

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const SCAN_TYPES = /^(application\/pdf|image\/png|image\/jpeg)$/;

/** Votes in m² (a meeting) or people (a poll). */
function votes(m, weight) {
  const w = BigInt(weight ?? 0);
  if (m.kind === "Poll") return `${w} ${t("people")}`;
  const hundredths = (w * 100n + SHARE_UNIT * 50n) / (SHARE_UNIT * 100n);
  return `${(hundredths / 100n).toLocaleString(language())}.${String(hundredths % 100n).padStart(2, "0")} ${t("m2")}`;
}

function localInput(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
const fromInput = (value) => {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : NaN;
};

/** Sends a forward request and waits for the relayer to confirm it; throws the refusal. */
async function sendAndConfirm(fn, args, say) {
  const s = api.session.get();
  const answer = await api.requests.send(s.token, fn, args);
  say(t("adminWaiting"));
  let request = answer;
  for (let i = 0; request.status !== "confirmed"; i++) {
    if (request.status === "rejected") throw Object.assign(new Error(request.reason), { reason: request.reason, code: "request_rejected" });
    if (i > 120) throw new Error("no confirmation in two minutes");
    await new Promise((r) => setTimeout(r, 1000));
    request = await api.relayer.request(answer.id);
  }
  return request;
}

/** A form's status line: progress, done, or the refusal in words with its code. */
function statusLine(id) {
  const line = h("p", { id, role: "status", className: "muted" });
  return {
    line,
    say: (text) => ((line.className = "muted"), delete line.dataset.code, delete line.dataset.state, (line.textContent = text)),
    done: (text) => ((line.className = "ok"), (line.dataset.state = "done"), (line.textContent = text)),
    fail: (err) => {
      line.className = "notice";
      delete line.dataset.state;
      line.dataset.code = hallErrorOf(err) ?? err.code ?? "";
      line.textContent = `${t("adminRefused")}: ${refusalText(err)}`;
    },
  };
}

function paperForm(m, notVoted) {
  const voter = h("select", { id: "paper-voter" }, notVoted.map((p) => h("option", { value: p.address }, `${p.name} — ${p.premises.join(", ")}`)));
  // a paper decision also says a question was marked twice (void) or not at all (art. 48 part 6)
  const answers = [...ANSWERS.slice(1), "void", "unanswered"];
  const label = (a) => (a === "void" ? t("adminVoid") : a === "unanswered" ? t("adminUnanswered") : t(a));
  const questions = m.questions.map((q) =>
    h(
      "fieldset",
      { className: "question", "data-paper-question": q.index },
      h("legend", {}, `${t("question")} ${q.index + 1}`),
      answers.map((a) => h("label", {}, h("input", { type: "radio", name: `paper-q${q.index}`, value: a, "data-answer": a }), label(a))),
    ),
  );
  const scan = h("input", { type: "file", id: "paper-scan", accept: "application/pdf,image/png,image/jpeg" });
  const status = statusLine("paper-status");
  const submit = h("button", { type: "submit", id: "paper-submit" }, t("adminPaperSubmit"));
  const form = h(
    "form",
    { className: "card admin", id: "paper-form" },
    h("h2", {}, t("adminPaperTitle")),
    h("label", {}, t("adminPaperVoter"), voter),
    questions,
    h("label", {}, t("adminPaperScan"), scan),
    submit,
    status.line,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const marked = m.questions.map((q) => form.querySelector(`input[name=paper-q${q.index}]:checked`)?.value);
    if (marked.some((a) => !a)) return status.fail({ message: t("adminAnswerAll") });
    const file = scan.files[0];
    if (!file || !SCAN_TYPES.test(file.type)) return status.fail({ message: t("adminNeedScan") });
    // two bits a question (1 For, 2 Against, 3 Abstain, 0 unanswered) and a bit for each void one (lib/ballot.ts)
    let choices = 0n;
    let voidMask = 0n;
    marked.forEach((a, q) => {
      if (a === "void") voidMask |= 1n << BigInt(q);
      else if (a !== "unanswered") choices |= BigInt({ For: 1, Against: 2, Abstain: 3 }[a]) << BigInt(2 * q);
    });
    submit.disabled = true;
    try {
      status.say(t("adminSending"));
      const doc = await api.documents.upload(new Uint8Array(await file.arrayBuffer()), file.type, { name: file.name, access: "restricted", purpose: "paper-decision", meeting: m.meetingId });
      await sendAndConfirm("enterPaperDecisions", { meetingId: String(m.meetingId), decisions: [{ voter: voter.value, choices: String(choices), voidMask: String(voidMask), scanHash: doc.id }] }, status.say);
      status.done(t("adminPaperDone"));
      setTimeout(() => route(), 1500);
    } catch (err) {
      status.fail(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function powerForm(m, notVoted, now) {
  const principal = h("select", { id: "power-principal" }, notVoted.map((p) => h("option", { value: p.address }, `${p.name} — ${p.premises.join(", ")}`)));
  const representative = h("input", { type: "text", id: "power-representative", placeholder: "0x…", autocomplete: "off" });
  const from = h("input", { type: "datetime-local", id: "power-from", value: localInput(now) });
  const to = h("input", { type: "datetime-local", id: "power-to", value: localInput(Math.max(Number(m.votingEnd), now + 3600)) });
  const document_ = h("input", { type: "file", id: "power-document", accept: "application/pdf,image/png,image/jpeg" });
  const status = statusLine("power-status");
  const submit = h("button", { type: "submit", id: "power-submit" }, t("adminPowerSubmit"));
  const form = h(
    "form",
    { className: "card admin", id: "power-form" },
    h("h2", {}, t("adminPowerTitle")),
    h("p", { className: "muted" }, t("adminPowerHint")),
    h("label", {}, t("adminPrincipal"), principal),
    h("label", {}, t("adminRepresentative"), representative),
    h("div", { className: "dates" }, h("label", {}, t("adminValidFrom"), from), h("label", {}, t("adminValidTo"), to)),
    h("label", {}, t("adminPowerDocument"), document_),
    submit,
    status.line,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const rep = representative.value.trim();
    if (!ADDRESS.test(rep)) return status.fail({ message: t("adminBadAddress") });
    const validFrom = fromInput(from.value);
    const validTo = fromInput(to.value);
    if (!Number.isFinite(validFrom) || !Number.isFinite(validTo) || validTo <= validFrom) return status.fail({ message: t("adminBadDates") });
    const file = document_.files[0];
    if (!file || !SCAN_TYPES.test(file.type)) return status.fail({ message: t("adminNeedDocument") });
    submit.disabled = true;
    try {
      status.say(t("adminSending"));
      const doc = await api.documents.upload(new Uint8Array(await file.arrayBuffer()), file.type, { name: file.name, access: "restricted", purpose: "power-of-attorney", meeting: m.meetingId });
      await sendAndConfirm(
        "recordPowerOfAttorney",
        { principal: principal.value, representative: rep, buildingId: String(m.building.buildingId), meetingId: String(m.meetingId), validFrom: String(validFrom), validTo: String(validTo), documentHash: doc.id },
        status.say,
      );
      status.done(t("adminPowerDone"));
    } catch (err) {
      status.fail(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** Downloads the delivery log with the resident's notifier token (a link cannot carry it). */
async function downloadLog(m, format, status) {
  try {
    const token = await api.tokenFor("digital-home-notifier");
    const response = await fetch(`/api/notifier/v1/meetings/${m.meetingId}/delivery-log?format=${format}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) {
      const payload = await response.json().catch(() => null);
      throw Object.assign(new Error(payload?.error?.message ?? response.statusText), { code: payload?.error?.code ?? `http_${response.status}` });
    }
    const url = URL.createObjectURL(await response.blob());
    const a = h("a", { href: url, download: `delivery-log-${m.meetingId}.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = "";
  } catch (err) {
    status.textContent = `${t("error")}: ${errorMessage(err)}`;
  }
}

export async function viewAdmin(id) {
  const s = api.session.get();
  const m = await api.meeting(id);
  if (!m) return show(errorCard(new Error(t("notFound"))));
  const title = h("h1", {}, `${t("adminTitle")} — ${m.kind === "Poll" ? t("poll") : t("meeting")} №${m.meetingId}`);
  const back = h("p", {}, h("a", { href: `#/meeting/${m.id}` }, `← ${m.kind === "Poll" ? t("poll") : t("meeting")} №${m.meetingId}`));
  const officer = s && [m.administrator, m.initiator].some((a) => a?.toLowerCase() === s.address.toLowerCase());
  if (!officer) return show(title, back, h("div", { className: "card notice", id: "admin-only" }, t("adminOnly")));

  const list = await api.registrar.notVoted(m.meetingId);
  const notVoted = list.notVoted;
  const table = notVoted.length
    ? h(
        "table",
        { id: "not-voted" },
        h("thead", {}, h("tr", {}, h("th", {}, t("adminName")), h("th", {}, t("adminPremises")), h("th", {}, t("adminWeight")), h("th", { className: "hide-narrow" }, ""))),
        h(
          "tbody",
          {},
          notVoted.map((p) =>
            h(
              "tr",
              { "data-person": p.personId, "data-address": p.address },
              h("td", {}, p.name, h("div", { className: "mono muted" }, short(p.address))),
              h("td", {}, p.premises.join(", ")),
              h("td", { className: "figure" }, votes(m, p.weight)),
              h(
                "td",
                { className: "hide-narrow" },
                h("button", { type: "button", className: "secondary", onclick: () => ((document.getElementById("paper-voter").value = p.address), document.getElementById("paper-form").scrollIntoView()) }, t("adminEnterPaper")),
              ),
            ),
          ),
        ),
      )
    : h("p", {}, t("adminNotVotedNone"));
  const cards = [
    title,
    back,
    h(
      "div",
      { className: "card", id: "not-voted-card" },
      h("h2", {}, t("adminNotVoted")),
      h("p", { id: "outstanding", "data-outstanding": list.outstandingWeight }, fill(t("adminOutstanding"), { part: votes(m, list.outstandingWeight), total: votes(m, list.totalWeight) })),
      h("div", { className: "scroll" }, table),
    ),
  ];
  const now = await api.chainNow();
  const voting = now >= Number(m.votingStart) && now < Number(m.votingEnd) && m.status === "Announced";
  if (notVoted.length && voting) cards.push(paperForm(m, notVoted));
  if (notVoted.length && m.kind !== "Poll" && m.status === "Announced" && s.address.toLowerCase() === m.administrator.toLowerCase()) cards.push(powerForm(m, notVoted, now));
  const logStatus = h("p", { className: "muted", id: "delivery-status" });
  cards.push(
    h(
      "div",
      { className: "card", id: "delivery-log" },
      h("h2", {}, t("adminDeliveryTitle")),
      h("p", { className: "muted" }, t("adminDeliveryHint")),
      h(
        "div",
        { className: "choices" },
        h("button", { type: "button", className: "secondary", id: "delivery-csv", onclick: () => downloadLog(m, "csv", logStatus) }, t("adminDeliveryCsv")),
        h("button", { type: "button", className: "secondary", id: "delivery-json", onclick: () => downloadLog(m, "json", logStatus) }, t("adminDeliveryJson")),
      ),
      logStatus,
      h("p", { className: "muted" }, `${t("votingStart")}: ${date(m.votingStart)} · ${t("votingEnd")}: ${date(m.votingEnd)}`),
    ),
  );
  show(...cards);
}
