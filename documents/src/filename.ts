/**
 * The name a document is downloaded under. What the uploader calls a file is a label, not a path:
 * only its last segment is kept, characters that mean something to a file system or a shell are
 * replaced, invisible and direction-changing characters dropped, and its extension is always the
 * one of the sniffed type — so a PDF sent as `minutes.html` or `run.js` downloads as `minutes.pdf`
 * or `run.pdf`. A name with control characters, or longer than a file name can be, is refused.
 */
import { AppError } from "#lib/errors.js";
import { TYPE_INFO, type DocumentType } from "./types.js";

export const MAX_NAME_LENGTH = 255;
/** The part before the extension is cut to this many characters. */
const MAX_STEM = 100;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Zero-width, bidirectional and other format characters that would hide a name's real ending. */
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const RESERVED = /["*:<>?|\\/]/g;

/** Refuses a name that cannot be a label: too long, or with control characters. */
export function checkName(given: string): void {
  if (given.length > MAX_NAME_LENGTH) throw new AppError("invalid_name", `the name is ${given.length} characters; at most ${MAX_NAME_LENGTH} are accepted`);
  if (CONTROL.test(given)) throw new AppError("invalid_name", "the name holds control characters");
}

/** The stored name for a document of `type` the uploader called `given` (or nothing). */
export function safeFileName(given: string | undefined, type: DocumentType, id: string): string {
  const extension = TYPE_INFO[type].extension;
  const fallback = `document-${id.slice(2, 10)}${extension}`;
  if (given === undefined) return fallback;
  checkName(given);
  let stem = given.split(/[\\/]/).pop()!.normalize("NFC").replace(INVISIBLE, "").replace(RESERVED, "_").replace(/\s+/g, " ").trim();
  stem = stem.replace(/\.[A-Za-z0-9]{1,8}$/, "");
  stem = [...stem].slice(0, MAX_STEM).join("");
  stem = stem.replace(/^[\s.]+/, "").replace(/[\s.]+$/, "");
  return stem.length === 0 ? fallback : `${stem}${extension}`;
}

/** RFC 5987 encoding of a UTF-8 value for `filename*`. */
function extValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The Content-Disposition of a stored name: an ASCII `filename` for old clients and the UTF-8 `filename*`. */
export function contentDisposition(type: DocumentType, name: string): string {
  const asciiName = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${TYPE_INFO[type].disposition}; filename="${asciiName}"; filename*=UTF-8''${extValue(name)}`;
}
