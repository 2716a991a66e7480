/** The relayer's HTTP API, version 1. The OpenAPI document at /v1/openapi.json describes it. */
import express, { type Express } from "express";
import type { TypedDataDomain } from "ethers";
import { ServiceError } from "../errors.js";
import { errorHandler, notFound, requestId } from "../http/errors.js";
import { rateLimit } from "../http/rate-limit.js";
import type { Logger } from "../log.js";
import type { Intake } from "./intake.js";
import type { RelayerMetrics } from "./metrics.js";
import { relayerOpenApi } from "./openapi.js";
import type { BallotRecord, BallotStore } from "./queue.js";

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

export function createRelayerApp(deps: RelayerAppDeps): Express {
  const { intake, store, metrics, log } = deps;
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
      throw new ServiceError("invalid_request", "id: expected a 0x-prefixed 32-byte ballot id", { status: 400 });
    }
    const ballot = store.get(id);
    if (!ballot) throw new ServiceError("unknown_ballot", `no ballot has id ${id}`, { status: 404 });
    res.json(ballotStatus(ballot, store));
  });

  app.post(
    "/v1/ballots",
    rateLimit(deps.rateLimitPerMinute),
    express.json({ limit: deps.maxBodyBytes, strict: true, type: () => true }),
    async (req, res) => {
      const started = process.hrtime.bigint();
      try {
        const { ballot, duplicate } = await intake.submit(req.body);
        metrics.intake.inc({ result: duplicate ? "duplicate" : "accepted" });
        res
          .status(202)
          .location(`/v1/ballots/${ballot.id}`)
          .json({ ...ballotStatus(ballot, store), duplicate });
      } catch (err) {
        metrics.intake.inc({ result: err instanceof ServiceError ? err.code : "internal" });
        throw err;
      } finally {
        metrics.intakeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  );

  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
