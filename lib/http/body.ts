/**
 * Request bodies: JSON read by body-parser with a size limit, its failures as codes, and validation
 * with zod. A request that changes state must declare that it sends JSON: a cross-site form or a
 * `no-cors` fetch can only send the "simple" content types (form-urlencoded, multipart, text/plain),
 * so refusing those keeps another site's page from posting to an API in its visitor's name.
 */
import type { IncomingHttpHeaders } from "node:http";
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { AppError } from "../errors.js";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Whether a Content-Type names JSON: application/json or application/<something>+json, any parameters. */
export function isJsonType(contentType: string | undefined): boolean {
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(media);
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] !== undefined || (headers["content-length"] !== undefined && headers["content-length"] !== "0");
}

/**
 * Strict JSON (an object or array) of at most `limit` bytes. POST, PUT and PATCH, and a DELETE that
 * carries a body, must send `Content-Type: application/json`, else `unsupported_media_type` (415);
 * other requests are read as JSON whatever they say.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, strict: true, type: () => true });
  return (req: Request, res: Response, next: NextFunction) => {
    const declares = STATE_CHANGING.has(req.method) && (req.method !== "DELETE" || hasBody(req.headers));
    if (declares && !isJsonType(req.headers["content-type"])) {
      next(new AppError("unsupported_media_type", "a request that changes state must send Content-Type: application/json"));
      return;
    }
    parse(req, res, next);
  };
}

/** The code of a body-parser failure, or undefined for an error that is not one. */
export function fromBodyParser(err: unknown): AppError | undefined {
  const e = err as { type?: unknown; status?: unknown } | undefined;
  if (!e || typeof e !== "object" || typeof e.type !== "string") return undefined;
  switch (e.type) {
    case "entity.too.large":
      return new AppError("payload_too_large", "the request body is too large", { cause: err });
    case "entity.parse.failed":
      return new AppError("malformed_json", "the request body is not valid JSON", { cause: err });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new AppError("unsupported_encoding", "the request body encoding is not supported", { cause: err });
    case "request.aborted":
      return new AppError("request_aborted", "the request was aborted", { cause: err });
    default:
      return typeof e.status === "number" && e.status >= 400 && e.status < 500
        ? new AppError("bad_request", "the request cannot be read", { cause: err })
        : undefined;
  }
}

/** The value as `schema` reads it, or `invalid_request` naming the first field that is wrong. */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new AppError("invalid_request", `${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  return r.data;
}
