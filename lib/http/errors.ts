/**
 * HTTP errors as data: `{ error: { code, message, details? } }`, 4xx for the client's mistakes, 5xx
 * for ours, never a stack. The status comes from the service's table of codes (statuses.ts); an
 * error that is not an AppError, or whose code has no status, is answered 500 `internal` and logged
 * with the request id, its own message never sent.
 */
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors.js";
import type { Logger } from "../log.js";
import { fromBodyParser } from "./body.js";
import { statusOf, type StatusTable } from "./statuses.js";

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(err: AppError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

const INTERNAL: ErrorBody = { error: { code: "internal", message: "internal error" } };

/** The status and body that answer `err`; failures on our side (5xx) are logged. */
export function errorResponse(err: unknown, statuses: StatusTable, log: Logger, requestId: string): { status: number; body: ErrorBody } {
  if (!(err instanceof AppError)) {
    log.error("unexpected error", { requestId, err });
    return { status: 500, body: INTERNAL };
  }
  const status = statusOf(statuses, err.code);
  if (status === undefined) {
    log.error("error code without an HTTP status", { code: err.code, requestId, err });
    return { status: 500, body: INTERNAL };
  }
  if (status >= 500) log.warn("request failed", { code: err.code, requestId, err: err.cause ?? err });
  return { status, body: errorBody(err) };
}

/** Express error middleware: our errors by their code, body-parser's mapped to codes, anything else 500. */
export function errorHandler(statuses: StatusTable, log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const known = err instanceof AppError ? err : (fromBodyParser(err) ?? err);
    const { status, body } = errorResponse(known, statuses, log, res.locals.requestId);
    res.status(status).json(body);
  };
}

/** Express middleware for a path no route serves. */
export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new AppError("not_found", "no such endpoint"));
}
