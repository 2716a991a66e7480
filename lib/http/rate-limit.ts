/**
 * A token bucket per client: `perMinute` requests a minute, bursts up to a tenth of it. The client is
 * the socket's address, or the address a trusted proxy forwards for (client-address.ts); callers that
 * know better who is asking (a resident behind a token) key buckets by that instead.
 */
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors.js";
import { clientAddress } from "./client-address.js";

/** Takes a token for `key`; returns the seconds to wait when there is none (0: go on). */
export function tokenBuckets(perMinute: number): (key: string) => number {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const capacity = Math.max(10, Math.ceil(perMinute / 10));
  const perMs = perMinute / 60_000;
  let sweep = Date.now();
  return (key) => {
    if (perMinute === 0) return 0;
    const now = Date.now();
    if (now - sweep > 60_000) {
      for (const [k, b] of buckets) if (now - b.at > 60_000) buckets.delete(k);
      sweep = now;
    }
    const bucket = buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) return Math.ceil((1 - bucket.tokens) / perMs / 1000);
    bucket.tokens -= 1;
    return 0;
  };
}

export function rateLimited(retryAfter: number): AppError {
  return new AppError("rate_limited", `too many requests; retry in ${retryAfter} s`, { retryable: true });
}

/** Sets Retry-After and passes `rate_limited` on when `take(key)` has no token for the request. */
export function limitOrNext(take: (key: string) => number, key: string, res: Response, next: NextFunction): void {
  const retryAfter = take(key);
  if (retryAfter === 0) return next();
  res.setHeader("Retry-After", String(retryAfter));
  next(rateLimited(retryAfter));
}

/** The client of an express request: its socket, or whom a trusted proxy forwards for. */
export function clientOf(req: Request, trusted: ReadonlySet<string>): string {
  return clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted);
}

/** Express middleware taking a token per client from `take` (see tokenBuckets). */
export function rateLimitWith(take: (key: string) => number, trusted: ReadonlySet<string> = new Set()) {
  return (req: Request, res: Response, next: NextFunction) => limitOrNext(take, clientOf(req, trusted), res, next);
}

export function rateLimit(perMinute: number, trusted: ReadonlySet<string> = new Set()) {
  return rateLimitWith(tokenBuckets(perMinute), trusted);
}
