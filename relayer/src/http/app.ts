/**
 * The relayer's HTTP API, version 1. The OpenAPI document at /v1/openapi.json describes it.
 *
 * `POST /v1/ballots` is the one hot path, and has one implementation: a handler on node:http
 * directly reads every ballot post (plain, compressed or in UTF-16: ballot-body.ts) and answers with
 * the same rate limit, error bodies and headers as the express app that serves every other request.
 * Express's routing and body parsing cost as much CPU as the whole intake pipeline behind them; a
 * plain post still goes from the socket's chunks to JSON.parse with nothing in between.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import express, { type Express } from "express";
import type { TypedDataDomain } from "ethers";
import { AppError } from "#lib/errors.js";
import { errorHandler, errorResponse, notFound } from "#lib/http/errors.js";
import { requestId, requestIdFrom } from "#lib/http/request-id.js";
import { rateLimited, tokenBuckets } from "#lib/http/rate-limit.js";
import type { Logger } from "#lib/log.js";
import type { Intake } from "../intake.js";
import type { RelayerMetrics } from "../metrics.js";
import { readBallotBody } from "./ballot-body.js";
import { ballotStatus, type BallotAcknowledgement } from "./ballot-status.js";
import { relayerOpenApi } from "./openapi.js";
import type { BallotStore } from "../queue.js";
import { RELAYER_STATUSES } from "./statuses.js";

export interface RelayerAppDeps {
  intake: Intake;
  store: BallotStore;
  metrics: RelayerMetrics;
  log: Logger;
  maxBodyBytes: number;
  rateLimitPerMinute: number;
  health: () => Promise<{ chainReachable: boolean; blockNumber?: number; senders: string[] }>;
  domain: TypedDataDomain;
}

/** Takes a ballot through intake; the acknowledgement's body, or the error (counted in the metrics either way). */
async function acknowledge(deps: RelayerAppDeps, body: unknown): Promise<{ id: string; json: BallotAcknowledgement }> {
  const started = process.hrtime.bigint();
  try {
    const { ballot, duplicate } = await deps.intake.submit(body);
    deps.metrics.intake.inc({ result: duplicate ? "duplicate" : "accepted" });
    return { id: ballot.id, json: { ...ballotStatus(ballot, deps.store), duplicate } };
  } catch (err) {
    deps.metrics.intake.inc({ result: err instanceof AppError ? err.code : "internal" });
    throw err;
  } finally {
    deps.metrics.intakeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** The relayer's request listener: the hot path for ballot posts, express for the rest. */
export function createRelayerHandler(deps: RelayerAppDeps): RequestListener {
  const takeToken = tokenBuckets(deps.rateLimitPerMinute);
  const app = createRelayerApp(deps);
  const log = deps.log;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
  };
  const sendFailure = (res: ServerResponse, requestId: string, err: unknown, headers: Record<string, string> = {}) => {
    const { status, body } = errorResponse(err, RELAYER_STATUSES, log, requestId);
    send(res, status, body, { ...headers, "X-Request-Id": requestId });
  };

  const submit = (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    const retryAfter = takeToken(req.socket.remoteAddress ?? "unknown");
    if (retryAfter > 0) {
      req.resume();
      sendFailure(res, requestId, rateLimited(retryAfter), { "Retry-After": String(retryAfter) });
      return;
    }
    readBallotBody(req, deps.maxBodyBytes, (read) => {
      // An oversized body is answered at once and its connection closed rather than read to the end.
      if (!read.ok) return sendFailure(res, requestId, read.error, read.close ? { Connection: "close" } : {});
      acknowledge(deps, read.value).then(
        ({ id, json }) => send(res, 202, json, { "X-Request-Id": requestId, Location: `/v1/ballots/${id}` }),
        (err) => sendFailure(res, requestId, err),
      );
    });
  };

  return (req, res) => {
    if (req.method === "POST" && isBallotsPath(req.url ?? "")) submit(req, res);
    else app(req, res);
  };
}

/** `/v1/ballots` as express would route it: any case, an optional trailing slash, any query. */
function isBallotsPath(url: string): boolean {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (path === "/v1/ballots") return true;
  const lower = path.toLowerCase();
  return lower === "/v1/ballots" || lower === "/v1/ballots/";
}

/** Every route but `POST /v1/ballots` (createRelayerHandler serves that one). */
export function createRelayerApp(deps: RelayerAppDeps): Express {
  const { store, metrics, log } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("trust proxy", false);
  app.use(requestId);

  app.get("/v1/openapi.json", (_req, res) => {
    res.json(relayerOpenApi);
  });

  app.get("/v1/health", async (_req, res) => {
    const counts = store.counts();
    const h = await deps.health();
    res.status(h.chainReachable ? 200 : 503).json({
      status: h.chainReachable ? "ok" : "chain_unreachable",
      blockNumber: h.blockNumber ?? null,
      senders: h.senders,
      queue: counts,
    });
  });

  app.get("/metrics", async (_req, res) => {
    for (const [state, n] of Object.entries(store.counts())) metrics.queueDepth.set({ state }, n);
    res.setHeader("Content-Type", metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.get("/v1/domain", (_req, res) => {
    res.json({ ...deps.domain, chainId: Number(deps.domain.chainId) });
  });

  app.get("/v1/ballots/:id", (req, res) => {
    const id = req.params.id.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(id)) {
      throw new AppError("invalid_request", "id: expected a 0x-prefixed 32-byte ballot id");
    }
    const ballot = store.get(id);
    if (!ballot) throw new AppError("unknown_ballot", `no ballot has id ${id}`);
    res.json(ballotStatus(ballot, store));
  });

  app.use(notFound);
  app.use(errorHandler(RELAYER_STATUSES, log));
  return app;
}
