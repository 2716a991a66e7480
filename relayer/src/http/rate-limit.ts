/** A token bucket per client (by IP address): `perMinute` requests a minute, bursts up to a tenth of it. */
import type { NextFunction, Request, Response } from "express";
import { ServiceError } from "../errors.js";

export function rateLimit(perMinute: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const capacity = Math.max(10, Math.ceil(perMinute / 10));
  const perMs = perMinute / 60_000;
  let sweep = Date.now();
  return (req: Request, res: Response, next: NextFunction) => {
    if (perMinute === 0) return next();
    const now = Date.now();
    if (now - sweep > 60_000) {
      for (const [k, b] of buckets) if (now - b.at > 60_000) buckets.delete(k);
      sweep = now;
    }
    const key = req.ip ?? "unknown";
    const bucket = buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil((1 - bucket.tokens) / perMs / 1000);
      res.setHeader("Retry-After", String(retryAfter));
      return next(new ServiceError("rate_limited", `too many requests; retry in ${retryAfter} s`, { status: 429, retryable: true }));
    }
    bucket.tokens -= 1;
    next();
  };
}
