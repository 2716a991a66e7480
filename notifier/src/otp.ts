/**
 * One-time login codes that custody hands over (`POST /v1/otp`, custody's service token): sent at
 * once by SMS and e-mail to the resident's contacts, by the channels the resident has not declined.
 *
 * A code is not a notice. It does not go through the outbox: the outbox keeps every message's body
 * in its database and the delivery log, which its readers download as the proof of notice, and a
 * code must be kept nowhere. It is not held by the notice budget, which is for meetings; it has its
 * own rate limit per resident (and one for the whole service), because each code costs an SMS. It
 * is sent once, without retries: it expires within minutes, and the resident asks for another.
 *
 * The code is never written to a log line: what is logged is the resident, the channel and the
 * provider's error code, never the message nor the provider's answer (a gateway may echo the text).
 * The answer to custody is the same whether the resident has contacts or not, and comes before any
 * sending, so neither it nor its timing says which.
 */
import { randomUUID } from "node:crypto";
import { AppError } from "#lib/errors.js";
import { sameSecret } from "#lib/http/auth.js";
import { tokenBuckets } from "#lib/http/rate-limit.js";
import type { Logger } from "#lib/log.js";
import type { Language } from "./config.js";
import type { Channel, Directory, Resident } from "./directory.js";
import type { ChannelAdapter, OutgoingMessage } from "./channels/types.js";
import { formatTime } from "./templates.js";

const HOUR_MS = 3_600_000;

export interface OtpOptions {
  /** Codes a resident may be sent in an hour (each costs an SMS). */
  perResidentPerHour: number;
  /** Codes the whole service sends in a minute. */
  perMinute: number;
  timeZone: string;
}

export interface OtpRequest {
  residentId: string;
  code: string;
  /** When the code expires (Unix ms). */
  expiresAt: number;
}

/** The text of a code message; the code stands alone on its line so a phone can offer to copy it. */
export function otpText(language: Language, code: string, expiresAt: number, timeZone: string): { subject: string; body: string; shortBody: string } {
  const until = formatTime(Math.floor(expiresAt / 1000), language, timeZone);
  return language === "ru"
    ? {
        subject: "Код входа в Цифровой дом",
        body: `Ваш код входа в Цифровой дом:\n\n${code}\n\nОн действует до ${until}. Никому его не сообщайте: сотрудники его не спрашивают. Если вы не входили, просто не используйте его.`,
        shortBody: `Код входа в Цифровой дом: ${code}. Действует до ${until}. Никому не сообщайте.`,
      }
    : {
        subject: "Your Digital Home sign-in code",
        body: `Your Digital Home sign-in code:\n\n${code}\n\nIt is valid until ${until}. Tell it to nobody: no staff member will ask for it. If you did not try to sign in, do not use it.`,
        shortBody: `Digital Home sign-in code: ${code}. Valid until ${until}. Tell it to nobody.`,
      };
}

/** A check of custody's service token: `unauthenticated` without one, `forbidden` with another. */
export function serviceTokenCheck(token: string | undefined): (authorization: string | undefined) => void {
  return (authorization) => {
    if (token === undefined) throw new AppError("otp_not_configured", "one-time codes are not sent by this notifier (NOTIFIER_OTP_TOKEN is unset)");
    const m = /^Bearer (.+)$/.exec(authorization ?? "");
    if (!m) throw new AppError("unauthenticated", "custody's service token is required");
    if (!sameSecret(m[1]!, token)) throw new AppError("forbidden", "the service token is not custody's");
  };
}

export class OtpSender {
  /** When each resident was last sent codes, within the past hour (Unix ms). */
  private readonly sentTo = new Map<string, number[]>();
  private readonly overall: (key: string) => number;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly directory: Directory,
    private readonly adapters: ReadonlyMap<Channel, ChannelAdapter>,
    private readonly options: OtpOptions,
    private readonly log: Logger,
  ) {
    this.overall = tokenBuckets(options.perMinute);
  }

  /**
   * Takes a code for sending, or `rate_limited` with the seconds to wait. Returns before anything is
   * sent; the limit counts residents with and without contacts alike.
   */
  accept(request: OtpRequest): void {
    const wait = this.residentWait(request.residentId) || this.overall("all");
    if (wait > 0) {
      this.log.warn("one-time code refused by the rate limit", { residentId: request.residentId, retryAfter: wait });
      throw new AppError("rate_limited", `too many one-time codes; retry in ${wait} s`, { retryable: true, details: { retryAfter: wait } });
    }
    this.sentTo.set(request.residentId, [...(this.sentTo.get(request.residentId) ?? []), Date.now()]);
    const sending = this.send(request).catch((err: unknown) => this.log.error("one-time code not sent", { residentId: request.residentId, code: (err as AppError).code ?? "unexpected" }));
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Seconds until the resident may be sent another code (0: now): at most `perResidentPerHour` in any hour. */
  private residentWait(residentId: string): number {
    const now = Date.now();
    if (this.sentTo.size > 10_000) for (const [id, times] of this.sentTo) if (times.every((t) => now - t >= HOUR_MS)) this.sentTo.delete(id);
    const recent = (this.sentTo.get(residentId) ?? []).filter((t) => now - t < HOUR_MS);
    this.sentTo.set(residentId, recent);
    if (recent.length < this.options.perResidentPerHour) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.options.perResidentPerHour]! + HOUR_MS - now) / 1000));
  }

  /** Resolves when every code taken so far has been sent or has failed (for an orderly stop and tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async send(request: OtpRequest): Promise<void> {
    const resident = this.directory.find(request.residentId);
    const routes = resident ? this.routes(resident) : [];
    if (routes.length === 0) {
      this.log.info("one-time code with no channel to send it by", { residentId: request.residentId, known: resident !== undefined });
      return;
    }
    const text = otpText(resident!.language, request.code, request.expiresAt, this.options.timeZone);
    await Promise.all(
      routes.map(async ([channel, destination, adapter]) => {
        const message: OutgoingMessage = {
          key: `otp-${randomUUID()}`,
          noticeId: "otp",
          meetingId: "",
          type: "otp",
          address: resident!.address,
          destination,
          language: resident!.language,
          ...text,
        };
        try {
          await adapter.send(message);
          this.log.info("one-time code sent", { residentId: request.residentId, channel });
        } catch (err) {
          this.log.warn("one-time code not delivered", { residentId: request.residentId, channel, error: (err as AppError).code ?? "unexpected" });
        }
      }),
    );
  }

  /** The resident's SMS and e-mail contacts that the resident has not declined and this notifier can send by. */
  private routes(resident: Resident): Array<[Channel, string, ChannelAdapter]> {
    const routes: Array<[Channel, string, ChannelAdapter]> = [];
    const contacts: Array<[Channel, string | null]> = [
      ["sms", resident.phone],
      ["email", resident.email],
    ];
    for (const [channel, destination] of contacts) {
      const adapter = this.adapters.get(channel);
      if (destination && adapter && !resident.optOut[channel]) routes.push([channel, destination, adapter]);
    }
    return routes;
  }
}
