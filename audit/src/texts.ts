/** The `--texts FILE` option: agenda texts to show in a protocol, each only under its own hash. */
import { readFile } from "node:fs/promises";
import { textsOf, type ProtocolTexts } from "#lib/protocol/model.js";
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
