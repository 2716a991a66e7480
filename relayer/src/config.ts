/**
 * The relayer's configuration from the environment, validated at start-up. Every problem is reported at once with
 * the variable, the value and what was expected, e.g.
 * "RELAYER_BATCH_SIZE: got 'ten', expected a whole number 1–500".
 */
import { availableParallelism } from "node:os";
import { Wallet, isHexString } from "ethers";
import { ConfigError } from "#lib/errors.js";
import { LOG_LEVELS, type LogLevel } from "#lib/log.js";
import { EnvReader, type Env } from "#lib/env-reader.js";

export interface RelayerConfig {
  /** JSON-RPC endpoint of a node of the voting chain. */
  rpcUrl: string;
  /** Deployment record: a network name under deployments/ or a path to a JSON file. */
  deployment: string;
  logLevel: LogLevel;
  host: string;
  port: number;
  dbPath: string;
  senderKeys: string[];
  batchSize: number;
  batchWaitMs: number;
  maxInflightPerSender: number;
  maxBatchGas: number;
  stuckAfterMs: number;
  feeBumpPercent: number;
  maxFeeGwei: number;
  confirmations: number;
  pollIntervalMs: number;
  rateLimitPerMinute: number;
  maxBodyBytes: number;
  maxSignatureBytes: number;
  /** Worker threads that recover ballot signers (0: on the event loop). */
  verifyThreads: number;
  /** Tokens of trusted clients (custody): their posts are not limited as one anonymous client's. */
  clientTokens: string[];
  /** Proxies whose X-Forwarded-For names the client. */
  trustedProxies: string[];
  /** The bearer token /metrics answers (unset: /metrics is not served). */
  metricsToken?: string;
  /** Gas a contract wallet's isValidSignature may use when intake asks it (the contract's bound). */
  erc1271Gas: number;
  /** The smallest and largest closing margin, seconds (see closing.ts). */
  closingMarginSeconds: number;
  closingMarginMaxSeconds: number;
  /** The most gas a forward request may forward to the hall. */
  maxRequestGas: number;
  /** The largest body of a forward request post, bytes (a paper decisions' batch is long). */
  maxRequestBodyBytes: number;
  /** Forward requests per signer per minute (0: no limit). */
  signerRateLimitPerMinute: number;
}

function tokens(r: EnvReader, name: string): string[] {
  const v = r.raw(name);
  if (v === undefined) return [];
  const list = v.split(",").map((t) => t.trim()).filter((t) => t.length > 0);
  if (list.some((t) => t.length < 16)) r.problems.push(`${name}: expected comma-separated tokens of at least 16 characters each (the values are not shown)`);
  return list.filter((t) => t.length >= 16);
}

function privateKeys(r: EnvReader, name: string): string[] {
  const v = r.raw(name);
  if (v === undefined) {
    r.problems.push(`${name}: missing, expected one or more comma-separated 0x-prefixed 32-byte private keys`);
    return [];
  }
  const keys = v.split(",").map((k) => k.trim());
  keys.forEach((k, i) => {
    if (!isHexString(k, 32)) {
      r.problems.push(`${name}: key #${i + 1} is not a 0x-prefixed 32-byte hex private key`);
      return;
    }
    try {
      new Wallet(k);
    } catch {
      r.problems.push(`${name}: key #${i + 1} is not a valid secp256k1 private key`);
    }
  });
  const addresses = new Set(keys.filter((k) => isHexString(k, 32)).map((k) => k.toLowerCase()));
  if (addresses.size !== keys.length) r.problems.push(`${name}: the same key is listed twice`);
  return keys;
}

/**
 * Reads the relayer's configuration: `RPC_URL`, `DEPLOYMENT`, `LOG_LEVEL` and `RELAYER_*` only (the
 * custodial wallet has its own, custody/src/config.ts). Throws ConfigError listing every problem.
 */
export function loadConfig(env: Env = process.env): RelayerConfig {
  const r = new EnvReader(env);
  if (r.raw("RPC_URL") === undefined) r.problems.push("RPC_URL: missing, expected an http(s) URL of a JSON-RPC node");
  const config: RelayerConfig = {
    rpcUrl: r.url("RPC_URL") ?? "",
    deployment: r.string("DEPLOYMENT", "localhost"),
    logLevel: r.oneOf("LOG_LEVEL", "info", LOG_LEVELS),
    host: r.host("RELAYER_HOST", "127.0.0.1"),
    port: r.whole("RELAYER_PORT", 8547, 0, 65535),
    dbPath: r.string("RELAYER_DB_PATH", "data/relayer.sqlite"),
    senderKeys: privateKeys(r, "RELAYER_SENDER_KEYS"),
    batchSize: r.whole("RELAYER_BATCH_SIZE", 250, 1, 500),
    batchWaitMs: r.whole("RELAYER_BATCH_WAIT_MS", 200, 0, 60_000),
    maxInflightPerSender: r.whole("RELAYER_MAX_INFLIGHT_PER_SENDER", 4, 1, 64),
    maxBatchGas: r.whole("RELAYER_MAX_BATCH_GAS", 15_000_000, 100_000, 100_000_000),
    stuckAfterMs: r.whole("RELAYER_STUCK_AFTER_MS", 15_000, 100, 3_600_000),
    feeBumpPercent: r.whole("RELAYER_FEE_BUMP_PERCENT", 25, 10, 1000),
    maxFeeGwei: r.whole("RELAYER_MAX_FEE_GWEI", 10_000, 0, 1_000_000),
    confirmations: r.whole("RELAYER_CONFIRMATIONS", 1, 1, 64),
    pollIntervalMs: r.whole("RELAYER_POLL_INTERVAL_MS", 250, 10, 60_000),
    rateLimitPerMinute: r.whole("RELAYER_RATE_LIMIT_PER_MINUTE", 600, 0, 100_000_000),
    maxBodyBytes: r.whole("RELAYER_MAX_BODY_BYTES", 4096, 256, 1_048_576),
    maxSignatureBytes: r.whole("RELAYER_MAX_SIGNATURE_BYTES", 1024, 65, 65_536),
    verifyThreads: r.whole("RELAYER_VERIFY_THREADS", Math.min(4, Math.max(0, availableParallelism() - 1)), 0, 64),
    clientTokens: tokens(r, "RELAYER_CLIENT_TOKENS"),
    trustedProxies: r.addresses("RELAYER_TRUSTED_PROXIES"),
    metricsToken: r.secret("RELAYER_METRICS_TOKEN", 16),
    erc1271Gas: r.whole("RELAYER_ERC1271_GAS", 50_000, 10_000, 1_000_000),
    closingMarginSeconds: r.whole("RELAYER_CLOSING_MARGIN_SECONDS", 5, 0, 3_600),
    closingMarginMaxSeconds: r.whole("RELAYER_CLOSING_MARGIN_MAX_SECONDS", 600, 0, 86_400),
    maxRequestGas: r.whole("RELAYER_MAX_REQUEST_GAS", 5_000_000, 21_000, 15_000_000),
    maxRequestBodyBytes: r.whole("RELAYER_MAX_REQUEST_BODY_BYTES", 131_072, 1_024, 1_048_576),
    signerRateLimitPerMinute: r.whole("RELAYER_SIGNER_RATE_LIMIT_PER_MINUTE", 10, 0, 100_000),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
