/**
 * Agenda texts to show in a protocol, each only under its own hash: `--texts FILE` (offline, a file
 * of texts) or `--documents URL` (each question's wording read from the document store under its
 * textRef, the bytes checked against the hash by lib/documents-client.ts).
 */
import { readFile } from "node:fs/promises";
import { DocumentsClient } from "#lib/documents-client.js";
import { textsOf, type ProtocolTexts } from "#lib/protocol/model.js";
import type { ChainReader } from "#lib/recount/chain.js";
import { loadMeeting } from "#lib/recount/recount.js";
import { UsageError } from "./errors.js";

/** Reads a texts file: a JSON array of strings or an object whose values are strings; keys are ignored
 * and every text is indexed by its keccak256, so a text that does not match its hash is never shown. */
export async function readTexts(file: string): Promise<ProtocolTexts> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--texts ${file}: ${(err as Error).message}`);
  }
  const values = Array.isArray(json) ? json : json && typeof json === "object" ? Object.values(json) : null;
  if (!values || !values.every((v) => typeof v === "string")) {
    throw new UsageError(`--texts ${file}: expected a JSON array of strings or an object of strings`);
  }
  return textsOf(values as string[]);
}

/** Reads each question's wording of a meeting from the document store; a wording the store lacks is a usage error naming the question. */
export async function textsFromStore(reader: ChainReader, meetingId: bigint, url: string): Promise<ProtocolTexts> {
  let store: DocumentsClient;
  try {
    store = new DocumentsClient(new URL(url).toString());
  } catch {
    throw new UsageError(`--documents ${url}: expected the document store's http(s) URL`);
  }
  const meeting = await loadMeeting(reader, meetingId);
  const texts: string[] = [];
  for (const [i, q] of meeting.questions.entries()) {
    const text = await store.text(q.textRef);
    if (text === null) throw new UsageError(`--documents ${url}: the store has no wording of question ${i + 1} (${q.textRef})`);
    texts.push(text);
  }
  return textsOf(texts);
}
