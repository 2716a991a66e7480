/**
 * The registrar's import screen (#/import) in headless Chromium, behind the real web server, against a
 * real registrar with its chain, custody and the notifier (registrar/test/helpers/system.ts): a file
 * with problems shows each by line and column in the reader's language and applies nothing; a good
 * file's dry-run plan is what the registrar plans, applying it follows the progress to the end and
 * the register reaches the chain; a sale shows as one, and a second run finds nothing to do.
 */
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { createLogger } from "#lib/log.js";
import { startWebServer, type WebServer } from "../../web/src/server.js";
import type { RunningRegistrar } from "../../registrar/src/service.js";
import { generatedBuilding, toCsv, type TestRegister } from "../../registrar/test/helpers/register-csv.js";
import { API_TOKEN, json, startSystem, startTestRegistrar, type TestSystem } from "../../registrar/test/helpers/system.js";
import { cspRefusals, overflowing, SHOTS } from "./demo.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PREMISES = 60;

describe("the registrar's import screen", function () {
  this.timeout(600_000);
  let system: TestSystem;
  let registrar: RunningRegistrar;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const messages: string[] = [];
  let register: TestRegister;

  const file = async (name: string, csv: string) => {
    const at = path.join(dir, name);
    await writeFile(at, csv);
    return at;
  };
  const buildings = async () => ((await json(`${registrar.url}/v1/buildings`, { token: API_TOKEN })).body as { buildings: Array<{ premises: number; address: string }> }).buildings;
  const dryRun = async (at: string) => {
    await page.setInputFiles("#register-file", at);
    await page.click("#dry-run");
    await page.waitForSelector("#import-output #plan, #import-output #problems, #import-output [data-code]");
  };

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "dh-e2e-import-"));
    system = await startSystem();
    registrar = await startTestRegistrar(system);
    const dead = "http://127.0.0.1:1";
    web = await startWebServer({ graphqlUrl: dead, custodyUrl: system.custody.url, relayerUrl: dead, registrarUrl: registrar.url, logger: createLogger("silent") });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (err) => messages.push(`pageerror: ${err.message}`));
    register = generatedBuilding(1, PREMISES);
    await page.goto(`${web.url}/#/import`);
    await page.waitForSelector("#import-form");
  });
  after(async function () {
    await browser?.close();
    await web?.close();
    await registrar?.stop();
    await system?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refuses a wrong access token in the reader's language", async function () {
    await page.fill("#registrar-token", "not-the-registrar-token");
    await dryRun(await file("building.csv", toCsv(register)));
    const direct = await json(`${registrar.url}/v1/imports?dryRun=true`, { token: "not-the-registrar-token", body: toCsv(register), contentType: "text/csv" });
    expect(direct.status).to.equal(403);
    expect(direct.body.error.code).to.equal("forbidden");
    const refusal = page.locator("#import-output [data-code=forbidden]");
    expect(await refusal.innerText()).to.contain("У вас нет права на это действие");
    expect(await buildings()).to.deep.equal([]);
  });

  it("shows every problem of a bad file by its line and column, as the registrar finds them, and applies nothing", async function () {
    const lines = toCsv(register).split("\n");
    // an area below zero, and a share that makes its premises' shares not add up to one
    const areaLine = lines.findIndex((l) => l.startsWith("premises,") && l.includes(",residential,"));
    lines[areaLine] = lines[areaLine]!.replace(/,(\d+\.\d\d),/, ",-95.00,");
    const shareLine = lines.findIndex((l) => l.startsWith("owner,") && l.includes(",1/3,shared,"));
    lines[shareLine] = lines[shareLine]!.replace(",1/3,shared,", ",1/4,shared,");
    const bad = lines.join("\n");
    const nonceBefore = await system.registrarNonce();
    await page.fill("#registrar-token", API_TOKEN);
    await dryRun(await file("bad.csv", bad));
    await page.waitForSelector("#problems tr[data-problem]");
    const expected = await json(`${registrar.url}/v1/imports?dryRun=true`, { token: API_TOKEN, body: bad, contentType: "text/csv", headers: { "accept-language": "ru" } });
    expect(expected.status).to.equal(422);
    const problems = expected.body.error.details.problems as Array<{ code: string; line: number; column: number; messages: { ru: string; en: string } }>;
    expect(problems.map((p) => p.code)).to.include.members(["area_not_positive", "shares_not_whole"]);
    const rows = await page.locator("#problems tr[data-problem]").evaluateAll((trs) => trs.map((tr) => ({ code: tr.getAttribute("data-problem"), line: Number(tr.getAttribute("data-line")), column: Number(tr.getAttribute("data-column")), text: tr.lastElementChild!.textContent })));
    expect(rows.map(({ code, line, column }) => ({ code, line, column }))).to.deep.equal(problems.map(({ code, line, column }) => ({ code, line, column })));
    expect(rows.find((r) => r.code === "area_not_positive")!.line).to.equal(areaLine + 1);
    for (const [i, row] of rows.entries()) expect(problems[i]!.messages.ru).to.contain(row.text!);
    expect(await page.locator("#apply-import").isDisabled()).to.equal(true);
    await page.screenshot({ path: path.join(SHOTS, "import-problems.png"), fullPage: true });

    // the same problems in English once the reader switches
    await page.click("#lang");
    await page.waitForFunction(() => document.getElementById("nav-import")?.textContent === "Register");
    await page.waitForSelector("#import-form");
    await dryRun(await file("bad.csv", bad));
    await page.waitForSelector("#problems tr[data-problem]");
    const english = await page.locator("#problems tr[data-problem] td:last-child").allInnerTexts();
    for (const [i, text] of english.entries()) expect(problems[i]!.messages.en).to.contain(text);
    expect(await page.locator("#problems h2").innerText()).to.equal("Problems in the file — nothing was applied");
    await page.click("#lang");
    await page.waitForFunction(() => document.getElementById("nav-import")?.textContent === "Реестр");
    await page.waitForSelector("#import-form");

    expect(await buildings()).to.deep.equal([]);
    expect(await system.registrarNonce()).to.equal(nonceBefore);
  });

  it("shows the registrar's dry-run plan of a new building, changing nothing, then applies it with its progress to the end", async function () {
    const at = await file("building.csv", toCsv(register));
    await dryRun(at);
    await page.waitForSelector("#plan[data-empty=false]");
    const expected = (await json(`${registrar.url}/v1/imports?dryRun=true`, { token: API_TOKEN, body: toCsv(register), contentType: "text/csv" })).body.plan;
    expect(Number(await page.locator("[data-count=newPremises]").innerText())).to.equal(PREMISES).and.to.equal(expected.buildings[0].newPremises.length);
    expect(Number(await page.locator("[data-count=onboard]").innerText())).to.equal(register.persons.length).and.to.equal(expected.onboard.length);
    expect(await page.locator("#plan .plan-building h3").first().innerText()).to.contain(register.buildings[0]!.address);
    expect(await buildings(), "a dry run changes nothing").to.deep.equal([]);
    await page.screenshot({ path: path.join(SHOTS, "import-plan.png"), fullPage: true });

    await page.click("#apply-import");
    await page.waitForSelector("#import-progress");
    const seen = new Set<string>();
    for (;;) {
      const status = await page.locator("#import-progress").getAttribute("data-status");
      seen.add(`${status} ${await page.locator("#import-progress h2").innerText()}`);
      if (status !== "running") break;
      await page.waitForTimeout(200);
    }
    expect(await page.locator("#import-progress").getAttribute("data-status")).to.equal("done");
    expect(await page.locator("#import-progress h2").innerText()).to.equal("Загрузка завершена — 100 %");
    expect(await page.locator("#import-progress [data-phase=premises]").innerText()).to.contain(`${PREMISES} / ${PREMISES}`);
    expect(await page.locator("#import-progress [data-phase=onboarding]").innerText()).to.contain(`${register.persons.length} / ${register.persons.length}`);
    await page.screenshot({ path: path.join(SHOTS, "import-done.png"), fullPage: true });
    const after = await buildings();
    expect(after.map((b) => b.premises)).to.deep.equal([PREMISES]);

    // the same file again: nothing to do, nothing to apply
    await dryRun(at);
    await page.waitForSelector("#plan[data-empty=true]");
    expect(await page.locator("#apply-import").isDisabled()).to.equal(true);
  });

  it("shows a sale as the premises going from its owner to the buyer", async function () {
    const sold = structuredClone(register);
    const flat = sold.buildings[0]!.premises[0]!;
    const seller = flat.owners[0]!.person;
    sold.persons.push({ id: "b1.buyer", name: "Покупатель Пётр 1", identity: "паспорт 45 01 000001", language: "ru" });
    flat.owners = [{ person: "b1.buyer", share: "1", ownership: "sole", title: `${flat.cadastral}-sale` }];
    sold.buildings[0]!.residents = sold.buildings[0]!.residents.filter((r) => r.person !== seller);
    await dryRun(await file("sale.csv", toCsv(sold)));
    await page.waitForSelector("#plan [data-plan=sales]");
    expect(Number(await page.locator("[data-count=sales]").innerText())).to.equal(1);
    const sale = await page.locator("[data-plan=sales] li").first().innerText();
    expect(sale).to.contain(seller).and.to.contain("b1.buyer").and.to.contain("→");
    expect(Number(await page.locator("[data-count=onboard]").innerText())).to.equal(1);
  });

  it("fits a phone screen", async function () {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    phone.on("pageerror", (err) => messages.push(`pageerror: ${err.message}`));
    await phone.goto(`${web.url}/#/import`);
    await phone.waitForSelector("#import-form");
    await phone.fill("#registrar-token", API_TOKEN);
    await phone.setInputFiles("#register-file", path.join(dir, "sale.csv"));
    await phone.click("#dry-run");
    await phone.waitForSelector("#plan");
    expect(await overflowing(phone)).to.deep.equal([]);
    await phone.screenshot({ path: path.join(SHOTS, "import-phone.png"), fullPage: true });
    await phone.close();
  });

  it("ran under the Content-Security-Policy with nothing refused and no page error", function () {
    expect(cspRefusals(messages)).to.deep.equal([]);
    expect(messages.filter((m) => m.startsWith("pageerror"))).to.deep.equal([]);
  });
});
