/**
 * The administrator's screens against the whole system (stack.ts) in real headless Chromium: a
 * building imported by the registrar, a meeting its owner announced through custody (gas-free) and
 * administers; on its administrator's screen the registrar's list of owners who have not voted with
 * their names, a paper decision entered with a void answer and its scan stored restricted, a power of
 * attorney for this meeting recorded with its document, a refusal of the hall explained, and the
 * representative then voting for the principal on the meeting's page. Nobody else sees the screen.
 */
import { expect } from "chai";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import PDFDocument from "pdfkit";
import { id, keccak256 } from "ethers";
import type { Browser, Page } from "playwright-core";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { importRegister, startStack, type Stack } from "./stack.js";
import { PHONE, launch, personPage, shoot, signIn } from "./browser.js";

function pdfBytes(title: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: "A4" });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    doc.fontSize(14).text(title);
    doc.end();
  });
}

async function graphql(stack: Stack, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(stack.graphqlUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A resident's custody token through the demo login's API (the code revealed on loopback). */
async function custodyToken(stack: Stack, residentId: string): Promise<string> {
  const post = async (p: string, body: unknown, token?: string) => {
    const r = await fetch(`${stack.custody.url}${p}`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const answer = (await r.json()) as Record<string, any>;
    if (!r.ok) throw new Error(`${p}: ${r.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const { code } = await post("/v1/auth/code", { residentId });
  return (await post("/v1/auth/token", { residentId, code })).token as string;
}

/** Waits for a form's status to end (done, or refused with a code) and returns what it says. */
async function outcome(page: Page, status: string): Promise<{ state: string | null; code: string | null; text: string }> {
  await page.waitForSelector(`${status}[data-state=done], ${status}[data-code]`, { timeout: 120_000 });
  const line = page.locator(status);
  return { state: await line.getAttribute("data-state"), code: await line.getAttribute("data-code"), text: await line.innerText() };
}

const WORDINGS = ["Заменить входную дверь в подъезде", "Установить шлагбаум на въезде во двор"];

describe("the administrator's screens", function () {
  this.timeout(600_000);
  let stack: Stack;
  let browser: Browser;
  let admin: { page: Page; messages: string[] };
  const meetingId = "1";
  let scan: Buffer;
  let scanFile: string;
  let powerFile: string;

  before(async function () {
    stack = await startStack();
    await importRegister(stack, await readFile(path.join(PROJECT_ROOT, "registrar", "examples", "building.csv"), "utf8"));
    // the owner announces through custody: the texts stored, the request signed and submitted gas-free
    const token = await custodyToken(stack, "smirnova.olga");
    const exchange = await fetch(`${stack.custody.url}/v1/auth/exchange`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ audience: "digital-home-documents" }) });
    const documentsToken = ((await exchange.json()) as { token: string }).token;
    for (const text of [...WORDINGS, JSON.stringify({ notice: "digital-home/notice", questions: WORDINGS })]) {
      const r = await fetch(`${stack.documents.url}/v1/documents`, { method: "PUT", headers: { authorization: `Bearer ${documentsToken}`, "content-type": "text/plain" }, body: text });
      expect(r.status).to.be.oneOf([200, 201]);
    }
    const now = (await stack.provider.getBlock("latest"))!.timestamp;
    const announce = await fetch(`${stack.custody.url}/v1/requests`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        function: "announceMeeting",
        args: {
          buildingId: "1",
          meetingType: "Extraordinary",
          votingStart: String(now + 30),
          votingEnd: String(now + 1800),
          agendaRef: id(JSON.stringify({ notice: "digital-home/notice", questions: WORDINGS })),
          questions: [
            { textRef: id(WORDINGS[0]!), questionType: 0 },
            { textRef: id(WORDINGS[1]!), questionType: 0 },
          ],
        },
      }),
    });
    expect(announce.status, await announce.clone().text()).to.equal(202);
    await until("the meeting indexed and open", async () => {
      const { meeting } = await graphql(stack, `query { meeting(id: "1") { id votingStart } }`);
      return meeting && (await stack.provider.getBlock("latest"))!.timestamp >= Number(meeting.votingStart);
    });
    await stack.indexed();
    scan = await pdfBytes("Reshenie sobstvennika, kv. 3");
    scanFile = path.join(stack.dir, "reshenie-kv3.pdf");
    powerFile = path.join(stack.dir, "doverennost.pdf");
    await writeFile(scanFile, scan);
    await writeFile(powerFile, await pdfBytes("Doverennost Popova -> Sokolov"));
    browser = await launch();
    admin = await personPage(browser);
  });

  after(async function () {
    await browser?.close();
    await stack?.close();
  });

  it("shows the administrator who has not voted yet, with their names, premises and votes outstanding", async function () {
    await signIn(admin.page, stack.web.url, "smirnova.olga");
    await admin.page.goto(`${stack.web.url}/#/meeting/${meetingId}`);
    await admin.page.click("#admin-link");
    await admin.page.waitForSelector("#not-voted tbody tr");
    const names = await admin.page.locator("#not-voted tbody tr td:first-child").evaluateAll((tds) => tds.map((td) => td.firstChild!.textContent));
    expect(names).to.include.members(["Иванова Анна Сергеевна", "Кузнецов Павел Андреевич", "Попова Мария Игоревна", "Соколов Дмитрий Олегович"]);
    expect(names).to.not.include("Каримов Руслан Тимурович", "a tenant who owns nothing is not an owner who has not voted");
    const { meeting } = await graphql(stack, `query { meeting(id: "1") { totalWeight building { totalWeight } } }`);
    expect(await admin.page.locator("#outstanding").getAttribute("data-outstanding")).to.equal(meeting.totalWeight ?? meeting.building.totalWeight);
    await shoot(admin.page, "admin");
    expect(admin.messages).to.deep.equal([]);
  });

  it("enters a paper decision with a void answer, its scan stored restricted under the hash the chain records", async function () {
    const pavel = await admin.page.locator('#not-voted tr:has-text("Кузнецов Павел")').getAttribute("data-address");
    await admin.page.selectOption("#paper-voter", pavel!);
    await admin.page.check('[data-paper-question="0"] input[data-answer=For]');
    await admin.page.check('[data-paper-question="1"] input[data-answer=void]');
    await admin.page.setInputFiles("#paper-scan", scanFile);
    await admin.page.click("#paper-submit");
    const paper = await outcome(admin.page, "#paper-status");
    expect(paper.state, paper.text).to.equal("done");
    const decisions = await until("the paper decision indexed", async () => {
      const { paperDecisions } = await graphql(stack, `{ paperDecisions(where: { meeting: "1" }) { voter voidQuestions scanHash administrator } }`);
      return paperDecisions.length ? paperDecisions : undefined;
    });
    expect(decisions).to.have.length(1);
    expect(decisions[0].voter.toLowerCase()).to.equal(pavel!.toLowerCase());
    expect(decisions[0].voidQuestions).to.deep.equal([1]);
    expect(decisions[0].scanHash).to.equal(keccak256(scan));
    const { ballots } = await graphql(stack, `{ ballots(where: { meeting: "1", form: Paper }) { voter answers answeredQuestions } }`);
    expect(ballots).to.have.length(1);
    expect(ballots[0].answers).to.deep.equal(["For"]);
    expect(ballots[0].answeredQuestions).to.deep.equal([0]);
    // restricted: the scan is not served to anybody who asks
    const anonymous = await fetch(`${stack.web.url}/api/documents/v1/documents/${keccak256(scan)}`);
    expect(anonymous.status).to.be.within(401, 404);
    // the list follows: Pavel has voted now
    await admin.page.waitForFunction((a) => !document.querySelector(`#not-voted tr[data-address="${a}"]`), pavel, { timeout: 30_000 });
  });

  it("explains the hall's refusal of a power of attorney whose principal is its representative", async function () {
    await admin.page.waitForSelector("#power-form");
    const popova = await admin.page.locator('#not-voted tr:has-text("Попова Мария")').getAttribute("data-address");
    await admin.page.selectOption("#power-principal", popova!);
    await admin.page.fill("#power-representative", popova!);
    await admin.page.setInputFiles("#power-document", powerFile);
    await admin.page.click("#power-submit");
    const refused = await outcome(admin.page, "#power-status");
    expect(refused.code, refused.text).to.equal("MeetingHallInvalidPowerOfAttorney");
    expect(refused.text).to.contain("доверитель и представитель должны быть разными людьми");
  });

  it("records a power of attorney for this meeting, and the representative votes for the principal on the page", async function () {
    const popova = await admin.page.locator('#not-voted tr:has-text("Попова Мария")').getAttribute("data-address");
    const sokolov = await admin.page.locator('#not-voted tr:has-text("Соколов Дмитрий")').getAttribute("data-address");
    await admin.page.selectOption("#power-principal", popova!);
    await admin.page.fill("#power-representative", sokolov!);
    await admin.page.click("#power-submit");
    const recorded = await outcome(admin.page, "#power-status");
    expect(recorded.state, recorded.text).to.equal("done");
    const powers = await until("the power indexed", async () => {
      const { powerOfAttorneys } = await graphql(stack, `{ powerOfAttorneys { powerId principal representative allMeetings meeting { id } documentHash } }`);
      return powerOfAttorneys.length ? powerOfAttorneys : undefined;
    });
    expect(powers[0].principal.toLowerCase()).to.equal(popova!.toLowerCase());
    expect(powers[0].representative.toLowerCase()).to.equal(sokolov!.toLowerCase());
    expect(powers[0].allMeetings).to.equal(false);
    expect(powers[0].meeting.id).to.equal(meetingId);

    const rep = await personPage(browser);
    await signIn(rep.page, stack.web.url, "sokolov.dmitry");
    await rep.page.goto(`${stack.web.url}/#/meeting/${meetingId}?for=${popova}`);
    await rep.page.waitForSelector("#ballot-form");
    expect((await rep.page.getAttribute("#ballot-form", "data-voter"))!.toLowerCase()).to.equal(popova!.toLowerCase());
    await rep.page.check("input[name=q0][data-choice=For]");
    await rep.page.check("input[name=q1][data-choice=Against]");
    await rep.page.click("#vote-button");
    await rep.page.click("#confirm-vote");
    await rep.page.waitForSelector("#receipt-status[data-status=confirmed]", { timeout: 120_000 });
    expect((await rep.page.locator("#receipt-representative").innerText()).toLowerCase()).to.equal(sokolov!.toLowerCase());
    expect(rep.messages).to.deep.equal([]);
    await rep.page.context().close();
  });

  it("shows the screen to nobody but the meeting's officers, and fits a phone", async function () {
    const other = await personPage(browser);
    await signIn(other.page, stack.web.url, "ivanova.anna");
    await other.page.goto(`${stack.web.url}/#/meeting/${meetingId}`);
    await other.page.waitForSelector("#agenda");
    expect(await other.page.locator("#admin-link").count()).to.equal(0);
    await other.page.goto(`${stack.web.url}/#/admin/${meetingId}`);
    await other.page.waitForSelector("#admin-only");
    await other.page.context().close();

    const phone = await personPage(browser, PHONE);
    await signIn(phone.page, stack.web.url, "smirnova.olga");
    await phone.page.goto(`${stack.web.url}/#/admin/${meetingId}`);
    await phone.page.waitForSelector("#not-voted tbody tr");
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(PHONE.width);
    await shoot(phone.page, "admin-phone");
    // the proof of notice, downloaded by the administrator: every delivery of the meeting's notices
    const [download] = await Promise.all([phone.page.waitForEvent("download"), phone.page.click("#delivery-csv")]);
    const csv = await readFile((await download.path())!, "utf8");
    const [header, ...rows] = csv.trim().split(/\r?\n/);
    expect(header).to.contain("channel").and.contain("destination").and.contain("outcome");
    expect(rows.length).to.be.greaterThan(0);
    expect(csv).to.contain("anna.ivanova@example.org");
    expect(rows.every((r) => r.includes(`,${meetingId},`) || r.includes(`"${meetingId}"`))).to.equal(true);
    expect(phone.messages).to.deep.equal([]);
    await phone.page.context().close();
  });
});
