// The registrar's import screen: a register file (CSV) checked and planned without changing anything,
// its problems by line and column in the reader's language, then applied with its progress followed
// to the end.
import * as api from "../api.js";
import { errorMessage, h, show } from "../app.js";
import { extendTexts, language, t } from "../i18n.js";

extendTexts({
  ru: {
    navImport: "Реестр",
    importTitle: "Загрузка реестра собственников",
    importHint: "Файл CSV в формате реестра (registrar/README.md): дома, помещения, люди, собственники, жители и организации. Сначала файл проверяется и показывается план — ничего не меняется, пока вы не нажмёте «Применить».",
    registrarToken: "Ключ доступа регистратора",
    registerFile: "Файл реестра (CSV, UTF-8)",
    dryRun: "Проверить и показать план",
    applyImport: "Применить",
    planTitle: "План загрузки",
    planEmpty: "Файл совпадает с реестром: делать нечего.",
    planUnfinished: "Незавершённых транзакций прошлой загрузки",
    planBuildingNew: "новый дом",
    planBuildingKnown: "дом",
    planNewPremises: "Новые помещения",
    planSales: "Смена собственников",
    planResidentsAdded: "Новые жители",
    planResidentsGone: "Выбывшие жители",
    planOrganisers: "Организаторы",
    planOnboard: "Новые люди (будут подключены: кошелёк и справочник)",
    planContacts: "Записи справочника (контакты)",
    planRegisterChanged: "реестр дома изменится, его хеш будет опубликован",
    planRegisterSame: "реестр дома не меняется",
    nobody: "никто",
    andMore: "и ещё",
    problemsTitle: "Ошибки в файле — ничего не применено",
    problemLine: "Строка",
    problemColumn: "Столбец",
    problemField: "Поле",
    problemText: "Ошибка",
    importRunning: "Загрузка идёт",
    importDone: "Загрузка завершена",
    importFailed: "Загрузка остановилась",
    importPhases: {
      settling: "завершение прежних транзакций",
      onboarding: "подключение людей",
      directory: "записи справочника",
      buildings: "регистрация домов",
      premises: "добавление помещений",
      owners: "смена собственников",
      residents: "жители",
      organisers: "организаторы",
      publishing: "публикация хешей реестров",
      done: "готово",
    },
    fileKinds: { residential: "жилое", "non-residential": "нежилое", parking: "машино-место" },
    fileRoles: { none: "нет", "management-organisation": "управляющая организация", hoa: "ТСЖ", "capital-repair-fund": "фонд капремонта" },
    contactChanges: { new: "новая запись", email: "e-mail", phone: "телефон", language: "язык" },
    chooseFile: "Выберите файл реестра.",
    needToken: "Введите ключ доступа регистратора.",
  },
  en: {
    navImport: "Register",
    importTitle: "Importing the register of owners",
    importHint: "A CSV file in the register's format (registrar/README.md): buildings, premises, people, owners, residents and organisations. The file is checked and its plan shown first — nothing changes until you press Apply.",
    registrarToken: "Registrar's access token",
    registerFile: "Register file (CSV, UTF-8)",
    dryRun: "Check and show the plan",
    applyImport: "Apply",
    planTitle: "Import plan",
    planEmpty: "The file matches the register: nothing to do.",
    planUnfinished: "Unsettled transactions of an earlier import",
    planBuildingNew: "new building",
    planBuildingKnown: "building",
    planNewPremises: "New premises",
    planSales: "Changes of owners",
    planResidentsAdded: "New residents",
    planResidentsGone: "Residents gone",
    planOrganisers: "Organisers",
    planOnboard: "New people (to be onboarded: a wallet and a directory entry)",
    planContacts: "Directory entries (contacts)",
    planRegisterChanged: "the building's register changes; its hash will be published",
    planRegisterSame: "the building's register does not change",
    nobody: "nobody",
    andMore: "and",
    problemsTitle: "Problems in the file — nothing was applied",
    problemLine: "Line",
    problemColumn: "Column",
    problemField: "Field",
    problemText: "Problem",
    importRunning: "Importing",
    importDone: "Import finished",
    importFailed: "The import stopped",
    importPhases: {
      settling: "settling earlier transactions",
      onboarding: "onboarding people",
      directory: "directory entries",
      buildings: "registering buildings",
      premises: "adding premises",
      owners: "changing owners",
      residents: "residents",
      organisers: "organisers",
      publishing: "publishing register hashes",
      done: "done",
    },
    fileKinds: { residential: "residential", "non-residential": "non-residential", parking: "parking space" },
    fileRoles: { none: "none", "management-organisation": "management organisation", hoa: "homeowners' association", "capital-repair-fund": "capital repair fund" },
    contactChanges: { new: "new entry", email: "e-mail", phone: "phone", language: "language" },
    chooseFile: "Choose a register file.",
    needToken: "Enter the registrar's access token.",
  },
});

const TOKEN_KEY = "dh-registrar-token";
/** How many entries of a long list the plan shows before "and N more". */
const SHOWN = 20;
const POLL_MS = 500;
/** Lists longer than this are shown folded. */
const FOLDED = 5;

const holders = (list) => (list.length ? list.map((p) => `${p.name} (${p.personId}${p.share && p.share !== "1" ? `, ${p.share}` : ""})`).join("; ") : t("nobody"));

function capped(items, render) {
  const shown = items.slice(0, SHOWN).map(render);
  if (items.length > SHOWN) shown.push(h("li", { className: "muted" }, `${t("andMore")} ${items.length - SHOWN}…`));
  return shown;
}

/** One part of the plan: its title and count, its entries folded away when there are many. */
function section(title, items, render, key) {
  if (!items.length) return "";
  return h(
    "details",
    { "data-plan": key, open: items.length <= FOLDED },
    h("summary", {}, h("strong", {}, `${title}: `), h("span", { "data-count": key }, items.length)),
    h("ul", { className: "list" }, capped(items, render)),
  );
}

const word = (group, code) => t(group)[code] ?? code;

function planView(plan) {
  if (plan.empty) return h("div", { id: "plan", "data-empty": "true" }, h("h2", {}, t("planTitle")), h("p", { className: "ok" }, t("planEmpty")));
  const out = h("div", { id: "plan", "data-empty": "false" }, h("h2", {}, t("planTitle")));
  if (plan.unfinished) out.append(h("p", { className: "notice" }, `${t("planUnfinished")}: ${plan.unfinished}`));
  for (const b of plan.buildings) {
    out.append(
      h(
        "div",
        { className: "plan-building", "data-building": b.building },
        h("h3", {}, `${b.buildingId ? `${t("planBuildingKnown")} №${b.buildingId}` : t("planBuildingNew")}: ${b.address} `, h("span", { className: "muted mono" }, b.building)),
        h("p", { className: "muted" }, b.registerChanged ? t("planRegisterChanged") : t("planRegisterSame")),
        section(t("planNewPremises"), b.newPremises, (p) => h("li", {}, `${p.number} · ${word("fileKinds", p.kind)} · ${p.area} ${t("m2")} · ${p.cadastralNumber}`), "newPremises"),
        section(t("planSales"), b.sales, (s) => h("li", {}, `${s.premises}: ${holders(s.from)} → ${holders(s.to)}`), "sales"),
        section(t("planResidentsAdded"), b.residentsAdded, (r) => h("li", {}, `${r.premises}: ${r.name} (${r.personId})`), "residentsAdded"),
        section(t("planResidentsGone"), b.residentsGone, (r) => h("li", {}, `${r.premises}: ${r.name} (${r.personId})`), "residentsGone"),
        section(t("planOrganisers"), b.organisers, (o) => h("li", {}, `${o.name} (${o.personId}): ${word("fileRoles", o.before)} → ${word("fileRoles", o.role)}`), "organisers"),
      ),
    );
  }
  out.append(
    section(t("planOnboard"), plan.onboard, (p) => h("li", {}, `${p.name} (${p.personId})`), "onboard"),
    section(t("planContacts"), plan.contacts, (p) => h("li", {}, `${p.name} (${p.personId}): ${p.changes.map((c) => word("contactChanges", c)).join(", ")}`), "contacts"),
  );
  return out;
}

/** A register file's problems, each with its line, column and field, in the page's language. */
function problemsView(err) {
  const problems = err.details?.problems ?? [];
  return h(
    "div",
    { id: "problems", role: "alert" },
    h("h2", { className: "bad" }, t("problemsTitle")),
    h(
      "table",
      { className: "problems" },
      h("thead", {}, h("tr", {}, h("th", {}, t("problemLine")), h("th", {}, t("problemColumn")), h("th", { className: "hide-narrow" }, t("problemField")), h("th", {}, t("problemText")))),
      h(
        "tbody",
        {},
        problems.map((p) =>
          h(
            "tr",
            { "data-problem": p.code, "data-line": p.line, "data-column": p.column },
            h("td", {}, p.line || "—"),
            h("td", {}, p.column || "—"),
            h("td", { className: "hide-narrow mono" }, p.field ?? ""),
            // the registrar's own words in the reader's language (both come with every problem)
            h("td", {}, p.messages?.[language()] ?? p.message ?? p.code),
          ),
        ),
      ),
    ),
  );
}

function progressView(record) {
  const p = record.progress;
  const percent = p && p.total > 0 ? Math.floor((p.done * 100) / p.total) : record.status === "done" ? 100 : 0;
  const title = record.status === "done" ? t("importDone") : record.status === "failed" ? t("importFailed") : t("importRunning");
  const bar = h("progress", { id: "import-bar", max: 100, value: percent });
  const phases = p
    ? h(
        "ul",
        { className: "list" },
        Object.entries(p.phases)
          .filter(([, v]) => v.total > 0)
          .map(([name, v]) => h("li", { "data-phase": name }, `${t("importPhases")[name] ?? name}: ${v.done} / ${v.total}`)),
      )
    : "";
  return h(
    "div",
    { id: "import-progress", "data-status": record.status, "data-import": record.importId },
    h("h2", { className: record.status === "failed" ? "bad" : record.status === "done" ? "ok" : "" }, `${title} — ${percent} %`),
    bar,
    p && record.status === "running" ? h("p", { className: "muted" }, t("importPhases")[p.phase] ?? p.phase) : "",
    phases,
    record.error ? h("p", { className: "bad", "data-code": record.error.code }, `${t("error")}: ${errorMessage(record.error)} (${record.error.code})`) : "",
  );
}

/** `#/import`: the registrar's import of a register file. */
export function viewImport() {
  const token = h("input", { type: "password", id: "registrar-token", autocomplete: "off", value: sessionStorage.getItem(TOKEN_KEY) ?? "" });
  const file = h("input", { type: "file", id: "register-file", accept: ".csv,text/csv" });
  const out = h("div", { id: "import-output" });
  const applyButton = h("button", { type: "button", id: "apply-import", disabled: true }, t("applyImport"));
  /** The bytes the plan was made for: Apply sends exactly these, so what runs is what was shown. */
  let planned;

  const inputs = async () => {
    const key = token.value.trim();
    if (!key) throw Object.assign(new Error(t("needToken")), { code: "" });
    const chosen = file.files?.[0];
    if (!chosen) throw Object.assign(new Error(t("chooseFile")), { code: "" });
    sessionStorage.setItem(TOKEN_KEY, key);
    return { key, bytes: new Uint8Array(await chosen.arrayBuffer()) };
  };
  const failure = (err) => (err.code === "invalid_register_file" && err.details?.problems ? problemsView(err) : h("p", { className: "bad", role: "alert", "data-code": err.code }, `${t("error")}: ${errorMessage(err)}${err.code ? ` (${err.code})` : ""}`));

  file.addEventListener("change", () => {
    planned = undefined;
    applyButton.disabled = true;
  });
  const form = h(
    "form",
    {
      id: "import-form",
      onsubmit: async (e) => {
        e.preventDefault();
        planned = undefined;
        applyButton.disabled = true;
        out.replaceChildren(h("p", { className: "muted" }, t("loading")));
        try {
          const { key, bytes } = await inputs();
          const answer = await api.registrar.plan(key, bytes);
          out.replaceChildren(planView(answer.plan));
          if (!answer.plan.empty) {
            planned = bytes;
            applyButton.disabled = false;
          }
        } catch (err) {
          out.replaceChildren(failure(err));
        }
      },
    },
    h("p", {}, h("label", { for: "registrar-token" }, t("registrarToken")), h("br"), token),
    h("p", {}, h("label", { for: "register-file" }, t("registerFile")), h("br"), file),
    h("p", {}, h("button", { type: "submit", id: "dry-run" }, t("dryRun")), " ", applyButton),
  );

  applyButton.addEventListener("click", async () => {
    if (!planned) return;
    applyButton.disabled = true;
    const bytes = planned;
    planned = undefined;
    const key = token.value.trim();
    try {
      const started = await api.registrar.apply(key, bytes);
      let record = { importId: started.importId, status: started.status, progress: null };
      const progress = h("div", {});
      out.prepend(progress);
      progress.replaceChildren(progressView(record));
      // followed until it ends, for as long as this screen is shown
      while (record.status === "running" && document.body.contains(progress)) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        record = await api.registrar.importStatus(key, started.importId);
        progress.replaceChildren(progressView(record));
      }
    } catch (err) {
      out.prepend(failure(err));
    }
  });

  show(h("h1", {}, t("importTitle")), h("div", { className: "card" }, h("p", { className: "muted" }, t("importHint")), form), h("div", { className: "card" }, out));
}
