// A resident's own screens: what they hold in each building and the votes it carries (alone, as a
// co-owner, jointly), their ballots with a link to each receipt's check, their notices, and their
// channel and language choices at the notifier.
import * as api from "../api.js";
import { amount, buildingName, date, errorCard, errorMessage, h, pct, short, show } from "../app.js";
import { SHARE_UNIT } from "../lib/domain.js";
import { extendTexts, language, setLanguage, t } from "../i18n.js";

extendTexts({
  ru: {
    navMe: "Моё",
    meTitle: "Мои помещения, голоса и уведомления",
    mePremises: "Мои помещения и голоса",
    meNoPremises: "За вами в реестре не записано помещений.",
    premises: "Помещение",
    premisesKinds: { Residential: "квартира", NonResidential: "нежилое помещение", ParkingSpace: "машино-место" },
    area: "Площадь",
    share: "Доля",
    ownership: "Собственность",
    ownAlone: "единоличная",
    ownShared: "долевая",
    ownJoint: "совместная",
    jointWith: "вместе с",
    votesAlone: "Голоса лично (единоличная и долевая)",
    votesJoint: "Голоса в совместной собственности",
    votesTotal: "Всего голосов в доме",
    ofBuilding: "от всех голосов дома",
    jointNote: "Голос совместной собственности подаёт один из совладельцев, один раз.",
    residentHere: "житель дома",
    ownerHere: "собственник",
    myBallots: "Мои бюллетени",
    ballotsForOthers: "Поданные мною по доверенности",
    noBallots: "Бюллетеней пока нет.",
    checkIt: "проверить квитанцию",
    myNotices: "Мои уведомления",
    noNotices: "Уведомлений пока нет.",
    myPreferences: "Как получать уведомления",
    noticeLanguage: "Язык уведомлений и страницы",
    channelApp: "в приложении",
    channelEmail: "по электронной почте",
    channelSms: "по SMS",
    receiveBy: "Получать",
    legalAlwaysApp: "Уведомления о собрании и его итогах по закону всегда приходят в приложение, даже если этот канал отключён.",
    save: "Сохранить",
    saved: "Сохранено.",
    loginForMe: "Войдите, чтобы увидеть свои помещения, бюллетени и уведомления.",
  },
  en: {
    navMe: "Mine",
    meTitle: "My premises, votes and notices",
    mePremises: "My premises and votes",
    meNoPremises: "The register records no premises of yours.",
    premises: "Premises",
    premisesKinds: { Residential: "flat", NonResidential: "non-residential premises", ParkingSpace: "parking space" },
    area: "Area",
    share: "Share",
    ownership: "Ownership",
    ownAlone: "sole",
    ownShared: "shared",
    ownJoint: "joint",
    jointWith: "with",
    votesAlone: "Votes of your own (sole and shared)",
    votesJoint: "Votes in joint ownership",
    votesTotal: "Votes in the building in all",
    ofBuilding: "of all the building's votes",
    jointNote: "A joint holding's vote is cast by one of its joint owners, once.",
    residentHere: "resident",
    ownerHere: "owner",
    myBallots: "My ballots",
    ballotsForOthers: "Cast by me under a power of attorney",
    noBallots: "No ballots yet.",
    checkIt: "check the receipt",
    myNotices: "My notices",
    noNotices: "No notices yet.",
    myPreferences: "How I receive notices",
    noticeLanguage: "Language of notices and of the page",
    channelApp: "in the app",
    channelEmail: "by e-mail",
    channelSms: "by SMS",
    receiveBy: "Receive",
    legalAlwaysApp: "By law the notices of a meeting and of its results always reach the app, even with that channel turned off.",
    save: "Save",
    saved: "Saved.",
    loginForMe: "Log in to see your premises, ballots and notices.",
  },
});

const votes = (weight) => amount({ kind: "Meeting" }, weight);
/** An area in 0.01 m² in the same figures as the votes it carries alone (weight = SHARE_UNIT × area). */
const m2 = (area) => votes(BigInt(area) * SHARE_UNIT);
/** A share of SHARE_UNIT as a fraction in per cent, e.g. "50.00 %". */
const shareText = (share) => pct(share, SHARE_UNIT);

async function premisesName(p) {
  const kind = t("premisesKinds")[p.kind] ?? p.kind;
  return (await api.documentText(p.ref)) ?? `${kind} №${p.premisesId}`;
}

/** One row per holding: the premises, its area, the share, the kind of ownership, the votes it carries. */
async function holdingRow(holding, me, group) {
  const p = holding.premises;
  let kind = holding.joint ? t("ownJoint") : holding.shared ? t("ownShared") : t("ownAlone");
  if (group) kind += ` (${t("jointWith")} ${group.holders.filter((a) => a.toLowerCase() !== me).map(short).join(", ")})`;
  return h(
    "tr",
    { "data-premises": p.premisesId, "data-ownership": holding.joint ? "joint" : holding.shared ? "shared" : "alone" },
    h("td", {}, await premisesName(p)),
    h("td", { className: "hide-narrow" }, m2(p.area)),
    h("td", {}, BigInt(holding.share) === SHARE_UNIT ? "1" : shareText(holding.share)),
    h("td", {}, kind),
    h("td", { "data-weight": holding.weight }, votes(holding.weight)),
  );
}

async function buildingCard(member, me) {
  const b = member.building;
  const rows = [];
  for (const holding of member.holdings) rows.push(await holdingRow(holding, me));
  for (const g of member.jointGroups) for (const holding of g.holdings) rows.push(await holdingRow(holding, me, g));
  const own = BigInt(member.weight);
  const joint = BigInt(member.jointWeight);
  const roles = [member.isOwner ? t("ownerHere") : null, member.isResident ? t("residentHere") : null].filter(Boolean).join(", ");
  return h(
    "div",
    { className: "card", "data-building": b.id },
    h("h2", {}, await buildingName(b), roles ? h("span", { className: "muted" }, ` · ${roles}`) : ""),
    rows.length
      ? h(
          "table",
          { className: "holdings" },
          h("thead", {}, h("tr", {}, h("th", {}, t("premises")), h("th", { className: "hide-narrow" }, t("area")), h("th", {}, t("share")), h("th", {}, t("ownership")), h("th", {}, t("weight")))),
          h("tbody", {}, rows),
        )
      : h("p", { className: "muted" }, t("meNoPremises")),
    h(
      "dl",
      { className: "grid" },
      h("dt", {}, t("votesAlone")),
      h("dd", { "data-votes": "alone" }, votes(own)),
      h("dt", {}, t("votesJoint")),
      h("dd", { "data-votes": "joint" }, votes(joint)),
      h("dt", {}, t("votesTotal")),
      h("dd", { "data-votes": "total" }, `${votes(own + joint)} · ${pct(own + joint, b.totalWeight)} ${t("ofBuilding")}`),
    ),
    joint > 0n ? h("p", { className: "muted" }, t("jointNote")) : "",
  );
}

function ballotList(ballots, id) {
  if (!ballots.length) return h("p", { className: "muted", id }, t("noBallots"));
  return h(
    "ul",
    { className: "list", id },
    ballots.map((b) =>
      h(
        "li",
        { "data-ballot": b.id },
        h("a", { href: `#/meeting/${b.meeting.id}` }, `${b.meeting.kind === "Poll" ? t("poll") : t("meeting")} №${b.meeting.meetingId}`),
        h("span", {}, `${t("forms")[b.form] ?? b.form} · ${b.meeting.kind === "Poll" ? `${b.weight} ${t("people")}` : votes(b.weight)}`),
        b.representative && id === "my-ballots" ? h("span", { className: "muted" }, `${t("byRepresentative")} ${short(b.representative)}`) : "",
        id === "ballots-for-others" ? h("span", { className: "muted" }, `${t("forPrincipal")} ${short(b.voter)}`) : "",
        h("span", { className: "muted" }, `${t("answers")}: ${b.answers.map((a) => t(a)).join(", ")}`),
        h("a", { href: `#/audit?receipt=${b.transactionHash}` }, t("checkIt")),
      ),
    ),
  );
}

function feedCard(entries) {
  return h(
    "div",
    { className: "card", id: "my-notices" },
    h("h2", {}, t("myNotices")),
    entries.length
      ? h(
          "ul",
          { className: "list" },
          entries.map((e) =>
            h(
              "li",
              { "data-notice": e.type, "data-meeting": e.meetingId },
              h("details", {}, h("summary", {}, h("strong", {}, e.subject), h("span", { className: "muted" }, ` · ${new Date(e.createdAt).toLocaleString(language() === "ru" ? "ru-RU" : "en-GB")}`)), h("p", { className: "notice-body" }, e.body)),
            ),
          ),
        )
      : h("p", { className: "muted" }, t("noNotices")),
  );
}

function preferencesCard(prefs) {
  const status = h("p", { className: "muted", id: "preferences-status", role: "status" });
  const lang = h("select", { id: "notice-language" }, ["ru", "en"].map((l) => h("option", { value: l, selected: (prefs.language ?? language()) === l }, l === "ru" ? "Русский" : "English")));
  const channel = (name, label) =>
    h("label", { className: "check" }, h("input", { type: "checkbox", id: `receive-${name}`, checked: !(prefs.optOut ?? {})[name] }), ` ${label}`);
  const form = h(
    "form",
    {
      id: "preferences",
      onsubmit: async (e) => {
        e.preventDefault();
        status.textContent = t("loading");
        try {
          const optOut = Object.fromEntries(["app", "email", "sms"].map((c) => [c, !form.querySelector(`#receive-${c}`).checked]));
          const saved = await api.notifier.setPreferences({ language: lang.value, optOut });
          if (saved.language && saved.language !== language()) {
            setLanguage(saved.language);
            return void window.dispatchEvent(new HashChangeEvent("hashchange"));
          }
          status.textContent = t("saved");
        } catch (err) {
          status.textContent = `${t("error")}: ${errorMessage(err)}`;
        }
      },
    },
    h("label", { for: "notice-language" }, t("noticeLanguage")),
    lang,
    h("fieldset", {}, h("legend", {}, t("receiveBy")), channel("app", t("channelApp")), channel("email", t("channelEmail")), channel("sms", t("channelSms"))),
    h("p", { className: "muted" }, t("legalAlwaysApp")),
    h("button", { type: "submit", id: "save-preferences" }, t("save")),
  );
  return h("div", { className: "card", id: "my-preferences" }, h("h2", {}, t("myPreferences")), form, status);
}

/** `#/me`: the signed-in resident's own screens. */
export async function viewMe() {
  const s = api.session.get();
  if (!s) return show(h("div", { className: "card" }, h("p", {}, h("a", { href: "#/login" }, t("loginForMe")))));
  const me = s.address.toLowerCase();
  // the notifier is asked alongside the chain's index; if it cannot answer, its cards say why and the rest shows
  const [standing, ballots, feed, prefs] = await Promise.all([
    api.standingOf(me),
    api.ballotsOfPerson(me),
    api.notifier.feed().catch((err) => err),
    api.notifier.preferences().catch((err) => err),
  ]);
  const cards = [h("h1", {}, t("meTitle")), h("h2", {}, t("mePremises"))];
  const people = standing.filter((m) => m.isOwner || m.isResident || m.holdings.length || m.jointGroups.some((g) => g.holdings.length));
  if (!people.length) cards.push(h("div", { className: "card" }, h("p", {}, t("meNoPremises"))));
  for (const member of people) cards.push(await buildingCard(member, me));
  cards.push(
    h(
      "div",
      { className: "card", id: "ballots" },
      h("h2", {}, t("myBallots")),
      ballotList(ballots.own, "my-ballots"),
      ballots.forOthers.length ? [h("h2", {}, t("ballotsForOthers")), ballotList(ballots.forOthers, "ballots-for-others")] : "",
    ),
  );
  cards.push(feed instanceof Error ? withTitle(t("myNotices"), feed, "my-notices") : feedCard(feed.entries));
  cards.push(prefs instanceof Error ? withTitle(t("myPreferences"), prefs, "my-preferences") : preferencesCard(prefs));
  show(...cards);
}

function withTitle(title, err, id) {
  const card = errorCard(err);
  card.id = id;
  card.prepend(h("h2", {}, title));
  return card;
}
