/**
 * What a PDF must be to be stored: a file with a PDF header and an end-of-file marker, not encrypted
 * (every owner must be able to read a meeting's materials), naming no JavaScript and no launch
 * action. Agenda materials have no use for either, and a script in a PDF runs in whatever viewer
 * opens it.
 *
 * The check reads names, not a parsed document: every PDF name in the file (with its `#xx` escapes
 * decoded, so `/J#61vaScript` is `/JavaScript`) and every name inside its compressed object streams
 * (`/Type /ObjStm`, inflated within a budget), where a producer may hide dictionaries from a plain
 * scan. Any action that runs a script is typed `/S /JavaScript`, and a document's scripts live
 * under `/JavaScript` in its name tree, so that name is what is looked for. It is a best effort and
 * not a PDF parser: that is why a PDF is always served as a download with `nosniff` and a sandbox
 * policy, never shown in the page's origin.
 */
import { constants, inflateSync } from "node:zlib";
import { AppError } from "#lib/errors.js";

/** Names that make a PDF active. */
const ACTIVE_NAMES = new Set(["JavaScript", "Launch"]);
/** Object streams may inflate to this much in all, then the PDF is refused as one we cannot check. */
export const OBJECT_STREAMS_BUDGET = 64 * 1024 * 1024;

/** A PDF name: a solidus and the regular characters after it (PDF 32000-1, 7.3.5). */
const NAME = /\/([^\x00\t\n\f\r ()<>[\]{}/%]*)/g;
/** The keyword that opens a stream's data, not the end of `endstream`. */
const STREAM = /(?<![A-Za-z0-9])stream(?:\r\n|\n|\r)/g;

function decodeName(raw: string): string {
  return raw.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const refused = (name: string, where: string) =>
  new AppError("active_content_refused", `the PDF names /${name}${where}: PDFs with scripts or launch actions are not accepted`, {
    details: { type: "pdf", name, where: where ? "object stream" : "document" },
  });

const unchecked = (reason: string) =>
  new AppError("unsupported_document_type", `the PDF cannot be accepted: ${reason}`, { details: { type: "pdf", reason } });

/** The names in `text` (latin1), decoded, with where each starts. */
function* namesOf(text: string): Generator<{ name: string; at: number }> {
  NAME.lastIndex = 0;
  for (let m = NAME.exec(text); m; m = NAME.exec(text)) yield { name: decodeName(m[1]!), at: m.index };
}

/** The filters named in a stream dictionary's /Filter (a name or an array of names). */
function filtersOf(dict: string): string[] {
  const m = /\/Filter\s*(\[[^\]]*\]|\/[^\x00\t\n\f\r ()<>[\]{}/%]+)/.exec(dict);
  if (!m) return [];
  return [...namesOf(m[1]!)].map((n) => n.name);
}

/** The decoded content of the object stream whose `/ObjStm` name is at `at`, within `budget` bytes. */
function objectStream(bytes: Buffer, text: string, at: number, budget: number): Buffer {
  STREAM.lastIndex = at;
  const keyword = STREAM.exec(text);
  if (!keyword) throw unchecked("an object stream has no data");
  const dict = text.slice(Math.max(0, text.lastIndexOf("obj", at)), keyword.index);
  const start = keyword.index + keyword[0].length;
  const end = text.indexOf("endstream", start);
  if (end < 0) throw unchecked("an object stream has no endstream");
  const data = bytes.subarray(start, end);
  const filters = filtersOf(dict);
  if (filters.length === 0) return data;
  if (filters.length > 1 || filters[0] !== "FlateDecode") throw unchecked(`an object stream is encoded with ${filters.join(", ")}, which this store does not decode`);
  const predictor = /\/Predictor\s*(\d+)/.exec(dict);
  if (predictor && Number(predictor[1]) > 1) throw unchecked("an object stream uses a predictor, which this store does not decode");
  try {
    return inflateSync(data, { maxOutputLength: Math.max(1, budget), finishFlush: constants.Z_SYNC_FLUSH });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw unchecked(`its object streams inflate to more than ${OBJECT_STREAMS_BUDGET} bytes`);
    throw unchecked("an object stream does not inflate");
  }
}

/** Throws unless `bytes` is a PDF this store accepts. */
export function checkPdf(bytes: Buffer): void {
  if (!/^%PDF-\d\.\d/.test(bytes.subarray(0, 8).toString("latin1"))) throw unchecked("it does not start with a PDF header (%PDF-n.n)");
  if (!bytes.subarray(Math.max(0, bytes.length - 1024)).toString("latin1").includes("%%EOF")) {
    throw unchecked("it has no end-of-file marker (%%EOF) at its end: it is truncated or not a PDF");
  }
  const text = bytes.toString("latin1");
  const objectStreams: number[] = [];
  for (const { name, at } of namesOf(text)) {
    if (ACTIVE_NAMES.has(name)) throw refused(name, "");
    if (name === "Encrypt") throw unchecked("it is encrypted; the materials of a meeting must open for every owner");
    if (name === "ObjStm") objectStreams.push(at);
  }
  let budget = OBJECT_STREAMS_BUDGET;
  for (const at of objectStreams) {
    const content = objectStream(bytes, text, at, budget);
    budget -= content.length;
    for (const { name } of namesOf(content.toString("latin1"))) {
      if (ACTIVE_NAMES.has(name) || name === "JS") throw refused(name, " inside an object stream");
    }
  }
}
