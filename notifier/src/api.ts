/**
 * The notifier's HTTP API, version 1.
 *   registrar:  PUT/GET/DELETE /v1/residents/:residentId   the directory of contacts
 *               GET /v1/delivery-log?meetingId=&residentId=&address=   proof of notice
 *               POST /v1/meetings/:meetingId/release-held   e-mail and SMS held by the notice budget
 *   custody:    POST /v1/otp                             a one-time login code to send by SMS and e-mail (otp.ts)
 *   resident:   GET /v1/feed                             the in-app notices
 *               GET/PUT /v1/me/preferences               language and channel opt-outs
 *               POST /v1/auth/logout                     the token is refused from then on
 *   anyone:     GET /v1/health
 * Errors are `{ error: { code, message } }`: 4xx for the client's mistakes, 5xx for ours.
 */
import express, { type Express, type Request } from "express";
import { isAddress } from "ethers";
import { z } from "zod";
import { AppError } from "#lib/errors.js";
import { jsonBody, parseBody } from "#lib/http/body.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { requestId } from "#lib/http/request-id.js";
import { LANGUAGES } from "./config.js";
import { contactWarnings, type Directory } from "./directory.js";
import { feedOf } from "./channels/app.js";
import type { Database } from "./db.js";
import type { Logger } from "#lib/log.js";
import { deliveryLogCsv } from "./delivery-log.js";
import type { Outbox } from "./outbox.js";
import type { TokenRevocations } from "#lib/http/revocations.js";
import type { ResidentAuth } from "./auth.js";
import type { NoticePlanner } from "./notices.js";
import type { OtpSender } from "./otp.js";
import { NOTIFIER_STATUSES } from "./statuses.js";

export interface ApiDeps {
  db: Database;
  directory: Directory;
  outbox: Outbox;
  auth: ResidentAuth;
  requireRegistrar: (authorization: string | undefined) => void;
  revocations: TokenRevocations;
  planner: NoticePlanner;
  otp: OtpSender;
  /** Custody's service token check for POST /v1/otp (otp.ts serviceTokenCheck). */
  requireCustody: (authorization: string | undefined) => void;
  status: () => Record<string, unknown>;
  /** A meeting's initiator and administrator as the chain holds them (`MeetingHall.getMeeting`), or undefined for a meeting never announced. */
  officersOf: (meetingId: bigint) => Promise<{ initiator: string; administrator: string } | undefined>;
  log: Logger;
}

const residentIdSchema = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, "expected 1–128 letters, digits or . _ : @ -");
const optOutSchema = z.strictObject({ app: z.boolean().optional(), email: z.boolean().optional(), sms: z.boolean().optional() });
const residentSchema = z.strictObject({
  address: z.string().refine((s) => isAddress(s), "expected a 0x-prefixed 20-byte address"),
  language: z.enum(LANGUAGES).default("ru"),
  email: z.string().max(320).nullable().optional(),
  phone: z.string().max(40).nullable().optional(),
  optOut: optOutSchema.optional(),
});
const preferencesSchema = z.strictObject({ language: z.enum(LANGUAGES).optional(), optOut: optOutSchema.optional() });
const otpSchema = z.strictObject({
  residentId: residentIdSchema,
  code: z.string().regex(/^\d{4,10}$/, "expected 4–10 digits"),
  expiresAt: z.iso.datetime({ offset: true, message: "expected an ISO 8601 time" }),
});
/** A code valid for longer than this is not a one-time code. */
const OTP_MAX_LIFETIME_MS = 3_600_000;
const meetingIdSchema = z.string().regex(/^(0|[1-9]\d{0,77})$/, "expected a decimal meeting id");
const deliveryLogQuery = z.strictObject({ format: z.enum(["csv", "json"]).default("json") });
/** Every attempt of a meeting's notices: far more than the largest building's owners times channels and retries. */
const DELIVERY_LOG_LIMIT = 1_000_000;

export function createApi(deps: ApiDeps): Express {
  const { directory, outbox, auth, log } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.use(requestId);
  app.use((req, res, next) => {
    // The web page reads the feed from another origin with a bearer token (no cookies).
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Allow-Headers", "authorization, content-type");
    res.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    next();
  });
  app.use(jsonBody(8192));

  const registrar = (req: Request) => deps.requireRegistrar(req.get("authorization"));
  const me = async (req: Request) => {
    const id = await auth.residentOf(req.get("authorization"));
    const r = directory.find(id);
    if (!r) throw new AppError("unknown_resident", "the resident is not in the notifier's directory");
    return r;
  };

  app.get("/v1/health", (_req, res) => {
    res.json({ status: "ok", ...deps.status() });
  });

  app.put("/v1/residents/:residentId", (req, res) => {
    registrar(req);
    const id = parseBody(residentIdSchema, req.params.residentId);
    const input = parseBody(residentSchema, req.body);
    const { resident, created } = directory.upsert(id, input);
    const warnings = contactWarnings(input);
    if (warnings.length) log.warn("resident contact malformed", { residentId: id, fields: warnings.map((w) => w.field) });
    res.status(created ? 201 : 200).json({ resident: resident, warnings });
  });

  app.get("/v1/residents/:residentId", (req, res) => {
    registrar(req);
    const r = directory.find(String(req.params.residentId));
    if (!r) throw new AppError("not_found", "no such resident");
    res.json({ resident: r });
  });

  app.delete("/v1/residents/:residentId", (req, res) => {
    registrar(req);
    if (!directory.remove(String(req.params.residentId))) throw new AppError("not_found", "no such resident");
    res.status(204).end();
  });

  app.get("/v1/delivery-log", (req, res) => {
    registrar(req);
    const q = req.query;
    const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
    res.json({
      entries: outbox.deliveryLog({ meetingId: str(q.meetingId), residentId: str(q.residentId), address: str(q.address) }),
    });
  });

  // The proof of notice: a meeting's delivery log, for its initiator and its administrator (checked on chain).
  app.get("/v1/meetings/:meetingId/delivery-log", async (req, res) => {
    const r = await me(req);
    const meetingId = BigInt(parseBody(meetingIdSchema, req.params.meetingId));
    const { format } = parseBody(deliveryLogQuery, { ...req.query });
    const officers = await deps.officersOf(meetingId);
    if (!officers) throw new AppError("not_found", "no such meeting");
    const self = r.address.toLowerCase();
    if (officers.initiator.toLowerCase() !== self && officers.administrator.toLowerCase() !== self) {
      throw new AppError("not_meeting_officer", `only meeting ${meetingId}'s initiator or administrator downloads its delivery log`);
    }
    const entries = outbox.deliveryLog({ meetingId: meetingId.toString(), limit: DELIVERY_LOG_LIMIT });
    log.info("delivery log downloaded", { meetingId, residentId: r.residentId, format, entries: entries.length });
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Disposition", `attachment; filename="delivery-log-${meetingId}.${format}"`);
    if (format === "csv") res.type("text/csv; charset=utf-8").send(deliveryLogCsv(entries));
    else res.json({ meetingId: meetingId.toString(), generatedAt: new Date().toISOString(), entries });
  });

  app.post("/v1/meetings/:meetingId/release-held", (req, res) => {
    registrar(req);
    const meetingId = BigInt(parseBody(meetingIdSchema, req.params.meetingId));
    const released = deps.planner.releaseHeld(meetingId);
    if (released === undefined) throw new AppError("not_found", "no such meeting");
    res.json({ meetingId: meetingId.toString(), released });
  });

  // The same answer whether or not the resident has contacts; the code is sent after it.
  app.post("/v1/otp", (req, res) => {
    deps.requireCustody(req.get("authorization"));
    const input = parseBody(otpSchema, req.body);
    const expiresAt = Date.parse(input.expiresAt);
    if (expiresAt <= Date.now()) throw new AppError("invalid_request", "expiresAt: the code has already expired");
    if (expiresAt > Date.now() + OTP_MAX_LIFETIME_MS) throw new AppError("invalid_request", "expiresAt: expected within an hour from now");
    try {
      deps.otp.accept({ residentId: input.residentId, code: input.code, expiresAt });
    } catch (err) {
      const retryAfter = (err as AppError).details?.retryAfter;
      if (typeof retryAfter === "number") res.setHeader("Retry-After", String(retryAfter));
      throw err;
    }
    res.status(202).json({ accepted: true });
  });

  app.post("/v1/auth/logout", async (req, res) => {
    const bearer = await auth.bearerOf(req.get("authorization"));
    deps.revocations.revoke(bearer.tokenId, bearer.expiresAt);
    log.info("resident logged out", { residentId: bearer.subject });
    res.json({ loggedOut: true });
  });

  app.get("/v1/feed", async (req, res) => {
    const r = await me(req);
    res.json({ residentId: r.residentId, entries: feedOf(deps.db, r.address) });
  });

  app.get("/v1/me/preferences", async (req, res) => {
    const r = await me(req);
    res.json({ language: r.language, optOut: r.optOut });
  });

  app.put("/v1/me/preferences", async (req, res) => {
    const r = await me(req);
    const prefs = parseBody(preferencesSchema, req.body);
    const updated = directory.setPreferences(r.residentId, prefs)!;
    res.json({ language: updated.language, optOut: updated.optOut });
  });

  app.use(notFound);
  app.use(errorHandler(NOTIFIER_STATUSES, log));
  return app;
}
