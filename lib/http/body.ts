/** Request bodies: JSON read by body-parser with a size limit, its failures as codes, and validation with zod. */
import express, { type RequestHandler } from "express";
import type { z } from "zod";
import { AppError } from "../errors.js";

/** Strict JSON (an object or array) of at most `limit` bytes, whatever the Content-Type says. */
export function jsonBody(limit: number): RequestHandler {
  return express.json({ limit, strict: true, type: () => true });
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
