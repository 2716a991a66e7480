/**
 * The browser of the page's end-to-end tests: headless Chromium through playwright-core, a page
 * per person (its own session storage), sign-in through the page's one-time-code form, and the
 * screenshots of a screen on a desktop and a phone (docs/screenshots with UPDATE_SCREENSHOTS=1).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PROJECT_ROOT } from "#lib/deployment.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SHOTS = process.env.UPDATE_SCREENSHOTS ? path.join(PROJECT_ROOT, "docs", "screenshots") : path.join(PROJECT_ROOT, "reports", "screenshots");
export const DESKTOP = { width: 1100, height: 900 };
export const PHONE = { width: 390, height: 844 };

export async function launch(): Promise<Browser> {
  await mkdir(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

/**
 * A page of its own for one person, collecting what the browser reports: console errors and uncaught
 * errors, except Chromium's line for a 404 answer — the page asks the document store for a reference
 * the chain holds (a building's register reference, say) that may have no document, and says so.
 */
export async function personPage(browser: Browser, viewport = DESKTOP): Promise<{ page: Page; messages: string[] }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const messages: string[] = [];
  page.on("console", (m) => m.type() === "error" && !/^Failed to load resource: .* status of 404/.test(m.text()) && messages.push(`console: ${m.text()}`));
  page.on("pageerror", (err) => messages.push(`pageerror: ${err.message}`));
  return { page, messages };
}

/** Signs in through the page's form: the resident id, the code custody reveals in the demo, confirm. */
export async function signIn(page: Page, webUrl: string, residentId: string): Promise<void> {
  await page.goto(`${webUrl}/#/login`);
  await page.fill("#resident-id", residentId);
  await page.click("#request-code");
  await page.waitForSelector("#sign-in", { state: "visible" });
  await page.waitForFunction(() => (document.getElementById("code") as HTMLInputElement | null)?.value !== "");
  await page.click("#sign-in");
  await page.waitForFunction(() => location.hash === "#/");
}

/** The screen as it is now, full length, on the page's own viewport, as `<name>.png`. */
export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
