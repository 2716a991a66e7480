/**
 * How much one resident may store: at most `documents` new documents and `bytes` bytes within any
 * `periodSeconds`, counted from the catalog (what they stored first; bytes someone had stored
 * already cost nothing) plus what their uploads in flight have reserved, so parallel uploads cannot
 * slip past the limit together. Services are not held to it.
 */
import { AppError } from "#lib/errors.js";
import type { Catalog } from "./catalog.js";

export interface QuotaLimits {
  /** 0: no limit. */
  bytes: number;
  /** 0: no limit. */
  documents: number;
  periodSeconds: number;
}

export class Quota {
  private readonly pending = new Map<string, { bytes: number; documents: number }>();

  constructor(
    private readonly catalog: Catalog,
    readonly limits: QuotaLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reserves room for a new document of `size` bytes, or `quota_exceeded`; the caller releases it once the document is recorded or has failed. */
  reserve(uploader: string, size: number): () => void {
    const { bytes, documents, periodSeconds } = this.limits;
    const stored = this.catalog.usageOf(uploader, this.now() - periodSeconds * 1000);
    const inFlight = this.pending.get(uploader) ?? { bytes: 0, documents: 0 };
    const used = { bytes: stored.bytes + inFlight.bytes, documents: stored.documents + inFlight.documents };
    const days = Math.round((periodSeconds / 86_400) * 10) / 10;
    if (documents > 0 && used.documents + 1 > documents) {
      throw new AppError("quota_exceeded", `you have stored ${used.documents} documents in the last ${days} days; at most ${documents} are allowed`, {
        details: { usedDocuments: used.documents, limitDocuments: documents, periodSeconds },
      });
    }
    if (bytes > 0 && used.bytes + size > bytes) {
      throw new AppError("quota_exceeded", `this document (${size} bytes) would bring what you stored in the last ${days} days to ${used.bytes + size} bytes; at most ${bytes} are allowed`, {
        details: { usedBytes: used.bytes, size, limitBytes: bytes, periodSeconds },
      });
    }
    inFlight.bytes += size;
    inFlight.documents += 1;
    this.pending.set(uploader, inFlight);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inFlight.bytes -= size;
      inFlight.documents -= 1;
      if (inFlight.documents === 0) this.pending.delete(uploader);
    };
  }
}
