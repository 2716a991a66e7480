/**
 * Moving agenda texts into the store: a JSON array of strings (the demo's `agenda-texts.json`, where
 * a question's `textRef` is the keccak256 of its text's UTF-8 bytes) becomes one document per text,
 * whose id is that same hash, so every `textRef` on chain opens its wording at /v1/documents/<textRef>.
 * Every text is checked as an upload is (sniff.ts) before any is stored: one bad entry, named by its
 * index, stores nothing. Running it again stores nothing new.
 */
import { readFile } from "node:fs/promises";
import { AppError } from "#lib/errors.js";
import { sniff } from "./sniff.js";
import type { DocumentStore, Uploader } from "./store.js";
import type { DocumentType } from "./types.js";

export interface ImportedText {
  index: number;
  id: string;
  type: DocumentType;
  created: boolean;
}

export interface ImportReport {
  texts: ImportedText[];
  created: number;
  existing: number;
}

/** The uploader recorded for imported texts. */
export const IMPORT_UPLOADER: Uploader = { kind: "service", id: "import-texts" };

/** The texts of `file`, every one checked; `invalid_texts_file` lists every problem at once. */
export async function readTexts(file: string, limits: Readonly<Record<DocumentType, number>>): Promise<string[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new AppError("invalid_texts_file", `${file}: cannot be read as JSON: ${(err as Error).message}`, { cause: err, details: { problems: [] } });
  }
  if (!Array.isArray(json)) throw new AppError("invalid_texts_file", `${file}: expected a JSON array of agenda texts (strings)`, { details: { problems: [] } });
  const problems: string[] = [];
  json.forEach((text: unknown, i) => {
    if (typeof text !== "string") {
      problems.push(`[${i}]: expected a string, got ${text === null ? "null" : typeof text}`);
      return;
    }
    try {
      sniff(Buffer.from(text, "utf8"), limits);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      problems.push(`[${i}]: ${err.code}: ${err.message}`);
    }
  });
  if (problems.length > 0) {
    throw new AppError("invalid_texts_file", `${file}: ${problems.length} of ${json.length} texts cannot be stored, so none is:\n${problems.map((p) => `  ${p}`).join("\n")}`, {
      details: { problems },
    });
  }
  return json as string[];
}

/** Stores each text (already checked by readTexts) as a document. */
export async function importTexts(store: DocumentStore, texts: readonly string[], uploader: Uploader = IMPORT_UPLOADER): Promise<ImportReport> {
  const out: ImportedText[] = [];
  for (const [index, text] of texts.entries()) {
    const { document, created } = await store.put({ bytes: Buffer.from(text, "utf8"), uploader });
    out.push({ index, id: document.id, type: document.type, created });
  }
  const created = out.filter((t) => t.created).length;
  return { texts: out, created, existing: out.length - created };
}
