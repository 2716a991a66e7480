/**
 * A local SMTP server that keeps what it receives, so the demo shows the e-mails the notifier sends.
 * Messages are parsed with mailparser; an optional HTTP endpoint lists them (GET / as a page,
 * GET /messages as JSON). Listens on 127.0.0.1 only.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface CapturedMessage {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface MailCapture {
  port: number;
  /** The HTTP listing, when `httpPort` was given. */
  httpUrl?: string;
  messages: CapturedMessage[];
  stop(): Promise<void>;
}

export interface MailCaptureOptions {
  port?: number;
  /** Port of the HTTP listing; undefined for none, 0 for a free one. */
  httpPort?: number;
  /** Called for each message before it is accepted; a thrown error refuses it (its responseCode is the reply). */
  onMessage?: (message: CapturedMessage) => void | Promise<void>;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

export async function startMailCapture(options: MailCaptureOptions = {}): Promise<MailCapture> {
  const messages: CapturedMessage[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    banner: "Digital Home mail capture",
    async onData(stream, session, callback) {
      try {
        const parsed = await simpleParser(stream);
        const headers: Record<string, string> = {};
        for (const [k, v] of parsed.headers) headers[k] = typeof v === "string" ? v : JSON.stringify(v);
        const message: CapturedMessage = {
          messageId: parsed.messageId ?? "",
          from: parsed.from?.text ?? "",
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: parsed.subject ?? "",
          text: parsed.text ?? "",
          headers,
          receivedAt: new Date().toISOString(),
        };
        await options.onMessage?.(message);
        messages.push(message);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once("error", reject);
    smtp.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (smtp.server.address() as AddressInfo).port;

  let http: Server | undefined;
  let httpUrl: string | undefined;
  if (options.httpPort !== undefined) {
    http = createServer((req, res) => {
      if (req.url === "/messages") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ messages }));
        return;
      }
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(
        `<!doctype html><meta charset="utf-8"><title>Captured e-mail</title><h1>Captured e-mail (${messages.length})</h1>` +
          [...messages]
            .reverse()
            .map((m) => `<article><h2>${escapeHtml(m.subject)}</h2><p>To: ${escapeHtml(m.to.join(", "))} · ${escapeHtml(m.receivedAt)}</p><pre>${escapeHtml(m.text)}</pre></article>`)
            .join("<hr>"),
      );
    });
    await new Promise<void>((resolve, reject) => {
      http!.once("error", reject);
      http!.listen(options.httpPort, "127.0.0.1", () => resolve());
    });
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  return {
    port,
    httpUrl,
    messages,
    stop: async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      if (http) {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http!.close(() => resolve()));
      }
    },
  };
}
