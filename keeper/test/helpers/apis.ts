/**
 * The two APIs the keeper calls, served over real HTTP on 127.0.0.1 as they are specified:
 * - the registrar's `GET /v1/meetings/:id/annex` (registrar token): the annex of each meeting, as the
 *   test registered the building;
 * - the document store's `PUT /v1/documents` (service token; the id is the keccak256 of the bytes,
 *   the type sniffed from the content) and `GET /v1/documents/:id`.
 * Both record what they were asked, so that tests can tell how often the keeper stored what.
 */
import express from "express";
import { keccak256 } from "ethers";
import { listen, type RunningServer } from "#lib/http/server.js";
import type { Annex } from "#lib/protocol/annex.js";

export const REGISTRAR_TOKEN = "registrar-token-for-the-keeper-tests";
export const DOCUMENTS_TOKEN = "documents-service-token-for-the-keeper-tests";

export interface RegistrarApi extends RunningServer {
  annexes: Map<string, Annex>;
  requests: number;
}

export async function startRegistrarApi(): Promise<RegistrarApi> {
  const annexes = new Map<string, Annex>();
  const state = { requests: 0 };
  const app = express();
  app.get("/v1/meetings/:id/annex", (req, res) => {
    state.requests++;
    if (req.headers.authorization !== `Bearer ${REGISTRAR_TOKEN}`) {
      res.status(401).json({ error: { code: "unauthenticated", message: "registrar credentials required" } });
      return;
    }
    const annex = annexes.get(req.params.id);
    if (!annex) {
      res.status(404).json({ error: { code: "not_found", message: `no meeting ${req.params.id}` } });
      return;
    }
    res.json(annex);
  });
  const server = await listen(app, "127.0.0.1", 0);
  return Object.assign(server, { annexes, get requests() { return state.requests; } }) as RegistrarApi;
}

export interface StoredUpload {
  id: string;
  type: string;
  name: string;
  at: number;
}

export interface DocumentsApi extends RunningServer {
  documents: Map<string, { bytes: Buffer; type: string }>;
  uploads: StoredUpload[];
}

/** The content's type from its bytes, never from the header; null for what the store refuses. */
function sniff(bytes: Buffer): string | null {
  if (bytes.subarray(0, 5).toString("latin1") === "%PDF-") return "application/pdf";
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  if (text.startsWith("<?xml")) return /<!DOCTYPE|<script/i.test(text) ? null : "application/xml";
  try {
    JSON.parse(text);
    return "application/json";
  } catch {
    return /<[a-z!]/i.test(text) ? null : "text/plain; charset=utf-8";
  }
}

export async function startDocumentsApi(): Promise<DocumentsApi> {
  const documents = new Map<string, { bytes: Buffer; type: string }>();
  const uploads: StoredUpload[] = [];
  const app = express();
  app.put("/v1/documents", express.raw({ type: () => true, limit: "20mb" }), (req, res) => {
    if (req.headers.authorization !== `Bearer ${DOCUMENTS_TOKEN}`) {
      res.status(401).json({ error: { code: "unauthenticated", message: "a token is required" } });
      return;
    }
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const type = bytes.length ? sniff(bytes) : null;
    if (!type) {
      res.status(415).json({ error: { code: "unsupported_media_type", message: "not a document type the store keeps" } });
      return;
    }
    const id = keccak256(bytes);
    const existed = documents.has(id);
    documents.set(id, { bytes, type });
    uploads.push({ id, type, name: String(req.query.name ?? ""), at: Date.now() });
    res.status(existed ? 200 : 201).json({ document: { id, type, size: bytes.length }, created: !existed });
  });
  app.get("/v1/documents/:id", (req, res) => {
    if (!/^0x[0-9a-f]{64}$/.test(req.params.id)) {
      res.status(400).json({ error: { code: "invalid_document_id", message: "expected 0x and 64 hex digits" } });
      return;
    }
    const doc = documents.get(req.params.id);
    if (!doc) {
      res.status(404).json({ error: { code: "not_found", message: "no such document" } });
      return;
    }
    res.set({ "content-type": doc.type, etag: `"${req.params.id}"`, "x-content-type-options": "nosniff" }).send(doc.bytes);
  });
  const server = await listen(app, "127.0.0.1", 0);
  return Object.assign(server, { documents, uploads });
}

/** Stores bytes through the API, as any service does. */
export async function upload(api: DocumentsApi, bytes: Buffer | string, name: string): Promise<string> {
  const res = await fetch(`${api.url}/v1/documents?name=${encodeURIComponent(name)}`, { method: "PUT", headers: { authorization: `Bearer ${DOCUMENTS_TOKEN}`, "content-type": "application/octet-stream" }, body: Buffer.from(bytes) });
  if (!res.ok) throw new Error(`upload of ${name} refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { document: { id: string } }).document.id;
}
