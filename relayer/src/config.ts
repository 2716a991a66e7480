/**
 * Configuration from the environment, validated at start-up. Every problem is reported at once with
 * the variable, the value and what was expected, e.g.
 * "RELAYER_BATCH_SIZE: got 'ten', expected a whole number 1–500".
 */
import { availableParallelism } from "node:os";
import { Wallet, isHexString } from "ethers";
import { ConfigError } from "./errors.js";
import { LOG_LEVELS, type LogLevel } from "#lib/log.js";
import { EnvReader, type Env } from "#lib/env-reader.js";

export interface ChainConfig {
  /** JSON-RPC endpoint of a node of the voting chain. */
  rpcUrl: string;
  /** Deployment record: a network name under deployments/ or a path to a JSON file. */
  deployment: string;
}

export interface RelayerConfig {
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
}

export type AuthMode = "demo" | "jwt";

export interface CustodyConfig {
  host: string;
  port: number;
  dbPath: string;
  /** 32-byte key that encrypts residents' keys (AES-256-GCM). */
  masterKey: Buffer;
  /** Bearer token of the registrar for onboarding residents. */
  registrarToken: string;
  authMode: AuthMode;
  jwksUrl?: string;
  jwtIssuer: string;
  jwtAudience: string;
  otpTtlSeconds: number;
  /** Demo only: return the one-time code in the response instead of sending it. */
  revealOtp: boolean;
  /** Relayer to forward signed ballots to (optional). */
  relayerUrl?: string;
  rateLimitPerMinute: number;
}

export interface ServiceConfig {
  chain: ChainConfig;
  logLevel: LogLevel;
  relayer?: RelayerConfig;
  custody?: CustodyConfig;
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

function masterKey(r: EnvReader, name: string): Buffer {
  const v = r.raw(name);
  if (v === undefined) {
    r.problems.push(`${name}: missing, expected 32 bytes as 64 hex digits or base64`);
    return Buffer.alloc(32);
  }
  const hex = v.startsWith("0x") ? v.slice(2) : v;
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(hex)) key = Buffer.from(hex, "hex");
  else if (/^[A-Za-z0-9+/]{43}=?$/.test(v)) key = Buffer.from(v, "base64");
  if (!key || key.length !== 32) {
    r.problems.push(`${name}: expected 32 bytes as 64 hex digits or base64 (the value is not shown)`);
    return Buffer.alloc(32);
  }
  return key;
}

/**
 * Reads the configuration. `SERVICES` chooses what runs: "relayer,custody" (default), "relayer" or
 * "custody". Throws ConfigError listing every problem.
 */
export function loadConfig(env: Env = process.env): ServiceConfig {
  const r = new EnvReader(env);
  const services = (r.raw("SERVICES") ?? "relayer,custody").split(",").map((s) => s.trim());
  for (const s of services) {
    if (s !== "relayer" && s !== "custody") r.problems.push(`SERVICES: got '${s}', expected relayer and/or custody`);
  }
  if (r.raw("RPC_URL") === undefined) r.problems.push("RPC_URL: missing, expected an http(s) URL of a JSON-RPC node");
  const chain: ChainConfig = {
    rpcUrl: r.url("RPC_URL") ?? "",
    deployment: r.string("DEPLOYMENT", "localhost"),
  };
  const logLevel = r.oneOf("LOG_LEVEL", "info", LOG_LEVELS);

  let relayer: RelayerConfig | undefined;
  if (services.includes("relayer")) {
    relayer = {
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
    };
  }

  let custody: CustodyConfig | undefined;
  if (services.includes("custody")) {
    const authMode = r.oneOf<AuthMode>("CUSTODY_AUTH_MODE", "demo", ["demo", "jwt"]);
    const registrarToken = r.string("CUSTODY_REGISTRAR_TOKEN");
    if (registrarToken && registrarToken.length < 16) {
      r.problems.push("CUSTODY_REGISTRAR_TOKEN: expected at least 16 characters (the value is not shown)");
    }
    custody = {
      host: r.host("CUSTODY_HOST", "127.0.0.1"),
      port: r.whole("CUSTODY_PORT", 8548, 0, 65535),
      dbPath: r.string("CUSTODY_DB_PATH", "data/custody.sqlite"),
      masterKey: masterKey(r, "CUSTODY_MASTER_KEY"),
      registrarToken,
      authMode,
      jwksUrl: r.url("CUSTODY_JWKS_URL"),
      jwtIssuer: r.string("CUSTODY_JWT_ISSUER", "digital-home-custody"),
      jwtAudience: r.string("CUSTODY_JWT_AUDIENCE", "digital-home"),
      otpTtlSeconds: r.whole("CUSTODY_OTP_TTL_SECONDS", 300, 30, 3600),
      revealOtp: r.bool("CUSTODY_REVEAL_OTP", false),
      relayerUrl: r.url("CUSTODY_RELAYER_URL"),
      rateLimitPerMinute: r.whole("CUSTODY_RATE_LIMIT_PER_MINUTE", 120, 0, 100_000_000),
    };
    if (authMode === "jwt" && custody.jwksUrl === undefined && r.raw("CUSTODY_JWKS_URL") === undefined) {
      r.problems.push("CUSTODY_JWKS_URL: missing, expected the identity provider's JWKS URL when CUSTODY_AUTH_MODE=jwt");
    }
  }

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { chain, logLevel, relayer, custody };
}
