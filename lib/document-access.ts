/**
 * Who may read a document of the document store. Most documents are public: an agenda's texts, a
 * notice and its materials are addressed by the hash the chain publishes, and anyone may read them.
 * Some carry personal data and are restricted to the people a rule names, each rule about one
 * meeting:
 *
 * - `protocol` — a protocol, whose annexes list the owners with their identity data: the owners of
 *   the meeting's building at its snapshot, its initiator and its administrator (checked on chain);
 * - `paper-decision` — the scan of an owner's decision on paper: its uploader and the meeting's
 *   administrator, who enters it;
 * - `power-of-attorney` — the document of a power of attorney: its uploader and the meeting's
 *   administrator, who records it.
 *
 * The platform's services (the keeper, the notifier) read every document with their tokens. The
 * uploader chooses the level; the query of an upload names it (`?access=restricted&purpose=…&meeting=…`),
 * defined here once for the store and its clients.
 */
export const RESTRICTED_PURPOSES = ["protocol", "paper-decision", "power-of-attorney"] as const;
export type RestrictedPurpose = (typeof RESTRICTED_PURPOSES)[number];

export type DocumentAccess = { level: "public" } | { level: "restricted"; purpose: RestrictedPurpose; meetingId: bigint };

export const PUBLIC: DocumentAccess = { level: "public" };

/** The query parameters of an upload at this access level (none for a public document). */
export function accessQuery(access: DocumentAccess): Record<string, string> {
  if (access.level === "public") return {};
  return { access: "restricted", purpose: access.purpose, meeting: access.meetingId.toString() };
}

/** The access level as the API shows it: `{ level }`, and for a restricted document its purpose and meeting. */
export function accessView(access: DocumentAccess): { level: "public" } | { level: "restricted"; purpose: RestrictedPurpose; meetingId: string } {
  return access.level === "public" ? { level: "public" } : { level: "restricted", purpose: access.purpose, meetingId: access.meetingId.toString() };
}
