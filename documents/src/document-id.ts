/**
 * A document's id is the keccak256 of its bytes, 0x-prefixed lower-case hex: the same hash the chain
 * records as a question's `textRef` or a meeting's `agendaRef` (for a text, keccak256 of its UTF-8
 * bytes, which is ethers' `id(text)`). Ids from outside are accepted in exactly that shape (hex digits
 * in either case), so no path, dot or escape ever reaches the file system.
 */
import { AppError } from "#lib/errors.js";
import { keccakBytes } from "#lib/keccak.js";

const ID = /^0x[0-9a-fA-F]{64}$/;

/** The id of these bytes. */
export function documentIdOf(bytes: Uint8Array): string {
  return "0x" + Buffer.from(keccakBytes(bytes)).toString("hex");
}

/** Whether a string is an id as the store writes it (lower-case). */
export function isDocumentId(value: string): boolean {
  return ID.test(value) && value === value.toLowerCase();
}

/** The id in `raw` (as written in a URL path, undecoded), lower-cased, or `invalid_document_id`. */
export function parseDocumentId(raw: string): string {
  if (!ID.test(raw)) {
    const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
    throw new AppError("invalid_document_id", `'${shown}' is not a document id: expected 0x and 64 hex digits (the keccak256 of the document)`);
  }
  return raw.toLowerCase();
}
