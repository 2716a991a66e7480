/**
 * For the demo of `npm start`: gives residents onboarded by the custody service an entry in the
 * notifier's directory with a made-up e-mail address, so their notices show up in the mail capture.
 * The address of each resident is asked of the custody service (onboarding is idempotent there).
 */
import type { Directory } from "./directory.js";
import { AppError } from "#lib/errors.js";
import type { Language } from "./config.js";

export interface DemoContactsOptions {
  custodyUrl: string;
  /** The custody service's registrar token. */
  registrarToken: string;
  residentIds: string[];
  language?: Language;
  /** Domain of the made-up e-mail addresses. */
  mailDomain?: string;
}

export async function registerDemoContacts(directory: Directory, options: DemoContactsOptions): Promise<Array<{ residentId: string; address: string; email: string }>> {
  const out = [];
  for (const residentId of options.residentIds) {
    const response = await fetch(`${options.custodyUrl.replace(/\/$/, "")}/v1/residents`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${options.registrarToken}` },
      body: JSON.stringify({ residentId }),
    });
    const body = (await response.json().catch(() => ({}))) as { address?: string; error?: { code: string; message: string } };
    if (!response.ok || !body.address) {
      throw new AppError("custody_lookup_failed", `custody service answered ${response.status} for '${residentId}': ${body.error?.message ?? "no address"}`);
    }
    const email = `${residentId}@${options.mailDomain ?? "demo.digital-home.local"}`;
    directory.upsert(residentId, { address: body.address, language: options.language ?? "ru", email });
    out.push({ residentId, address: body.address, email });
  }
  return out;
}
