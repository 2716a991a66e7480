/**
 * The custodial wallet's configuration from the environment, validated at start-up: `RPC_URL`,
 * `DEPLOYMENT`, `LOG_LEVEL` and `CUSTODY_*` (see custody/.env.example). It shares no setting with the
 * relayer: the two are separate trust domains, each with its own keys, config and process. Every
 * problem is reported at once with the variable and what was expected; secrets are never shown.
 */
import { ConfigError } from "#lib/errors.js";
import { EnvReader, type Env } from "#lib/env-reader.js";
import { isLoopback } from "#lib/http/client-address.js";
import { LOG_LEVELS, type LogLevel } from "#lib/log.js";

export type AuthMode = "demo" | "jwt";

/** Custody's own audience: a token for another service (the notifier's) is refused here. */
export const DEFAULT_AUDIENCE = "digital-home-custody";

export interface CustodyConfig {
  /**
   * JSON-RPC endpoint of a node of the voting chain. Custody checks at start-up that the node serves
   * the deployment record's chain and contracts, and reads it before every signature (the meeting,
   * the voter's standing, a power of attorney, the hall's answer to a forward request). Without it
   * custody logs residents in but signs nothing.
   */
  rpcUrl?: string;
  /** Deployment record: a network name under deployments/ or a path to a JSON file; gives the EIP-712 domain. */
  deployment: string;
  logLevel: LogLevel;
  host: string;
  port: number;
  dbPath: string;
  /** 32-byte key that encrypts residents' keys (AES-256-GCM). */
  masterKey: Buffer;
  /** Bearer token of the registrar for onboarding residents. */
  registrarToken: string;
  authMode: AuthMode;
  /** jwt mode: the identity provider's JWKS (its discovery document's `jwks_uri`). */
  jwksUrl?: string;
  /** jwt mode: the provider's issuer (its discovery document's `issuer`), which every token must name. */
  jwtIssuer: string;
  /** Custody's audience: the `aud` the provider puts in the access tokens it issues for custody. */
  jwtAudience: string;
  /** The claim of a token that names the resident: `sub`, or one the provider maps the resident id into. */
  subjectClaim: string;
  /**
   * One-time codes go out through the notifier (`POST /v1/otp`), by SMS and e-mail to the
   * resident's contacts; its service token (the notifier's NOTIFIER_OTP_TOKEN).
   */
  notifierUrl?: string;
  notifierToken?: string;
  /** Demo mode: other services' audiences the built-in identity provider issues tokens for. */
  demoAudiences: string[];
  otpTtlSeconds: number;
  /** Demo only, on a loopback address only: return the one-time code in the response instead of sending it. */
  revealOtp: boolean;
  /** Relayer to forward signed ballots to (optional). */
  relayerUrl?: string;
  /** Bearer token custody presents to the relayer (its RELAYER_CLIENT_TOKENS holds it). */
  relayerToken?: string;
  /** Requests per client address per minute. */
  rateLimitPerMinute: number;
  /** Signing and other resident requests per resident per minute, whatever address they come from. */
  residentRateLimitPerMinute: number;
  /** Proxies (the web server) whose X-Forwarded-For names the client. */
  trustedProxies: string[];
  /** Seconds before a meeting's close from which no ballot is signed for it (the relayer's closing margin). */
  closingMarginSeconds: number;
  /** Seconds a signed forward request stays valid. */
  requestTtlSeconds: number;
  /** The most gas a forward request may carry (the relayer's RELAYER_MAX_REQUEST_GAS). */
  maxRequestGas: number;
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

function audiences(r: EnvReader, name: string, fallback: string): string[] {
  const list = (r.raw(name) ?? fallback).split(",").map((a) => a.trim()).filter((a) => a.length > 0);
  const bad = list.find((a) => !/^[A-Za-z0-9._:/-]{1,128}$/.test(a));
  if (bad !== undefined) r.problems.push(`${name}: got '${bad}', expected comma-separated audience names (letters, digits, . _ : / -)`);
  return list;
}

/** Reads the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): CustodyConfig {
  const r = new EnvReader(env);
  const authMode = r.oneOf<AuthMode>("CUSTODY_AUTH_MODE", "demo", ["demo", "jwt"]);
  const registrarToken = r.string("CUSTODY_REGISTRAR_TOKEN");
  if (registrarToken && registrarToken.length < 16) {
    r.problems.push("CUSTODY_REGISTRAR_TOKEN: expected at least 16 characters (the value is not shown)");
  }
  const config: CustodyConfig = {
    rpcUrl: r.url("RPC_URL"),
    deployment: r.string("DEPLOYMENT", "localhost"),
    logLevel: r.oneOf("LOG_LEVEL", "info", LOG_LEVELS),
    host: r.host("CUSTODY_HOST", "127.0.0.1"),
    port: r.whole("CUSTODY_PORT", 8548, 0, 65535),
    dbPath: r.string("CUSTODY_DB_PATH", "data/custody.sqlite"),
    masterKey: masterKey(r, "CUSTODY_MASTER_KEY"),
    registrarToken,
    authMode,
    jwksUrl: r.url("CUSTODY_JWKS_URL"),
    jwtIssuer: r.string("CUSTODY_JWT_ISSUER", "digital-home-custody"),
    jwtAudience: r.string("CUSTODY_JWT_AUDIENCE", DEFAULT_AUDIENCE),
    subjectClaim: r.string("CUSTODY_JWT_SUBJECT_CLAIM", "sub"),
    notifierUrl: r.url("CUSTODY_NOTIFIER_URL"),
    notifierToken: r.secret("CUSTODY_NOTIFIER_TOKEN", 16),
    demoAudiences: audiences(r, "CUSTODY_DEMO_AUDIENCES", "digital-home-notifier"),
    otpTtlSeconds: r.whole("CUSTODY_OTP_TTL_SECONDS", 300, 30, 3600),
    revealOtp: r.bool("CUSTODY_REVEAL_OTP", false),
    relayerUrl: r.url("CUSTODY_RELAYER_URL"),
    relayerToken: r.secret("CUSTODY_RELAYER_TOKEN", 16),
    rateLimitPerMinute: r.whole("CUSTODY_RATE_LIMIT_PER_MINUTE", 120, 0, 100_000_000),
    residentRateLimitPerMinute: r.whole("CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE", 30, 0, 100_000_000),
    trustedProxies: r.addresses("CUSTODY_TRUSTED_PROXIES"),
    closingMarginSeconds: r.whole("CUSTODY_CLOSING_MARGIN_SECONDS", 5, 0, 3_600),
    requestTtlSeconds: r.whole("CUSTODY_REQUEST_TTL_SECONDS", 300, 30, 3_600),
    maxRequestGas: r.whole("CUSTODY_MAX_REQUEST_GAS", 5_000_000, 21_000, 15_000_000),
  };
  if (authMode === "jwt" && config.jwksUrl === undefined && r.raw("CUSTODY_JWKS_URL") === undefined) {
    r.problems.push("CUSTODY_JWKS_URL: missing, expected the identity provider's JWKS URL when CUSTODY_AUTH_MODE=jwt");
  }
  if (!/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(config.subjectClaim)) {
    r.problems.push(`CUSTODY_JWT_SUBJECT_CLAIM: got '${config.subjectClaim}', expected a claim name such as sub or resident_id`);
  }
  if (config.notifierUrl !== undefined && r.raw("CUSTODY_NOTIFIER_TOKEN") === undefined) {
    r.problems.push("CUSTODY_NOTIFIER_TOKEN: missing, expected the notifier's service token (its NOTIFIER_OTP_TOKEN) when CUSTODY_NOTIFIER_URL is set");
  }
  if (config.notifierUrl !== undefined && authMode !== "demo") {
    r.problems.push("CUSTODY_NOTIFIER_URL: one-time codes are sent only in one-time-code mode (CUSTODY_AUTH_MODE=demo); in jwt mode residents sign in at the identity provider");
  }
  // A revealed code logs in anyone who knows a resident id: only for a demo nobody else can reach.
  if (config.revealOtp && (authMode !== "demo" || !isLoopback(config.host))) {
    r.problems.push(
      `CUSTODY_REVEAL_OTP: one-time codes may be revealed only in demo mode (CUSTODY_AUTH_MODE=demo) on a loopback CUSTODY_HOST (127.0.0.1, ::1 or localhost); got CUSTODY_AUTH_MODE=${authMode}, CUSTODY_HOST=${config.host}`,
    );
  }
  if (config.demoAudiences.includes(config.jwtAudience)) {
    r.problems.push(`CUSTODY_DEMO_AUDIENCES: must not name custody's own audience '${config.jwtAudience}' (CUSTODY_JWT_AUDIENCE)`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
