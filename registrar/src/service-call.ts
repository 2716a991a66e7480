/**
 * A JSON request to another service of the system (custody, the notifier) with the registrar's
 * token for it: a timeout, a few retries with back-off while it cannot be reached or answers 5xx /
 * 429, and its error envelope (`{ error: { code, message } }`) kept in the failure's details. The
 * two calls the registrar makes are idempotent (custody onboards a resident once, the directory
 * entry is replaced), so a retry never does anything twice.
 */
import { AppError } from "#lib/errors.js";

export interface ServiceCallOptions {
  /** The service's name, for codes and messages: `custody_unavailable`, `custody_refused`. */
  service: "custody" | "notifier";
  timeoutMs: number;
  attempts: number;
}

export async function serviceCall(url: string, init: { method: string; token: string; body: unknown }, options: ServiceCallOptions): Promise<{ status: number; body: unknown }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 2)));
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method,
        headers: { "content-type": "application/json", authorization: `Bearer ${init.token}` },
        body: JSON.stringify(init.body),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: "manual",
      });
    } catch (err) {
      lastError = err;
      continue;
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    if (response.status >= 500 || response.status === 429) {
      lastError = new AppError(options.service === "custody" ? "custody_unavailable" : "notifier_unavailable", `${options.service} answered ${response.status}`, { details: { status: response.status, body } });
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      throw new AppError(options.service === "custody" ? "custody_refused" : "notifier_refused", `${options.service} refused ${init.method} ${new URL(url).pathname}: ${response.status} ${String(error?.code ?? "")} ${String(error?.message ?? "")}`.trim(), {
        details: { status: response.status, code: error?.code, message: error?.message },
      });
    }
    return { status: response.status, body };
  }
  throw new AppError(options.service === "custody" ? "custody_unavailable" : "notifier_unavailable", `${options.service} cannot be reached at ${new URL(url).origin} after ${options.attempts} attempts`, { cause: lastError, retryable: true });
}
