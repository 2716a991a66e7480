/** Request ids: the client's X-Request-Id when it is a plain token, else a new one; echoed in the answer and logs. */
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";

/** The client's X-Request-Id when it is a plain token of at most 64 characters, else a new one. */
export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

/** Express middleware: sets `res.locals.requestId` and the X-Request-Id header. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const id = requestIdFrom(req.get("x-request-id"));
  res.locals.requestId = id;
  res.setHeader("X-Request-Id", id);
  next();
}
