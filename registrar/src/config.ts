/**
 * The registrar's configuration from the environment, validated at start-up: `RPC_URL`,
 * `DEPLOYMENT`, `LOG_LEVEL` and `REGISTRAR_*` (see registrar/.env.example). The registrar holds the
 * chain key of REGISTRAR_ROLE and the registrar tokens of custody and the notifier; it shares no
 * setting with them. Every problem is reported at once with the variable and what was expected;
 * secrets are never shown. The CLI (`npm run register`) reads the same configuration.
 */
import { readFileSync } from "node:fs";
import { Wallet } from "ethers";
import { ConfigError } from "#lib/errors.js";
import { EnvReader, type Env } from "#lib/env-reader.js";
import { LOG_LEVELS, type LogLevel } from "#lib/log.js";
import { LANGUAGES, languageOf, type Language } from "./messages.js";

/** The registrar's own audience: a resident's token issued for custody or the notifier is refused here. */
export const DEFAULT_AUDIENCE = "digital-home-registrar";

export interface RegistrarConfig {
  rpcUrl: string;
  /** Deployment record: a network name under deployments/ or a path to a JSON file. */
  deployment: string;
  logLevel: LogLevel;
  host: string;
  port: number;
  dbPath: string;
  /** The private key of the account that holds REGISTRAR_ROLE (from REGISTRAR_KEY or REGISTRAR_KEY_FILE). */
  chainKey: string;
  /** Bearer token of the registrar's API (imports, registers, annexes). */
  apiToken: string;
  custodyUrl: string;
  /** Custody's CUSTODY_REGISTRAR_TOKEN. */
  custodyToken: string;
  /** The notifier (optional): without it, no directory entries are written. */
  notifierUrl?: string;
  /** The notifier's NOTIFIER_REGISTRAR_TOKEN. */
  notifierToken?: string;
  /** Residents' tokens: the identity provider's JWKS (custody's in the demo), issuer and the registrar's audience. */
  jwksUrl?: string;
  jwtIssuer: string;
  jwtAudience: string;
  /** Gas one batch may use (0: three quarters of the block gas limit). */
  batchGas: bigint;
  /** One-premises transactions in flight at once. */
  window: number;
  txTimeoutMs: number;
  servicesTimeoutMs: number;
  maxFileBytes: number;
  logChunk: number;
  rateLimitPerMinute: number;
  trustedProxies: string[];
  /** The language of the CLI's messages and of API answers without Accept-Language. */
  language: Language;
}

function chainKey(r: EnvReader): string {
  const direct = r.raw("REGISTRAR_KEY");
  const file = r.raw("REGISTRAR_KEY_FILE");
  if (direct !== undefined && file !== undefined) {
    r.problems.push("REGISTRAR_KEY_FILE: set either REGISTRAR_KEY or REGISTRAR_KEY_FILE, not both");
    return "";
  }
  let key = direct;
  if (file !== undefined) {
    try {
      key = readFileSync(file, "utf8").trim();
    } catch (err) {
      r.problems.push(`REGISTRAR_KEY_FILE: cannot read '${file}' (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      return "";
    }
  }
  const name = file !== undefined ? "REGISTRAR_KEY_FILE" : "REGISTRAR_KEY";
  if (key === undefined) {
    r.problems.push("REGISTRAR_KEY: missing, expected the private key (0x and 64 hex digits) of the account holding REGISTRAR_ROLE, or REGISTRAR_KEY_FILE naming a file that holds it");
    return "";
  }
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    r.problems.push(`${name}: expected a private key of 64 hex digits (the value is not shown)`);
    return "";
  }
  try {
    new Wallet(hex);
  } catch {
    r.problems.push(`${name}: not a valid secp256k1 private key (the value is not shown)`);
    return "";
  }
  return hex;
}

function token(r: EnvReader, name: string, required: boolean): string | undefined {
  const v = r.raw(name);
  if (v === undefined) {
    if (required) r.problems.push(`${name}: missing, expected a token of at least 16 characters`);
    return undefined;
  }
  if (v.length < 16) {
    r.problems.push(`${name}: expected at least 16 characters (the value is not shown)`);
    return undefined;
  }
  return v;
}

/** Reads the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): RegistrarConfig {
  const r = new EnvReader(env);
  const rpcName = r.raw("REGISTRAR_RPC_URL") !== undefined ? "REGISTRAR_RPC_URL" : "RPC_URL";
  if (r.raw(rpcName) === undefined) r.problems.push("REGISTRAR_RPC_URL: missing, expected an http(s) URL of a JSON-RPC node (RPC_URL is read too)");
  const notifierUrl = r.url("REGISTRAR_NOTIFIER_URL");
  const notifierToken = token(r, "REGISTRAR_NOTIFIER_TOKEN", notifierUrl !== undefined);
  const batchGas = r.whole("REGISTRAR_BATCH_GAS", 0, 0, 1_000_000_000);
  if (batchGas !== 0 && batchGas < 200_000) r.problems.push(`REGISTRAR_BATCH_GAS: got ${batchGas}, expected 0 (three quarters of the block gas limit) or at least 200000`);
  const custodyUrl = r.url("REGISTRAR_CUSTODY_URL");
  if (r.raw("REGISTRAR_CUSTODY_URL") === undefined) r.problems.push("REGISTRAR_CUSTODY_URL: missing, expected the custody service's http(s) URL");
  const language = r.raw("REGISTRAR_LANGUAGE") !== undefined ? r.oneOf<Language>("REGISTRAR_LANGUAGE", "ru", LANGUAGES) : languageOf(env.LANG, "en");
  const config: RegistrarConfig = {
    rpcUrl: r.url(rpcName) ?? "",
    deployment: r.string("DEPLOYMENT", "localhost"),
    logLevel: r.oneOf("LOG_LEVEL", "info", LOG_LEVELS),
    host: r.host("REGISTRAR_HOST", "127.0.0.1"),
    port: r.whole("REGISTRAR_PORT", 8550, 0, 65535),
    dbPath: r.string("REGISTRAR_DB_PATH", "data/registrar.sqlite"),
    chainKey: chainKey(r),
    apiToken: token(r, "REGISTRAR_API_TOKEN", true) ?? "",
    custodyUrl: custodyUrl ?? "",
    custodyToken: token(r, "REGISTRAR_CUSTODY_TOKEN", true) ?? "",
    notifierUrl,
    notifierToken,
    jwksUrl: r.url("REGISTRAR_JWKS_URL"),
    jwtIssuer: r.string("REGISTRAR_JWT_ISSUER", "digital-home-custody"),
    jwtAudience: r.string("REGISTRAR_JWT_AUDIENCE", DEFAULT_AUDIENCE),
    batchGas: BigInt(batchGas),
    window: r.whole("REGISTRAR_TX_WINDOW", 16, 1, 256),
    txTimeoutMs: r.whole("REGISTRAR_TX_TIMEOUT_SECONDS", 120, 1, 86_400) * 1000,
    servicesTimeoutMs: r.whole("REGISTRAR_SERVICES_TIMEOUT_MS", 10_000, 100, 300_000),
    maxFileBytes: r.whole("REGISTRAR_MAX_FILE_BYTES", 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    logChunk: r.whole("REGISTRAR_LOG_CHUNK", 10_000, 1, 1_000_000),
    rateLimitPerMinute: r.whole("REGISTRAR_RATE_LIMIT_PER_MINUTE", 120, 0, 100_000_000),
    trustedProxies: r.addresses("REGISTRAR_TRUSTED_PROXIES"),
    language,
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
