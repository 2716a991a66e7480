/**
 * The demo as page tests meet it: `npm start` in its own process group on free ports, the URLs it
 * prints, headless Chromium, a resident logged in through the page's one-time code, and the checks
 * every page test makes (no Content-Security-Policy refusal, nothing wider than a phone).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PROJECT_ROOT } from "#lib/deployment.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SHOTS = process.env.UPDATE_SCREENSHOTS ? path.join(PROJECT_ROOT, "docs", "screenshots") : path.join(PROJECT_ROOT, "reports", "screenshots");

export interface DemoUrls {
  web: string;
  graphql: string;
  relayer: string;
  custody: string;
  notifier: string;
  rpc: string;
}

export interface Demo {
  urls: DemoUrls;
  output(): string;
  browser: Browser;
  /** What the browser reported: every console message and uncaught error of the pages opened by `page`. */
  browserMessages: string[];
  page(viewport?: { width: number; height: number }): Promise<Page>;
  stop(): Promise<void>;
}

function processesInGroup(pgid: number): string[] {
  try {
    return execFileSync("ps", ["-o", "pid=,args=", "-g", String(pgid)]).toString().trim().split("\n").filter(Boolean);
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

export async function startDemo(env: Record<string, string> = {}): Promise<Demo> {
  await mkdir(SHOTS, { recursive: true });
  const child: ChildProcess = spawn("npm", ["start"], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DH_RPC_PORT: "0", DH_WEB_PORT: "0", DH_GRAPHQL_PORT: "0", DH_RELAYER_PORT: "0", DH_CUSTODY_PORT: "0", DH_NOTIFIER_PORT: "0", ...env },
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const kill = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const started = Date.now();
  while (!/Press Ctrl-C to stop/.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - started > 300_000) {
      kill();
      throw new Error(`npm start printed no URLs in 5 minutes:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const pick = (label: string) => {
    const m = new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+\\S*)`).exec(output);
    if (!m) throw new Error(`no ${label} URL in:\n${output}`);
    return m[1]!.replace(/\/v1$/, "");
  };
  const urls = { web: pick("Web page"), graphql: pick("GraphQL"), relayer: pick("Relayer API"), custody: pick("Custodial wallet"), notifier: pick("Notifier"), rpc: pick("JSON-RPC") };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  const browserMessages: string[] = [];
  return {
    urls,
    output: () => output,
    browser,
    browserMessages,
    async page(viewport = { width: 1100, height: 900 }) {
      const page = await browser.newPage({ viewport, deviceScaleFactor: viewport.width < 600 ? 2 : 1 });
      page.on("console", (m) => browserMessages.push(`${m.type()}: ${m.text()}`));
      page.on("pageerror", (err) => browserMessages.push(`pageerror: ${err.message}`));
      return page;
    },
    async stop() {
      await browser.close().catch(() => undefined);
      const pgid = child.pid!;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        process.kill(-pgid, "SIGINT");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      }
      const deadline = Date.now() + 15_000;
      while (processesInGroup(pgid).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (processesInGroup(pgid).length) kill();
    },
  };
}

/** Logs `residentId` in through the page's one-time code (the demo shows the code on the page). */
export async function logIn(page: Page, web: string, residentId: string): Promise<void> {
  await page.goto(`${web}/#/login`);
  await page.fill("#resident-id", residentId);
  await page.click("#request-code");
  await page.waitForSelector("#code:visible");
  await page.click("#sign-in");
  await page.waitForFunction((id) => document.getElementById("who")?.textContent?.includes(id), residentId);
}

/** The elements that stick out of the page's width, named (empty when it fits). */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("body *"))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}: ${(el.textContent ?? "").trim().slice(0, 40)}`),
  );
}

/** The browser's messages that tell of a Content-Security-Policy refusal. */
export const cspRefusals = (messages: string[]) => messages.filter((m) => /Content Security Policy|Refused to/i.test(m));
