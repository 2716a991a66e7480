/**
 * One-time login codes through the notifier: custody (in one-time-code mode, codes not revealed)
 * hands each code to POST /v1/otp with its service token; the notifier sends it by e-mail into the
 * mail capture and by SMS to a local gateway, by the resident's preferences, answers the same
 * whether or not the resident has contacts, limits codes per resident, refuses another token, and
 * writes the code to no log line, custody's or its own. Custody's lockout still holds.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#lib/log.js";
import { MAX_CODE_ATTEMPTS } from "../../custody/src/auth.js";
import { loadConfig as loadCustodyConfig } from "../../custody/src/config.js";
import { startCustody, type RunningCustody } from "../../custody/src/service.js";
import { loadConfig } from "../src/config.js";
import { startMailCapture, type MailCapture } from "../src/mail-capture.js";
import { startNotifier, type RunningNotifier } from "../src/service.js";
import { notifierEnv, register, startSmsGateway, startWorld, until, type SmsGateway, type TestWorld } from "./helpers.js";

const OTP_TOKEN = "custody-otp-token-for-tests-0123456789";
const CUSTODY_REGISTRAR = "custody-registrar-token-for-tests";

describe("one-time codes through the notifier", () => {
  let t: TestWorld;
  let mail: MailCapture;
  let sms: SmsGateway;
  let notifier: RunningNotifier;
  let custody: RunningCustody;
  const lines: string[] = [];
  const logger = (service: string) => createLogger("debug", { service }, (line) => lines.push(line));

  const startCustodyWith = (token: string, db: string) =>
    startCustody(
      loadCustodyConfig({
        LOG_LEVEL: "debug",
        CUSTODY_PORT: "0",
        CUSTODY_DB_PATH: path.join(t.dir, db),
        CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
        CUSTODY_REGISTRAR_TOKEN: CUSTODY_REGISTRAR,
        CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
        CUSTODY_NOTIFIER_URL: notifier.url,
        CUSTODY_NOTIFIER_TOKEN: token,
      }),
      { deployment: t.world.deployment, logger: logger("custody") },
    );
  const post = async (url: string, body: unknown, authorization?: string) => {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });
    return { status: r.status, headers: r.headers, json: (await r.json()) as any };
  };
  const onboard = (c: RunningCustody, residentId: string) => post(`${c.url}/v1/residents`, { residentId }, `Bearer ${CUSTODY_REGISTRAR}`);
  const askCode = (c: RunningCustody, residentId: string) => post(`${c.url}/v1/auth/code`, { residentId });
  const useCode = (c: RunningCustody, residentId: string, code: string) => post(`${c.url}/v1/auth/token`, { residentId, code });
  const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
  const codeIn = (text: string) => /(?:^|\D)(\d{6})(?:\D|$)/.exec(text)?.[1];

  before(async () => {
    t = await startWorld();
    mail = await startMailCapture();
    sms = await startSmsGateway();
    const config = loadConfig(
      notifierEnv(t, {
        NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
        NOTIFIER_SMS_WEBHOOK_URL: sms.url,
        NOTIFIER_OTP_TOKEN: OTP_TOKEN,
        NOTIFIER_OTP_PER_RESIDENT_PER_HOUR: "4",
        LOG_LEVEL: "debug",
      }),
    );
    notifier = await startNotifier(config, { deployment: t.world.deployment, logger: logger("notifier") });
    custody = await startCustodyWith(OTP_TOKEN, "custody.sqlite");
  });

  after(async () => {
    await custody?.stop();
    await notifier?.stop();
    await sms?.close();
    await mail?.stop();
    await t?.close();
  });

  it("sends custody's code by e-mail and SMS, and the code delivered logs the resident in", async () => {
    const { json: onboarded } = await onboard(custody, "petrov.ivan");
    assert.equal((await register(notifier.url, "petrov.ivan", { address: onboarded.address, language: "en", email: "ivan@example.test", phone: "+7 (900) 123-45-67" })).status, 201);
    const asked = await askCode(custody, "petrov.ivan");
    assert.deepEqual([asked.status, asked.json], [202, { sent: true }], "custody does not reveal the code");
    const email = await until("the code in the mail capture", () => mail.messages.find((m) => m.to.includes("ivan@example.test")));
    const text = await until("the code at the SMS gateway", () => sms.received.find((m) => m.to === "+79001234567"));
    const code = codeIn(email.text);
    assert.ok(code, email.text);
    assert.equal(codeIn(text.text), code, "the same code by both channels");
    assert.match(email.subject, /sign-in code/);
    assert.ok(!email.subject.includes(code), "the code is not in the subject, which mail lists show");
    assert.match(email.text, /valid until/);
    const token = await useCode(custody, "petrov.ivan", code);
    assert.equal(token.status, 200, JSON.stringify(token.json));
    const me = await fetch(`${custody.url}/v1/me`, { headers: { authorization: `Bearer ${token.json.token}` } });
    assert.equal(((await me.json()) as { residentId: string }).residentId, "petrov.ivan");
  });

  it("sends by the channels the resident has not declined, in the resident's language", async () => {
    const { json: onboarded } = await onboard(custody, "sidorova.olga");
    await register(notifier.url, "sidorova.olga", { address: onboarded.address, language: "ru", email: "olga@example.test", phone: "+79007654321", optOut: { sms: true } });
    const smsBefore = sms.received.length;
    assert.equal((await askCode(custody, "sidorova.olga")).status, 202);
    const email = await until("olga's code by e-mail", () => mail.messages.find((m) => m.to.includes("olga@example.test")));
    assert.match(email.text, /Ваш код входа/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sms.received.slice(smsBefore).some((m) => m.to === "+79007654321"), false, "no SMS to a resident who declined them");
  });

  it("answers custody the same whether the resident has contacts, no contacts or is unknown", async () => {
    const { json: noContacts } = await onboard(custody, "no.contacts");
    await register(notifier.url, "no.contacts", { address: noContacts.address, language: "en" });
    const answers = [];
    for (const residentId of ["petrov.ivan", "no.contacts", "never.registered"]) {
      const r = await post(`${notifier.url}/v1/otp`, { residentId, code: "482913", expiresAt: inMinutes(5) }, `Bearer ${OTP_TOKEN}`);
      answers.push([r.status, r.json]);
    }
    assert.deepEqual(answers, [
      [202, { accepted: true }],
      [202, { accepted: true }],
      [202, { accepted: true }],
    ]);
  });

  it("refuses another token, no token, a malformed code and an expired one", async () => {
    const body = { residentId: "petrov.ivan", code: "123456", expiresAt: inMinutes(5) };
    const none = await post(`${notifier.url}/v1/otp`, body);
    assert.deepEqual([none.status, none.json.error.code], [401, "unauthenticated"]);
    const registrars = await post(`${notifier.url}/v1/otp`, body, "Bearer registrar-token-for-tests-0123456789");
    assert.deepEqual([registrars.status, registrars.json.error.code], [403, "forbidden"], "the registrar's token is not custody's");
    const wrong = await post(`${notifier.url}/v1/otp`, body, `Bearer ${OTP_TOKEN}x`);
    assert.deepEqual([wrong.status, wrong.json.error.code], [403, "forbidden"]);
    const malformed = await post(`${notifier.url}/v1/otp`, { ...body, code: "12ab56" }, `Bearer ${OTP_TOKEN}`);
    assert.deepEqual([malformed.status, malformed.json.error.code], [400, "invalid_request"]);
    assert.ok(!malformed.json.error.message.includes("12ab56"), "the refusal does not repeat the code");
    const expired = await post(`${notifier.url}/v1/otp`, { ...body, expiresAt: inMinutes(-1) }, `Bearer ${OTP_TOKEN}`);
    assert.deepEqual([expired.status, expired.json.error.code, expired.json.error.message], [400, "invalid_request", "expiresAt: the code has already expired"]);
    const extra = await post(`${notifier.url}/v1/otp`, { ...body, to: "+10000000000" }, `Bearer ${OTP_TOKEN}`);
    assert.deepEqual([extra.status, extra.json.error.code], [400, "invalid_request"], "the destination is the directory's, never the caller's");
  });

  it("custody with a wrong service token delivers nothing and says so in its log, without the code", async () => {
    const misconfigured = await startCustodyWith("not-the-notifiers-otp-token", "custody-wrong-token.sqlite");
    try {
      const { json: onboarded } = await onboard(misconfigured, "wrong.token");
      await register(notifier.url, "wrong.token", { address: onboarded.address, language: "en", email: "wrong@example.test" });
      assert.deepEqual((await askCode(misconfigured, "wrong.token")).json, { sent: true });
      const logged = await until("custody's log of the refusal", () => lines.find((l) => l.includes("refused custody's service token") && l.includes("wrong.token")));
      assert.match(logged, /"level":"error"/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(mail.messages.some((m) => m.to.includes("wrong@example.test")), false);
    } finally {
      await misconfigured.stop();
    }
  });

  it("keeps custody's lockout: five wrong guesses lock the login, the delivered code included", async () => {
    const { json: onboarded } = await onboard(custody, "locked.out");
    await register(notifier.url, "locked.out", { address: onboarded.address, language: "en", email: "locked@example.test" });
    assert.equal((await askCode(custody, "locked.out")).status, 202);
    const email = await until("the code by e-mail", () => mail.messages.find((m) => m.to.includes("locked@example.test")));
    const code = codeIn(email.text)!;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    for (let i = 1; i < MAX_CODE_ATTEMPTS; i++) assert.equal((await useCode(custody, "locked.out", wrong)).status, 401);
    const fifth = await useCode(custody, "locked.out", wrong);
    assert.deepEqual([fifth.status, fifth.json.error.code], [429, "too_many_attempts"]);
    const locked = await useCode(custody, "locked.out", code);
    assert.deepEqual([locked.status, locked.json.error.code], [429, "too_many_attempts"]);
  });

  it("limits the codes a resident is sent in an hour, whatever the resident's contacts", async () => {
    for (const residentId of ["limit.known", "limit.unknown"]) {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await post(`${notifier.url}/v1/otp`, { residentId, code: "100200", expiresAt: inMinutes(5) }, `Bearer ${OTP_TOKEN}`)).status);
      assert.deepEqual(statuses, [202, 202, 202, 202, 429], residentId);
    }
    const limited = await post(`${notifier.url}/v1/otp`, { residentId: "limit.known", code: "100200", expiresAt: inMinutes(5) }, `Bearer ${OTP_TOKEN}`);
    assert.equal(limited.json.error.code, "rate_limited");
    assert.match(String(limited.headers.get("retry-after")), /^\d+$/);
  });

  it("writes no code to any log line, custody's or the notifier's", async () => {
    const codes = new Set<string>();
    for (const m of mail.messages) if (m.headers["x-digital-home-notice"] === "otp") codes.add(codeIn(m.text)!);
    for (const m of sms.received) codes.add(codeIn(m.text)!);
    codes.add("482913");
    codes.add("100200");
    assert.ok(codes.size >= 4, `codes seen: ${[...codes].join(", ")}`);
    assert.ok(lines.some((l) => l.includes("one-time code sent")), "the sending is logged");
    for (const code of codes) {
      const leaked = lines.filter((l) => l.includes(code));
      assert.deepEqual(leaked, [], `code ${code} in the log`);
    }
  });
});
