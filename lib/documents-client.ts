/**
 * The document store as its clients see it (the keeper, the notifier, the audit tool, the demo's
 * seed): `PUT /v1/documents` with the bytes answers the document's id, the keccak256 of its bytes;
 * `GET /v1/documents/:id` serves them. Both ways are checked here: an id that is not the hash of the
 * bytes sent, or bytes that do not hash to the id asked for, are refused (`documents_mismatch`), so a
 * caller never takes a wrong document for the one the chain names.
 */
import { keccak256 } from "ethers";
import { accessQuery, PUBLIC, type DocumentAccess } from "./document-access.js";
import { AppError } from "./errors.js";

const ID = /^0x[0-9a-fA-F]{64}$/;

export interface PutOptions {
  /** The Content-Type sent (the store sniffs the type from the bytes and reports a disagreement). */
  contentType: string;
  /** The file name readers download it under. */
  name: string;
  /** Public unless given (see lib/document-access.ts). */
  access?: DocumentAccess;
}

export interface DocumentStore {
  /** Stores the bytes; returns their id (keccak256, 0x-hex). Storing the same bytes again answers the same id. */
  put(bytes: Uint8Array, options: PutOptions): Promise<string>;
  /** The bytes of a document, checked against its id, or null when the store has none under that id. */
  get(id: string): Promise<Buffer | null>;
}

export interface DocumentsClientOptions {
  /** A service token of the store (DOCUMENTS_SERVICE_TOKENS): needed to upload and to read restricted documents. */
  token?: string;
  timeoutMs?: number;
}

export class DocumentsClient implements DocumentStore {
  private readonly base: string;
  private readonly token?: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: DocumentsClientOptions = {}) {
    this.base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  private url(path: string): URL {
    return new URL(path, this.base);
  }

  private async call(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs), redirect: "error" });
    } catch (err) {
      throw new AppError("documents_unavailable", `the document store at ${url.origin} cannot be reached: ${(err as Error).message}`, { cause: err, retryable: true });
    }
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  async put(bytes: Uint8Array, options: PutOptions): Promise<string> {
    if (!this.token) throw new AppError("documents_refused", "uploading to the document store needs a service token");
    const query = new URLSearchParams({ name: options.name, ...accessQuery(options.access ?? PUBLIC) });
    const url = this.url(`v1/documents?${query}`);
    const res = await this.call(url, { method: "PUT", headers: this.headers({ "content-type": options.contentType }), body: new Uint8Array(bytes).buffer });
    const text = await res.text();
    if (!res.ok) {
      throw new AppError("documents_refused", `the document store refused ${options.name} (${res.status}): ${text.slice(0, 300)}`, {
        retryable: res.status >= 500 || res.status === 429,
        details: { status: res.status, code: errorCode(text) },
      });
    }
    let id: unknown;
    try {
      id = (JSON.parse(text) as { document?: { id?: unknown } }).document?.id;
    } catch {
      id = undefined;
    }
    const expected = keccak256(bytes);
    if (typeof id !== "string" || id.toLowerCase() !== expected) {
      throw new AppError("documents_mismatch", `the document store answered id ${String(id)} for ${options.name}, whose keccak256 is ${expected}`, { retryable: true });
    }
    return expected;
  }

  async get(id: string): Promise<Buffer | null> {
    if (!ID.test(id)) throw new AppError("invalid_document_id", `document id ${id}: expected 0x and 64 hex digits`);
    const res = await this.call(this.url(`v1/documents/${id.toLowerCase()}`), { headers: this.headers() });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      const text = await res.text();
      throw new AppError("documents_refused", `the document store answered ${res.status} for ${id}`, { retryable: res.status >= 500, details: { status: res.status, code: errorCode(text) } });
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (keccak256(bytes) !== id.toLowerCase()) throw new AppError("documents_mismatch", `the document store served bytes for ${id} that hash to ${keccak256(bytes)}`, { retryable: true });
    return bytes;
  }

  /** A document's bytes as UTF-8 text (`document_not_text` when they are not), or null when the store has none. */
  async text(id: string): Promise<string | null> {
    const bytes = await this.get(id);
    if (bytes === null) return null;
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new AppError("document_not_text", `document ${id} is not UTF-8 text`);
    }
  }
}

/** The error code of an answer `{ error: { code } }`, if it is one. */
function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}
