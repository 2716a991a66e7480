// Digital Home web page: residents vote, the public follows results, auditors check receipts.
import * as api from "./api.js";
import { bar, fraction } from "./charts.js";
import { errorText, language, setLanguage, t } from "./i18n.js";
import { SHARE_UNIT, rejectReasonOfCode } from "./lib/domain.js";
import * as oidc from "./oidc.js";
import { hasQuorum, passesNow, questionRule, quorumRule, ruleText, typeOf, versionOf } from "./rules.js";
import { viewArrange } from "./views/arrange.js";
import { viewAdmin } from "./views/admin.js";
import { viewImport } from "./views/import.js";
import { viewMe } from "./views/me.js";
import { protocolCheckCard, protocolPanel, recountScope } from "./views/protocol.js";

const PAGE_SIZE = 20;
const view = () => document.getElementById("view");
let refreshTimer;
/** The chain's time as of the last route (meetings open and close by block time). */
let chainTime = Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------- DOM helpers

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "className") node.className = v;
    // through the CSSOM: the Content-Security-Policy (style-src 'self') refuses style attributes
    else if (k === "style") node.style.cssText = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(...nodes) {
  view().replaceChildren(...nodes);
}

/** An error in the page's language: the text of its code when the page has one, else the service's message. */
export function errorMessage(err) {
  return errorText(err.code) ?? err.message;
}

export function errorCard(err) {
  return h("div", { className: "card notice", role: "alert", "data-code": err.code }, `${t("error")}: ${errorMessage(err)}${err.code ? ` (${err.code})` : ""}`);
}

// ---------------------------------------------------------------- formatting

const isPoll = (m) => m.kind === "Poll";

export function amount(m, weight) {
  const w = BigInt(weight ?? 0);
  if (isPoll(m)) return `${w} ${t("people")}`;
  const hundredths = (w * 100n + SHARE_UNIT * 50n) / (SHARE_UNIT * 100n); // m² × 100, rounded
  return `${(hundredths / 100n).toLocaleString(language())}.${String(hundredths % 100n).padStart(2, "0")} ${t("m2")}`;
}

export function pct(part, whole) {
  const p = BigInt(part ?? 0);
  const w = BigInt(whole ?? 0);
  if (w === 0n) return "—";
  const bp = (p * 10000n * 2n + w) / (w * 2n);
  return `${bp / 100n}.${String(bp % 100n).padStart(2, "0")} %`;
}

export const date = (seconds) => new Date(Number(seconds) * 1000).toLocaleString(language() === "ru" ? "ru-RU" : "en-GB");
export const short = (hex) => (hex && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex);

function phase(m) {
  const now = chainTime;
  if (m.status === "Cancelled") return "Cancelled";
  if (m.status === "Finalized") return "Finalized";
  if (now < Number(m.votingStart)) return "Upcoming";
  if (now < Number(m.votingEnd)) return "Open";
  return "Closed";
}

function statusBadge(m) {
  const p = phase(m);
  const cls = p === "Open" ? "badge open" : p === "Finalized" ? "badge final" : "badge";
  return h("span", { className: cls, "data-phase": p }, t(`status${p}`));
}

/** The building's weight the meeting is measured against (final once counted). */
function totalOf(m) {
  if (m.totalWeight !== null && m.totalWeight !== undefined) return BigInt(m.totalWeight);
  return BigInt(isPoll(m) ? m.building.electorateSize : m.building.totalWeight);
}

/** The building's address when its register reference is a published or stored text, else its number. */
export async function buildingName(b) {
  return (await api.documentText(b.ref)) ?? `${t("building")} ${b.buildingId}`;
}

export async function questionText(q) {
  return (await api.documentText(q.textRef)) ?? `${t("textUnknown")} ${short(q.textRef)}`;
}

// ---------------------------------------------------------------- header

function renderHeader() {
  document.getElementById("brand").textContent = t("brand");
  document.getElementById("nav-meetings").textContent = t("navMeetings");
  document.getElementById("nav-audit").textContent = t("navAudit");
  document.getElementById("nav-arrange").textContent = t("navArrange");
  document.getElementById("nav-me").textContent = t("navMe");
  document.getElementById("nav-import").textContent = t("navImport");
  document.getElementById("lang").textContent = t("language");
  const s = api.session.get();
  document.getElementById("nav-me").hidden = !s;
  document.getElementById("who").textContent = s ? `${t("loggedInAs")} ${s.residentId}` : "";
  document.getElementById("auth").textContent = s ? t("logout") : t("login");
}

// ---------------------------------------------------------------- views

async function viewMeetings() {
  const s = api.session.get();
  const all = await api.meetings();
  const names = new Map();
  for (const m of all) if (!names.has(m.building.id)) names.set(m.building.id, await buildingName(m.building));
  const mine = new Set();
  if (s) for (const member of await api.buildingsOf(s.address)) mine.add(member.building.id);
  const item = (m) =>
    h(
      "li",
      { "data-meeting": m.id },
      h("a", { href: `#/meeting/${m.id}` }, `${isPoll(m) ? t("poll") : t("meeting")} №${m.meetingId}`),
      statusBadge(m),
      h("span", { className: "muted" }, names.get(m.building.id)),
      h("span", { className: "muted" }, `${t("votingEnd")}: ${date(m.votingEnd)}`),
      h("a", { href: `#/results/${m.id}` }, t("results")),
    );
  const cards = [h("h1", {}, t("meetings")), h("p", { className: "muted" }, t("tagline"))];
  if (s) {
    const own = all.filter((m) => mine.has(m.building.id));
    cards.push(h("div", { className: "card", id: "my-meetings" }, h("h2", {}, t("myBuildings")), own.length ? h("ul", { className: "list" }, own.map(item)) : h("p", {}, t("none"))));
  }
  cards.push(h("div", { className: "card", id: "all-meetings" }, h("h2", {}, t("allMeetings")), all.length ? h("ul", { className: "list" }, all.map(item)) : h("p", {}, t("none"))));
  show(...cards);
}

/** What the login view says on arrival: a failed sign-in, or an offer to end the provider's session too. */
let loginNotice;

async function viewLogin() {
  const login = await oidc.loginConfig();
  if (login.mode === "oidc") return viewProviderLogin(login);
  const status = h("p", { className: "muted", id: "login-status" });
  const idInput = h("input", { type: "text", id: "resident-id", autocomplete: "username", required: true });
  const codeInput = h("input", { type: "text", id: "code", inputmode: "numeric", autocomplete: "one-time-code" });
  const codeForm = h(
    "form",
    {
      className: "inline",
      hidden: true,
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const { token } = await api.custody.token(idInput.value.trim(), codeInput.value.trim());
          const me = await api.custody.me(token);
          api.session.set({ token, residentId: me.residentId, address: me.address });
          renderHeader();
          location.hash = "#/";
        } catch (err) {
          status.textContent = `${t("error")}: ${errorMessage(err)}`;
        }
      },
    },
    h("label", { for: "code" }, t("code")),
    codeInput,
    h("button", { type: "submit", id: "sign-in" }, t("signIn")),
  );
  const idForm = h(
    "form",
    {
      className: "inline",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const answer = await api.custody.requestCode(idInput.value.trim());
          status.textContent = answer.code ? `${t("codeSent")} ${t("demoCode")}: ${answer.code}` : t("codeSent");
          if (answer.code) codeInput.value = answer.code;
          codeForm.hidden = false;
        } catch (err) {
          status.textContent = `${t("error")}: ${errorMessage(err)}`;
        }
      },
    },
    h("label", { for: "resident-id" }, t("residentId")),
    idInput,
    h("button", { type: "submit", id: "request-code" }, t("requestCode")),
  );
  show(h("div", { className: "card" }, h("h1", {}, t("login")), idForm, codeForm, status));
}

/** Signing in at the city's identity provider (oidc.js): one button, and what became of the last attempt. */
function viewProviderLogin(login) {
  const notice = loginNotice;
  loginNotice = undefined;
  const status = h("p", { className: "muted", id: "login-status" }, notice?.error ? `${t("loginFailed")}: ${notice.error}` : "");
  const button = h(
    "button",
    {
      type: "button",
      id: "sign-in-oidc",
      onclick: async () => {
        button.disabled = true;
        status.textContent = t("loginRedirecting");
        try {
          await oidc.begin(login, notice?.returnTo ?? "#/");
        } catch (err) {
          button.disabled = false;
          status.textContent = `${t("loginFailed")}: ${err.message}`;
        }
      },
    },
    t("loginWithProvider"),
  );
  const signedOut = notice?.endSession
    ? h("p", { id: "signed-out" }, t("signedOutHere"), " ", h("a", { id: "end-session", href: notice.endSession }, t("endProviderSession")))
    : undefined;
  show(h("div", { className: "card" }, h("h1", {}, t("login")), signedOut, h("p", { className: "muted" }, t("loginAtProvider")), button, status));
}

/** The page has come back from the identity provider: finish the sign-in, or say why not, then leave the answer's address. */
async function finishProviderLogin(params) {
  const login = await oidc.loginConfig();
  if (login.mode !== "oidc") return oidc.leaveCallback(location.hash || "#/");
  try {
    const done = await oidc.complete(login, params);
    const me = await api.custody.me(done.accessToken);
    api.session.set({ token: done.accessToken, residentId: me.residentId, address: me.address, idToken: done.idToken });
    oidc.leaveCallback(done.returnTo);
  } catch (err) {
    loginNotice = { error: err.message };
    oidc.leaveCallback("#/login");
  }
}

async function meetingHeader(m) {
  const rows = [
    [t("status"), statusBadge(m)],
    [t("building"), await buildingName(m.building)],
  ];
  if (!isPoll(m)) rows.push([t("meetingType"), h("span", { id: "meeting-type", "data-type": m.meetingType }, t("meetingTypes")[m.meetingType] ?? m.meetingType)]);
  rows.push([t("initiator"), h("span", { className: "mono" }, m.initiator)]);
  if (!isPoll(m)) rows.push([t("administrator"), h("span", { className: "mono", id: "administrator" }, m.administrator)]);
  rows.push([t("votingStart"), date(m.votingStart)], [t("votingEnd"), date(m.votingEnd)], [t("snapshot"), date(m.snapshot)]);
  if (!isPoll(m) && m.rules) {
    const version = versionOf(m, await api.rulesTexts());
    rows.push([
      t("rulesVersion"),
      h(
        "span",
        { id: "rules-version", "data-version": m.rules.version },
        `${t("rulesVersionOf")} ${m.rules.version}${version ? ` (${t("effectiveFrom")} ${version.effectiveFrom})` : ""} · ${t("quorumRule")}: ${ruleText(quorumRule(m))}`,
      ),
    ]);
  }
  return h("dl", { className: "grid" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** A question's type and the rule that decides it, in words: "Land plot (art. 44 part 2 item 2) · at least 2/3 of all owners' votes". */
async function questionTypeLine(m, q) {
  const type = typeOf(m, q, await api.rulesTexts());
  const rule = ruleText(questionRule(m, q));
  const parts = [type.name];
  if (type.article) parts.push(type.article);
  if (!type.confirmed) parts.push(t("notConfirmed"));
  return h("div", { className: "muted", "data-question-type": type.code ?? "" }, `${t("questionType")}: ${parts.join(", ")} · ${t("threshold")}: ${rule}`);
}

async function viewMeeting(id) {
  const m = await api.meeting(id);
  if (!m) return show(errorCard(new Error(t("notFound"))));
  const s = api.session.get();
  const cards = [
    h("h1", {}, `${isPoll(m) ? t("poll") : t("meeting")} №${m.meetingId}`),
    h("div", { className: "card" }, await meetingHeader(m), h("p", {}, h("a", { href: `#/results/${m.id}` }, t("results")), " · ", h("a", { href: `#/audit/${m.id}` }, t("audit")))),
  ];
  const agenda = h("div", { className: "card", id: "agenda" }, h("h2", {}, t("agenda")));
  for (const q of m.questions) {
    agenda.append(h("div", { className: "question" }, h("strong", {}, `${t("question")} ${q.index + 1}. `, await questionText(q)), await questionTypeLine(m, q)));
  }
  cards.push(agenda);
  if (s && [m.administrator, m.initiator].some((a) => a?.toLowerCase() === s.address.toLowerCase())) {
    cards.push(h("p", { className: "card" }, h("a", { href: `#/admin/${m.id}`, id: "admin-link" }, t("adminLink"))));
  }
  cards.push(await votePanel(m, s));
  cards.push(await protocolPanel(m));
  show(...cards);
}

/**
 * Whom the resident may vote as in this meeting: themselves, and each principal whose power of
 * attorney (not revoked) names them, covers this meeting and is valid at the chain's time.
 */
async function votersFor(m, s) {
  const voters = [{ voter: s.address, label: t("myself") }];
  for (const p of await api.powersFor(s.address)) {
    const covers = p.building.id === m.building.id && (p.allMeetings || p.meeting?.id === m.id);
    if (covers && chainTime >= Number(p.validFrom) && chainTime <= Number(p.validTo)) {
      voters.push({ voter: p.principal, powerOfAttorney: p.powerId, label: `${t("forPrincipal")} ${short(p.principal)} ${t("powerOfAttorney")} ${p.powerId}` });
    }
  }
  return voters;
}

async function votePanel(m, s) {
  const card = h("div", { className: "card", id: "vote" }, h("h2", {}, t("yourBallot")));
  if (!s) return card.append(h("p", {}, h("a", { href: "#/login" }, t("loginToVote")))), card;
  const voters = await votersFor(m, s);
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const chosen = voters.find((v) => v.voter.toLowerCase() === (params.get("for") ?? "").toLowerCase()) ?? voters[0];
  if (voters.length > 1) {
    // a representative chooses whom this ballot is for: themselves, or a principal
    const select = h(
      "select",
      { id: "vote-as", onchange: (e) => (location.hash = `#/meeting/${m.id}${e.target.value === s.address ? "" : `?for=${e.target.value}`}`) },
      voters.map((v) => h("option", { value: v.voter, selected: v === chosen }, v.label)),
    );
    card.append(h("p", { className: "inline" }, h("label", { for: "vote-as" }, `${t("voteAs")}: `), select));
  }
  const voter = chosen.voter;
  const existing = await api.ballotOf(m.id, voter);
  const sentKey = `dh-ballot-${m.id}-${voter.toLowerCase()}`;
  let pending = JSON.parse(localStorage.getItem(sentKey) || "null");
  if (pending && !existing) {
    // A ballot sent from this browser and not counted yet: on its way, or refused on the way. Only
    // one the relayer still holds and has not rejected stands for a vote.
    const status = await api.relayer.status(pending).catch((err) => (err.code === "unknown_ballot" ? { status: "unknown" } : null));
    if (status && (status.status === "rejected" || status.status === "unknown")) {
      localStorage.removeItem(sentKey);
      pending = null;
      card.append(h("p", { className: "notice", id: "previous-rejected" }, status.reason ? `${t("previousRejected")}: ${reasonText(status.reason)}` : `${t("previousRejected")}.`));
    }
  }
  if (existing || pending) {
    card.append(h("p", { className: "notice", id: "already-voted" }, t("alreadyVoted")));
    if (existing?.representative) card.append(h("p", { className: "muted" }, `${t("byRepresentative")}: `, h("span", { className: "mono" }, existing.representative)));
    if (pending) card.append(h("p", {}, h("a", { href: `#/receipt/${pending}` }, `${t("receipt")} ${short(pending)}`)));
    return card;
  }
  if (phase(m) !== "Open") {
    // an announced meeting opens by the chain's clock: look again until it does
    if (phase(m) === "Upcoming") refreshTimer = setTimeout(() => route(), 3000);
    return card.append(h("p", { className: "notice", id: "not-open" }, t("notOpen"))), card;
  }

  const form = h("form", { id: "ballot-form", "data-voter": voter });
  for (const q of m.questions) {
    const name = `q${q.index}`;
    form.append(
      h(
        "fieldset",
        { className: "question" },
        h("legend", {}, `${t("question")} ${q.index + 1}. `, await questionText(q)),
        await questionTypeLine(m, q),
        h(
          "div",
          { className: "choices" },
          ["For", "Against", "Abstain"].map((c, k) =>
            h("label", {}, h("input", { type: "radio", name, value: String(k + 1), required: true, "data-choice": c }), t(c)),
          ),
        ),
      ),
    );
  }
  const message = h("p", { className: "notice", hidden: true, id: "vote-message", role: "alert" });
  const dialog = h("dialog", { id: "confirm-dialog" });
  form.append(h("button", { type: "submit", id: "vote-button" }, t("vote")), message, dialog);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const answers = m.questions.map((q) => form.querySelector(`input[name=q${q.index}]:checked`));
    if (answers.some((a) => !a)) {
      message.hidden = false;
      message.textContent = t("answerAll");
      return;
    }
    let choices = 0n;
    answers.forEach((a, i) => (choices |= BigInt(a.value) << BigInt(2 * i)));
    dialog.replaceChildren(
      h("h2", {}, t("confirmTitle")),
      chosen.powerOfAttorney ? h("p", { id: "confirm-for" }, chosen.label) : null,
      h("ol", {}, answers.map((a) => h("li", {}, t(a.dataset.choice)))),
      h("p", {}, t("confirmText")),
      // custody signs the meeting's close as the ballot's deadline
      h("p", { className: "muted", id: "confirm-deadline" }, `${t("validUntil")}: ${date(m.votingEnd)}`),
      h(
        "div",
        { className: "choices" },
        h("button", { type: "button", id: "confirm-vote", onclick: () => send(choices) }, t("confirm")),
        h("button", { type: "button", className: "secondary", onclick: () => dialog.close() }, t("cancel")),
      ),
    );
    dialog.showModal();
  });

  async function send(choices) {
    dialog.close();
    try {
      const forPrincipal = chosen.powerOfAttorney ? { voter: chosen.voter, powerOfAttorney: chosen.powerOfAttorney } : undefined;
      const answer = await api.custody.vote(s.token, m.meetingId, choices, forPrincipal);
      localStorage.setItem(sentKey, JSON.stringify(answer.id));
      location.hash = `#/receipt/${answer.id}`;
    } catch (err) {
      message.hidden = false;
      message.dataset.code = err.code;
      message.textContent =
        err.code === "meeting_closing"
          ? t("meetingClosing")
          : err.code === "meeting_not_open"
            ? t("notOpen")
            : /already|voted|duplicate/i.test(err.code)
              ? t("alreadyVoted")
              : /eligib/i.test(err.code)
                ? t("notEligible")
                : err.code === "no_power_of_attorney"
                  ? t("rejectReasons").NoPowerOfAttorney
                  : `${t("error")}: ${errorMessage(err)} (${err.code})`;
    }
  }
  card.append(form);
  return card;
}

async function viewReceipt(ballotId) {
  const status = await api.relayer.status(ballotId);
  const rows = [
    [t("ballotId"), h("span", { className: "mono", id: "receipt-id" }, status.id)],
    [t("receiptStatus"), h("strong", { id: "receipt-status", "data-status": status.status, className: status.status === "confirmed" ? "ok" : status.status === "rejected" ? "bad" : "" }, t(status.status))],
  ];
  rows.push([t("voter"), h("span", { className: "mono" }, status.voter)]);
  if (status.representative) rows.push([t("representative"), h("span", { className: "mono", id: "receipt-representative" }, status.representative)]);
  rows.push([t("deadline"), h("span", { id: "receipt-deadline" }, date(status.deadline))]);
  if (status.txHash) rows.push([t("transaction"), h("span", { className: "mono", id: "receipt-tx" }, status.txHash)]);
  if (status.blockNumber !== undefined) rows.push([t("block"), h("span", { id: "receipt-block" }, status.blockNumber)], [t("logIndex"), status.logIndex]);
  if (status.weight !== undefined) rows.push([t("weight"), status.weight]);
  for (const g of status.jointGroups ?? []) {
    const what = g.counted === true ? t("jointCounted") : g.counted === false ? `${t("jointVotedBy")} ${g.votedBy ? short(g.votedBy) : ""}` : "…";
    rows.push([t("jointGroups"), h("span", { "data-joint-group": g.group }, `${short(g.group)}: ${what}`)]);
  }
  if (status.reason) rows.push([t("reason"), reasonText(status.reason)]);
  show(
    h("h1", {}, t("receipt")),
    h(
      "div",
      { className: "card" },
      h("dl", { className: "grid" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("p", {}, h("a", { href: `#/results/${status.meetingId}` }, t("publicRecord")), " · ", h("a", { href: `#/audit?receipt=${status.id}` }, t("checkReceipt"))),
      status.status === "confirmed" || status.status === "rejected" ? null : h("p", { className: "muted" }, t("live")),
    ),
  );
  if (status.status !== "confirmed" && status.status !== "rejected") refreshTimer = setTimeout(() => route(), 1000);
}

/** A reject reason in the reader's language: the subgraph names it as the contract does, the relayer by its code. */
function reasonText(reason) {
  return t("rejectReasons")[rejectReasonOfCode(reason) ?? reason] ?? reason;
}

/** Whether a question passes, final once counted; before that, as the contract would decide it now by its rule. */
function decision(m, q, total) {
  if (q.decided) return q.passed ? h("strong", { className: "ok" }, t("passed")) : h("strong", { className: "bad" }, t("notPassed"));
  const pass = passesNow(m, q, BigInt(m.participatingWeight), total);
  return h("span", { className: pass ? "ok" : "bad" }, pass ? t("passingSoFar") : t("failingSoFar"));
}

/** A ballot's answer to each question: For / Against / Abstain, or on paper void or unanswered. */
function answersOf(m, b) {
  const out = m.questions.map(() => "");
  b.answeredQuestions.forEach((q, i) => (out[q] = t(b.answers[i])));
  for (const q of b.voidQuestions) out[q] = t("void");
  for (const q of b.unansweredQuestions) out[q] = t("unanswered");
  return out;
}

async function viewResults(id, page = 0) {
  const m = await api.meeting(id);
  if (!m) return show(errorCard(new Error(t("notFound"))));
  const total = totalOf(m);
  const part = BigInt(m.participatingWeight);
  const quorumText = hasQuorum(m, part, total) ? t("quorumReached") : m.quorumReached === false ? t("quorumNotReached") : t("quorumPending");
  const quorum = quorumRule(m);
  const all = await api.allBallots(m.id);
  const byForm = { Direct: 0, Relayed: 0, Paper: 0 };
  for (const b of all) byForm[b.form] = (byForm[b.form] ?? 0) + 1;
  const represented = all.filter((b) => b.representative).length;
  const legend = h(
    "p",
    { className: "legend" },
    h("span", {}, h("i", { style: "background:var(--for)" }), t("For")),
    h("span", {}, h("i", { style: "background:var(--against)" }), t("Against")),
    h("span", {}, h("i", { style: "background:var(--abstain)" }), t("Abstain")),
  );
  const summary = h(
    "div",
    { className: "card", id: "participation", "data-meeting": m.id },
    h("h2", {}, t("participation")),
    h("p", {}, `${amount(m, part)} ${t("ofTotal")} ${amount(m, total)} (${pct(part, total)}) · ${t("ballots")}: `, h("strong", { id: "ballot-count" }, m.ballotCount), isPoll(m) ? "" : ` · ${quorumText}`),
    h(
      "p",
      { className: "muted", id: "ballot-forms" },
      Object.entries(byForm).map(([form, n]) => h("span", { "data-form": form, "data-count": n }, `${t("forms")[form]}: ${n} · `)),
      h("span", { "data-represented": represented }, `${t("byRepresentative")}: ${represented}`),
      m.discardedBallotCount ? ` · ${t("discarded")}: ${m.discardedBallotCount}` : "",
    ),
    bar([{ value: part, className: "part", label: pct(part, total) }], total, isPoll(m) ? {} : { markAt: quorum.numerator / quorum.denominator, markLabel: `${t("quorum")}: ${ruleText(quorum)}` }),
  );
  const questions = h("div", { className: "card", id: "questions" }, h("h2", {}, t("results")), legend);
  for (const q of m.questions) {
    // the bar is drawn against what the question's rule measures For with, marked at the share it needs
    const rule = questionRule(m, q);
    const whole = rule.base === "All" ? total : part;
    const extra = [];
    if (BigInt(q.voidWeight) > 0n) extra.push(`${t("voidWeight")}: ${amount(m, q.voidWeight)}`);
    if (BigInt(q.unansweredWeight) > 0n) extra.push(`${t("unansweredWeight")}: ${amount(m, q.unansweredWeight)}`);
    questions.append(
      h(
        "div",
        { className: "question", "data-question": q.index },
        h("strong", {}, `${t("question")} ${q.index + 1}. `, await questionText(q)),
        await questionTypeLine(m, q),
        bar(
          [
            { value: BigInt(q.forWeight), className: "for", label: `${t("For")} ${amount(m, q.forWeight)}` },
            { value: BigInt(q.againstWeight), className: "against", label: `${t("Against")} ${amount(m, q.againstWeight)}` },
            { value: BigInt(q.abstainWeight), className: "abstain", label: `${t("Abstain")} ${amount(m, q.abstainWeight)}` },
          ],
          whole === 0n ? 1n : whole,
          { markAt: rule.numerator / rule.denominator, markLabel: t("threshold") },
        ),
        h(
          "div",
          {},
          `${t("For")}: ${amount(m, q.forWeight)} (${pct(q.forWeight, whole)}) · ${t("Against")}: ${amount(m, q.againstWeight)} · ${t("Abstain")}: ${amount(m, q.abstainWeight)}${extra.length ? ` · ${extra.join(" · ")}` : ""} → `,
          decision(m, q, total),
        ),
      ),
    );
  }
  const ballots = await api.ballotsPage(m.id, PAGE_SIZE, page * PAGE_SIZE);
  const list = h(
    "div",
    { className: "card", id: "ballots" },
    h("h2", {}, t("ballots")),
    ballots.length
      ? h(
          "table",
          {},
          h(
            "thead",
            {},
            h("tr", {}, h("th", {}, t("voter")), h("th", { className: "hide-narrow" }, t("form")), h("th", {}, t("weight")), h("th", {}, t("answers")), h("th", { className: "hide-narrow" }, t("transaction")), h("th", {}, t("block"))),
          ),
          h(
            "tbody",
            {},
            ballots.map((b) =>
              h(
                "tr",
                { "data-form": b.form, "data-representative": b.representative ?? "" },
                h(
                  "td",
                  { className: "mono" },
                  short(b.voter),
                  b.representative ? h("div", { className: "muted" }, `${t("representative")}: ${short(b.representative)}`) : null,
                  // on a phone the form column is hidden: the form goes under the voter
                  h("div", { className: "muted only-narrow" }, t("forms")[b.form] ?? b.form),
                ),
                h("td", { className: "hide-narrow" }, t("forms")[b.form] ?? b.form),
                h("td", {}, amount(m, b.weight), b.jointGroupVotes.length ? h("div", { className: "muted" }, `${t("jointGroups")}: ${amount(m, BigInt(b.weight) - BigInt(b.ownWeight))}`) : null),
                h("td", {}, answersOf(m, b).join(", ")),
                h("td", { className: "mono hide-narrow" }, short(b.transactionHash)),
                h("td", {}, b.blockNumber),
              ),
            ),
          ),
        )
      : h("p", {}, t("none")),
    h(
      "div",
      { className: "pager" },
      h("button", { type: "button", className: "secondary", disabled: page === 0, onclick: () => (location.hash = `#/results/${m.id}/${page - 1}`) }, t("previous")),
      h("span", {}, `${t("page")} ${page + 1}`),
      h("button", { type: "button", className: "secondary", disabled: ballots.length < PAGE_SIZE, onclick: () => (location.hash = `#/results/${m.id}/${page + 1}`) }, t("next")),
    ),
  );
  show(h("h1", {}, `${t("results")}: ${isPoll(m) ? t("poll") : t("meeting")} №${m.meetingId}`), h("div", { className: "card" }, await meetingHeader(m)), summary, questions, list);
  if (m.status !== "Finalized" && m.status !== "Cancelled") {
    view().append(h("p", { className: "muted" }, t("live")));
    refreshTimer = setTimeout(() => route(), 3000);
  }
}

async function checkReceipt(query, out) {
  out.replaceChildren(h("p", { className: "muted" }, t("loading")));
  const q = query.trim().toLowerCase();
  if (!/^0x[0-9a-f]{64}$/.test(q)) return out.replaceChildren(h("p", { className: "bad" }, t("receiptHint")));
  const lines = [];
  let status = null;
  try {
    status = await api.relayer.status(q);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  const ballotLine = (b) =>
    h(
      "li",
      { "data-result": "counted" },
      h("strong", { className: "ok" }, `${t("counted")} `),
      `${t("meeting")} №${b.meeting.id} · ${t("voter")} `,
      h("span", { className: "mono" }, b.voter),
      b.representative ? [` · ${t("representative")} `, h("span", { className: "mono" }, b.representative)] : "",
      ` · ${t("forms")[b.form] ?? b.form} · ${t("weight")} ${b.weight} · ${t("answers")}: ${b.answers.map((a) => t(a)).join(", ")} · ${t("transaction")} `,
      h("span", { className: "mono" }, short(b.transactionHash)),
      ` · ${t("block")} ${b.blockNumber}`,
    );
  if (status) {
    lines.push(h("li", {}, `${t("ballotId")} `, h("span", { className: "mono" }, status.id), ` — ${t(status.status)}${status.reason ? ` (${reasonText(status.reason)})` : ""}`));
    if (status.status === "confirmed") {
      const b = await api.ballotAt(status.txHash, status.logIndex);
      lines.push(b ? ballotLine(b) : h("li", { className: "muted" }, t("loading")));
    }
  } else {
    const found = await api.ballotsInTransaction(q);
    for (const b of found.ballots) lines.push(ballotLine(b));
    for (const r of found.rejectedBallots) {
      lines.push(h("li", { "data-result": "rejected" }, h("strong", { className: "bad" }, `${t("rejected")} `), `${t("meeting")} №${r.meeting.id} · ${t("voter")} `, h("span", { className: "mono" }, r.voter), ` · ${t("reason")}: ${reasonText(r.reason)}`));
    }
  }
  out.replaceChildren(lines.length ? h("ul", { className: "list", id: "receipt-result" }, lines) : h("p", { className: "bad", id: "receipt-result" }, t("notFound")));
}

async function viewAudit(id, params) {
  const out = h("div", { id: "receipt-output" });
  const input = h("input", { type: "text", id: "receipt-input", placeholder: t("receiptHint"), value: params.get("receipt") ?? "" });
  const form = h(
    "form",
    { className: "inline", onsubmit: (e) => (e.preventDefault(), checkReceipt(input.value, out).catch((err) => out.replaceChildren(errorCard(err)))) },
    input,
    h("button", { type: "submit", id: "receipt-check" }, t("check")),
  );
  const cards = [h("h1", {}, t("audit")), h("div", { className: "card" }, h("h2", {}, t("receiptCheck")), form, out), protocolCheckCard()];
  if (params.get("receipt")) checkReceipt(params.get("receipt"), out).catch((err) => out.replaceChildren(errorCard(err)));

  const all = await api.meetings();
  cards.push(h("div", { className: "card" }, h("h2", {}, t("chooseMeeting")), h("ul", { className: "list" }, all.map((m) => h("li", {}, h("a", { href: `#/audit/${m.id}` }, `${isPoll(m) ? t("poll") : t("meeting")} №${m.meetingId}`), statusBadge(m))))));
  if (id) {
    const m = await api.meeting(id);
    if (m) cards.splice(2, 0, ...(await auditMeeting(m)));
  }
  show(...cards);
}

async function auditMeeting(m) {
  const [ballots, rejected, discarded, paper] = await Promise.all([api.allBallots(m.id), api.rejectedBallots(m.id), api.discardedBatches(m.id), api.paperDecisions(m.id)]);
  // recount every question from the ballots: each answer under the question it answers; on paper, void
  // and unanswered questions count for participation and for no answer
  const sums = m.questions.map(() => ({ For: 0n, Against: 0n, Abstain: 0n, Void: 0n, Unanswered: 0n }));
  let part = 0n;
  for (const b of ballots) {
    const w = BigInt(b.weight);
    part += w;
    b.answeredQuestions.forEach((q, i) => sums[q] && (sums[q][b.answers[i]] += w));
    for (const q of b.voidQuestions) if (sums[q]) sums[q].Void += w;
    for (const q of b.unansweredQuestions) if (sums[q]) sums[q].Unanswered += w;
  }
  const diffs = [];
  if (part !== BigInt(m.participatingWeight)) diffs.push(`${t("participation")}: ${part} ≠ ${m.participatingWeight}`);
  if (ballots.length !== m.ballotCount) diffs.push(`${t("ballots")}: ${ballots.length} ≠ ${m.ballotCount}`);
  m.questions.forEach((q, i) => {
    for (const [k, field, label] of [["For", "forWeight", t("For")], ["Against", "againstWeight", t("Against")], ["Abstain", "abstainWeight", t("Abstain")], ["Void", "voidWeight", t("voidWeight")], ["Unanswered", "unansweredWeight", t("unansweredWeight")]]) {
      if (sums[i][k] !== BigInt(q[field])) diffs.push(`${t("question")} ${i + 1}, ${label}: ${sums[i][k]} ≠ ${q[field]}`);
    }
  });
  const recount = h(
    "div",
    { className: "card", id: "recount" },
    h("h2", {}, `${t("recountStatus")} — ${isPoll(m) ? t("poll") : t("meeting")} №${m.meetingId}`),
    diffs.length ? [h("p", { className: "bad", "data-recount": "differs" }, t("recountDiff")), h("ul", {}, diffs.map((d) => h("li", {}, d)))] : h("p", { className: "ok", "data-recount": "ok" }, `✓ ${t("recountOk")} (${ballots.length} ${t("ballots").toLowerCase()})`),
    recountScope(),
  );
  const events = [
    { block: Number(m.announcedAtBlock), log: -1, name: "MeetingAnnounced", tx: m.announcedInTransaction, detail: `${t("initiator")} ${short(m.initiator)}` },
    ...paper.map((p) => ({ block: Number(p.blockNumber), log: Number(p.logIndex), name: "PaperDecisionEntered", tx: p.transactionHash, detail: `${short(p.voter)} · ${t("administrator")} ${short(p.administrator)}${p.voidQuestions.length ? ` · ${t("void")}: ${p.voidQuestions.map((q) => q + 1).join(", ")}` : ""}` })),
    ...ballots.map((b) => ({
      block: Number(b.blockNumber),
      log: Number(b.logIndex),
      name: "BallotCast",
      tx: b.transactionHash,
      detail: `${short(b.voter)}${b.representative ? ` (${t("representative")} ${short(b.representative)})` : ""} · ${t("forms")[b.form] ?? b.form} · ${amount(m, b.weight)} · ${answersOf(m, b).join(", ")}`,
    })),
    ...rejected.map((r) => ({ block: Number(r.blockNumber), log: Number(r.logIndex), name: "BallotRejected", tx: r.transactionHash, detail: `${short(r.voter)} · ${reasonText(r.reason)}` })),
    ...discarded.map((d) => ({ block: Number(d.blockNumber), log: 1e8, name: "BallotDiscarded", tx: d.transactionHash, detail: `${d.count}` })),
  ];
  if (m.finalizedAtBlock) events.push({ block: Number(m.finalizedAtBlock), log: 1e9, name: "MeetingFinalized", tx: "", detail: m.quorumReached ? t("quorumReached") : t("quorumNotReached") });
  events.sort((a, b) => a.block - b.block || a.log - b.log);
  const log = h(
    "div",
    { className: "card", id: "event-log" },
    h("h2", {}, t("eventLog")),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, t("block")), h("th", {}, ""), h("th", {}, ""), h("th", { className: "hide-narrow" }, t("transaction")))),
      h("tbody", {}, events.map((e) => h("tr", {}, h("td", {}, e.block), h("td", {}, t("events")[e.name]), h("td", {}, e.detail), h("td", { className: "mono hide-narrow" }, short(e.tx))))),
    ),
  );
  return [recount, log];
}

// ---------------------------------------------------------------- router

// One route renders at a time: a hash change while a view is still loading waits for it and then
// renders the new hash, so a view that finishes late neither covers the current one nor leaves its
// refresh timer running.
let routing;
let routeAgain = false;
export function route() {
  if (routing) {
    routeAgain = true;
    return routing;
  }
  routing = (async () => {
    do {
      routeAgain = false;
      await renderRoute();
    } while (routeAgain);
  })().finally(() => {
    routing = undefined;
  });
  return routing;
}

async function renderRoute() {
  clearTimeout(refreshTimer);
  renderHeader();
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(query);
  try {
    chainTime = await api.chainNow().catch(() => Math.floor(Date.now() / 1000));
    if (parts.length === 0) return await viewMeetings();
    if (parts[0] === "login") return await viewLogin();
    if (parts[0] === "meeting" && parts[1]) return await viewMeeting(parts[1]);
    if (parts[0] === "results" && parts[1]) return await viewResults(parts[1], Number(parts[2] ?? 0) || 0);
    if (parts[0] === "receipt" && parts[1]) return await viewReceipt(parts[1]);
    if (parts[0] === "audit") return await viewAudit(parts[1], params);
    if (parts[0] === "arrange") return await viewArrange();
    if (parts[0] === "admin" && parts[1]) return await viewAdmin(parts[1]);
    if (parts[0] === "me") return await viewMe();
    if (parts[0] === "import") return viewImport();
    show(errorCard(new Error(t("notFound"))));
  } catch (err) {
    show(errorCard(err));
  }
}

document.getElementById("lang").addEventListener("click", () => {
  setLanguage(language() === "ru" ? "en" : "ru");
  route();
});
document.getElementById("auth").addEventListener("click", async () => {
  const s = api.session.get();
  if (s) {
    // the token is revoked at custody, not only forgotten here
    await api.custody.logout(s.token).catch(() => undefined);
    api.session.clear();
    // signed in at the identity provider: offer to end that session too
    const login = await oidc.loginConfig();
    const endSession = login.mode === "oidc" ? await oidc.endSessionUrl(login, s.idToken) : undefined;
    if (endSession) loginNotice = { endSession };
    const next = endSession ? "#/login" : "#/";
    // a changed hash routes by itself; rendering twice would spend the notice on the first
    if (location.hash === next) route();
    else location.hash = next;
  } else location.hash = "#/login";
});
window.addEventListener("hashchange", route);
setLanguage(language());
const providerAnswer = oidc.callbackParams();
if (providerAnswer) finishProviderLogin(providerAnswer).then(route);
else route();
