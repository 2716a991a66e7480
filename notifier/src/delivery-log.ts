/**
 * A meeting's delivery log as its proof of notice (Housing Code art. 45 part 4): every attempt to
 * deliver each notice of the meeting — to whom (account, resident), by which channel and to which
 * destination, when, and what the provider answered. Its initiator and administrator download it, as
 * CSV for a spreadsheet or JSON.
 */
import type { DeliveryLogEntry } from "./outbox.js";

const COLUMNS: Array<keyof DeliveryLogEntry> = ["id", "at", "noticeId", "meetingId", "type", "address", "residentId", "channel", "destination", "attempt", "outcome", "providerResponse"];

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; a formula's lead character is defused for spreadsheets. */
function field(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The log as CSV: a header line, then one line per delivery attempt, CRLF line ends. */
export function deliveryLogCsv(entries: readonly DeliveryLogEntry[]): string {
  return [COLUMNS.join(","), ...entries.map((e) => COLUMNS.map((c) => field(e[c])).join(","))].join("\r\n") + "\r\n";
}
