/** What a channel adapter receives and answers. */
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
 * A channel adapter. `send` resolves with the provider's answer or throws a NotifierError: retryable
 * for transient failures (connection refused, 4xx SMTP reply, HTTP 5xx/429), final otherwise, and
 * code "invalid_destination" for a malformed address or number.
 */
export interface ChannelAdapter {
  readonly channel: Channel;
  send(message: OutgoingMessage): Promise<Delivery>;
  close?(): Promise<void> | void;
}
