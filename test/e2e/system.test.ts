/**
 * The whole system as a user meets it: `npm start` run as a user runs it, then a resident, the public
 * and an auditor in real headless Chromium. Ends with Ctrl-C and checks that no process is left.
 */
import { expect } from "chai";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PROJECT_ROOT } from "#lib/deployment.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = process.env.UPDATE_SCREENSHOTS ? path.join(PROJECT_ROOT, "docs", "screenshots") : path.join(PROJECT_ROOT, "reports", "screenshots");

interface Urls {
  web: string;
  graphql: string;
  relayer: string;
  custody: string;
  registrar: string;
  documents: string;
  keeper: string;
  rpc: string;
}

function processesInGroup(pgid: number): string[] {
  try {
    return execFileSync("ps", ["-o", "pid=,args=", "-g", String(pgid)]).toString().trim().split("\n").filter(Boolean);
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

async function graphql(url: string, query: string) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
  return (await response.json()) as { data: Record<string, any>; errors?: unknown[] };
}

describe("npm start and the web page", function () {
  this.timeout(600_000);
  let child: ChildProcess;
  let output = "";
  let urls: Urls;
  let browser: Browser;
  let page: Page;
  let receiptId = "";
  /** What the browser reported: every console message and uncaught error of the page. */
  const browserMessages: string[] = [];

  before(async function () {
    await mkdir(SHOTS, { recursive: true });
    child = spawn("npm", ["start"], {
      cwd: PROJECT_ROOT,
      detached: true, // its own process group, as a terminal gives it; Ctrl-C reaches the whole group
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DH_RPC_PORT: "0", DH_WEB_PORT: "0", DH_GRAPHQL_PORT: "0", DH_RELAYER_PORT: "0", DH_CUSTODY_PORT: "0", DH_NOTIFIER_PORT: "0", DH_REGISTRAR_PORT: "0", DH_DOCUMENTS_PORT: "0", DH_KEEPER_PORT: "0" },
    });
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    const started = Date.now();
    while (!/Press Ctrl-C to stop/.test(output)) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
      if (Date.now() - started > 300_000) throw new Error(`npm start printed no URLs in 5 minutes:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const pick = (label: string) => {
      const m = new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+\\S*)`).exec(output);
      if (!m) throw new Error(`no ${label} URL in:\n${output}`);
      return m[1].replace(/\/v1$/, "");
    };
    urls = {
      web: pick("Web page"),
      graphql: pick("GraphQL"),
      relayer: pick("Relayer API"),
      custody: pick("Custodial wallet"),
      registrar: pick("Registrar"),
      documents: pick("Document store"),
      keeper: pick("Keeper"),
      rpc: pick("JSON-RPC"),
    };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on("console", (m) => browserMessages.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (err) => browserMessages.push(`pageerror: ${err.message}`));
  });

  after(async function () {
    await browser?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });

  it("prints the URLs of every part and serves them", async function () {
    expect(output).to.contain("Demo logins");
    const meta = await graphql(urls.graphql, "{ _meta { block { number } hasIndexingErrors } meetings { id status } }");
    expect(meta.data._meta.hasIndexingErrors).to.equal(false);
    expect(meta.data.meetings.map((m: { status: string }) => m.status).sort()).to.deep.equal(["Announced", "Announced", "Finalized"]);
    const health = await fetch(`${urls.relayer}/v1/health`);
    expect(health.status).to.equal(200);
    const rpc = await fetch(urls.rpc, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
    expect(((await rpc.json()) as { result: string }).result).to.equal("0x7a69");
    for (const service of [urls.registrar, urls.documents, urls.keeper]) expect((await fetch(`${service}/v1/health`)).status, service).to.equal(200);
  });

  it("imports the demo's buildings through the registrar, keeps the agendas in the document store, and files the finished meeting's protocol by the keeper", async function () {
    // the registrar's register of each building is the one published on chain
    const token = /Registrar\s+\S+\s+\(its API token: (\S+)\)/.exec(output)![1]!;
    const registrarToken = (await readFile(token, "utf8")).trim();
    const buildings = (await (await fetch(`${urls.registrar}/v1/buildings`, { headers: { authorization: `Bearer ${registrarToken}` } })).json()) as { buildings: Array<{ buildingId: string; registerHash: string; premises: number }> };
    expect(buildings.buildings.map((b) => b.premises)).to.deep.equal([46, 30]);
    const onChain = await graphql(urls.graphql, "{ meetings(orderBy: meetingId) { meetingId agendaRef status questions(orderBy: index) { textRef } } }");
    const meetings = onChain.data.meetings as Array<{ meetingId: string; agendaRef: string; status: string; questions: Array<{ textRef: string }> }>;
    // every agenda is a notice in the store, each wording a text document under its textRef, each read through the web server
    for (const m of meetings) {
      const notice = await fetch(`${urls.web}/api/documents/v1/documents/${m.agendaRef}`);
      expect(notice.status, `notice of meeting ${m.meetingId}`).to.equal(200);
      const body = (await notice.json()) as { format: string; questions: Array<{ textRef: string }>; materials: Array<{ document: string }> };
      expect(body.format).to.equal("digital-home/notice/1");
      expect(body.questions.map((q) => q.textRef)).to.deep.equal(m.questions.map((q) => q.textRef));
      for (const q of m.questions) expect((await fetch(`${urls.web}/api/documents/v1/documents/${q.textRef}`)).status, q.textRef).to.equal(200);
      // the open meeting has its estimate as a PDF attachment
      if (m.meetingId === "2") {
        expect(body.materials).to.have.length(1);
        const pdf = await fetch(`${urls.web}/api/documents/v1/documents/${body.materials[0]!.document}`);
        expect(pdf.headers.get("content-type")).to.equal("application/pdf");
        expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).to.equal("%PDF-");
      }
    }
    const finished = meetings.find((m) => m.status === "Finalized")!;
    const protocol = await fetch(`${urls.web}/api/keeper/v1/meetings/${finished.meetingId}/protocol`);
    expect(protocol.status).to.equal(200);
    const { documents } = (await protocol.json()) as { documents: Record<string, { id: string }> };
    const xml = await fetch(`${urls.documents}/v1/documents/${documents.xml!.id}`);
    expect(xml.status).to.equal(200);
    const text = await xml.text();
    expect(text).to.contain("Москва, Ленинский пр-т, д. 90");
    expect(text).to.contain("Провести текущий ремонт подъездов в 2026 году");
  });

  it("runs the notifier, whose notices reach the local mail capture", async function () {
    const mailbox = /captured e-mail: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
    expect(mailbox, output).to.not.equal(null);
    // notices go out one owner after another: wait for this owner's, not for the first to arrive
    const toAnna = (m: { to: string[] }) => m.to.some((to) => to.startsWith("ivanova.anna@"));
    let messages: Array<{ to: string[]; subject: string; text: string }> = [];
    for (let i = 0; i < 200 && !messages.some(toAnna); i++) {
      if (i) await new Promise((r) => setTimeout(r, 250));
      messages = ((await (await fetch(`${mailbox![1]}/messages`)).json()) as { messages: typeof messages }).messages;
    }
    const anna = messages.filter(toAnna);
    expect(anna.length, `no notice to ivanova.anna among ${messages.length} captured`).to.be.greaterThan(0);
    expect(anna.map((m) => m.text).join("\n")).to.contain("шлагбаум");
  });

  it("serves the page with its security headers, and nothing behind the web server", async function () {
    const response = await page.goto(`${urls.web}/#/`);
    const headers = response!.headers();
    expect(headers["content-security-policy"]).to.contain("frame-ancestors 'none'").and.contain("script-src 'self'");
    expect(headers["x-frame-options"]).to.equal("DENY");
    expect(headers["x-content-type-options"]).to.equal("nosniff");
    expect(headers["referrer-policy"]).to.equal("no-referrer");
    const rpcPort = new URL(urls.rpc).port;
    for (const path of [`/api/custody//127.0.0.1:${rpcPort}/`, "/api/relayer/metrics", "/api/relayer/v1/health", "/api/custody/v1/signing-log"]) {
      const r = await fetch(`${urls.web}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
      expect(r.status, path).to.be.within(400, 499);
      expect(await r.text(), path).to.not.contain("jsonrpc");
    }
  });

  it("shows the meetings and a finished meeting's results to the public", async function () {
    await page.goto(`${urls.web}/#/`);
    await page.waitForSelector("#all-meetings li[data-meeting]");
    expect(await page.locator("#all-meetings li[data-meeting]").count()).to.equal(3);
    await page.screenshot({ path: path.join(SHOTS, "meetings.png") });
    await page.goto(`${urls.web}/#/results/1`);
    await page.waitForSelector("#questions [data-question]");
    expect(await page.locator("#questions").innerText()).to.match(/принято|passed/);
    // the finished annual meeting: its administrator, each question's type by the meeting's rules
    // version, and its ballots by form, a paper decision and a representative's among them
    expect(await page.locator("#meeting-type").getAttribute("data-type")).to.equal("Annual");
    expect(await page.locator("#administrator").innerText()).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(await page.locator("#rules-version").getAttribute("data-version")).to.equal("1");
    expect(await page.locator("#questions [data-question-type]").evaluateAll((els) => els.map((e) => e.getAttribute("data-question-type")))).to.deep.equal(["other", "44.2.2"]);
    expect(await page.locator("#questions").innerText()).to.match(/земельного участка|land plot/);
    expect(await page.locator("#ballot-forms [data-form=Paper]").getAttribute("data-count")).to.equal("1");
    expect(Number(await page.locator("#ballot-forms [data-form=Relayed]").getAttribute("data-count"))).to.be.greaterThan(0);
    expect(await page.locator("#ballot-forms [data-represented]").getAttribute("data-represented")).to.equal("1");
    expect(await page.locator("#ballots tr[data-form=Paper]").count()).to.equal(1);
    expect(await page.locator("#ballots tr[data-representative^='0x']").count()).to.equal(1);
    await page.screenshot({ path: path.join(SHOTS, "results.png"), fullPage: true });
  });

  it("lets a resident log in, vote on every question, and follow the ballot to counted", async function () {
    await page.goto(`${urls.web}/#/results/2`);
    await page.waitForSelector("#participation[data-meeting='2'] #ballot-count");
    const before = Number(await page.locator("#ballot-count").innerText());

    await page.goto(`${urls.web}/#/login`);
    await page.fill("#resident-id", "ivanova.anna");
    await page.click("#request-code");
    await page.waitForSelector("#code:visible");
    expect(await page.inputValue("#code")).to.match(/^\d{6}$/);
    await page.click("#sign-in");
    await page.waitForFunction(() => document.getElementById("who")?.textContent?.includes("ivanova.anna"));

    // a ballot this browser remembers sending but that the relayer never counted (refused on the
    // way, or unknown to it) does not keep the resident from voting
    await page.evaluate((id) => {
      const session = JSON.parse(sessionStorage.getItem("dh-session")!);
      localStorage.setItem(`dh-ballot-2-${session.address.toLowerCase()}`, JSON.stringify(id));
    }, "0x" + "5a".repeat(32));
    await page.goto(`${urls.web}/#/meeting/2`);
    await page.waitForSelector("#ballot-form");
    expect(await page.locator("#previous-rejected").count()).to.equal(1);
    expect(await page.locator("#already-voted").count()).to.equal(0);
    const questions = await page.locator("#ballot-form fieldset").count();
    expect(questions).to.equal(4);
    for (let q = 0; q < questions; q++) await page.check(`input[name=q${q}][data-choice=${q === 1 ? "Against" : "For"}]`);
    await page.screenshot({ path: path.join(SHOTS, "ballot.png"), fullPage: true });
    await page.click("#vote-button");
    await page.waitForSelector("#confirm-dialog[open]");
    await page.click("#confirm-vote");
    await page.waitForURL(/#\/receipt\/0x[0-9a-f]{64}$/);
    receiptId = page.url().split("/").pop()!;
    await page.waitForSelector("#receipt-status[data-status=confirmed]", { timeout: 120_000 });
    expect(await page.locator("#receipt-tx").innerText()).to.match(/^0x[0-9a-f]{64}$/);
    await page.screenshot({ path: path.join(SHOTS, "receipt.png") });

    await page.goto(`${urls.web}/#/results/2`);
    await page.waitForFunction(
      (n) => document.querySelector("#participation[data-meeting='2']") !== null && Number(document.getElementById("ballot-count")?.textContent) === n + 1,
      before,
      { timeout: 60_000 },
    );
  });

  it("refuses a second vote, on the page and at the API", async function () {
    await page.goto(`${urls.web}/#/meeting/2`);
    await page.waitForSelector("#vote #already-voted");
    expect(await page.locator("#ballot-form").count()).to.equal(0);
    const answer: { status: number; body: { error: { code: string } } } = await page.evaluate(async () => {
      const session = JSON.parse(sessionStorage.getItem("dh-session")!);
      const response = await fetch("/api/custody/v1/ballots", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${session.token}` },
        body: JSON.stringify({ meetingId: "2", choices: String(0b10101010) }),
      });
      return { status: response.status, body: await response.json() };
    });
    expect(answer.status).to.be.within(400, 499);
    expect(answer.body.error.code).to.match(/already_voted|duplicate|voted/);
  });

  it("lets an auditor check the receipt and see the recount agree", async function () {
    await page.goto(`${urls.web}/#/audit?receipt=${receiptId}`);
    await page.waitForSelector("#receipt-result [data-result=counted]");
    expect(await page.locator("#receipt-result").innerText()).to.match(/Учтён|Counted/);
    await page.goto(`${urls.web}/#/audit/2`);
    await page.waitForSelector("#recount [data-recount]");
    expect(await page.locator("#recount [data-recount]").getAttribute("data-recount")).to.equal("ok");
    await page.screenshot({ path: path.join(SHOTS, "audit.png"), fullPage: true });
  });

  it("lets a representative vote for the principal, the receipt naming both", async function () {
    await page.click("#auth"); // log the resident out
    await page.waitForFunction(() => sessionStorage.getItem("dh-session") === null);
    await page.goto(`${urls.web}/#/login`);
    await page.fill("#resident-id", "volkov.denis");
    await page.click("#request-code");
    await page.waitForSelector("#code:visible");
    await page.click("#sign-in");
    await page.waitForFunction(() => document.getElementById("who")?.textContent?.includes("volkov.denis"));
    await page.goto(`${urls.web}/#/meeting/2`);
    await page.waitForSelector("#vote-as");
    const principal = await page.locator("#vote-as option").nth(1).getAttribute("value");
    expect(principal).to.match(/^0x[0-9a-fA-F]{40}$/);
    await page.selectOption("#vote-as", principal!);
    await page.waitForSelector(`#ballot-form[data-voter='${principal}']`);
    for (let q = 0; q < 4; q++) await page.check(`input[name=q${q}][data-choice=For]`);
    await page.click("#vote-button");
    await page.waitForSelector("#confirm-dialog[open] #confirm-for");
    expect(await page.locator("#confirm-deadline").innerText()).to.match(/\d/);
    await page.click("#confirm-vote");
    await page.waitForURL(/#\/receipt\/0x[0-9a-f]{64}$/);
    await page.waitForSelector("#receipt-status[data-status=confirmed]", { timeout: 120_000 });
    expect(await page.locator("#receipt-representative").innerText()).to.match(/^0x[0-9a-fA-F]{40}$/);
    const status = await (await fetch(`${urls.relayer}/v1/ballots/${page.url().split("/").pop()}`)).json() as { voter: string; representative: string };
    expect(status.voter.toLowerCase()).to.equal(principal!.toLowerCase(), "the principal's ballot");
    expect(status.representative).to.match(/^0x/);
    await page.goto(`${urls.web}/#/meeting/2?for=${principal}`);
    await page.waitForSelector("#vote #already-voted");
  });

  it("logs out by revoking the token at custody", async function () {
    const token: string = await page.evaluate(() => JSON.parse(sessionStorage.getItem("dh-session")!).token);
    const me = () => fetch(`${urls.web}/api/custody/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me()).status).to.equal(200);
    await page.click("#auth");
    await page.waitForFunction(() => sessionStorage.getItem("dh-session") === null);
    for (let i = 0; i < 50 && (await me()).status === 200; i++) await new Promise((r) => setTimeout(r, 100));
    const after = await me();
    expect(after.status).to.equal(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).to.equal("unauthenticated");
  });

  it("ran the page under its Content-Security-Policy with nothing refused", function () {
    const refused = browserMessages.filter((m) => /Content Security Policy|Refused to/i.test(m));
    expect(refused, refused.join("\n")).to.deep.equal([]);
  });

  it("fits a phone screen and speaks English", async function () {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.goto(`${urls.web}/#/results/2`);
    await phone.waitForSelector("#questions [data-question]");
    await phone.click("#lang");
    await phone.waitForFunction(() => document.getElementById("nav-meetings")?.textContent === "Meetings");
    await phone.waitForSelector("#questions [data-question]");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    // what sticks out, named in the failure
    const wider = await phone.evaluate(() =>
      Array.from(document.querySelectorAll("body *"))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}: ${(el.textContent ?? "").trim().slice(0, 40)}`),
    );
    expect(overflow, wider.join("\n")).to.be.at.most(0);
    await phone.screenshot({ path: path.join(SHOTS, "results-phone.png") });
    await phone.close();
  });

  it("stops cleanly on Ctrl-C and leaves no process behind", async function () {
    const pgid = child.pid!;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    process.kill(-pgid, "SIGINT");
    // npm itself ends on the interrupt; the system under it finishes its own shutdown and exits 0
    const { code, signal } = await exited;
    expect(code === 0 || signal === "SIGINT", `exit ${code} / ${signal}`).to.equal(true);
    const deadline = Date.now() + 15_000;
    while (processesInGroup(pgid).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(processesInGroup(pgid)).to.deep.equal([]);
    expect(output).to.contain("stopped.");
    expect(output).not.to.contain("start failed");
  });
});
