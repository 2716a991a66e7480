/**
 * The document store: `PUT /v1/documents` (the bytes, with the service token) answers the document's
 * id, the keccak256 of its bytes; `GET /v1/documents/:id` serves them. The client checks both ways:
 * an id that is not the hash of the bytes sent, or bytes that do not hash to the id asked for, are
 * refused.
 */
import { keccak256 } from "ethers";
import { AppError } from "#lib/errors.js";

export interface DocumentStore {
  /** Stores the bytes; returns their id (keccak256, 0x-hex). Storing the same bytes again answers the same id. */
  put(bytes: Uint8Array, contentType: string, name: string): Promise<string>;
  /** The bytes of a document, or null when the store has none under that id. */
  get(id: string): Promise<Buffer | null>;
}

export class DocumentsClient implements DocumentStore {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  private url(path: string): URL {
    return new URL(path, this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`);
  }

  private async call(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs), redirect: "error" });
    } catch (err) {
      throw new AppError("documents_unavailable", `the document store at ${url.origin} cannot be reached: ${(err as Error).message}`, { cause: err, retryable: true });
    }
  }

  async put(bytes: Uint8Array, contentType: string, name: string): Promise<string> {
    const url = this.url(`v1/documents?name=${encodeURIComponent(name)}`);
    const res = await this.call(url, { method: "PUT", headers: { authorization: `Bearer ${this.token}`, "content-type": contentType }, body: new Uint8Array(bytes).buffer });
    const text = await res.text();
    if (!res.ok) throw new AppError("documents_refused", `the document store refused ${name} (${res.status}): ${text.slice(0, 300)}`, { retryable: res.status >= 500 || res.status === 429, details: { status: res.status } });
    let id: unknown;
    try {
      id = (JSON.parse(text) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    const expected = keccak256(bytes);
    if (typeof id !== "string" || id.toLowerCase() !== expected) {
      throw new AppError("documents_mismatch", `the document store answered id ${String(id)} for ${name}, whose keccak256 is ${expected}`, { retryable: true });
    }
    return expected;
  }

  async get(id: string): Promise<Buffer | null> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new AppError("invalid_document_id", `document id ${id}: expected 0x and 64 hex digits`);
    const res = await this.call(this.url(`v1/documents/${id.toLowerCase()}`), { headers: { authorization: `Bearer ${this.token}` } });
    if (res.status === 404) return null;
    if (!res.ok) throw new AppError("documents_refused", `the document store answered ${res.status} for ${id}`, { retryable: res.status >= 500, details: { status: res.status } });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (keccak256(bytes) !== id.toLowerCase()) throw new AppError("documents_mismatch", `the document store served bytes for ${id} that hash to ${keccak256(bytes)}`, { retryable: true });
    return bytes;
  }
}
