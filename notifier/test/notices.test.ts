/**
 * The notifier end to end against real pieces: a local chain with the voting core, an SMTP server
 * that parses what it receives, an HTTP endpoint as the SMS gateway and an identity provider's JWKS.
 * One building: a meeting announced, voted, reminded and finalized; then a poll.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Wallet } from "ethers";
import { QUESTION_SETS, advance, announce, latestTimestamp, registerBuilding, relay, signBallot, type Building } from "../../dev/scenario.js";
import { startMailCapture, type MailCapture } from "../src/mail-capture.js";
import type { RunningNotifier } from "../src/service.js";
import { formatTime } from "../src/templates.js";
import {
  REGISTRAR_TOKEN,
  count,
  get,
  owningWallets,
  register,
  startIdentityProvider,
  startInProcess,
  startSmsGateway,
  startWorld,
  until,
  writeTexts,
  type IdentityProvider,
  type SmsGateway,
  type TestWorld,
} from "./helpers.js";

const QUESTIONS = QUESTION_SETS.courtyard;
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const POLL = [{ text: "Покрасить стены в подъезде в светло-зелёный цвет?", threshold: 4 }];

describe("notifier", () => {
  let t: TestWorld;
  let mail: MailCapture;
  let sms: SmsGateway;
  let idp: IdentityProvider;
  let notifier: RunningNotifier;
  let building: Building;
  let eligible: Wallet[];
  let meeting: Awaited<ReturnType<typeof announce>>;
  let pollId: bigint;
  const phone = (i: number) => `+7916000${String(i).padStart(4, "0")}`;
  const email = (w: Wallet) => `${w.address.slice(2, 10).toLowerCase()}@example.org`;

  const mailsOf = (notice: string) => mail.messages.filter((m) => m.headers["x-digital-home-notice"] === notice);
  const smsOf = (notice: string) => sms.received.filter((s) => s.reference.includes(notice));
  const idle = () =>
    until("the outbox to drain", async () => {
      const { json } = await get(`${notifier.url}/v1/health`);
      return !json.outbox.pending && !json.outbox.sending && json.head >= (await t.world.provider.getBlockNumber()) ? true : undefined;
    });

  before(async () => {
    t = await startWorld();
    mail = await startMailCapture({ httpPort: 0 });
    sms = await startSmsGateway();
    idp = await startIdentityProvider();
    building = await registerBuilding(t.world, 7, 14, 7, 2);
    eligible = await owningWallets(t.world, building.buildingId, building.owners);
    assert.ok(eligible.length >= 6, `the layout gives ${eligible.length} owners with weight`);
    const textsFile = writeTexts(t.dir, [...QUESTIONS.map((q) => q.text), ...POLL.map((q) => q.text)]);
    ({ notifier } = await startInProcess(t, {
      NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
      NOTIFIER_SMS_WEBHOOK_URL: sms.url,
      NOTIFIER_JWKS_URL: idp.jwksUrl,
      NOTIFIER_TEXTS_FILE: textsFile,
      NOTIFIER_REMINDER_BEFORE_SECONDS: "600",
    }));
    // eligible[0] ru, all channels · [1] en, no SMS · [2] declined every channel · [3] malformed e-mail and phone · rest alternate languages
    for (const [i, w] of eligible.entries()) {
      const r = await register(notifier.url, `owner-${i}`, {
        address: w.address,
        language: i % 2 === 0 ? "ru" : "en",
        email: i === 3 ? "owner-3-at-example" : email(w),
        phone: i === 3 ? "12345" : phone(i),
        optOut: i === 1 ? { sms: true } : i === 2 ? { app: true, email: true, sms: true } : undefined,
      });
      assert.equal(r.status, 201);
      if (i === 3) assert.deepEqual(r.json.warnings.map((x: { code: string }) => x.code), ["malformed_email", "malformed_phone"]);
    }
    for (const [i, w] of building.residents.entries()) {
      await register(notifier.url, `resident-${i}`, { address: w.address, language: "ru", email: email(w), phone: phone(100 + i) });
    }
  });

  after(async () => {
    await notifier?.stop();
    await mail?.stop();
    await sms?.close();
    await idp?.close();
    await t?.close();
  });

  describe("notice of a meeting", () => {
    it("reaches every owner exactly once per chosen channel, with the agenda and the dates", async () => {
      meeting = await announce(t.world, building.buildingId, QUESTIONS, { delay: 30, window: 3600 });
      const notice = `meeting-${meeting.meetingId}-announced`;
      const emailed = eligible.filter((_, i) => i !== 2 && i !== 3);
      const texted = eligible.filter((_, i) => i !== 1 && i !== 2 && i !== 3);
      await until("the notices", () => (mailsOf(notice).length >= emailed.length && smsOf(notice).length >= texted.length ? true : undefined));
      await idle();

      const byRecipient = count(mailsOf(notice), (m) => m.to.join(","));
      assert.deepEqual([...byRecipient.keys()].sort(), emailed.map(email).sort());
      assert.ok([...byRecipient.values()].every((n) => n === 1), "one e-mail per owner");
      assert.deepEqual([...count(smsOf(notice), (s) => s.to).entries()].sort(), texted.map((w) => [phone(eligible.indexOf(w)), 1]).sort());

      for (const m of mailsOf(notice)) {
        const i = emailed.findIndex((w) => email(w) === m.to[0]);
        const lang = eligible.indexOf(emailed[i]!) % 2 === 0 ? "ru" : "en";
        for (const q of QUESTIONS) assert.ok(m.text.includes(q.text), `agenda item '${q.text}' in ${lang} notice`);
        assert.ok(m.text.includes(formatTime(meeting.votingStart, lang, "Europe/Moscow")), "voting start");
        assert.ok(m.text.includes(formatTime(meeting.votingEnd, lang, "Europe/Moscow")), "voting end");
        assert.match(m.subject, lang === "ru" ? /Общее собрание собственников/ : /General meeting of owners/);
      }
      assert.equal(mail.messages.filter((m) => building.residents.some((r) => m.to.includes(email(r)))).length, 0, "residents who own nothing get no notice of a meeting");
    });

    it("still reaches an owner who declined every channel, in the app feed", async () => {
      const { status, json } = await get(`${notifier.url}/v1/feed`, await idp.token("owner-2"));
      assert.equal(status, 200);
      const entry = json.entries.find((e: { noticeId: string }) => e.noticeId === `meeting-${meeting.meetingId}-announced`);
      assert.ok(entry, "the notice is in the feed");
      assert.ok(entry.body.includes(QUESTIONS[0]!.text));
    });

    it("answers the feed without a valid token with 401 as data", async () => {
      const none = await get(`${notifier.url}/v1/feed`);
      assert.equal(none.status, 401);
      assert.equal(none.json.error.code, "unauthenticated");
      const stranger = await get(`${notifier.url}/v1/feed`, await idp.token("nobody"));
      assert.equal(stranger.status, 403);
      assert.equal(stranger.json.error.code, "unknown_resident");
    });

    it("reports a malformed address and phone in the delivery log without blocking the others", async () => {
      const { json } = await get(`${notifier.url}/v1/delivery-log?meetingId=${meeting.meetingId}&residentId=owner-3`, REGISTRAR_TOKEN);
      const outcomes = Object.fromEntries(json.entries.map((e: { channel: string; outcome: string }) => [e.channel, e.outcome]));
      assert.deepEqual(outcomes, { app: "sent", email: "invalid", sms: "invalid" });
      const log = await get(`${notifier.url}/v1/delivery-log?meetingId=${meeting.meetingId}`, REGISTRAR_TOKEN);
      const sent = log.json.entries.filter((e: { channel: string; outcome: string }) => e.channel === "email" && e.outcome === "sent");
      assert.equal(sent.length, eligible.length - 2);
      assert.ok(sent.every((e: { providerResponse: string; at: string }) => /^250 /.test(e.providerResponse) && e.at), "the provider's answer and the time are kept");
    });
  });

  describe("reminder", () => {
    it("goes to owners who have not voted, not to those who have", async () => {
      await advance(t.world, meeting.votingStart - (await latestTimestamp(t.world)) + 1);
      const voters = [eligible[0]!, eligible[4]!];
      const ballots = await Promise.all(voters.map((w) => signBallot(t.world, w, meeting.meetingId, 0b01010101n)));
      await relay(t.world, meeting.meetingId, ballots);
      const notice = `meeting-${meeting.meetingId}-reminder`;
      assert.equal(mailsOf(notice).length, 0, "no reminder before its time");
      await advance(t.world, meeting.votingEnd - 300 - (await latestTimestamp(t.world)));
      const reminded = eligible.filter((w, i) => !voters.includes(w) && i !== 2 && i !== 3);
      await until("the reminders", () => (mailsOf(notice).length >= reminded.length ? true : undefined));
      await idle();
      assert.deepEqual(mailsOf(notice).map((m) => m.to[0]).sort(), reminded.map(email).sort());
      for (const v of voters) assert.ok(!mailsOf(notice).some((m) => m.to.includes(email(v))), "a voter gets no reminder");
    });
  });

  describe("results", () => {
    it("arrive after finalization with the outcome of every question", async () => {
      const notice = `meeting-${meeting.meetingId}-results`;
      await advance(t.world, meeting.votingEnd - (await latestTimestamp(t.world)) + 1);
      await idle();
      assert.equal(mailsOf(notice).length, 0, "no results before finalization");
      await (await t.world.hall.finalize(meeting.meetingId)).wait();
      const told = eligible.filter((_, i) => i !== 2 && i !== 3);
      await until("the results", () => (mailsOf(notice).length >= told.length ? true : undefined));
      await idle();
      assert.deepEqual(mailsOf(notice).map((m) => m.to[0]).sort(), told.map(email).sort());
      const ru = mailsOf(notice).find((m) => m.to[0] === email(eligible[0]!))!;
      assert.match(ru.text, /кворум (есть|отсутствует)/);
      for (const q of QUESTIONS) assert.ok(ru.text.includes(q.text));
      assert.match(ru.text, /решение (не )?принято/);
    });
  });

  describe("notice of a poll", () => {
    it("reaches registered residents as well as owners", async () => {
      const poll = await announce(t.world, building.buildingId, POLL, { poll: true, delay: 30, window: 3600 });
      pollId = poll.meetingId;
      const notice = `meeting-${poll.meetingId}-announced`;
      const told = [...eligible.filter((_, i) => i !== 2 && i !== 3), ...building.residents];
      await until("the poll notices", () => (mailsOf(notice).length >= told.length ? true : undefined));
      await idle();
      assert.deepEqual(mailsOf(notice).map((m) => m.to[0]).sort(), told.map(email).sort());
      const resident = mailsOf(notice).find((m) => m.to[0] === email(building.residents[0]!))!;
      assert.match(resident.subject, /Опрос жителей/);
      assert.ok(resident.text.includes(POLL[0]!.text));
    });
  });

  describe("catching up", () => {
    it("on existing history sends the results and the open poll's notice, not the notice of a closed meeting", async () => {
      const { notifier: late } = await startInProcess(t, { NOTIFIER_DB_PATH: path.join(t.dir, "late.sqlite") });
      try {
        const head = await t.world.provider.getBlockNumber();
        await until("the late notifier to catch up", () => {
          const c = late.outbox.counts();
          return late.follower.head >= head && !c.pending && !c.sending ? true : undefined;
        });
        const notices = new Set(late.outbox.deliveryLog().map((e) => e.noticeId));
        assert.ok(notices.has(`meeting-${meeting.meetingId}-results`));
        assert.ok(notices.has(`meeting-${pollId}-announced`));
        assert.ok(!notices.has(`meeting-${meeting.meetingId}-announced`), "no notice of a meeting already closed");
        assert.ok(!notices.has(`meeting-${meeting.meetingId}-reminder`));
      } finally {
        await late.stop();
      }
    });
  });

  describe("directory", () => {
    it("refuses to give one address to two residents", async () => {
      const r = await register(notifier.url, "someone-else", { address: eligible[0]!.address });
      assert.equal(r.status, 409);
      assert.equal(r.json.error.code, "address_in_use");
    });
  });

  describe("preferences", () => {
    it("lets a signed-in resident change their own opt-outs and language", async () => {
      const token = await idp.token("owner-0");
      const put = async (body: unknown) =>
        fetch(`${notifier.url}/v1/me/preferences`, { method: "PUT", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      const changed = await put({ language: "en", optOut: { sms: true } });
      assert.equal(changed.status, 200);
      assert.deepEqual(await changed.json(), { language: "en", optOut: { app: false, email: false, sms: true } });
      const bad = await put({ optOut: { fax: true } });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: { code: string } }).error.code, "invalid_request");
      const back = await put({ language: "ru", optOut: { sms: false } });
      assert.deepEqual(await back.json(), { language: "ru", optOut: { app: false, email: false, sms: false } });
    });
  });

  describe("mail capture of the demo", () => {
    it("lists what it received over HTTP", async () => {
      const { status, json } = await get(`${mail.httpUrl}/messages`);
      assert.equal(status, 200);
      assert.equal(json.messages.length, mail.messages.length);
      const page = await (await fetch(`${mail.httpUrl}/`)).text();
      assert.ok(page.includes(escape(mail.messages[0]!.subject)));
    });
  });
});
