/**
 * The keeper's HTTP API, version 1 (read-only; nothing in it is personal data — the documents
 * themselves are served by the document store):
 *   GET /v1/meetings/:meetingId/protocol   the protocol's documents (ids in the store), or where it stands
 *   GET /.well-known/jwks.json             the operator's public keys that sign protocols
 *   GET /v1/health                         the keeper's progress
 * Errors are `{ error: { code, message, details? } }`.
 */
import express, { type Express } from "express";
import { AppError } from "#lib/errors.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { requestId } from "#lib/http/request-id.js";
import type { Logger } from "#lib/log.js";
import type { Jwks } from "#lib/protocol/signer.js";
import type { Database } from "../db.js";
import type { Producer } from "../producer.js";
import { KEEPER_STATUSES } from "../statuses.js";

export interface ApiDeps {
  db: Database;
  producer: Producer;
  jwks: Jwks;
  status: () => Record<string, unknown>;
  log: Logger;
}

export function createApi(deps: ApiDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(requestId);
  app.get("/v1/health", (_req, res) => {
    res.json({ ok: true, ...deps.status() });
  });
  app.get("/.well-known/jwks.json", (_req, res) => {
    res.set("cache-control", "public, max-age=300").json(deps.jwks);
  });
  app.get("/v1/meetings/:meetingId/protocol", (req, res) => {
    const meetingId = req.params.meetingId;
    if (!/^[1-9]\d{0,76}$/.test(meetingId)) throw new AppError("invalid_meeting_id", `meeting id '${meetingId.slice(0, 80)}': expected a whole number from 1`);
    const meeting = deps.db.sql("SELECT state FROM meetings WHERE meeting_id = ?").get(meetingId) as { state: string } | undefined;
    if (!meeting) throw new AppError("unknown_meeting", `meeting ${meetingId} is not known to the keeper (never announced, or not yet seen)`);
    const protocol = deps.producer.protocolOf(meetingId);
    if (!protocol || protocol.state !== "produced") {
      const state = protocol?.state === "failed" ? "failed" : meeting.state === "finalized" ? "producing" : meeting.state;
      throw new AppError("protocol_not_produced", `the protocol of meeting ${meetingId} is not produced yet (${state})`, { details: { meetingState: meeting.state, protocolState: state } });
    }
    res.json({ meetingId, producedAt: protocol.producedAt, finalizedTx: protocol.finalizedTx, signer: protocol.signer, documents: protocol.documents });
  });
  app.use(notFound);
  app.use(errorHandler(KEEPER_STATUSES, deps.log));
  return app;
}
