/**
 * The relayer's HTTP API, version 1. The OpenAPI document at /v1/openapi.json describes it.
 *
 * `POST /v1/ballots` is the one hot path, and has one implementation: a handler on node:http
 * directly reads every ballot post (plain, compressed or in UTF-16: ballot-body.ts) and answers with
 * the same rate limit, error bodies and headers as the express app that serves every other request.
 * Express's routing and body parsing cost as much CPU as the whole intake pipeline behind them; a
 * plain post still goes from the socket's chunks to JSON.parse with nothing in between.
 *
 * Who posts: anonymous clients share the rate limit per address (the socket's, or the one a trusted
 * proxy forwards for); a client presenting one of the configured tokens (custody, which limits each
 * resident itself) is not counted as one anonymous client, and a wrong token is refused. `/metrics`
 * answers only the metrics token; health is read from the node at most once a second.
 *
 * `POST /v1/requests` takes signed ERC-2771 forward requests for the MeetingHall (request-intake.ts)
 * under the same rules of who posts, each signer limited on its own besides.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import express, { type Express } from "express";
import type { TypedDataDomain } from "ethers";
import { AppError } from "#lib/errors.js";
import { sameSecret } from "#lib/http/auth.js";
import { clientAddress, trustedProxies } from "#lib/http/client-address.js";
import { jsonBody } from "#lib/http/body.js";
import { errorHandler, errorResponse, notFound } from "#lib/http/errors.js";
import { requestId, requestIdFrom } from "#lib/http/request-id.js";
import { rateLimited, tokenBuckets } from "#lib/http/rate-limit.js";
import type { Logger } from "#lib/log.js";
import type { Intake } from "../intake.js";
import type { RequestIntake } from "../request-intake.js";
import { requestStatus, type RequestAcknowledgement } from "./request-status.js";
import type { RelayerMetrics } from "../metrics.js";
import { readBallotBody } from "./ballot-body.js";
import { ballotStatus, type BallotAcknowledgement } from "./ballot-status.js";
import { relayerOpenApi } from "./openapi.js";
import type { BallotStore } from "../queue.js";
import { RELAYER_STATUSES } from "./statuses.js";

export interface RelayerAppDeps {
  intake: Intake;
  /** Forward requests; without it, `/v1/requests` is not served. */
  requestIntake?: RequestIntake;
  /** The largest forward request post. */
  maxRequestBodyBytes?: number;
  store: BallotStore;
  metrics: RelayerMetrics;
  log: Logger;
  maxBodyBytes: number;
  rateLimitPerMinute: number;
  health: () => Promise<Health>;
  domain: TypedDataDomain;
  /** Tokens of trusted clients (custody): their posts are not limited as one anonymous client's. */
  clientTokens?: readonly string[];
  /** Proxies whose X-Forwarded-For names the client. */
  trustedProxies?: readonly string[];
  /** The bearer token `/metrics` answers; without one, `/metrics` is not served. */
  metricsToken?: string;
}

export interface Health {
  chainReachable: boolean;
  blockNumber?: number;
  senders: string[];
}

/** How long one reading of health (a call to the node) answers every health request. */
export const HEALTH_CACHE_MS = 1_000;

/** `read`, called at most once per `ms`; callers in between share its answer. */
function cachedFor<T>(ms: number, read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ms) last = { at: now, value: read() };
    return last.value;
  };
}

/** Whether `authorization` is `Bearer <one of tokens>`, compared in constant time. */
function presents(authorization: string, tokens: readonly string[]): boolean {
  const m = /^Bearer (.+)$/.exec(authorization);
  if (!m) return false;
  let found = false;
  for (const t of tokens) found = sameSecret(m[1]!, t) || found;
  return found;
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

/**
 * Who posts: a client presenting one of the client tokens is not limited as one anonymous client;
 * any other bearer token is refused; everyone else takes a token from their address's bucket.
 * Answers 0 to go on, or the seconds to wait; throws `unauthenticated`.
 */
function poster(deps: RelayerAppDeps): (req: IncomingMessage) => number {
  const takeToken = tokenBuckets(deps.rateLimitPerMinute);
  const trusted = trustedProxies(deps.trustedProxies ?? []);
  const clientTokens = deps.clientTokens ?? [];
  return (req) => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined && !presents(authorization, clientTokens)) {
      throw new AppError("unauthenticated", "the bearer token is not one of this relayer's client tokens");
    }
    return authorization !== undefined ? 0 : takeToken(clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted));
  };
}

/** The relayer's request listener: the hot path for ballot posts, express for the rest. */
export function createRelayerHandler(deps: RelayerAppDeps): RequestListener {
  const admit = poster(deps);
  const app = createRelayerApp(deps, poster(deps));
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
    let retryAfter: number;
    try {
      retryAfter = admit(req);
    } catch (err) {
      req.resume();
      sendFailure(res, requestId, err);
      return;
    }
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

/** Takes a forward request through intake; the acknowledgement's body (counted in the metrics either way). */
async function acknowledgeRequest(deps: RelayerAppDeps, intake: RequestIntake, body: unknown): Promise<{ id: string; json: RequestAcknowledgement }> {
  try {
    const { request, duplicate } = await intake.submit(body);
    deps.metrics.requests.inc({ result: duplicate ? "duplicate" : "accepted" });
    return { id: request.id, json: { ...requestStatus(request, (b) => deps.store.currentTx(b)), duplicate } };
  } catch (err) {
    deps.metrics.requests.inc({ result: err instanceof AppError ? err.code : "internal" });
    throw err;
  }
}

/** Every route but `POST /v1/ballots` (createRelayerHandler serves that one). */
export function createRelayerApp(deps: RelayerAppDeps, admit: (req: IncomingMessage) => number = poster(deps)): Express {
  const { store, metrics, log } = deps;
  const health = cachedFor(HEALTH_CACHE_MS, deps.health);
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
    const h = await health();
    res.status(h.chainReachable ? 200 : 503).json({
      status: h.chainReachable ? "ok" : "chain_unreachable",
      blockNumber: h.blockNumber ?? null,
      senders: h.senders,
      queue: counts,
      requests: store.requestCounts(),
    });
  });

  app.get("/metrics", async (req, res) => {
    if (deps.metricsToken === undefined) throw new AppError("not_found", "metrics are not served (RELAYER_METRICS_TOKEN is unset)");
    const authorization = req.get("authorization");
    if (authorization === undefined) throw new AppError("unauthenticated", "the metrics token is required");
    if (!presents(authorization, [deps.metricsToken])) throw new AppError("forbidden", "the metrics token is required");
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

  const requests = deps.requestIntake;
  if (requests) {
    const body = jsonBody(deps.maxRequestBodyBytes ?? 131_072);
    app.post(
      "/v1/requests",
      (req, res, next) => {
        const retryAfter = admit(req);
        if (retryAfter === 0) return next();
        res.setHeader("Retry-After", String(retryAfter));
        next(rateLimited(retryAfter));
      },
      body,
      async (req, res) => {
        try {
          const { id, json } = await acknowledgeRequest(deps, requests, req.body);
          res.status(202).setHeader("Location", `/v1/requests/${id}`);
          res.json(json);
        } catch (err) {
          if (err instanceof AppError && err.code === "rate_limited") res.setHeader("Retry-After", String(err.details?.retryAfter ?? 60));
          throw err;
        }
      },
    );

    app.get("/v1/requests/:id", (req, res) => {
      const id = req.params.id.toLowerCase();
      if (!/^0x[0-9a-f]{64}$/.test(id)) throw new AppError("invalid_request", "id: expected a 0x-prefixed 32-byte request id");
      const request = store.getRequest(id);
      if (!request) throw new AppError("unknown_request", `no forward request has id ${id}`);
      res.json(requestStatus(request, (b) => store.currentTx(b)));
    });
  }

  app.use(notFound);
  app.use(errorHandler(RELAYER_STATUSES, log));
  return app;
}
