/**
 * The document store: bytes on disk by their keccak256 (blobs.ts), what is known of them in SQLite
 * (catalog.ts). Storing goes in a fixed order, each step with its own code: the name → the type
 * sniffed from the bytes and its size limit → the id (the hash) → the same bytes stored already
 * (answered with the same id, and their file re-checked and repaired if it went bad) → the
 * uploader's quota → the file written atomically → the row. Concurrent uploads of the same bytes
 * wait for one another, so one of them creates the document and the others find it.
 *
 * Every read re-hashes the file: bytes that no longer match their id are never served; the document
 * is marked corrupt in the catalog, the failure logged as an error and counted, and the reader told
 * `document_corrupt`. Storing the right bytes again repairs it.
 */
import { PUBLIC, accessView, sameAccess, type DocumentAccess } from "#lib/document-access.js";
import { AppError } from "#lib/errors.js";
import type { Logger } from "#lib/log.js";
import { BlobStore } from "./blobs.js";
import { Catalog, type DocumentRecord } from "./catalog.js";
import { documentIdOf } from "./document-id.js";
import { checkName, safeFileName } from "./filename.js";
import { Quota, type QuotaLimits } from "./quota.js";
import { sniff } from "./sniff.js";
import type { DocumentType } from "./types.js";
import path from "node:path";

const describeAccess = (a: DocumentAccess) => (a.level === "public" ? "public" : `restricted (${a.purpose} of meeting ${a.meetingId})`);

/** Who stores a document: a resident (by the subject of their token) or one of the platform's services. */
export interface Uploader {
  kind: "resident" | "service";
  id: string;
}

export const uploaderKey = (u: Uploader) => `${u.kind}:${u.id}`;

export interface PutInput {
  bytes: Buffer;
  uploader: Uploader;
  /** What the uploader calls the file (a label; see filename.ts). */
  name?: string;
  /** The Content-Type the uploader sent: never believed, only reported when it disagrees. */
  declaredType?: string;
  /** Who may read it; public unless given. */
  access?: DocumentAccess;
}

export interface PutResult {
  document: DocumentRecord;
  /** False when the same bytes were stored already: the id is the same, nothing is written. */
  created: boolean;
  /** The stored file had gone bad (or missing) and these bytes replaced it. */
  repaired: boolean;
}

export interface StoreOptions {
  maxBytes: Readonly<Record<DocumentType, number>>;
  /** Residents' quota; services are not held to one. */
  quota?: QuotaLimits;
  log: Logger;
  now?: () => number;
}

export class DocumentStore {
  readonly blobs: BlobStore;
  readonly catalog: Catalog;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly all = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private readonly quota?: Quota;
  /** Reads refused since start because the file did not match its id. */
  corruptReads = 0;

  constructor(dir: string, private readonly options: StoreOptions) {
    this.blobs = new BlobStore(dir);
    this.catalog = new Catalog(path.join(dir, "documents.sqlite"));
    this.now = options.now ?? Date.now;
    if (options.quota) this.quota = new Quota(this.catalog, options.quota, this.now);
    const swept = this.blobs.sweepTemp();
    if (swept > 0) options.log.warn("unfinished writes of a stopped process removed", { count: swept });
  }

  find(id: string): DocumentRecord | undefined {
    return this.catalog.find(id);
  }

  /** Stores a document (see the order above), or throws the code of the step that refused it. */
  async put(input: PutInput): Promise<PutResult> {
    if (input.name !== undefined) checkName(input.name);
    const { type } = sniff(input.bytes, this.options.maxBytes, input.declaredType);
    const id = documentIdOf(input.bytes);
    for (let waiting = this.inFlight.get(id); waiting; waiting = this.inFlight.get(id)) await waiting.catch(() => undefined);
    const work = this.store(id, type, input);
    this.inFlight.set(id, work);
    this.all.add(work);
    try {
      return await work;
    } finally {
      if (this.inFlight.get(id) === work) this.inFlight.delete(id);
      this.all.delete(work);
    }
  }

  private async store(id: string, type: DocumentType, input: PutInput): Promise<PutResult> {
    const known = this.catalog.find(id);
    const access = input.access ?? PUBLIC;
    // the same bytes keep the level they were first stored at: a restricted document never turns public by a second upload, nor the reverse
    if (known && !sameAccess(known.access, access)) {
      throw new AppError("access_differs", `document ${id} is stored already as ${describeAccess(known.access)}, not as ${describeAccess(access)}`, { details: { access: accessView(known.access) } });
    }
    if (known) {
      const onDisk = await this.blobs.read(id);
      if (onDisk !== undefined && documentIdOf(onDisk) === id) return { document: known, created: false, repaired: false };
      await this.blobs.write(id, input.bytes);
      this.catalog.clearCorrupt(id);
      this.options.log.warn("document repaired: its file had gone bad and the same bytes were stored again", { documentId: id, was: onDisk === undefined ? "missing" : "hash_mismatch" });
      return { document: this.catalog.find(id)!, created: false, repaired: true };
    }
    const release = input.uploader.kind === "resident" ? this.quota?.reserve(uploaderKey(input.uploader), input.bytes.length) : undefined;
    try {
      await this.blobs.write(id, input.bytes);
      const { record, created } = this.catalog.insert({
        id,
        type,
        size: input.bytes.length,
        name: safeFileName(input.name, type, id),
        uploader: uploaderKey(input.uploader),
        uploadedAt: this.now(),
        access,
      });
      if (created) this.options.log.info("document stored", { documentId: id, type, size: record.size, uploader: record.uploader });
      return { document: record, created, repaired: false };
    } finally {
      release?.();
    }
  }

  /** The document and its bytes, checked against its id; `not_found`, or `document_corrupt` for a file that no longer matches. */
  async read(id: string): Promise<{ document: DocumentRecord; bytes: Buffer }> {
    const document = this.catalog.find(id);
    if (!document) throw new AppError("not_found", `no document ${id}`);
    const bytes = await this.blobs.read(id);
    const actual = bytes === undefined ? undefined : documentIdOf(bytes);
    if (actual !== id) {
      const reason = bytes === undefined ? "missing" : "hash_mismatch";
      this.catalog.markCorrupt(id, this.now(), reason);
      this.corruptReads++;
      this.options.log.error("document failed verification: its file does not match its id and is not served", {
        documentId: id,
        reason,
        file: this.blobs.pathOf(id),
        ...(bytes === undefined ? {} : { actualId: actual, sizeOnDisk: bytes.length, sizeRecorded: document.size }),
      });
      throw new AppError("document_corrupt", `document ${id} failed its integrity check and is not served; the operator has been alerted`, { details: { id, reason } });
    }
    if (document.corruptAt !== undefined) {
      this.catalog.clearCorrupt(id);
      this.options.log.info("document verified again after an earlier failure", { documentId: id });
      return { document: this.catalog.find(id)!, bytes: bytes! };
    }
    return { document, bytes: bytes! };
  }

  /** Waits for the stores in progress (at shutdown, before closing the catalog). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.all]);
  }

  close(): void {
    this.catalog.close();
  }
}
