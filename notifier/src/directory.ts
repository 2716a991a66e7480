/**
 * The resident directory: who a resident is on chain (address), how to reach them (e-mail, phone),
 * in which language, and which channels they declined. Personal data: it stays in this database and
 * never goes on chain, into events or into the subgraph.
 */
import { getAddress } from "ethers";
import type { Database } from "./db.js";
import { AppError } from "#lib/errors.js";
import type { Language } from "./config.js";

export type Channel = "app" | "email" | "sms";
export const CHANNELS: readonly Channel[] = ["app", "email", "sms"];

export interface Resident {
  residentId: string;
  address: string;
  language: Language;
  email: string | null;
  phone: string | null;
  optOut: Record<Channel, boolean>;
  updatedAt: string;
}

export interface ResidentInput {
  address: string;
  language: Language;
  email?: string | null;
  phone?: string | null;
  optOut?: Partial<Record<Channel, boolean>>;
}

interface Row {
  resident_id: string;
  address: string;
  language: string;
  email: string | null;
  phone: string | null;
  opt_out_app: number;
  opt_out_email: number;
  opt_out_sms: number;
  updated_at: string;
}

const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]{2,}$/;

/** Whether an e-mail address is well formed enough to hand to an SMTP server. */
export function wellFormedEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

/** A phone number in E.164 (+ and 8–15 digits) after dropping spaces, dashes and brackets; else undefined. */
export function normalisePhone(phone: string): string | undefined {
  const compact = phone.replace(/[\s()-]/g, "");
  return /^\+[1-9]\d{7,14}$/.test(compact) ? compact : undefined;
}

/** Problems with a contact that do not stop it being stored; the delivery log reports them per notice. */
export function contactWarnings(input: { email?: string | null; phone?: string | null }): Array<{ field: string; code: string; message: string }> {
  const warnings = [];
  if (input.email && !wellFormedEmail(input.email)) {
    warnings.push({ field: "email", code: "malformed_email", message: "the e-mail address is malformed; e-mail notices will fail until it is corrected" });
  }
  if (input.phone && !normalisePhone(input.phone)) {
    warnings.push({ field: "phone", code: "malformed_phone", message: "the phone number is not in international form (+7…); SMS notices will fail until it is corrected" });
  }
  return warnings;
}

function fromRow(row: Row): Resident {
  return {
    residentId: row.resident_id,
    address: row.address,
    language: row.language as Language,
    email: row.email,
    phone: row.phone,
    optOut: { app: row.opt_out_app === 1, email: row.opt_out_email === 1, sms: row.opt_out_sms === 1 },
    updatedAt: row.updated_at,
  };
}

export class Directory {
  constructor(private readonly db: Database) {}

  /** Creates or replaces a resident's entry; returns whether it was new. An address belongs to one resident (409 otherwise). */
  upsert(residentId: string, input: ResidentInput): { resident: Resident; created: boolean } {
    const address = getAddress(input.address);
    return this.db.transaction(() => {
      const existing = this.find(residentId);
      const optOut = { ...(existing?.optOut ?? { app: false, email: false, sms: false }), ...(input.optOut ?? {}) };
      const holder = this.db.sql("SELECT resident_id FROM residents WHERE address = ? AND resident_id <> ?").get(address, residentId) as { resident_id: string } | undefined;
      if (holder) throw new AppError("address_in_use", `address ${address} belongs to resident '${holder.resident_id}'; remove that entry first`);
      this.db
        .sql(
          `INSERT INTO residents (resident_id, address, language, email, phone, opt_out_app, opt_out_email, opt_out_sms, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (resident_id) DO UPDATE SET address = excluded.address, language = excluded.language, email = excluded.email,
             phone = excluded.phone, opt_out_app = excluded.opt_out_app, opt_out_email = excluded.opt_out_email,
             opt_out_sms = excluded.opt_out_sms, updated_at = excluded.updated_at`,
        )
        .run(residentId, address, input.language, input.email ?? null, input.phone ?? null, +optOut.app, +optOut.email, +optOut.sms, new Date().toISOString());
      return { resident: this.find(residentId)!, created: existing === undefined };
    });
  }

  /** Changes a resident's own preferences (language, opt-outs). */
  setPreferences(residentId: string, prefs: { language?: Language; optOut?: Partial<Record<Channel, boolean>> }): Resident | undefined {
    const r = this.find(residentId);
    if (!r) return undefined;
    return this.upsert(residentId, { address: r.address, language: prefs.language ?? r.language, email: r.email, phone: r.phone, optOut: prefs.optOut }).resident;
  }

  remove(residentId: string): boolean {
    return Number(this.db.sql("DELETE FROM residents WHERE resident_id = ?").run(residentId).changes) > 0;
  }

  find(residentId: string): Resident | undefined {
    const row = this.db.sql("SELECT * FROM residents WHERE resident_id = ?").get(residentId) as Row | undefined;
    return row && fromRow(row);
  }

  byAddress(address: string): Resident | undefined {
    const row = this.db.sql("SELECT * FROM residents WHERE address = ?").get(getAddress(address)) as Row | undefined;
    return row && fromRow(row);
  }

  list(): Resident[] {
    return (this.db.sql("SELECT * FROM residents ORDER BY resident_id").all() as unknown as Row[]).map(fromRow);
  }
}
