/**
 * How a one-time code reaches the resident: custody hands it to the notifier (`POST /v1/otp` with
 * custody's service token, the resident id, the code and its expiry), which sends it by SMS and
 * e-mail to the resident's contacts. Custody answers the resident before the notifier is asked, and
 * the same whatever the notifier answers, so neither the answer nor its timing tells whether the
 * resident has contacts. The code is never written to a log line, here or at the notifier.
 */
import type { Logger } from "#lib/log.js";

/** Hands a code, valid until `expiresAt` (Unix ms), on to be delivered; never throws, never waits. */
export type CodeDelivery = (residentId: string, code: string, expiresAt: number) => void;

export interface NotifierDeliveryOptions {
  notifierUrl: string;
  /** Custody's service token at the notifier (its NOTIFIER_OTP_TOKEN). */
  token: string;
  log: Logger;
  timeoutMs?: number;
}

/** Delivery through the notifier's OTP endpoint; failures are logged (without the code) and not retried: the resident asks again. */
export function notifierDelivery(options: NotifierDeliveryOptions): CodeDelivery & { settled(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  const endpoint = new URL("/v1/otp", options.notifierUrl);
  const deliver = (residentId: string, code: string, expiresAt: number) => {
    const sent = (async () => {
      try {
        const response = await fetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
          body: JSON.stringify({ residentId, code, expiresAt: new Date(expiresAt).toISOString() }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          redirect: "manual",
        });
        const answer = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
        if (response.status === 401 || response.status === 403) {
          options.log.error("the notifier refused custody's service token (CUSTODY_NOTIFIER_TOKEN); one-time codes reach nobody", { residentId, status: response.status });
        } else if (!response.ok) {
          options.log.warn("the notifier did not take a one-time code", { residentId, status: response.status, error: answer?.error?.code });
        } else {
          options.log.info("one-time code handed to the notifier", { residentId });
        }
      } catch (err) {
        options.log.warn("the notifier cannot be reached; a one-time code reached nobody", { residentId, err: (err as Error).name });
      }
    })();
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  };
  return Object.assign(deliver, { settled: async () => void (await Promise.all([...inFlight])) });
}
