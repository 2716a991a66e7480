/** HTTP errors as data: `{ error: { code, message } }`; 4xx for the client's mistakes, 5xx for ours, never a stack. */
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { ServiceError } from "../../relayer/src/errors.js";
import type { Logger } from "../log.js";

/** The client's X-Request-Id when it is a plain token of at most 64 characters, else a new one. */
export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

export function requestId(req: Request, res: Response, next: NextFunction): void {
  const id = requestIdFrom(req.get("x-request-id"));
  res.locals.requestId = id;
  res.setHeader("X-Request-Id", id);
  next();
}

/** Maps body-parser failures to codes. */
function fromBodyParser(err: { type?: string; status?: number }): ServiceError | undefined {
  switch (err.type) {
    case "entity.too.large":
      return new ServiceError("payload_too_large", "the request body is too large", { status: 413 });
    case "entity.parse.failed":
      return new ServiceError("malformed_json", "the request body is not valid JSON", { status: 400 });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new ServiceError("unsupported_encoding", "the request body encoding is not supported", { status: 415 });
    case "request.aborted":
      return new ServiceError("request_aborted", "the request was aborted", { status: 400 });
    default:
      return err.status && err.status >= 400 && err.status < 500
        ? new ServiceError("bad_request", "the request cannot be read", { status: err.status })
        : undefined;
  }
}

/**
 * The status and body that answer `err`: a ServiceError as it is, anything else as a 500 `internal`
 * (logged with the request id, never sent). Failures on our side (5xx) are logged.
 */
export function errorResponse(err: unknown, log: Logger, requestId: string): { status: number; body: { error: Record<string, unknown> } } {
  let known = err instanceof ServiceError ? err : undefined;
  if (!known) {
    log.error("unexpected error", { requestId, err });
    known = new ServiceError("internal", "internal error", { status: 500 });
  } else if (known.status >= 500) log.warn("request failed", { code: known.code, requestId, err: known.cause ?? known });
  return {
    status: known.status,
    body: { error: { code: known.code, message: known.message, ...(known.details ? { details: known.details } : {}) } },
  };
}

export function sendError(res: Response, err: ServiceError): void {
  res.status(err.status).json({
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
  });
}

export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const known = err instanceof ServiceError ? err : (fromBodyParser(err as { type?: string; status?: number }) ?? err);
    const { status, body } = errorResponse(known, log, res.locals.requestId);
    res.status(status).json(body);
  };
}

export function notFound(_req: Request, res: Response): void {
  sendError(res, new ServiceError("not_found", "no such endpoint", { status: 404 }));
}
