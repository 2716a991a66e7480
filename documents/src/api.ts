/**
 * The document store's HTTP API, version 1.
 *   resident or service:  PUT (or POST) /v1/documents[?name=]   the body is the document's bytes
 *   anyone:               GET, HEAD /v1/documents/:id            the bytes, checked against the id
 *                         GET /v1/documents/:id/meta             type, size, name, when
 *                         GET /v1/health
 *   resident:             POST /v1/auth/logout                   the token is refused from then on
 * An upload goes: the client's rate (not for services) → who uploads (a service's token or a
 * resident's JWT) → the resident's rate → the name and the Content-Type (not a form) → the body, at
 * most the largest type's limit → the store's own order (store.ts).
 * A document is served with the sniffed type, `nosniff`, a sandbox policy, a Content-Disposition
 * with a safe name (always a download for PDF and XML), a strong ETag that is its id and a year's
 * immutable caching: the bytes of an id never change. Errors are `{ error: { code, message } }`.
 *
 * The id is read from the path as sent, before any percent-decoding, so `..`, `%2F` and every other
 * trick fails the one shape an id has (document-id.ts) and never reaches the file system.
 */
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { AppError } from "#lib/errors.js";
import { jsonBody, parseBody } from "#lib/http/body.js";
import { trustedProxies } from "#lib/http/client-address.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { limitOrNext, rateLimit, tokenBuckets } from "#lib/http/rate-limit.js";
import { requestId } from "#lib/http/request-id.js";
import type { TokenRevocations } from "#lib/http/revocations.js";
import type { Logger } from "#lib/log.js";
import { accessView, parseAccess, type DocumentAccess } from "#lib/document-access.js";
import type { UploaderAuth } from "./auth.js";
import type { DocumentRecord } from "./catalog.js";
import { parseDocumentId } from "./document-id.js";
import type { ReadCheck } from "./readers.js";
import { checkName, contentDisposition } from "./filename.js";
import { DOCUMENTS_STATUSES } from "./statuses.js";
import { uploaderKey, type DocumentStore, type Uploader } from "./store.js";
import { TYPE_INFO } from "./types.js";

export interface ApiDeps {
  store: DocumentStore;
  auth: UploaderAuth;
  revocations: TokenRevocations;
  /** Who may read a restricted document. */
  readers: ReadCheck;
  /** The largest body read: the largest type's limit. */
  maxBodyBytes: number;
  uploadsPerMinute: number;
  rateLimitPerMinute: number;
  trustedProxies: readonly string[];
  log: Logger;
}

/** A stored document's bytes never change: a year, and no revalidation. */
const IMMUTABLE = "public, max-age=31536000, immutable";
const uploadQuery = z.strictObject({
  name: z.string().min(1, "expected a file name").optional(),
  access: z.string().optional(),
  purpose: z.string().optional(),
  meeting: z.string().optional(),
});
/** A restricted document is never kept by a shared cache; the reader's credentials decide each read. */
const RESTRICTED_CACHE = "private, no-store";

/** Whether If-None-Match names `etag` (weak comparison, as RFC 9110 has it for this header). */
function notModified(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

function mediaOf(contentType: string | undefined): string | undefined {
  const media = contentType?.split(";")[0]!.trim().toLowerCase();
  return media ? media : undefined;
}

/** A document as the API shows it; who uploaded it only to that uploader and to services. */
function view(d: DocumentRecord, caller: Uploader | undefined) {
  const [kind] = d.uploader.split(":", 1);
  const mayKnow = caller !== undefined && (caller.kind === "service" || uploaderKey(caller) === d.uploader);
  return {
    id: d.id,
    type: d.type,
    mediaType: TYPE_INFO[d.type].mediaType,
    size: d.size,
    name: d.name,
    uploadedAt: new Date(d.uploadedAt).toISOString(),
    uploadedBy: kind,
    ...(mayKnow ? { uploader: d.uploader } : {}),
    status: d.corruptAt === undefined ? "ok" : "corrupt",
    access: accessView(d.access),
    url: `/v1/documents/${d.id}`,
  };
}

export function createApi(deps: ApiDeps): Express {
  const { store, auth, log } = deps;
  const perUploader = tokenBuckets(deps.uploadsPerMinute);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("trust proxy", false);
  app.use(requestId);
  app.use((req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Cache-Control", "no-store");
    // Documents are public by their hash and uploads carry a bearer token, never a cookie.
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Allow-Headers", "authorization, content-type, if-none-match");
    res.setHeader("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, OPTIONS");
    res.setHeader("Access-Control-Expose-Headers", "ETag, Content-Disposition, Location, Retry-After, X-Request-Id");
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    next();
  });
  // Every client address is held to the request rate, but the platform's own services (the seed
  // storing a building's texts, the keeper its protocols) are not.
  const perClient = rateLimit(deps.rateLimitPerMinute, trustedProxies(deps.trustedProxies));
  app.use((req, res, next) => (auth.serviceOf(req.get("authorization")) === undefined ? perClient(req, res, next) : next()));

  /** The uploader of the request, held to the residents' upload rate. */
  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    const uploader = await auth.uploaderOf(req.get("authorization"));
    res.locals.uploader = uploader;
    if (uploader.kind === "service") return next();
    limitOrNext(perUploader, uploaderKey(uploader), res, next);
  };
  /** What can be refused before the body is read: the query (the name) and a form's Content-Type, whose envelope is not the document. */
  const uploadRequest = (req: Request, res: Response, next: NextFunction) => {
    const { name, ...level } = parseBody(uploadQuery, { ...req.query });
    if (name !== undefined) checkName(name);
    const { access, problem } = parseAccess(level);
    if (!access) throw new AppError("invalid_request", problem!);
    res.locals.name = name;
    res.locals.access = access;
    const media = mediaOf(req.get("content-type"));
    if (media === "multipart/form-data" || media === "application/x-www-form-urlencoded") {
      throw new AppError("unsupported_media_type", "send the document's bytes as the request body, not a form");
    }
    next();
  };
  /** The bytes, as they are: any Content-Type, no Content-Encoding. */
  const readBytes = express.raw({ limit: deps.maxBodyBytes, type: () => true, inflate: false });

  const upload = async (req: Request, res: Response) => {
    const uploader = res.locals.uploader as Uploader;
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const declared = req.get("content-type");
    const { document, created, repaired } = await store.put({ bytes, uploader, name: res.locals.name as string | undefined, declaredType: declared, access: res.locals.access as DocumentAccess });
    const declaredMedia = mediaOf(declared);
    const sniffedMedia = mediaOf(TYPE_INFO[document.type].mediaType);
    const corrected = declaredMedia !== undefined && /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/.test(declaredMedia) && declaredMedia !== "application/octet-stream" && declaredMedia !== sniffedMedia;
    if (corrected) log.info("declared type corrected", { documentId: document.id, declared: declaredMedia, sniffed: sniffedMedia, requestId: res.locals.requestId });
    res.status(created ? 201 : 200).location(`/v1/documents/${document.id}`);
    res.json({ document: view(document, uploader), created, ...(repaired ? { repaired } : {}), ...(corrected ? { declaredType: declaredMedia } : {}) });
  };
  app.put("/v1/documents", authenticate, uploadRequest, readBytes, upload);
  app.post("/v1/documents", authenticate, uploadRequest, readBytes, upload);

  /** The caller of a public read, when it says who it is: to show it its own uploads. */
  const callerOf = async (req: Request): Promise<Uploader | undefined> => (req.get("authorization") === undefined ? undefined : auth.uploaderOf(req.get("authorization")));

  /** A restricted document's reader: a service, or a resident the document's rule names (`unauthenticated` without a token, `document_restricted` for anyone else). */
  const mayRead = async (d: DocumentRecord, req: Request) => {
    if (d.access.level === "public") return;
    const reader = await callerOf(req);
    if (!reader) throw new AppError("unauthenticated", "this document is restricted: sign in to read it");
    if (!(await deps.readers.mayRead(d.access, d.uploader, reader))) {
      throw new AppError("document_restricted", `document ${d.id} is restricted to the people its rule names (${d.access.purpose} of meeting ${d.access.meetingId})`);
    }
  };

  const serve = async (id: string, req: Request, res: Response) => {
    const found = store.find(id);
    if (!found) throw new AppError("not_found", `no document ${id}`);
    await mayRead(found, req);
    const cache = found.access.level === "public" ? IMMUTABLE : RESTRICTED_CACHE;
    const etag = `"${id}"`;
    if (notModified(req.get("if-none-match"), etag)) {
      res.status(304).setHeader("ETag", etag);
      res.setHeader("Cache-Control", cache);
      res.end();
      return;
    }
    const { document, bytes } = await store.read(id);
    res.status(200);
    res.setHeader("Content-Type", TYPE_INFO[document.type].mediaType);
    res.setHeader("Content-Length", String(bytes.length));
    res.setHeader("Content-Disposition", contentDisposition(document.type, document.name));
    res.setHeader("ETag", etag);
    res.setHeader("Cache-Control", cache);
    res.setHeader("Content-Security-Policy", "default-src 'none'; sandbox");
    res.setHeader("Accept-Ranges", "none");
    res.end(bytes);
  };

  const meta = async (id: string, req: Request, res: Response) => {
    const caller = await callerOf(req);
    const document = store.find(id);
    if (!document) throw new AppError("not_found", `no document ${id}`);
    await mayRead(document, req);
    res.setHeader("Cache-Control", "no-cache");
    res.json({ document: view(document, caller) });
  };

  // Everything else under /v1/documents: the path's segments as sent (req.path is not decoded).
  app.use("/v1/documents", async (req: Request, res: Response) => {
    const segments = req.path.split("/").slice(1);
    if (segments.length === 1 && segments[0] === "") {
      res.setHeader("Allow", "PUT, POST");
      throw new AppError("method_not_allowed", `${req.method} is not allowed here; upload with PUT or POST, read a document at /v1/documents/<id>`);
    }
    const id = parseDocumentId(segments[0]!);
    const isMeta = segments.length === 2 && segments[1] === "meta";
    if (segments.length !== 1 && !isMeta) throw new AppError("not_found", "no such endpoint");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      throw new AppError("method_not_allowed", `${req.method} is not allowed on a document: documents are never changed or deleted through the API`);
    }
    await (isMeta ? meta(id, req, res) : serve(id, req, res));
  });

  app.post("/v1/auth/logout", jsonBody(1024), async (req, res) => {
    const bearer = await auth.residentBearerOf(req.get("authorization"));
    deps.revocations.revoke(bearer.tokenId, bearer.expiresAt);
    log.info("resident logged out", { residentId: bearer.subject });
    res.json({ loggedOut: true });
  });

  app.get("/v1/health", (_req, res) => {
    res.json({ status: "ok", ...store.catalog.counts(), corruptReadsSinceStart: store.corruptReads });
  });

  app.use(notFound);
  app.use(errorHandler(DOCUMENTS_STATUSES, log));
  return app;
}
