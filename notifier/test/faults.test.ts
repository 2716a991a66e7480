/**
 * Failures: an SMTP server that is down and then refuses, an SMS gateway answering 500, and the
 * notifier killed with SIGKILL mid-send and restarted. In the end every recipient has exactly one
 * notice per channel, and the delivery log shows what happened.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Wallet } from "ethers";
import { QUESTION_SETS, announce, registerBuilding, type Building } from "../../dev/scenario.js";
import { startMailCapture, type MailCapture } from "../src/mail-capture.js";
import type { RunningNotifier } from "../src/service.js";
import {
  REGISTRAR_TOKEN,
  count,
  freePort,
  get,
  notifierEnv,
  owningWallets,
  register,
  startChild,
  startInProcess,
  startSmsGateway,
  startWorld,
  until,
  type NotifierProcess,
  type SmsGateway,
  type TestWorld,
} from "./helpers.js";

const email = (w: Wallet) => `${w.address.slice(2, 10).toLowerCase()}@example.org`;
const phone = (i: number) => `+7495000${String(i).padStart(4, "0")}`;

function refuse(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

describe("notifier under failures", () => {
  let t: TestWorld;
  let building: Building;
  let owners: Wallet[];

  before(async () => {
    t = await startWorld();
    building = await registerBuilding(t.world, 21, 10, 5);
    owners = await owningWallets(t.world, building.buildingId, building.owners);
    assert.ok(owners.length >= 3, `the layout gives ${owners.length} owners with weight`);
  });

  after(async () => {
    await t?.close();
  });

  async function registerAll(url: string) {
    for (const [i, w] of owners.entries()) {
      const r = await register(url, `owner-${i}`, { address: w.address, language: "ru", email: email(w), phone: phone(i) });
      assert.equal(r.status, r.json.resident ? r.status : 0);
    }
  }

  function assertOnePerChannel(mail: MailCapture, sms: SmsGateway, notice: string) {
    const mails = count(mail.messages.filter((m) => m.headers["x-digital-home-notice"] === notice), (m) => m.to.join(","));
    assert.deepEqual([...mails.entries()].sort(), owners.map((w) => [email(w), 1]).sort(), `one e-mail per owner for ${notice}`);
    const texts = count(sms.received.filter((s) => s.reference.includes(notice)), (s) => s.to);
    assert.deepEqual([...texts.entries()].sort(), owners.map((_, i) => [phone(i), 1]).sort(), `one SMS per owner for ${notice}`);
  }

  it("retries an SMTP server that is down, then refuses, and an SMS gateway answering 500", async () => {
    const smtpPort = await freePort();
    const sms = await startSmsGateway();
    sms.failNext(3);
    let notifier: RunningNotifier | undefined;
    let mail: MailCapture | undefined;
    try {
      ({ notifier } = await startInProcess(t, {
        NOTIFIER_DB_PATH: path.join(t.dir, "retry.sqlite"),
        NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        NOTIFIER_SMS_WEBHOOK_URL: sms.url,
      }));
      await registerAll(notifier.url);
      const m = await announce(t.world, building.buildingId, QUESTION_SETS.courtyard, { delay: 30 });
      const notice = `meeting-${m.meetingId}-announced`;
      const log = () => notifier!.outbox.deliveryLog({ meetingId: m.meetingId.toString() });
      await until("every e-mail to fail while the server is down", () =>
        new Set(log().filter((e) => e.channel === "email" && e.outcome === "retry").map((e) => e.address)).size === owners.length ? true : undefined,
      );

      let refusals = 2;
      mail = await startMailCapture({
        port: smtpPort,
        onMessage: () => {
          if (refusals-- > 0) throw refuse(451, "4.3.0 try again later");
        },
      });
      await until("every notice delivered", () => {
        const c = notifier!.outbox.counts();
        return !c.pending && !c.sending && c.sent === owners.length * 3 ? true : undefined;
      });

      assertOnePerChannel(mail, sms, notice);
      assert.equal(sms.refused, 3);
      const entries = log();
      assert.ok(entries.some((e) => e.channel === "email" && e.outcome === "retry" && /^smtp_temporary: .*451/.test(e.providerResponse ?? "")), "the 451 refusals are logged");
      assert.ok(entries.some((e) => e.channel === "email" && e.outcome === "retry" && /^smtp_unavailable/.test(e.providerResponse ?? "")), "the outage is logged");
      assert.equal(entries.filter((e) => e.channel === "sms" && e.outcome === "retry").length, 3);
      assert.ok(entries.filter((e) => e.channel === "sms" && e.outcome === "retry").every((e) => /HTTP 500/.test(e.providerResponse ?? "")));
      assert.equal(entries.filter((e) => e.outcome === "sent").length, owners.length * 3);
    } finally {
      await notifier?.stop();
      await mail?.stop();
      await sms.close();
    }
  });

  it("after SIGKILL mid-send and a restart, every owner has one notice per channel, including for a meeting announced while it was down", async () => {
    const sms = await startSmsGateway();
    let child: NotifierProcess | undefined;
    let killed = false;
    let accepted = 0;
    const mail = await startMailCapture({
      onMessage: async () => {
        if (killed || ++accepted < 2) return;
        killed = true;
        child!.child.kill("SIGKILL");
        await child!.exited;
        throw refuse(421, "4.4.2 connection lost");
      },
    });
    const env = notifierEnv(t, {
      NOTIFIER_DB_PATH: path.join(t.dir, "child.sqlite"),
      NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
      NOTIFIER_SMS_WEBHOOK_URL: sms.url,
      NOTIFIER_SEND_CONCURRENCY: "1",
    });
    try {
      child = startChild(env);
      await registerAll(await child.url);
      const first = await announce(t.world, building.buildingId, QUESTION_SETS.courtyard, { delay: 30 });
      await child.exited;
      assert.ok(killed, "the notifier was killed while sending");
      const second = await announce(t.world, building.buildingId, QUESTION_SETS.courtyard.slice(0, 2), { delay: 30 });

      child = startChild(env);
      const url = await child.url;
      await until("every notice delivered after the restart", async () => {
        const { json } = await get(`${url}/v1/health`);
        const caughtUp = json.head >= (await t.world.provider.getBlockNumber());
        return caughtUp && !json.outbox.pending && !json.outbox.sending ? true : undefined;
      });
      assertOnePerChannel(mail, sms, `meeting-${first.meetingId}-announced`);
      assertOnePerChannel(mail, sms, `meeting-${second.meetingId}-announced`);

      const { json } = await get(`${url}/v1/delivery-log`, REGISTRAR_TOKEN);
      assert.equal(json.entries.filter((e: { outcome: string }) => e.outcome === "in_doubt").length, 1, "the send cut short is logged in doubt");

      await child.stop("SIGTERM");
      assert.equal(await child.exited, 0, "a graceful stop on SIGTERM");
    } finally {
      await child?.stop("SIGKILL");
      await mail.stop();
      await sms.close();
    }
  });
});
