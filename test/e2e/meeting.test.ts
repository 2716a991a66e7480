/**
 * A general meeting from the register to the signed protocol, as its people live it on the page, in
 * real headless Chromium against the whole system (stack.ts, the deployment's parameters of seconds
 * so that its notice and window pass within the test):
 *
 * a registrar imports a 300-premises building from its CSV on the import screen; an owner arranges a
 * meeting of 5 questions with a PDF attachment; the notices arrive in the mail capture; the owner,
 * its administrator, records a power of attorney; owners vote through the page, one through the
 * representative, one on paper entered by the administrator; the window closes; the keeper
 * finalizes and files the protocol; an owner downloads it from the meeting's page; its PDF and XML,
 * parsed back, carry the figures of `npm run audit -- recount`; `npm run audit -- protocol --verify`
 * accepts both files and refuses them with one byte changed.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import PDFDocument from "pdfkit";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { id } from "ethers";
import type { Browser, Page } from "playwright-core";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { squareMetres } from "#lib/protocol/format.js";
import { startStack, type Stack } from "./stack.js";
import { PHONE, launch, personPage, shoot, signIn } from "./browser.js";

const PREMISES = 300;
const BUILDING = "77:01:0005001:300";
/** A premises' cadastral number in the building's quarter. */
const premisesCadastral = (n: number) => `77:01:0005001:${10000 + n}`;
const ADDRESS = "г. Москва, ул. Садовая, д. 300";
const person = (n: number) => `p${String(n).padStart(3, "0")}`;
/** Everyone's name, as the register gives it (the protocol's annex names them). */
const nameOf = (n: number) => `Собственникова ${String(n).padStart(3, "0")} Ивановна`;
/** Owners with an e-mail address: the notices go to them through the mail capture. */
const WITH_EMAIL = 12;

/** The register file of a 300-premises building: one owner a flat, areas from 30 to 99 m². */
function registerCsv(): string {
  const rows = ["record,building,address,premises,entrance,kind,area,cadastral,person,name,identity,email,phone,language,share,ownership,group,title,role"];
  rows.push(`building,${BUILDING},"${ADDRESS}",,,,,,,,,,,,,,,,`);
  for (let n = 1; n <= PREMISES; n++) {
    const email = n <= WITH_EMAIL ? `${person(n)}@example.org` : "";
    rows.push(`person,,,,,,,,${person(n)},${nameOf(n)},"паспорт 45 ${String(n % 100).padStart(2, "0")} ${String(100000 + n)}",${email},,ru,,,,,`);
  }
  for (let n = 1; n <= PREMISES; n++) {
    const area = `${30 + ((n * 37) % 70)}.${String((n * 13) % 100).padStart(2, "0")}`;
    rows.push(`premises,${BUILDING},,${n},${1 + ((n - 1) % 10)},residential,${area},${premisesCadastral(n)},,,,,,,,,,,`);
  }
  for (let n = 1; n <= PREMISES; n++) rows.push(`owner,${BUILDING},,${n},,,,,${person(n)},,,,,,1,sole,,${premisesCadastral(n)}-77/001/2024-${n},`);
  return rows.join("\n") + "\n";
}

const QUESTIONS: Array<{ code: string; text: string }> = [
  { code: "44.2.2", text: "Установить шлагбаум на въезде во двор" },
  { code: "other", text: "Утвердить смету ремонта кровли на 2027 год" },
  { code: "other", text: "Заменить почтовые ящики в подъездах" },
  { code: "other", text: "Установить камеры видеонаблюдения у входов" },
  { code: "other", text: "Нанять консьержа в первый подъезд" },
];

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

async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdf = await getDocument({ data: new Uint8Array(bytes) }).promise;
  let text = "";
  for (let p = 1; p <= pdf.numPages; p++) {
    const content = await (await pdf.getPage(p)).getTextContent();
    text += content.items.map((i) => ("str" in i ? i.str : "")).join(" ") + "\n";
  }
  return text;
}

async function graphql(stack: Stack, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(stack.graphqlUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `npm run audit -- …` against the stack's chain and deployment record. */
function audit(stack: Stack, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--import", "tsx", path.join(PROJECT_ROOT, "scripts", "audit.ts"), ...args, "--rpc", stack.chain.url, "--deployment", stack.deploymentFile],
      { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const local = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

/** Waits for a form's status to end (done, or refused with a code) and returns what it says. */
async function outcome(page: Page, status: string): Promise<{ state: string | null; text: string }> {
  await page.waitForSelector(`${status}[data-state=done], ${status}[data-code]`, { timeout: 120_000 });
  return { state: await page.locator(status).getAttribute("data-state"), text: await page.locator(status).innerText() };
}

/** Votes on the meeting's page as the signed-in resident (or for `forPrincipal`): answers by question, confirmed, receipt followed. */
async function vote(page: Page, webUrl: string, meetingId: string, answers: string[], forPrincipal?: string) {
  await page.goto(`${webUrl}/#/meeting/${meetingId}${forPrincipal ? `?for=${forPrincipal}` : ""}`);
  await page.waitForSelector("#ballot-form", { timeout: 60_000 });
  for (const [q, a] of answers.entries()) await page.check(`input[name=q${q}][data-choice=${a}]`);
  await page.click("#vote-button");
  await page.click("#confirm-vote");
  await page.waitForSelector("#receipt-status[data-status=confirmed]", { timeout: 120_000 });
}

describe("a meeting from the register to its signed protocol, on the page", function () {
  this.timeout(1_200_000);
  let stack: Stack;
  let browser: Browser;
  const started = Date.now();
  let meetingId = "";
  const addresses = new Map<number, string>();
  let attachment: Buffer;
  const files: Record<string, string> = {};

  before(async function () {
    stack = await startStack();
    browser = await launch();
    attachment = await pdfBytes("Smeta remonta krovli 2027: 1 250 000 rub.");
    await writeFile(path.join(stack.dir, "register.csv"), registerCsv());
    await writeFile(path.join(stack.dir, "smeta-krovlya.pdf"), attachment);
    await writeFile(path.join(stack.dir, "doverennost.pdf"), await pdfBytes("Doverennost p010 -> p011"));
    await writeFile(path.join(stack.dir, "reshenie-p020.pdf"), await pdfBytes("Reshenie sobstvennika p020"));
  });

  after(async function () {
    await browser?.close();
    await stack?.close();
    console.log(`      (the whole story took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  });

  it("the registrar imports the 300-premises building from its CSV on the import screen", async function () {
    const { page, messages } = await personPage(browser);
    await page.goto(`${stack.web.url}/#/import`);
    await page.waitForSelector("#import-form");
    await page.fill("#registrar-token", stack.registrarToken);
    await page.setInputFiles("#register-file", path.join(stack.dir, "register.csv"));
    await page.click("#dry-run");
    await page.waitForSelector("#plan[data-empty=false]", { timeout: 60_000 });
    await page.click("#apply-import");
    await page.waitForSelector("#import-progress[data-status=done]", { timeout: 300_000 });
    await stack.indexed();
    const { buildings } = await graphql(stack, `{ buildings { buildingId premisesCount } }`);
    expect(buildings).to.have.length(1);
    expect(Number(buildings[0].premisesCount)).to.equal(PREMISES);
    expect(messages).to.deep.equal([]);
    await page.context().close();
  });

  it("an owner arranges a meeting of 5 questions with a PDF attachment, announced gas-free", async function () {
    const { page, messages } = await personPage(browser);
    await signIn(page, stack.web.url, person(1));
    await page.goto(`${stack.web.url}/#/arrange`);
    await page.waitForSelector("#arrange-form");
    for (let i = 1; i < QUESTIONS.length; i++) await page.click("#add-question");
    for (const [i, q] of QUESTIONS.entries()) {
      const editor = page.locator("[data-question-editor]").nth(i);
      const value = await editor.locator(`select.question-type option[data-code="${q.code}"]`).first().getAttribute("value");
      await editor.locator("select.question-type").selectOption(value!);
      await editor.locator("textarea.wording").fill(q.text);
    }
    await page.locator("[data-question-editor]").nth(1).locator("input.attachments").setInputFiles(path.join(stack.dir, "smeta-krovlya.pdf"));
    // the earliest minute the notice allows, then four minutes of voting
    const start = Math.ceil((Date.now() + 100_000) / 60_000) * 60_000;
    await page.fill("#arrange-start", local(start));
    await page.fill("#arrange-end", local(start + 4 * 60_000));
    await page.click("#arrange-preview-button");
    await page.waitForSelector("#notice-preview");
    await page.click("#arrange-sign");
    await page.waitForFunction(() => /^#\/meeting\/\d+$/.test(location.hash), undefined, { timeout: 120_000 });
    meetingId = (await page.evaluate(() => location.hash)).split("/")[2]!;
    const { meeting } = await graphql(stack, `query ($id: ID!) { meeting(id: $id) { questionCount questions(orderBy: index) { textRef } } }`, { id: meetingId });
    expect(meeting.questionCount).to.equal(5);
    expect(meeting.questions.map((q: { textRef: string }) => q.textRef)).to.deep.equal(QUESTIONS.map((q) => id(q.text)));
    expect(messages).to.deep.equal([]);
    await page.context().close();
  });

  it("sends the notices, which arrive in the mail capture", async function () {
    // a question is named by its wording where the notifier has it, else by the hash the chain records
    const names = (q: { text: string }) => [q.text, id(q.text)];
    const messages = await until("a notice to every owner with an e-mail", async () => {
      const all = stack.mail.messages.filter((m) => names(QUESTIONS[0]!).some((n) => m.text.includes(n)));
      const to = new Set(all.flatMap((m) => m.to));
      return to.size >= WITH_EMAIL ? all : undefined;
    });
    const to = new Set(messages.flatMap((m) => m.to));
    for (let n = 1; n <= WITH_EMAIL; n++) expect(to.has(`${person(n)}@example.org`), person(n)).to.equal(true);
    const one = messages.find((m) => m.to.includes("p005@example.org"))!;
    for (const q of QUESTIONS) expect(names(q).some((n) => one.text.includes(n)), q.text).to.equal(true);
  });

  it("the administrator records a power of attorney for the meeting before it opens", async function () {
    const { page, messages } = await personPage(browser);
    await signIn(page, stack.web.url, person(1));
    await page.goto(`${stack.web.url}/#/admin/${meetingId}`);
    await page.waitForSelector("#not-voted tbody tr");
    for (const n of [2, 3, 4, 5, 6, 10, 11, 20]) {
      addresses.set(n, (await page.locator(`#not-voted tr[data-person="${person(n)}"]`).getAttribute("data-address"))!);
    }
    expect(await page.locator("#not-voted tbody tr").count()).to.equal(PREMISES);
    await page.selectOption("#power-principal", addresses.get(10)!);
    await page.fill("#power-representative", addresses.get(11)!);
    await page.setInputFiles("#power-document", path.join(stack.dir, "doverennost.pdf"));
    await page.click("#power-submit");
    const recorded = await outcome(page, "#power-status");
    expect(recorded.state, recorded.text).to.equal("done");
    expect(messages).to.deep.equal([]);
    await page.context().close();
  });

  it("owners vote through the page, one through the representative, one on paper entered by the administrator", async function () {
    const { meeting } = await graphql(stack, `query ($id: ID!) { meeting(id: $id) { votingStart votingEnd } }`, { id: meetingId });
    const voters = await Promise.all([2, 3, 4, 5, 6, 11].map(async (n) => ({ n, ...(await personPage(browser)) })));
    for (const v of voters) await signIn(v.page, stack.web.url, person(v.n));
    await until("voting open", async () => (await stack.provider.getBlock("latest"))!.timestamp >= Number(meeting.votingStart), 300_000);
    const answers: Record<number, string[]> = {
      2: ["For", "For", "For", "Against", "For"],
      3: ["For", "Against", "Abstain", "For", "For"],
      4: ["Against", "For", "For", "For", "Abstain"],
      5: ["For", "For", "Against", "Against", "For"],
      6: ["For", "For", "For", "For", "For"],
    };
    for (const v of voters.filter((x) => x.n !== 11)) await vote(v.page, stack.web.url, meetingId, answers[v.n]!);
    const rep = voters.find((x) => x.n === 11)!;
    await vote(rep.page, stack.web.url, meetingId, ["Against", "Against", "For", "For", "Abstain"], addresses.get(10));
    expect((await rep.page.locator("#receipt-representative").innerText()).toLowerCase()).to.equal(addresses.get(11)!.toLowerCase());
    for (const v of voters) {
      expect(v.messages, person(v.n)).to.deep.equal([]);
      await v.page.context().close();
    }

    const { page, messages } = await personPage(browser);
    await signIn(page, stack.web.url, person(1));
    await page.goto(`${stack.web.url}/#/admin/${meetingId}`);
    await page.waitForSelector("#paper-form");
    await page.selectOption("#paper-voter", addresses.get(20)!);
    for (const [q, a] of ["For", "Against", "void", "For", "unanswered"].entries()) await page.check(`[data-paper-question="${q}"] input[data-answer=${a}]`);
    await page.setInputFiles("#paper-scan", path.join(stack.dir, "reshenie-p020.pdf"));
    await page.click("#paper-submit");
    const entered = await outcome(page, "#paper-status");
    expect(entered.state, entered.text).to.equal("done");
    expect(messages).to.deep.equal([]);
    await page.context().close();

    const { ballots } = await graphql(stack, `query ($m: String!) { ballots(where: { meeting: $m }) { form representative } }`, { m: meetingId });
    expect(ballots).to.have.length(7);
    expect(ballots.filter((b: { form: string }) => b.form === "Paper")).to.have.length(1);
    expect(ballots.filter((b: { representative: string | null }) => b.representative)).to.have.length(1);
  });

  it("the window closes, the keeper finalizes and files the protocol, and an owner downloads it from the meeting's page", async function () {
    await until("the meeting finalized", async () => (await graphql(stack, `query ($id: ID!) { meeting(id: $id) { status } }`, { id: meetingId })).meeting.status === "Finalized", 600_000);
    const { page, messages } = await personPage(browser);
    await signIn(page, stack.web.url, person(2));
    await until("the protocol filed", async () => (await fetch(`${stack.keeper.url}/v1/meetings/${meetingId}/protocol`)).ok, 180_000);
    await page.goto(`${stack.web.url}/#/meeting/${meetingId}`);
    await page.waitForSelector("#protocol #protocol-pdf", { timeout: 60_000 });
    for (const [key, selector] of [["pdf", "#protocol-pdf"], ["xml", "#protocol-xml"]] as const) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
      files[key] = path.join(stack.dir, `protocol-${meetingId}.${key}`);
      await download.saveAs(files[key]!);
    }
    await shoot(page, "meeting-protocol");
    expect(messages).to.deep.equal([]);
    await page.context().close();
  });

  it("the protocol's PDF and XML carry the figures of the audit's recount", async function () {
    const run = await audit(stack, ["recount", meetingId, "--json"]);
    expect(run.code, run.stderr).to.equal(0);
    const recount = JSON.parse(run.stdout) as { totalWeight: string; participatingWeight: string; questions: Array<{ forWeight: string; againstWeight: string; abstainWeight: string }> };
    const xml = await readFile(files.xml!, "utf8");
    const text = await pdfText(await readFile(files.pdf!));
    expect(text).to.contain(ADDRESS);
    expect(text).to.contain(squareMetres(BigInt(recount.totalWeight)));
    expect(text).to.contain(squareMetres(BigInt(recount.participatingWeight)));
    const blocks = [...xml.matchAll(/<Question\b[\s\S]*?<\/Question>/g)].map((m) => m[0]);
    expect(blocks).to.have.length(5);
    recount.questions.forEach((q, i) => {
      for (const [tag, weight] of [["For", q.forWeight], ["Against", q.againstWeight], ["Abstain", q.abstainWeight]] as const) {
        const m = new RegExp(`<${tag} weight="(\\d+)" amount="([0-9.]+)"`).exec(blocks[i]!);
        expect(m, `question ${i + 1} ${tag} in the XML`).to.not.equal(null);
        expect(m![1], `question ${i + 1} ${tag}`).to.equal(weight);
        expect(m![2]).to.equal(squareMetres(BigInt(weight)));
        expect(text, `question ${i + 1} ${tag} in the PDF`).to.contain(squareMetres(BigInt(weight)));
      }
      expect(blocks[i]).to.contain(QUESTIONS[i]!.text);
    });
  });

  it("`audit protocol --verify` accepts both files' signatures and figures, and refuses a file with one byte changed", async function () {
    const { documents: d } = (await (await fetch(`${stack.keeper.url}/v1/meetings/${meetingId}/protocol`)).json()) as { documents: Record<string, { id: string }> };
    const fetchDoc = async (docId: string) => Buffer.from(await (await fetch(`${stack.documents.url}/v1/documents/${docId}`)).arrayBuffer());
    const jwks = path.join(stack.dir, "operator-jwks.json");
    await writeFile(jwks, await fetchDoc(d.jwks!.id));
    for (const [key, sig] of [["xml", "xmlSignature"], ["pdf", "pdfSignature"]] as const) {
      const signature = path.join(stack.dir, `protocol.${key}.jws`);
      await writeFile(signature, await fetchDoc(d[sig]!.id));
      const ok = await audit(stack, ["protocol", "--verify", files[key]!, "--signature", signature, "--jwks", jwks]);
      expect(ok.code, `${key}: ${ok.stdout}${ok.stderr}`).to.equal(0);
      const bytes = await readFile(files[key]!);
      bytes[Math.floor(bytes.length / 2)] ^= 0x01;
      const changed = path.join(stack.dir, `changed.${key}`);
      await writeFile(changed, bytes);
      const bad = await audit(stack, ["protocol", "--verify", changed, "--signature", signature, "--jwks", jwks]);
      expect(bad.code, `${key} with a byte changed: ${bad.stdout}${bad.stderr}`).to.not.equal(0);
    }
  });

  it("shows the finished meeting's results on a phone", async function () {
    const { page, messages } = await personPage(browser, PHONE);
    await page.goto(`${stack.web.url}/#/results/${meetingId}`);
    await page.waitForSelector("#questions [data-question]");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(PHONE.width);
    await shoot(page, "meeting-results-phone");
    expect(messages).to.deep.equal([]);
    await page.context().close();
  });
});
