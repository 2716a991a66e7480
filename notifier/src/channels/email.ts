/**
 * E-mail over SMTP with nodemailer. The Message-ID is derived from the outbox key, so a resend is
 * recognisable. The server's certificate is checked (STARTTLS or smtps) unless the configuration
 * names this server as a loopback test server (config.ts).
 */
import nodemailer, { type Transporter } from "nodemailer";
import { wellFormedEmail } from "../directory.js";
import type { SmtpConfig } from "../config.js";
import { DeliveryError, type ChannelAdapter, type Delivery, type OutgoingMessage } from "./types.js";

/** Host, port (nodemailer's defaults: 587, or 465 for smtps), implicit TLS and credentials of an smtp(s):// URL. */
export function smtpServer(url: string): { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } } {
  const u = new URL(url);
  const secure = u.protocol === "smtps:";
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
  };
}

const TRANSIENT_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET", "EPROTOCOL", "ETLS"]);

export class EmailChannel implements ChannelAdapter {
  readonly channel = "email" as const;
  private readonly transport: Transporter;

  constructor(private readonly config: SmtpConfig, timeoutMs: number, private readonly domain = "digital-home.local") {
    // nodemailer takes a URL's settings alone (the options beside a URL are dropped, and a second
    // argument is only message defaults), so the URL is read here and the options given with it.
    this.transport = nodemailer.createTransport({
      ...smtpServer(config.url),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      tls: { rejectUnauthorized: config.verifyTls },
    });
  }

  async send(m: OutgoingMessage): Promise<Delivery> {
    if (!wellFormedEmail(m.destination)) {
      throw new DeliveryError("invalid_destination", `malformed e-mail address '${m.destination}'`);
    }
    try {
      const info = await this.transport.sendMail({
        from: this.config.from,
        to: m.destination,
        subject: m.subject,
        text: m.body,
        messageId: `<${m.key}@${this.domain}>`,
        headers: { "X-Digital-Home-Notice": m.noticeId, "Content-Language": m.language },
      });
      if (info.rejected.length > 0) throw new DeliveryError("rejected", `the SMTP server rejected ${info.rejected.join(", ")}`, { details: { response: info.response } });
      return { providerResponse: `${info.response} (${info.messageId})` };
    } catch (err) {
      if (err instanceof DeliveryError) throw err;
      const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
      const reply = e.response ?? e.message ?? String(err);
      if (e.responseCode !== undefined) {
        const temporary = e.responseCode >= 400 && e.responseCode < 500;
        const invalid = e.responseCode === 553 || e.responseCode === 501;
        throw new DeliveryError(invalid ? "invalid_destination" : temporary ? "smtp_temporary" : "smtp_rejected", reply, { retryable: temporary, cause: err });
      }
      if (e.code === "EENVELOPE") throw new DeliveryError("invalid_destination", reply, { cause: err });
      throw new DeliveryError("smtp_unavailable", reply, { retryable: e.code === undefined || TRANSIENT_CODES.has(e.code), cause: err });
    }
  }

  close(): void {
    this.transport.close();
  }
}
