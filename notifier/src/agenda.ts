/**
 * Agenda texts live off chain: a question carries keccak256 of its UTF-8 text. A texts file (a JSON
 * array of strings) turns hashes back into words; it is re-read when it changes, and a hash without
 * a text is shown as the hash.
 */
import { readFileSync, statSync } from "node:fs";
import { id } from "ethers";
import type { Logger } from "#lib/log.js";

export class AgendaTexts {
  private texts = new Map<string, string>();
  private loadedMtime = -1;

  constructor(private readonly file: string | undefined, private readonly log: Logger) {}

  /** The text whose keccak256 is `hash`, or the hash itself. */
  text(hash: string): string {
    this.refresh();
    return this.texts.get(hash.toLowerCase()) ?? hash;
  }

  private refresh(): void {
    if (!this.file) return;
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch {
      return;
    }
    if (mtime === this.loadedMtime) return;
    this.loadedMtime = mtime;
    let list: unknown;
    try {
      list = JSON.parse(readFileSync(this.file, "utf8"));
    } catch (err) {
      this.log.warn("agenda texts file cannot be read", { file: this.file, err });
      return;
    }
    if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
      this.log.warn("agenda texts file cannot be read", { file: this.file, reason: "expected a JSON array of strings" });
      return;
    }
    this.texts = new Map(list.map((s: string) => [id(s).toLowerCase(), s]));
  }
}
