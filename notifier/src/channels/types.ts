/** What a channel adapter receives and answers. */
import { AppError, type AppErrorOptions } from "#lib/errors.js";
import type { Channel } from "../directory.js";

export interface OutgoingMessage {
  /** Stable per (notice, recipient, channel): the idempotency key providers and mail clients see. */
  key: string;
  noticeId: string;
  meetingId: string;
  type: string;
  address: string;
  destination: string;
  language: string;
  subject: string;
  body: string;
  shortBody: string;
}

/** The provider's answer, kept in the delivery log as proof of notice. */
export interface Delivery {
  providerResponse: string;
}

/**
 * A send that failed, as the outbox records it for that attempt in the delivery log: the provider's
 * refusal or silence, never an answer to an HTTP request. `retryable` decides whether the outbox
 * tries again; code "invalid_destination" marks a malformed address or number.
 */
export class DeliveryError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, options);
  }
}

/**
 * A channel adapter. `send` resolves with the provider's answer or throws a DeliveryError: retryable
 * for transient failures (connection refused, 4xx SMTP reply, HTTP 5xx/429), final otherwise, and
 * code "invalid_destination" for a malformed address or number.
 */
export interface ChannelAdapter {
  readonly channel: Channel;
  send(message: OutgoingMessage): Promise<Delivery>;
  close?(): Promise<void> | void;
}
