/**
 * Arranging a meeting on the page, against the whole system (stack.ts) in real headless Chromium:
 * the registrar imports a building from its register file; an owner arranges a general meeting with
 * typed questions and a PDF attachment, whose dates the page checks against the deployment's legal
 * minimums before anything is stored or signed; the notice is previewed; the texts, the attachment
 * and the notice land in the document store under the hashes the chain records; custody signs the
 * announcement and the relayer submits it gas-free; the page follows it to the announced meeting.
 * A second announcement the hall refuses is explained in Russian, and a resident who owns nothing is
 * told they cannot arrange one.
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

/** A datetime-local input's value for a time, in the browser's (this machine's) time zone. */
const local = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}T${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;

const WORDINGS = ["Установить шлагбаум на въезде во двор", "Утвердить смету ремонта кровли на 2027 год"];

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

async function documentCount(stack: Stack): Promise<number> {
  return ((await (await fetch(`${stack.documents.url}/v1/health`)).json()) as { documents: number }).documents;
}

/** Picks the question type with this code in the n-th question editor, and writes its wording. */
async function fillQuestion(page: Page, n: number, code: string, wording: string) {
  const editor = page.locator("[data-question-editor]").nth(n);
  const value = await editor.locator(`select.question-type option[data-code="${code}"]`).getAttribute("value");
  await editor.locator("select.question-type").selectOption(value!);
  await editor.locator("textarea.wording").fill(wording);
}

describe("arranging a meeting on the page", function () {
  this.timeout(600_000);
  let stack: Stack;
  let browser: Browser;
  let owner: { page: Page; messages: string[] };
  let meetingId = "";
  let pdf: Buffer;
  let pdfFile: string;

  before(async function () {
    stack = await startStack();
    await importRegister(stack, await readFile(path.join(PROJECT_ROOT, "registrar", "examples", "building.csv"), "utf8"));
    await stack.indexed();
    browser = await launch();
    owner = await personPage(browser);
    pdf = await pdfBytes("Smeta remonta krovli 2027");
    pdfFile = path.join(stack.dir, "smeta.pdf");
    await writeFile(pdfFile, pdf);
  });

  after(async function () {
    await browser?.close();
    await stack?.close();
  });

  it("offers an owner the building where they own premises, the legal list of question types and the network's minimums", async function () {
    await signIn(owner.page, stack.web.url, "smirnova.olga");
    await owner.page.goto(`${stack.web.url}/#/arrange`);
    await owner.page.waitForSelector("#arrange-form");
    expect(await owner.page.locator("#arrange-building option").count()).to.equal(1);
    const codes = await owner.page.locator("[data-question-editor] select.question-type option[data-code]").evaluateAll((os) => os.map((o) => o.getAttribute("data-code")));
    expect(codes).to.include.members(["44.2.2", "other"]);
    expect(await owner.page.locator("#arrange-minimums").innerText()).to.contain("20 с").and.contain("1 мин");
    expect(owner.messages).to.deep.equal([]);
  });

  it("refuses dates short of the legal notice before anything is stored or signed", async function () {
    const before = await documentCount(stack);
    await fillQuestion(owner.page, 0, "44.2.2", WORDINGS[0]!);
    const now = new Date(Date.now() + 60_000);
    await owner.page.fill("#arrange-start", local(now));
    await owner.page.fill("#arrange-end", local(now)); // a window of nothing: shorter than the minimum
    await owner.page.click("#arrange-preview-button");
    await owner.page.waitForSelector("#arrange-problems li");
    const problems = await owner.page.locator("#arrange-problems").innerText();
    expect(problems).to.match(/уведомить собственников нужно не позднее чем за 20 с/);
    expect(problems).to.match(/Голосование слишком короткое: не меньше 1 мин/);
    expect(await owner.page.locator("#notice-preview").count()).to.equal(0);
    await shoot(owner.page, "arrange");
    expect(await documentCount(stack)).to.equal(before, "nothing was uploaded");
  });

  it("previews the notice as owners will see it, then announces it gas-free and follows it to the meeting", async function () {
    await owner.page.click("#add-question");
    await fillQuestion(owner.page, 1, "other", WORDINGS[1]!);
    await owner.page.locator("[data-question-editor]").nth(1).locator("input.attachments").setInputFiles(pdfFile);
    // the earliest start the notice allows (with a minute for the announcement to reach a block), three minutes of voting
    const start = Math.ceil((Date.now() + 150_000) / 60_000) * 60_000;
    await owner.page.fill("#arrange-start", local(new Date(start)));
    await owner.page.fill("#arrange-end", local(new Date(start + 3 * 60_000)));
    await owner.page.click("#arrange-preview-button");
    await owner.page.waitForSelector("#notice-preview");
    const notice = await owner.page.locator("#notice-preview").innerText();
    expect(notice).to.contain("Сообщение о проведении внеочередного общего собрания собственников");
    for (const w of WORDINGS) expect(notice).to.contain(w);
    expect(notice).to.contain("smeta.pdf");
    expect(await owner.page.locator("#preview-agenda li").evaluateAll((ls) => ls.map((l) => l.getAttribute("data-question-type")))).to.deep.equal(["44.2.2", "other"]);
    await shoot(owner.page, "arrange-preview");

    await owner.page.click("#arrange-sign");
    await owner.page.waitForFunction(() => /^#\/meeting\/\d+$/.test(location.hash), undefined, { timeout: 120_000 });
    meetingId = (await owner.page.evaluate(() => location.hash)).split("/")[2]!;
    await owner.page.waitForSelector("#agenda .question");
    const agenda = await owner.page.locator("#agenda").innerText();
    for (const w of WORDINGS) expect(agenda, "the wordings come from the document store, no restart").to.contain(w);

    const { meeting } = await graphql(
      stack,
      `query ($id: ID!) { meeting(id: $id) { kind meetingType initiator administrator agendaRef votingStart votingEnd announcedBy questions(orderBy: index) { textRef code } } }`,
      { id: meetingId },
    );
    expect(meeting.kind).to.equal("Meeting");
    expect(meeting.meetingType).to.equal("Extraordinary");
    expect(meeting.administrator).to.equal(meeting.initiator, "the initiator administers it by default");
    expect(meeting.questions.map((q: { textRef: string }) => q.textRef)).to.deep.equal(WORDINGS.map((w) => id(w)));
    expect(meeting.questions.map((q: { code: string }) => q.code)).to.deep.equal(["44.2.2", "other"]);
    // the notice under the agendaRef names the attachment, whose bytes are the PDF uploaded
    const stored = await fetch(`${stack.documents.url}/v1/documents/${meeting.agendaRef}`);
    expect(stored.status).to.equal(200);
    const body = Buffer.from(await stored.arrayBuffer());
    expect(keccak256(body)).to.equal(meeting.agendaRef);
    const noticeDoc = JSON.parse(body.toString("utf8"));
    expect(noticeDoc.questions.map((q: { wording: string }) => q.wording)).to.deep.equal(WORDINGS);
    const attachment = noticeDoc.questions[1].attachments[0];
    expect(attachment.name).to.equal("smeta.pdf");
    expect(attachment.document).to.equal(keccak256(pdf));
    const pdfStored = Buffer.from(await (await fetch(`${stack.documents.url}/v1/documents/${attachment.document}`)).arrayBuffer());
    expect(pdfStored.equals(pdf)).to.equal(true);
    // gas-free: the resident's own account sent nothing
    expect(await stack.provider.getTransactionCount(meeting.initiator)).to.equal(0);
    expect(owner.messages).to.deep.equal([]);
  });

  it("explains in Russian an announcement the hall refuses, and signs nothing", async function () {
    await owner.page.goto(`${stack.web.url}/#/arrange`);
    await owner.page.waitForSelector("#arrange-form");
    await fillQuestion(owner.page, 0, "other", "Покрасить скамейки во дворе");
    await owner.page.click("#arrange-preview-button");
    await owner.page.waitForSelector("#arrange-sign");
    await owner.page.click("#arrange-sign");
    const refusal = owner.page.locator("#arrange-refusal");
    await refusal.waitFor({ timeout: 60_000 });
    expect(await refusal.getAttribute("data-code")).to.equal("MeetingHallTooManyOpenMeetings");
    expect(await refusal.innerText()).to.contain("слишком много объявленных и не завершённых собраний");
    const { meetings } = await graphql(stack, `{ meetings { id } }`);
    expect(meetings.map((m: { id: string }) => m.id)).to.deep.equal([meetingId]);
  });

  it("tells a resident who owns nothing that they cannot arrange a meeting", async function () {
    const tenant = await personPage(browser);
    await signIn(tenant.page, stack.web.url, "tenant.karimov");
    await tenant.page.goto(`${stack.web.url}/#/arrange`);
    await tenant.page.waitForSelector("#arrange-refused");
    expect(await tenant.page.locator("#arrange-refused").innerText()).to.contain("не собственник");
    await tenant.page.context().close();
  });

  it("fits a phone and reads in English", async function () {
    const phone = await personPage(browser, PHONE);
    await signIn(phone.page, stack.web.url, "ivanova.anna");
    await phone.page.evaluate(() => localStorage.setItem("dh-lang", "en"));
    await phone.page.goto(`${stack.web.url}/#/arrange`);
    await phone.page.reload();
    await phone.page.waitForSelector("#arrange-form");
    expect(await phone.page.locator("h1").innerText()).to.equal("Arrange a meeting or a poll");
    await fillQuestion(phone.page, 0, "44.2.2", "Install a barrier at the courtyard entrance");
    const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, "nothing wider than the phone's screen").to.be.at.most(PHONE.width);
    await shoot(phone.page, "arrange-phone");
    await phone.page.click("#arrange-preview-button");
    await phone.page.waitForSelector("#notice-preview");
    expect(await phone.page.locator("#notice-preview").innerText()).to.contain("Notice of");
    await shoot(phone.page, "arrange-preview-phone");
    expect(phone.messages).to.deep.equal([]);
    await phone.page.context().close();
  });
});
