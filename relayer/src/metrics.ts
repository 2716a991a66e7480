/** Prometheus metrics of one relayer instance (its own registry, so several can run in one process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createRelayerMetrics(withDefaults: boolean) {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: "relayer_" });
  return {
    registry,
    intake: new Counter({
      name: "relayer_intake_total",
      help: "Ballots posted to the relayer, by result code (accepted, duplicate or the error code)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    intakeSeconds: new Histogram({
      name: "relayer_intake_duration_seconds",
      help: "Time from receiving a ballot to acknowledging or refusing it",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    confirmed: new Counter({ name: "relayer_ballots_confirmed_total", help: "Ballots counted on chain", registers: [registry] }),
    rejected: new Counter({
      name: "relayer_ballots_rejected_total",
      help: "Ballots rejected on chain, by reason",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    requests: new Counter({
      name: "relayer_requests_total",
      help: "Forward requests posted to the relayer, by result code (accepted, duplicate or the error code)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    requestsConfirmed: new Counter({ name: "relayer_requests_confirmed_total", help: "Forward requests executed on chain", registers: [registry] }),
    txSent: new Counter({ name: "relayer_transactions_sent_total", help: "Batch transactions signed and broadcast", registers: [registry] }),
    txReplaced: new Counter({ name: "relayer_transactions_replaced_total", help: "Stuck transactions replaced with a higher fee", registers: [registry] }),
    txReorged: new Counter({
      name: "relayer_transactions_reorged_total",
      help: "Mined batches whose block a chain reorganization dropped (broadcast again)",
      registers: [registry],
    }),
    txReverted: new Counter({ name: "relayer_transactions_reverted_total", help: "Batches mined but reverted (then split)", registers: [registry] }),
    gasUsed: new Counter({ name: "relayer_gas_used_total", help: "Gas used by mined batches", registers: [registry] }),
    rpcErrors: new Counter({ name: "relayer_rpc_errors_total", help: "Failed calls to the chain node", registers: [registry] }),
    queueDepth: new Gauge({
      name: "relayer_ballots",
      help: "Ballots in the queue database, by state",
      labelNames: ["state"] as const,
      registers: [registry],
    }),
  };
}

export type RelayerMetrics = ReturnType<typeof createRelayerMetrics>;
