/**
 * Agenda texts live off chain: a question carries keccak256 of its UTF-8 text, which is the text's
 * id in the document store. The notifier reads each wording from the store (`prefetch` before a
 * notice is written, each checked against its hash by the client and kept once read: a document
 * never changes) and, for a deployment without one, from a texts file (a JSON array of strings),
 * re-read when it changes. A hash without a text is shown as the hash.
 */
import { readFileSync, statSync } from "node:fs";
import { id } from "ethers";
import type { Logger } from "#lib/log.js";
import { noticeDiffers, parseNotice, type AnnouncedMeeting, type Notice } from "#lib/notice.js";

/** Where wordings and notices are read by their hash: the document store's client (lib/documents-client.ts). */
export interface TextSource {
  text(id: string): Promise<string | null>;
  get(id: string): Promise<Buffer | null>;
}

export class AgendaTexts {
  private texts = new Map<string, string>();
  private readonly stored = new Map<string, string>();
  private readonly notices = new Map<string, Notice | null>();
  private loadedMtime = -1;

  constructor(private readonly file: string | undefined, private readonly log: Logger, private readonly store?: TextSource) {}

  /** Reads from the store the wordings not read yet; one the store lacks or cannot serve now stays a hash (and is asked again next time). */
  async prefetch(hashes: readonly string[]): Promise<void> {
    if (!this.store) return;
    for (const hash of new Set(hashes.map((h) => h.toLowerCase()))) {
      if (this.stored.has(hash)) continue;
      try {
        const text = await this.store.text(hash);
        if (text === null) this.log.warn("agenda text not in the document store", { textRef: hash });
        else this.stored.set(hash, text);
      } catch (err) {
        this.log.warn("agenda text cannot be read from the document store", { textRef: hash, err });
      }
    }
  }

  /**
   * The notice document of a meeting (its `agendaRef`, lib/notice.ts), when the store has it, it is a
   * notice and every field the chain also records agrees with `meeting`; otherwise undefined (logged
   * once): a notice that differs is never shown as the meeting's.
   */
  async notice(agendaRef: string, meeting: AnnouncedMeeting): Promise<Notice | undefined> {
    if (!this.store) return undefined;
    const key = agendaRef.toLowerCase();
    if (this.notices.has(key)) return this.notices.get(key) ?? undefined;
    let bytes: Buffer | null;
    try {
      bytes = await this.store.get(key);
    } catch (err) {
      this.log.warn("the meeting's notice cannot be read from the document store", { agendaRef: key, err });
      return undefined; // asked again next time
    }
    let notice: Notice | undefined;
    if (bytes !== null) {
      const parsed = parseNotice(bytes);
      const differs = parsed.notice ? noticeDiffers(parsed.notice, meeting) : parsed.problems;
      if (differs.length === 0) notice = parsed.notice;
      else this.log.warn("the document under the meeting's agendaRef is not its notice", { agendaRef: key, problems: differs.slice(0, 10) });
    }
    this.notices.set(key, notice ?? null);
    return notice;
  }

  /** The text whose keccak256 is `hash` (from the store, else the file), or the hash itself. */
  text(hash: string): string {
    const key = hash.toLowerCase();
    const stored = this.stored.get(key);
    if (stored !== undefined) return stored;
    this.refresh();
    return this.texts.get(key) ?? hash;
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
