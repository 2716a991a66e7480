/**
 * Onboarding a person: an account at the custodial wallet (`POST /v1/residents` with custody's
 * registrar token, which creates the key once and answers the address) under the person id as the
 * resident id, and an entry in the notifier's directory (`PUT /v1/residents/:id` with the
 * notifier's registrar token) linking that id to the address with the person's language and
 * contacts. Both calls are idempotent.
 */
import { getAddress, isAddress } from "ethers";
import { AppError } from "#lib/errors.js";
import { serviceCall } from "./service-call.js";

export interface ServiceEndpoint {
  url: string;
  token: string;
  timeoutMs: number;
}

export interface DirectoryEntry {
  address: string;
  language: "ru" | "en";
  email: string | null;
  phone: string | null;
}

export class Onboarding {
  constructor(
    private readonly custody: ServiceEndpoint,
    private readonly notifier: ServiceEndpoint | undefined,
  ) {}

  /** Whether directory entries are written (a notifier is configured). */
  get hasDirectory(): boolean {
    return this.notifier !== undefined;
  }

  /** The person's custody address, creating their account the first time. */
  async account(personId: string): Promise<string> {
    const { body } = await serviceCall(
      new URL("/v1/residents", this.custody.url).href,
      { method: "POST", token: this.custody.token, body: { residentId: personId } },
      { service: "custody", timeoutMs: this.custody.timeoutMs, attempts: 4 },
    );
    const answer = body as { residentId?: unknown; address?: unknown };
    if (answer.residentId !== personId || typeof answer.address !== "string" || !isAddress(answer.address)) {
      throw new AppError("custody_refused", `custody answered no address for resident ${personId}`, { details: { body } });
    }
    return getAddress(answer.address);
  }

  /** Writes the person's directory entry at the notifier. */
  async directory(personId: string, entry: DirectoryEntry): Promise<void> {
    if (!this.notifier) throw new AppError("no_notifier", "no notifier is configured (REGISTRAR_NOTIFIER_URL)");
    await serviceCall(
      new URL(`/v1/residents/${encodeURIComponent(personId)}`, this.notifier.url).href,
      { method: "PUT", token: this.notifier.token, body: entry },
      { service: "notifier", timeoutMs: this.notifier.timeoutMs, attempts: 4 },
    );
  }
}
