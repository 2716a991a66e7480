/**
 * The documents' bytes on disk, one file per document named by its id: `blobs/<2 hex>/<id>`. A file
 * is written whole or not at all — into `tmp/` under a random name, flushed to disk (fsync), then
 * renamed into place and the directory flushed — so a crash leaves either the old state or the new,
 * never half a document, and two writers of the same bytes both end with the same complete file.
 * Paths are built from a checked id only; nothing from a request becomes a path.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { AppError } from "#lib/errors.js";
import { isDocumentId } from "./document-id.js";

/** Leftovers in `tmp/` older than this are removed at start (a younger one may be another process's write). */
const STALE_TEMP_MS = 3_600_000;

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class BlobStore {
  readonly blobsDir: string;
  readonly tmpDir: string;

  constructor(dir: string) {
    this.blobsDir = path.join(dir, "blobs");
    this.tmpDir = path.join(dir, "tmp");
    mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  /** Where the document `id` lives. */
  pathOf(id: string): string {
    if (!isDocumentId(id)) throw new AppError("invalid_document_id", `'${id}' is not a document id`);
    return path.join(this.blobsDir, id.slice(2, 4), id);
  }

  /** Writes the bytes of `id` atomically and durably; an existing file is replaced whole. */
  async write(id: string, bytes: Uint8Array): Promise<void> {
    const target = this.pathOf(id);
    const shard = path.dirname(target);
    const temp = path.join(this.tmpDir, `${id.slice(2, 18)}-${randomUUID()}`);
    const handle = await open(temp, "wx", 0o600);
    try {
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      let newShard = false;
      try {
        statSync(shard);
      } catch {
        mkdirSync(shard, { recursive: true, mode: 0o700 });
        newShard = true;
      }
      await rename(temp, target);
      await syncDirectory(shard);
      if (newShard) await syncDirectory(this.blobsDir);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** The bytes stored for `id`, or undefined when there is no file. */
  async read(id: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Removes writes that a stopped process left in `tmp/`; returns how many. */
  sweepTemp(now = Date.now()): number {
    let removed = 0;
    for (const name of readdirSync(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      try {
        if (now - statSync(file).mtimeMs < STALE_TEMP_MS) continue;
        rmSync(file, { force: true });
        removed++;
      } catch {
        // gone meanwhile
      }
    }
    return removed;
  }
}
