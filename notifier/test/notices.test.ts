/**
 * The notifier end to end against real pieces: a local chain with the voting core, an SMTP server
 * that parses what it receives, an HTTP endpoint as the SMS gateway, an identity provider's JWKS and
 * the document store, from which the notices take the agenda's wordings.
 * One building with sole owners, co-owners and two couples holding flats jointly: an annual meeting
 * with its own administrator announced, voted, reminded and finalized; then a poll.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Wallet, ZeroHash, id } from "ethers";
import { SHARE_UNIT } from "#lib/domain.js";
import { RULES_2024_09_01, questionTypeIndex } from "#lib/legal-rules.js";
import { QUESTION_SETS, advance, announce, latestTimestamp, registerBuilding, relay, signBallot, type Building } from "../../dev/scenario.js";
import { DocumentsClient } from "#lib/documents-client.js";
import { loadConfig as loadDocumentsConfig } from "../../documents/src/config.js";
import { startDocuments, type RunningDocuments } from "../../documents/src/service.js";
import { startMailCapture, type MailCapture } from "../src/mail-capture.js";
import type { RunningNotifier } from "../src/service.js";
import { formatTime, ruleWords } from "../src/templates.js";
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
  type IdentityProvider,
  type SmsGateway,
  type TestWorld,
} from "./helpers.js";

const QUESTIONS = QUESTION_SETS.courtyard;
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const POLL = [{ text: "Покрасить стены в подъезде в светло-зелёный цвет?" }];
const typeOf = (code: string) => RULES_2024_09_01.questionTypes[questionTypeIndex(RULES_2024_09_01, code)]!;

const DOCUMENTS_TOKEN = "seed-token-of-the-notices-test";

describe("notifier", () => {
  let t: TestWorld;
  let mail: MailCapture;
  let sms: SmsGateway;
  let idp: IdentityProvider;
  let notifier: RunningNotifier;
  let documents: RunningDocuments;
  let building: Building;
  let eligible: Wallet[];
  /** J and K hold a flat jointly and J one alone; M and N hold one jointly and nothing else. */
  let couples: Record<"j" | "k" | "m" | "n", Wallet>;
  const administrator = new Wallet(id("notifier test administrator")).address;
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
    building = await registerBuilding(t.world, 7, 14, 7, 2, { joint: 0 });
    couples = { j: new Wallet(id("notifier J")), k: new Wallet(id("notifier K")), m: new Wallet(id("notifier M")), n: new Wallet(id("notifier N")) } as Record<"j" | "k" | "m" | "n", Wallet>;
    for (const [name, w] of Object.entries(couples)) couples[name as keyof typeof couples] = w.connect(t.world.provider);
    const { j, k, m, n } = couples;
    const premises = (area: number, holdings: Array<{ holders: string[]; share: bigint }>) => ({ area: BigInt(area), kind: 0, ref: ZeroHash, holdings });
    await (
      await t.world.registry.addPremises(building.buildingId, [
        premises(5400, [{ holders: [j.address, k.address], share: SHARE_UNIT }]),
        premises(1800, [{ holders: [j.address], share: SHARE_UNIT }]),
        premises(6100, [{ holders: [n.address, m.address], share: SHARE_UNIT }]),
      ])
    ).wait();
    eligible = await owningWallets(t.world, building.buildingId, [...building.owners, j, k, m, n]);
    assert.ok([j, k, m, n].every((w) => eligible.includes(w)), "joint owners are owners");
    assert.ok(eligible.length >= 6, `the layout gives ${eligible.length} owners with weight`);
    // the wordings are documents of the store, under their textRefs; the notifier has no texts file
    documents = await startDocuments(loadDocumentsConfig({ DOCUMENTS_PORT: "0", DOCUMENTS_DIR: path.join(t.dir, "documents"), DOCUMENTS_SERVICE_TOKENS: `seed=${DOCUMENTS_TOKEN}`, LOG_LEVEL: "silent" }));
    const store = new DocumentsClient(documents.url, { token: DOCUMENTS_TOKEN });
    for (const text of [...QUESTIONS.map((q) => q.text), ...POLL.map((q) => q.text)]) assert.equal(await store.put(Buffer.from(text, "utf8"), { contentType: "text/plain", name: "q.txt" }), id(text));
    ({ notifier } = await startInProcess(t, {
      NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
      NOTIFIER_SMS_WEBHOOK_URL: sms.url,
      NOTIFIER_JWKS_URL: idp.jwksUrl,
      NOTIFIER_DOCUMENTS_URL: documents.url,
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
    await documents?.stop();
    await mail?.stop();
    await sms?.close();
    await idp?.close();
    await t?.close();
  });

  describe("notice of a meeting", () => {
    it("reaches every owner exactly once per chosen channel, with the agenda and the dates", async () => {
      meeting = await announce(t.world, building.buildingId, QUESTIONS, { delay: 30, window: 3600, meetingType: "Annual", administrator });
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
        assert.ok(m.text.includes(lang === "ru" ? "Объявлено годовое общее собрание" : "An electronic annual general meeting"), "the kind of meeting");
        assert.ok(m.text.includes(lang === "ru" ? `Инициатор: ${await t.world.operator.getAddress()}` : `Initiator: ${await t.world.operator.getAddress()}`), "the initiator");
        assert.ok(m.text.includes(lang === "ru" ? `Администратор собрания: ${administrator}` : `Administrator of the meeting: ${administrator}`), "the administrator");
        for (const q of QUESTIONS) {
          const type = typeOf(q.type);
          assert.ok(m.text.includes(`${type.name[lang]} [${q.type}]`), `the type of '${q.text}' in ${lang}`);
          assert.ok(m.text.includes(ruleWords(type.rule, lang)), `the rule of '${q.text}' in ${lang}`);
        }
      }
      const told = new Set((await get(`${notifier.url}/v1/delivery-log?meetingId=${meeting.meetingId}`, REGISTRAR_TOKEN)).json.entries.map((e: { address: string }) => e.address));
      assert.deepEqual([...told].sort(), eligible.map((w) => w.address).sort(), "every owner, joint owners each once, and no joint group's address");
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

    it("lets the meeting's initiator and administrator download its delivery log as the proof of notice, in CSV and JSON; nobody else", async () => {
      // the initiator (the registrar's operator account here) and the administrator, signed in as residents of the directory
      assert.equal((await register(notifier.url, "initiator-1", { address: await t.world.operator.getAddress(), language: "ru" })).status, 201);
      assert.equal((await register(notifier.url, "administrator-1", { address: administrator, language: "ru" })).status, 201);
      const url = `${notifier.url}/v1/meetings/${meeting.meetingId}/delivery-log`;
      const registrarLog = (await get(`${notifier.url}/v1/delivery-log?meetingId=${meeting.meetingId}`, REGISTRAR_TOKEN)).json.entries;
      assert.ok(registrarLog.length > 0);
      for (const who of ["initiator-1", "administrator-1"]) {
        const json = await get(`${url}?format=json`, await idp.token(who));
        assert.equal(json.status, 200, JSON.stringify(json.json));
        assert.equal(json.json.meetingId, meeting.meetingId.toString());
        assert.deepEqual(json.json.entries, registrarLog, `${who}: every attempt of the meeting's notices`);
      }
      const res = await fetch(`${url}?format=csv`, { headers: { authorization: `Bearer ${await idp.token("administrator-1")}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
      assert.match(res.headers.get("content-disposition") ?? "", new RegExp(`attachment; filename="delivery-log-${meeting.meetingId}.csv"`));
      const lines = (await res.text()).trimEnd().split("\r\n");
      assert.equal(lines[0], "id,at,noticeId,meetingId,type,address,residentId,channel,destination,attempt,outcome,providerResponse");
      assert.equal(lines.length, 1 + registrarLog.length);
      const sentMail = registrarLog.find((e: { channel: string; outcome: string }) => e.channel === "email" && e.outcome === "sent");
      assert.ok(lines.some((l) => l.startsWith(`${sentMail.id},`) && l.includes(sentMail.destination)), "each attempt a line, with its destination");
      // an owner who got the notice, a resident the directory does not know, no token: refused; an unknown meeting, a bad format
      const owner = await get(url, await idp.token("owner-0"));
      assert.deepEqual([owner.status, owner.json.error.code], [403, "not_meeting_officer"]);
      assert.equal((await get(url, await idp.token("nobody"))).status, 403);
      assert.equal((await get(url)).status, 401);
      assert.equal((await get(`${notifier.url}/v1/meetings/999/delivery-log`, await idp.token("administrator-1"))).status, 404);
      assert.equal((await get(`${url}?format=xml`, await idp.token("administrator-1"))).status, 400);
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
      // K votes for the flat held with J, who still has his own to vote; M votes for the one held with N, who has nothing left
      const voters = [eligible[0]!, eligible[4]!, couples.k, couples.m];
      const ballots = await Promise.all(voters.map((w) => signBallot(t.world, w, meeting.meetingId, 0b01010101n)));
      await relay(t.world, meeting.meetingId, ballots);
      const notice = `meeting-${meeting.meetingId}-reminder`;
      assert.equal(mailsOf(notice).length, 0, "no reminder before its time");
      await advance(t.world, meeting.votingEnd - 300 - (await latestTimestamp(t.world)));
      const reminded = eligible.filter((w, i) => !voters.includes(w) && w !== couples.n && i !== 2 && i !== 3);
      assert.ok(reminded.includes(couples.j), "J still holds weight of his own");
      await until("the reminders", () => (mailsOf(notice).length >= reminded.length ? true : undefined));
      await idle();
      assert.deepEqual(mailsOf(notice).map((m) => m.to[0]).sort(), reminded.map(email).sort());
      for (const v of voters) assert.ok(!mailsOf(notice).some((m) => m.to.includes(email(v))), "a voter gets no reminder");
      assert.ok(!mailsOf(notice).some((m) => m.to.includes(email(couples.n))), "a joint owner whose only holding was voted gets no reminder");
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
      // each question against the base of its rule
      const lines = ru.text.split("\n");
      const line = (text: string) => lines[lines.findIndex((l) => l.endsWith(text)) + 1] ?? "";
      assert.match(line(QUESTIONS[0]!.text), /всех голосов — решение (не )?принято \(требуется не менее 2\/3 голосов всех собственников\)/);
      assert.match(line(QUESTIONS[1]!.text), /голосов участвовавших — решение (не )?принято \(требуется более 50 % голосов участвующих\)/);
      assert.match(line(QUESTIONS[3]!.text), /всех голосов — решение (не )?принято \(требуется более 50 % голосов всех собственников\)/);
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
