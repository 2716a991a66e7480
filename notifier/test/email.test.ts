/**
 * The e-mail channel checks the SMTP server's certificate: a server offering STARTTLS with a
 * certificate nobody vouches for (smtp-server's built-in self-signed one) gets no e-mail, unless the
 * configuration names that very server as a loopback test server; no other server can be named.
 */
import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import { ConfigError } from "#lib/errors.js";
import { EmailChannel, smtpServer } from "../src/channels/email.js";
import { DeliveryError, type OutgoingMessage } from "../src/channels/types.js";
import { loadConfig } from "../src/config.js";
import { REGISTRAR_TOKEN } from "./helpers.js";

let server: SMTPServer;
let port: number;
const received: string[] = [];

before(async () => {
  // STARTTLS is offered (smtp-server's default) with the built-in self-signed certificate.
  server = new SMTPServer({
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      stream.on("data", () => undefined);
      stream.on("end", () => {
        received.push(session.envelope.rcptTo.map((r) => r.address).join(","));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = (extra: Record<string, string> = {}) => ({
  NOTIFIER_RPC_URL: "http://127.0.0.1:8545",
  NOTIFIER_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
  NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${port}`,
  ...extra,
});

const message = (to: string): OutgoingMessage => ({
  key: `notice-${to}`,
  noticeId: "meeting-1-announced",
  meetingId: "1",
  type: "announced",
  address: "0x0000000000000000000000000000000000000001",
  destination: to,
  language: "en",
  subject: "A meeting",
  body: "Agenda",
  shortBody: "Agenda",
});

function problems(e: Record<string, string>): string[] {
  try {
    loadConfig(e);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

describe("the e-mail channel's TLS", () => {
  it("checks the server's certificate by default: a self-signed one gets no e-mail", async () => {
    const config = loadConfig(env());
    assert.equal(config.smtp!.verifyTls, true);
    const channel = new EmailChannel(config.smtp!, 5_000);
    try {
      let failure: unknown;
      await channel.send(message("owner-1@example.org")).catch((err) => (failure = err));
      assert.ok(failure instanceof DeliveryError, `the e-mail went out over an unverified connection: ${String(failure)}`);
      assert.equal(received.includes("owner-1@example.org"), false);
    } finally {
      channel.close();
    }
  });

  it("turns the check off only for the loopback test server the configuration names", async () => {
    const config = loadConfig(env({ NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER: `127.0.0.1:${port}` }));
    assert.equal(config.smtp!.verifyTls, false);
    const channel = new EmailChannel(config.smtp!, 5_000);
    try {
      const delivery = await channel.send(message("owner-2@example.org"));
      assert.match(delivery.providerResponse, /250/);
      assert.ok(received.includes("owner-2@example.org"));
    } finally {
      channel.close();
    }
  });

  it("refuses to name a server that is not on loopback, or is not the configured one", () => {
    const loopbackOnly = /^NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER: got '.*', expected host:port of a loopback test server/;
    for (const [smtp, named] of [
      ["smtp://mail.example.org:25", "mail.example.org:25"],
      ["smtp://10.0.0.5:25", "10.0.0.5:25"],
      ["smtps://0.0.0.0:465", "0.0.0.0:465"],
      [`smtp://127.0.0.1:${port}`, "127.0.0.1"],
    ]) {
      const p = problems(env({ NOTIFIER_SMTP_URL: smtp!, NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER: named! }));
      assert.equal(p.length, 1, JSON.stringify(p));
      assert.match(p[0]!, loopbackOnly);
    }
    const other = problems(env({ NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER: `127.0.0.1:${port + 1}` }));
    assert.deepEqual(other, [`NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER: names '127.0.0.1:${port + 1}', but NOTIFIER_SMTP_URL is '127.0.0.1:${port}': it must name that server`]);
  });
});

describe("the e-mail channel's settings", () => {
  it("gives up on a server that never greets within its timeout", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const at = (silent.address() as AddressInfo).port;
    const channel = new EmailChannel(loadConfig(env({ NOTIFIER_SMTP_URL: `smtp://127.0.0.1:${at}` })).smtp!, 500);
    try {
      const started = Date.now();
      const failure = await channel.send(message("owner-3@example.org")).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(failure instanceof DeliveryError);
      assert.equal(failure.retryable, true);
      assert.ok(Date.now() - started < 5_000, `gave up after ${Date.now() - started} ms`);
    } finally {
      channel.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("reads host, port, implicit TLS and credentials from the URL", () => {
    assert.deepEqual(smtpServer("smtp://127.0.0.1:2525"), { host: "127.0.0.1", port: 2525, secure: false });
    assert.deepEqual(smtpServer("smtps://mail.example.org"), { host: "mail.example.org", port: 465, secure: true });
    assert.deepEqual(smtpServer("smtp://notices%40example.org:p%40ss@[::1]"), { host: "::1", port: 587, secure: false, auth: { user: "notices@example.org", pass: "p@ss" } });
  });
});
