/**
 * SMS through an HTTP gateway. A provider adapter implements ChannelAdapter; the first is a generic
 * JSON webhook: POST { to, text, reference } with an Idempotency-Key header, 2xx when accepted.
 */
import { normalisePhone } from "../directory.js";
import type { SmsConfig } from "../config.js";
import { DeliveryError, type ChannelAdapter, type Delivery, type OutgoingMessage } from "./types.js";

export class JsonWebhookSms implements ChannelAdapter {
  readonly channel = "sms" as const;

  constructor(private readonly config: SmsConfig, private readonly timeoutMs: number) {}

  async send(m: OutgoingMessage): Promise<Delivery> {
    const to = normalisePhone(m.destination);
    if (!to) throw new DeliveryError("invalid_destination", `malformed phone number '${m.destination}', expected +<country code><number>`);
    let response: Response;
    try {
      response = await fetch(this.config.webhookUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "idempotency-key": m.key,
          ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}),
        },
        body: JSON.stringify({ to, text: m.shortBody, reference: m.key }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new DeliveryError("sms_gateway_unavailable", `SMS gateway unreachable: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const body = (await response.text().catch(() => "")).slice(0, 500);
    const answer = `HTTP ${response.status}${body ? ` ${body}` : ""}`;
    if (response.ok) return { providerResponse: answer };
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    throw new DeliveryError(retryable ? "sms_gateway_error" : "sms_rejected", answer, { retryable });
  }
}
