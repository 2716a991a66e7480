/**
 * The demo's order of `npm start`: history first (a meeting announced for owners onboarded by the
 * real custody service), then their contacts, then the notifier, which catches up and sends the
 * notice into the mail capture; the owner reads the feed with a notifier token from the custody
 * service's demo identity provider (custody's own token is refused there, and the other way round).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#lib/log.js";
import { SHARE_UNIT } from "#lib/domain.js";
import { loadConfig as loadCustodyConfig } from "../../custody/src/config.js";
import { startCustody, type RunningCustody } from "../../custody/src/service.js";
import { QUESTION_SETS, announce, registerBuilding } from "../../dev/scenario.js";
import { registerDemoContacts } from "../src/demo.js";
import { startMailCapture, type MailCapture } from "../src/mail-capture.js";
import type { RunningNotifier } from "../src/service.js";
import { get, startInProcess, startWorld, until, writeTexts, type TestWorld } from "./helpers.js";

describe("demo wiring with the custody service", () => {
  let t: TestWorld;
  let custodyService: RunningCustody;
  let mail: MailCapture;
  let notifier: RunningNotifier | undefined;
  const custodyToken = randomBytes(16).toString("hex");

  before(async () => {
    t = await startWorld();
    const config = loadCustodyConfig({
      RPC_URL: t.chain.url,
      DEPLOYMENT: t.deploymentFile,
      LOG_LEVEL: "silent",
      CUSTODY_PORT: "0",
      CUSTODY_DB_PATH: path.join(t.dir, "custody.sqlite"),
      CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
      CUSTODY_REGISTRAR_TOKEN: custodyToken,
      CUSTODY_REVEAL_OTP: "true",
    });
    custodyService = await startCustody(config, { deployment: t.world.deployment, logger: createLogger("silent") });
    mail = await startMailCapture({ httpPort: 0 });
  });

  after(async () => {
    await notifier?.stop();
    await mail?.stop();
    await custodyService?.stop();
    await t?.close();
  });

  it("sends the notice of a meeting announced before the notifier started, and the owner reads it with a token custody issued for the notifier", async () => {
    const custody = custodyService.url;
    const onboard = async (residentId: string) =>
      ((await (await fetch(`${custody}/v1/residents`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${custodyToken}` }, body: JSON.stringify({ residentId }) })).json()) as { address: string }).address;
    const anna = await onboard("ivanova.anna");
    const building = await registerBuilding(t.world, 31, 3, 2);
    await (await t.world.registry.setOwners(building.premisesIds[0]!, [{ holders: [anna], share: SHARE_UNIT }])).wait();
    const m = await announce(t.world, building.buildingId, QUESTION_SETS.courtyard, { delay: 60 });

    let contacts: Awaited<ReturnType<typeof registerDemoContacts>> = [];
    ({ notifier } = await startInProcess(
      t,
      {
        NOTIFIER_DB_PATH: path.join(t.dir, "demo-notifier.sqlite"),
        NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
        NOTIFIER_JWKS_URL: `${custody}/.well-known/jwks.json`,
        NOTIFIER_JWT_ISSUER: "digital-home-custody",
        NOTIFIER_JWT_AUDIENCE: "digital-home-notifier",
        NOTIFIER_TEXTS_FILE: writeTexts(t.dir, QUESTION_SETS.courtyard.map((q) => q.text)),
      },
      async (directory) => {
        contacts = await registerDemoContacts(directory, { custodyUrl: custody, registrarToken: custodyToken, residentIds: ["ivanova.anna"] });
      },
    ));
    assert.equal(contacts[0]!.address, anna);

    const notice = `meeting-${m.meetingId}-announced`;
    const received = await until("the notice in the mail capture", () => mail.messages.find((x) => x.headers["x-digital-home-notice"] === notice && x.to.includes(contacts[0]!.email)));
    assert.ok(received.text.includes(QUESTION_SETS.courtyard[0]!.text));
    const listed = await get(`${mail.httpUrl}/messages`);
    assert.ok(listed.json.messages.some((x: { subject: string }) => x.subject === received.subject));

    const { code } = (await (await fetch(`${custody}/v1/auth/code`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ residentId: "ivanova.anna" }) })).json()) as { code: string };
    const { token } = (await (await fetch(`${custody}/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ residentId: "ivanova.anna", code }) })).json()) as { token: string };
    // custody's own token is for custody; its demo identity provider issues one for the notifier
    assert.equal((await get(`${notifier!.url}/v1/feed`, token)).status, 401, "a token for custody is refused by the notifier");
    const exchanged = await fetch(`${custody}/v1/auth/exchange`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ audience: "digital-home-notifier" }),
    });
    assert.equal(exchanged.status, 200);
    const notifierToken = ((await exchanged.json()) as { token: string }).token;
    assert.equal((await get(`${custody}/v1/me`, notifierToken)).status, 401, "and the notifier's token is refused by custody");
    const feed = await get(`${notifier!.url}/v1/feed`, notifierToken);
    assert.equal(feed.status, 200);
    assert.ok(feed.json.entries.some((e: { noticeId: string }) => e.noticeId === notice));
  });
});
