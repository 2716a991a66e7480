/**
 * The relayer's HTTP API, version 1. The OpenAPI document at /v1/openapi.json describes it.
 *
 * `POST /v1/ballots` is the one hot path: a plain JSON body (no content encoding, UTF-8) is read and
 * answered by a handler on node:http directly, with the same limits, rate limit, error bodies and
 * headers as the express route that serves every other request (and a ballot sent compressed or in
 * another charset, which body-parser decodes). Express's routing and body parsing cost as much CPU as
 * the whole intake pipeline behind them.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import express, { type Express } from "express";
import type { TypedDataDomain } from "ethers";
import { AppError } from "#lib/errors.js";
import { errorHandler, errorResponse, notFound } from "#lib/http/errors.js";
import { requestId, requestIdFrom } from "#lib/http/request-id.js";
import { rateLimitWith, rateLimited, tokenBuckets } from "#lib/http/rate-limit.js";
import type { Logger } from "#lib/log.js";
import type { Intake } from "../intake.js";
import type { RelayerMetrics } from "../metrics.js";
import { relayerOpenApi } from "./openapi.js";
import type { BallotRecord, BallotStore } from "../queue.js";
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

/** The public status of a ballot. */
export function ballotStatus(ballot: BallotRecord, store: BallotStore) {
  const base = {
    id: ballot.id,
    meetingId: ballot.meetingId.toString(),
    voter: ballot.voter,
    choices: ballot.choices.toString(),
  };
  switch (ballot.state) {
    case "queued":
    case "batched":
      return { ...base, status: "queued" as const };
    case "submitted": {
      const tx = ballot.batchId === null ? undefined : store.currentTx(ballot.batchId);
      return { ...base, status: "submitted" as const, txHash: tx?.hash ?? null };
    }
    case "confirmed":
      return {
        ...base,
        status: "confirmed" as const,
        txHash: ballot.txHash,
        blockNumber: ballot.blockNumber,
        logIndex: ballot.logIndex,
        weight: ballot.weight,
      };
    case "rejected":
      return { ...base, status: "rejected" as const, reason: ballot.reason };
  }
}

/** Takes a ballot through intake; the acknowledgement's body, or the error (counted in the metrics either way). */
async function acknowledge(deps: RelayerAppDeps, body: unknown): Promise<{ id: string; json: unknown }> {
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

/** The relayer's request listener: the hot path for plain ballot posts, express for the rest. */
export function createRelayerHandler(deps: RelayerAppDeps): RequestListener {
  const takeToken = tokenBuckets(deps.rateLimitPerMinute);
  const app = createRelayerApp(deps, takeToken);
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
    const tooLarge = () => {
      // Answer at once and close the connection rather than read the rest of an oversized body.
      sendFailure(res, requestId, new AppError("payload_too_large", "the request body is too large"), {
        Connection: "close",
      });
    };
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > deps.maxBodyBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > deps.maxBodyBytes) {
        done = true;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => {
      done = true; // the client went away: nothing to answer
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = {};
      // As body-parser's strict JSON: an object or array, or an empty body read as {}.
      const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
      if (first !== undefined) {
        let parsed = first === "{" || first === "[";
        if (parsed) {
          try {
            body = JSON.parse(text);
          } catch {
            parsed = false;
          }
        }
        if (!parsed) {
          sendFailure(res, requestId, new AppError("malformed_json", "the request body is not valid JSON"));
          return;
        }
      }
      acknowledge(deps, body).then(
        ({ id, json }) => send(res, 202, json, { "X-Request-Id": requestId, Location: `/v1/ballots/${id}` }),
        (err) => sendFailure(res, requestId, err),
      );
    });
  };

  return (req, res) => {
    if (req.method === "POST" && isPlainBallotPost(req)) submit(req, res);
    else app(req, res);
  };
}

function isPlainBallotPost(req: IncomingMessage): boolean {
  const url = req.url ?? "";
  if (url !== "/v1/ballots" && !url.startsWith("/v1/ballots?")) return false;
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

export function createRelayerApp(deps: RelayerAppDeps, takeToken = tokenBuckets(deps.rateLimitPerMinute)): Express {
  const { store, metrics, log } = deps;
  const rateLimit = rateLimitWith(takeToken);
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

  app.post(
    "/v1/ballots",
    rateLimit,
    express.json({ limit: deps.maxBodyBytes, strict: true, type: () => true }),
    async (req, res) => {
      const { id, json } = await acknowledge(deps, req.body);
      res.status(202).location(`/v1/ballots/${id}`).json(json);
    },
  );

  app.use(notFound);
  app.use(errorHandler(RELAYER_STATUSES, log));
  return app;
}
