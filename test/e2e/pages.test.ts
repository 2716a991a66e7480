/**
 * The page's own screens of a resident, an auditor and a registrar, in headless Chromium against
 * `npm start`: what each shows is checked against what the services and the chain's index say.
 */
import { expect } from "chai";
import path from "node:path";
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

  describe("every screen above", () => {
    it("ran under the Content-Security-Policy with nothing refused and no page error", function () {
      expect(cspRefusals(demo.browserMessages)).to.deep.equal([]);
      expect(demo.browserMessages.filter((m) => m.startsWith("pageerror"))).to.deep.equal([]);
    });
  });
});
