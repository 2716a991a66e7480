/**
 * The page's own screens of a resident, an auditor and a registrar, in headless Chromium against
 * `npm start`: what each shows is checked against what the services and the chain's index say.
 */
import { expect } from "chai";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger } from "#lib/log.js";
import { writeOperatorRecord } from "#lib/protocol/operator-record.js";
import { LocalKeySigner } from "#lib/protocol/signer.js";
import { startWebServer } from "../../web/src/server.js";
import { SHARE_UNIT } from "#lib/domain.js";
import { cspRefusals, logIn, overflowing, SHOTS, startDemo, type Demo } from "./demo.js";

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

describe("the page's resident, auditor and registrar screens", function () {
  this.timeout(600_000);
  let demo: Demo;

  before(async function () {
    demo = await startDemo();
  });
  after(async function () {
    await demo?.stop();
  });

  describe("a resident's own screens (#/me)", () => {
    it("asks a visitor who is not logged in to log in, and hides the link", async function () {
      const page = await demo.page();
      await page.goto(`${demo.urls.web}/#/me`);
      await page.waitForSelector("#view a[href='#/login']");
      expect(await page.locator("#nav-me").isHidden()).to.equal(true);
      await page.close();
    });

    it("shows an owner's premises alone and jointly, with the votes the chain's index counts for each", async function () {
      const page = await demo.page();
      await logIn(page, demo.urls.web, "ivanova.anna");
      expect(await page.locator("#nav-me").isVisible()).to.equal(true);
      await page.click("#nav-me");
      await page.waitForSelector("[data-building] [data-ownership]");
      const address = await page.evaluate(() => JSON.parse(sessionStorage.getItem("dh-session")!).address.toLowerCase());
      const { members } = await graphql(
        demo.urls.graphql,
        `query ($a: Bytes!) { members(where: { account: $a }) { building { id } weight jointWeight holdings { weight premises { premisesId } } jointGroups { holdings { weight premises { premisesId } } } } }`,
        { a: address },
      );
      expect(members.length).to.be.greaterThan(0);
      for (const member of members) {
        const card = page.locator(`[data-building='${member.building.id}']`);
        for (const holding of member.holdings) {
          expect(await card.locator(`tr[data-premises='${holding.premises.premisesId}'] td[data-weight]`).getAttribute("data-weight")).to.equal(holding.weight);
        }
        for (const g of member.jointGroups) {
          for (const holding of g.holdings) {
            const row = card.locator(`tr[data-premises='${holding.premises.premisesId}']`);
            expect(await row.getAttribute("data-ownership")).to.equal("joint");
            expect(await row.locator("td[data-weight]").getAttribute("data-weight")).to.equal(holding.weight);
          }
        }
        // the votes in square metres, rounded to 0.01: weight / (SHARE_UNIT × 100)
        const m2 = (w: bigint) => {
          const hundredths = (w + SHARE_UNIT / 2n) / SHARE_UNIT;
          return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, "0")}`;
        };
        const own = BigInt(member.weight);
        const joint = BigInt(member.jointWeight);
        expect(joint > 0n, "the demo's spouses hold a flat jointly").to.equal(true);
        expect((await card.locator("[data-votes=alone]").innerText()).replace(/\s/g, "")).to.contain(m2(own).replace(/\s/g, ""));
        expect((await card.locator("[data-votes=joint]").innerText()).replace(/\s/g, "")).to.contain(m2(joint));
        expect((await card.locator("[data-votes=total]").innerText()).replace(/\s/g, "")).to.contain(m2(own + joint));
      }
      expect(await page.locator("tr[data-ownership=alone]").count()).to.be.greaterThan(0);
      expect(await page.locator("#my-ballots").innerText()).to.match(/Бюллетеней пока нет/);
      await page.screenshot({ path: path.join(SHOTS, "me.png"), fullPage: true });
      await page.close();
    });

    it("shows an heir's third of a shared flat, and their ballot with the link that checks its receipt", async function () {
      const page = await demo.page();
      await logIn(page, demo.urls.web, "popova.maria");
      await page.goto(`${demo.urls.web}/#/me`);
      await page.waitForSelector("tr[data-ownership=shared]");
      expect(await page.locator("tr[data-ownership=shared] td").nth(2).innerText()).to.equal("33.33 %");
      const ballot = page.locator("#my-ballots li").first();
      await ballot.waitFor();
      const href = (await ballot.locator("a[href^='#/audit?receipt=']").getAttribute("href"))!;
      await ballot.locator("a[href^='#/audit?receipt=']").click();
      await page.waitForSelector("#receipt-result [data-result=counted]");
      expect(page.url()).to.contain(href);
      await page.close();
    });

    it("shows the resident's notices as the notifier's feed holds them", async function () {
      const page = await demo.page();
      await logIn(page, demo.urls.web, "ivanova.anna");
      await page.goto(`${demo.urls.web}/#/me`);
      await page.waitForSelector("#my-notices");
      const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("dh-session")!).token);
      const exchanged = (await (await fetch(`${demo.urls.custody}/v1/auth/exchange`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ audience: "digital-home-notifier" }) })).json()) as { token: string };
      const feed = (await (await fetch(`${demo.urls.notifier}/v1/feed`, { headers: { authorization: `Bearer ${exchanged.token}` } })).json()) as { entries: Array<{ subject: string; meetingId: string }> };
      expect(feed.entries.length, "the demo's open meeting and poll were announced to her").to.be.greaterThan(0);
      const shown = await page.locator("#my-notices li summary strong").allInnerTexts();
      expect(shown).to.deep.equal(feed.entries.map((e) => e.subject));
      await page.locator("#my-notices li summary").first().click();
      expect((await page.locator("#my-notices li .notice-body").first().innerText()).length).to.be.greaterThan(20);
      await page.close();
    });

    it("saves the channels and the language at the notifier, and speaks the chosen language", async function () {
      const page = await demo.page();
      await logIn(page, demo.urls.web, "ivanova.anna");
      await page.goto(`${demo.urls.web}/#/me`);
      await page.waitForSelector("#preferences");
      expect(await page.isChecked("#receive-sms")).to.equal(true);
      await page.uncheck("#receive-sms");
      await page.selectOption("#notice-language", "en");
      await page.click("#save-preferences");
      await page.waitForFunction(() => document.getElementById("nav-me")?.textContent === "Mine");
      await page.waitForFunction(() => document.querySelector("h1")?.textContent === "My premises, votes and notices" && document.getElementById("preferences") !== null);
      expect(await page.isChecked("#receive-sms")).to.equal(false);
      expect(await page.isChecked("#receive-email")).to.equal(true);
      const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("dh-session")!).token);
      const exchanged = (await (await fetch(`${demo.urls.custody}/v1/auth/exchange`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ audience: "digital-home-notifier" }) })).json()) as { token: string };
      const prefs = (await (await fetch(`${demo.urls.notifier}/v1/me/preferences`, { headers: { authorization: `Bearer ${exchanged.token}` } })).json()) as { language: string; optOut: Record<string, boolean> };
      expect(prefs.language).to.equal("en");
      expect(prefs.optOut.sms).to.equal(true);
      expect(prefs.optOut.email ?? false).to.equal(false);
      await page.close();
    });

    it("fits a phone screen", async function () {
      const phone = await demo.page({ width: 390, height: 844 });
      await logIn(phone, demo.urls.web, "ivanova.anna");
      await phone.goto(`${demo.urls.web}/#/me`);
      await phone.waitForSelector("#preferences");
      expect(await overflowing(phone)).to.deep.equal([]);
      await phone.screenshot({ path: path.join(SHOTS, "me-phone.png"), fullPage: true });
      await phone.close();
    });
  });

  describe("the auditor's page and the protocol", () => {
    let dir: string;
    let operatorKey: LocalKeySigner;
    let strangerKey: LocalKeySigner;
    const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Protocol xmlns="urn:digital-home:protocol" version="1" kind="meeting" lang="ru"><Number>1</Number></Protocol>\n');
    const files: Record<string, string> = {};

    before(async function () {
      dir = await mkdtemp(path.join(tmpdir(), "dh-e2e-protocol-"));
      operatorKey = await LocalKeySigner.open(path.join(dir, "keys", "operator.pem"), { create: true });
      strangerKey = await LocalKeySigner.open(path.join(dir, "keys", "stranger.pem"), { create: true });
      const changed = Buffer.from(xml);
      changed[60] ^= 0x01;
      const write = async (name: string, content: string | Buffer) => void (await writeFile((files[name] = path.join(dir, name)), content));
      await write("protocol-1.xml", xml);
      await write("protocol-1.xml.jws", await operatorKey.sign(xml, "application/xml"));
      await write("changed-1.xml", changed);
      await write("stranger-1.xml.jws", await strangerKey.sign(xml, "application/xml"));
      await write("operator.jwks.json", JSON.stringify(operatorKey.publicJwks()));
    });
    after(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it("says on the page exactly what its recount compares, and finds it agrees on the finished meeting", async function () {
      const page = await demo.page();
      await page.goto(`${demo.urls.web}/#/audit/1`);
      await page.waitForSelector("#recount [data-recount=ok]");
      await page.click("#recount-scope summary");
      const scope = await page.locator("#recount-scope").innerText();
      for (const words of ["BallotCast", "MeetingFinalized", "QuestionDecided", "BallotRejected", "npm run audit -- recount", "npm run audit -- protocol --verify"]) expect(scope).to.contain(words);
      await page.screenshot({ path: path.join(SHOTS, "audit-recount.png"), fullPage: true });
      await page.close();
    });

    it("checks a protocol file's signature in the browser against keys the auditor gives it", async function () {
      const page = await demo.page();
      await page.goto(`${demo.urls.web}/#/audit`);
      await page.waitForSelector("#protocol-check");
      const run = async (file: string, signature: string) => {
        await page.setInputFiles("#protocol-file", files[file]!);
        await page.setInputFiles("#protocol-signature", files[signature]!);
        await page.setInputFiles("#protocol-keys", files["operator.jwks.json"]!);
        await page.click("#protocol-check-button");
        const line = page.locator("#protocol-check-result li[data-signature]");
        await line.waitFor();
        return { verdict: await line.getAttribute("data-signature"), code: await line.getAttribute("data-code"), key: await line.getAttribute("data-key"), text: await line.innerText() };
      };
      const valid = await run("protocol-1.xml", "protocol-1.xml.jws");
      expect(valid).to.include({ verdict: "valid", key: operatorKey.keyId });
      await page.screenshot({ path: path.join(SHOTS, "protocol-check.png"), fullPage: true });
      const changed = await run("changed-1.xml", "protocol-1.xml.jws");
      expect(changed).to.include({ verdict: "invalid", code: "signature_mismatch" });
      expect(changed.text).to.contain("файл изменён после подписания");
      expect(await run("protocol-1.xml", "stranger-1.xml.jws")).to.include({ verdict: "invalid", code: "unknown_signing_key" });
      expect(await run("protocol-1.xml", "protocol-1.xml")).to.include({ verdict: "invalid", code: "malformed_signature" });
      await page.close();
    });

    it("checks against the installation's operator record when no keys are given, and refuses a stranger's key there", async function () {
      // a web server of the same services whose operator record names the operator's key
      const record = path.join(dir, "localhost.operator.json");
      await writeOperatorRecord(record, { network: "localhost", chainId: 31337, operator: "ООО «Оператор»", protocolSigner: { format: operatorKey.format, jwks: operatorKey.publicJwks() }, updatedAt: new Date().toISOString() });
      const web = await startWebServer({ graphqlUrl: demo.urls.graphql, custodyUrl: demo.urls.custody, relayerUrl: demo.urls.relayer, operatorRecordFile: record, logger: createLogger("silent") });
      const page = await demo.page();
      try {
        await page.goto(`${web.url}/#/audit`);
        await page.waitForSelector("#protocol-check");
        await page.setInputFiles("#protocol-file", files["protocol-1.xml"]!);
        await page.setInputFiles("#protocol-signature", files["protocol-1.xml.jws"]!);
        await page.click("#protocol-check-button");
        const line = page.locator("#protocol-check-result li[data-signature]");
        await line.waitFor();
        expect(await line.getAttribute("data-signature")).to.equal("valid");
        expect(await line.innerText()).to.contain("ООО «Оператор»");
        await page.setInputFiles("#protocol-signature", files["stranger-1.xml.jws"]!);
        await page.click("#protocol-check-button");
        await page.waitForSelector("#protocol-check-result li[data-code=unknown_signing_key]");
      } finally {
        await page.close();
        await web.close();
      }
    });

    it("fits the auditor's page on a phone, the protocol check's verdict included", async function () {
      const phone = await demo.page({ width: 390, height: 844 });
      await phone.goto(`${demo.urls.web}/#/audit/1`);
      await phone.waitForSelector("#recount [data-recount=ok]");
      await phone.setInputFiles("#protocol-file", files["protocol-1.xml"]!);
      await phone.setInputFiles("#protocol-signature", files["protocol-1.xml.jws"]!);
      await phone.setInputFiles("#protocol-keys", files["operator.jwks.json"]!);
      await phone.click("#protocol-check-button");
      await phone.waitForSelector("#protocol-check-result li[data-signature=valid]");
      expect(await overflowing(phone)).to.deep.equal([]);
      await phone.locator("#protocol-check-card").screenshot({ path: path.join(SHOTS, "protocol-check-phone.png") });
      await phone.close();
    });

    it("shows the protocol card on a meeting's page: pending while voting goes on, once final its files for the building's owners to download and their signatures verified", async function () {
      const page = await demo.page();
      await page.goto(`${demo.urls.web}/#/meeting/2`);
      await page.waitForSelector("#protocol");
      expect(await page.locator("#protocol").innerText()).to.contain("Протокол составляется после подведения итогов");
      // npm start's keeper files the finished meeting's protocol; wait until it has
      const deadline = Date.now() + 120_000;
      let listed: { documents: Record<string, { id: string; name: string }> } | undefined;
      while (!listed) {
        const r = await fetch(`${demo.urls.web}/api/keeper/v1/meetings/1/protocol`);
        if (r.ok) listed = (await r.json()) as typeof listed;
        else if (Date.now() > deadline) throw new Error(`no protocol of meeting 1: ${r.status} ${await r.text()}`);
        else await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // the files are restricted to the building's owners and the meeting's officers: a visitor is told so
      await page.goto(`${demo.urls.web}/#/meeting/1`);
      await page.waitForSelector("#protocol-files a#protocol-pdf");
      await page.click("#protocol-pdf");
      await page.waitForSelector("#protocol-download-error:visible");
      expect(await page.locator("#protocol-download-error").getAttribute("data-code")).to.match(/^(unauthenticated|forbidden|document_restricted)$/);
      // an owner of the finished meeting's building downloads them
      await logIn(page, demo.urls.web, "fedorova.daria");
      await page.goto(`${demo.urls.web}/#/meeting/1`);
      await page.waitForSelector("#protocol-files a#protocol-pdf");
      expect(await page.locator("#protocol-pdf").getAttribute("data-document")).to.equal(listed.documents.pdf!.id);
      const download = page.waitForEvent("download");
      await page.click("#protocol-pdf");
      const file = await download;
      expect(file.suggestedFilename()).to.equal(listed.documents.pdf!.name);
      const bytes = await readFile((await file.path())!);
      expect(bytes.subarray(0, 5).toString("latin1")).to.equal("%PDF-");
      await page.click("#check-protocol");
      await page.waitForFunction(() => document.querySelectorAll("#protocol-signatures li[data-signature]").length === 2, undefined, { timeout: 30_000 });
      expect(await page.locator("#protocol-signatures li[data-signature=valid]").count()).to.equal(2);
      const operator = (await (await fetch(`${demo.urls.web}/api/operator`)).json()) as { protocolSigner: { jwks: { keys: Array<{ kid: string }> } } };
      expect(await page.locator("#protocol-signatures li").first().getAttribute("data-key")).to.equal(operator.protocolSigner.jwks.keys[0]!.kid);
      await page.screenshot({ path: path.join(SHOTS, "protocol-download.png"), fullPage: true });
      await page.close();
    });
  });

  describe("every screen above", () => {
    it("ran under the Content-Security-Policy with nothing refused and no page error", function () {
      expect(cspRefusals(demo.browserMessages)).to.deep.equal([]);
      expect(demo.browserMessages.filter((m) => m.startsWith("pageerror"))).to.deep.equal([]);
    });
  });
});
