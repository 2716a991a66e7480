/**
 * The notice budget against real pieces (a chain, an SMTP capture, an SMS gateway): an owner who
 * announces meeting after meeting cannot make the city send unlimited e-mail and paid SMS. Past the
 * budget of its initiator in its building, a meeting's e-mail and SMS are held and logged, its legal
 * notice still reaches every owner's feed, and the registrar can release what was held.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Wallet } from "ethers";
import { createLogger } from "#lib/log.js";
import { QUESTION_SETS, announce, registerBuilding, type Building } from "../../dev/scenario.js";
import { loadConfig } from "../src/config.js";
import { startMailCapture, type MailCapture } from "../src/mail-capture.js";
import { startNotifier, type RunningNotifier } from "../src/service.js";
import {
  REGISTRAR_TOKEN,
  get,
  notifierEnv,
  owningWallets,
  register,
  startIdentityProvider,
  startSmsGateway,
  startWorld,
  until,
  type IdentityProvider,
  type SmsGateway,
  type TestWorld,
} from "./helpers.js";

const BUDGET = 2;

let t: TestWorld;
let mail: MailCapture;
let sms: SmsGateway;
let idp: IdentityProvider;
let notifier: RunningNotifier;
let building: Building;
let other: Building;
let owners: Wallet[];
const lines: Array<Record<string, unknown>> = [];
const email = (w: Wallet) => `${w.address.slice(2, 10).toLowerCase()}@example.org`;
const phone = (i: number) => `+7916100${String(i).padStart(4, "0")}`;

before(async () => {
  t = await startWorld();
  mail = await startMailCapture();
  sms = await startSmsGateway();
  idp = await startIdentityProvider();
  building = await registerBuilding(t.world, 51, 8, 4);
  other = await registerBuilding(t.world, 52, 4, 3);
  owners = await owningWallets(t.world, building.buildingId, building.owners);
  const config = loadConfig(
    notifierEnv(t, {
      NOTIFIER_DB_PATH: path.join(t.dir, "budget.sqlite"),
      NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
      NOTIFIER_SMS_WEBHOOK_URL: sms.url,
      NOTIFIER_JWKS_URL: idp.jwksUrl,
      NOTIFIER_REMINDER_BEFORE_SECONDS: "0",
      NOTIFIER_NOTICE_BUDGET: String(BUDGET),
      NOTIFIER_NOTICE_BUDGET_PERIOD_SECONDS: "86400",
    }),
  );
  notifier = await startNotifier(config, { deployment: t.world.deployment, logger: createLogger("info", {}, (l) => lines.push(JSON.parse(l))) });
  for (const [i, w] of owners.entries()) await register(notifier.url, `owner-${i}`, { address: w.address, email: email(w), phone: phone(i) });
});

after(async () => {
  await notifier?.stop();
  await mail?.stop();
  await sms?.close();
  await idp?.close();
  await t?.close();
});

const notice = (meetingId: bigint) => `meeting-${meetingId}-announced`;
const mailsOf = (meetingId: bigint) => mail.messages.filter((m) => m.headers["x-digital-home-notice"] === notice(meetingId));
const smsOf = (meetingId: bigint) => sms.received.filter((s) => s.reference.includes(notice(meetingId)));
const outbox = async () => (await get(`${notifier.url}/v1/health`)).json.outbox as Record<string, number>;

describe("the notice budget", () => {
  let meetings: bigint[];

  it("sends e-mail and SMS for an initiator's meetings up to the budget, holds the rest and says so, and puts every notice in the feed", async () => {
    meetings = [];
    for (let i = 0; i < BUDGET + 2; i++) meetings.push((await announce(t.world, building.buildingId, QUESTION_SETS.courtyard, { delay: 600, window: 3600 })).meetingId);
    const token = await idp.token("owner-0");
    await until("every notice in the feed", async () => {
      const feed = (await get(`${notifier.url}/v1/feed`, token)).json.entries as Array<{ noticeId: string }>;
      return meetings.every((m) => feed.some((e) => e.noticeId === notice(m))) ? true : undefined;
    });
    await until("the e-mail within the budget", () => (meetings.slice(0, BUDGET).every((m) => mailsOf(m).length === owners.length && smsOf(m).length === owners.length) ? true : undefined));
    await until("the outbox to settle", async () => ((await outbox()).pending ? undefined : true));
    for (const m of meetings.slice(BUDGET)) {
      assert.equal(mailsOf(m).length, 0, `no e-mail for meeting ${m}`);
      assert.equal(smsOf(m).length, 0, `no SMS for meeting ${m}`);
    }
    assert.equal((await outbox()).held, 2 * 2 * owners.length, "e-mail and SMS to every owner, for two meetings, held");
    const warned = lines.filter((l) => l.level === "warn" && String(l.msg).startsWith("notice budget exceeded")).map((l) => String(l.meetingId));
    assert.deepEqual(warned, meetings.slice(BUDGET).map(String));
  });

  it("counts each building on its own", async () => {
    const elsewhere = (await announce(t.world, other.buildingId, QUESTION_SETS.courtyard, { delay: 600, window: 3600 })).meetingId;
    const there = await owningWallets(t.world, other.buildingId, other.owners);
    for (const [i, w] of there.entries()) await register(notifier.url, `other-${i}`, { address: w.address, email: email(w) });
    await until("the notice in the other building", () => (mailsOf(elsewhere).length > 0 ? true : undefined));
  });

  it("sends what was held once the registrar releases it", async () => {
    const held = meetings[BUDGET]!;
    const refused = await fetch(`${notifier.url}/v1/meetings/${held}/release-held`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(refused.status, 401);
    const r = await fetch(`${notifier.url}/v1/meetings/${held}/release-held`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${REGISTRAR_TOKEN}` }, body: "{}" });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { meetingId: held.toString(), released: 2 * owners.length });
    await until("the released e-mail and SMS", () => (mailsOf(held).length === owners.length && smsOf(held).length === owners.length ? true : undefined));
    assert.equal(mailsOf(meetings[BUDGET + 1]!).length, 0, "the other held meeting stays held");
    const unknown = await fetch(`${notifier.url}/v1/meetings/999/release-held`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${REGISTRAR_TOKEN}` }, body: "{}" });
    assert.equal(unknown.status, 404);
  });
});
