/**
 * Configuration from the environment, validated at start-up. Every problem is reported at once with
 * the variable, the value and what was expected, e.g.
 * "DOCUMENTS_MAX_PDF_BYTES: got 'big', expected a whole number 1–268435456".
 */
import { ConfigError } from "#lib/errors.js";
import { EnvReader, type Env } from "#lib/env-reader.js";
import { LOG_LEVELS, type LogLevel } from "#lib/log.js";
import type { DocumentType } from "./types.js";

/** The store's own audience: a token issued for custody or the notifier is refused here. */
export const DEFAULT_AUDIENCE = "digital-home-documents";

const MIB = 1024 * 1024;
/** No type may be configured above this: a body is held in memory while it is checked and hashed. */
export const MAX_DOCUMENT_BYTES = 256 * MIB;

/** A service allowed to upload with a shared bearer token (the keeper, the seed, the notifier). */
export interface ServiceToken {
  /** Recorded as the uploader `service:<name>`. */
  name: string;
  token: string;
}

export interface DocumentsConfig {
  host: string;
  port: number;
  /** Holds `blobs/` (the documents, named by their hash), `tmp/` (writes in progress) and `documents.sqlite`. */
  dir: string;
  /** JWKS of the identity provider (custody's /.well-known/jwks.json in the demo); unset: residents cannot upload. */
  jwksUrl?: string;
  jwtIssuer: string;
  jwtAudience: string;
  serviceTokens: ServiceToken[];
  /** The largest document of each type, in bytes. */
  maxBytes: Record<DocumentType, number>;
  /** Uploads per resident per minute (0: no limit). Services are not limited. */
  uploadsPerMinute: number;
  /** Bytes of new documents one resident may store per quota period (0: no limit). */
  quotaBytes: number;
  /** New documents one resident may store per quota period (0: no limit). */
  quotaDocuments: number;
  quotaPeriodSeconds: number;
  /** Requests per client address per minute, reads included (0: no limit). */
  rateLimitPerMinute: number;
  /** Proxies whose X-Forwarded-For is believed (the web server). */
  trustedProxies: string[];
  /** The chain, for the rules of restricted documents (lib/document-access.ts): its node and deployment record. */
  rpcUrl?: string;
  deployment?: string;
  /** The registrar, which ties a resident's person id to their account, and its API token. */
  registrarUrl?: string;
  registrarToken?: string;
  logLevel: LogLevel;
}

/** `name=token,name=token`: names of lower-case letters, digits and '-', tokens of at least 16 characters. */
function serviceTokens(r: EnvReader, name: string): ServiceToken[] {
  const raw = r.raw(name);
  if (raw === undefined) return [];
  const out: ServiceToken[] = [];
  for (const [i, entry] of raw.split(",").entries()) {
    const eq = entry.indexOf("=");
    const service = eq < 0 ? "" : entry.slice(0, eq).trim();
    const token = eq < 0 ? "" : entry.slice(eq + 1).trim();
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(service)) {
      r.problems.push(`${name}: entry ${i + 1}: expected name=token with a name of lower-case letters, digits and '-' (tokens are not shown)`);
    } else if (!/^[\x21-\x7e]{16,}$/.test(token)) {
      r.problems.push(`${name}: entry ${i + 1} (${service}): expected a token of at least 16 printable characters without spaces (the value is not shown)`);
    } else if (out.some((s) => s.name === service)) {
      r.problems.push(`${name}: the service '${service}' is named twice`);
    } else if (out.some((s) => s.token === token)) {
      r.problems.push(`${name}: '${service}' has the same token as another service; give each its own`);
    } else {
      out.push({ name: service, token });
    }
  }
  return out;
}

/** Reads the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): DocumentsConfig {
  const r = new EnvReader(env);
  const size = (name: string, fallback: number) => r.whole(name, fallback, 1, MAX_DOCUMENT_BYTES);
  const config: DocumentsConfig = {
    host: r.host("DOCUMENTS_HOST", "127.0.0.1"),
    port: r.whole("DOCUMENTS_PORT", 8551, 0, 65535),
    dir: r.string("DOCUMENTS_DIR", "data/documents"),
    jwksUrl: r.url("DOCUMENTS_JWKS_URL", ["http", "https"]),
    jwtIssuer: r.string("DOCUMENTS_JWT_ISSUER", "digital-home-custody"),
    jwtAudience: r.string("DOCUMENTS_JWT_AUDIENCE", DEFAULT_AUDIENCE),
    serviceTokens: serviceTokens(r, "DOCUMENTS_SERVICE_TOKENS"),
    maxBytes: {
      pdf: size("DOCUMENTS_MAX_PDF_BYTES", 20 * MIB),
      png: size("DOCUMENTS_MAX_IMAGE_BYTES", 10 * MIB),
      jpeg: size("DOCUMENTS_MAX_IMAGE_BYTES", 10 * MIB),
      text: size("DOCUMENTS_MAX_TEXT_BYTES", 64 * 1024),
      json: size("DOCUMENTS_MAX_JSON_BYTES", 256 * 1024),
      xml: size("DOCUMENTS_MAX_XML_BYTES", 4 * MIB),
    },
    uploadsPerMinute: r.whole("DOCUMENTS_UPLOADS_PER_MINUTE", 30, 0, 100_000),
    quotaBytes: r.whole("DOCUMENTS_QUOTA_BYTES", 200 * MIB, 0, Number.MAX_SAFE_INTEGER),
    quotaDocuments: r.whole("DOCUMENTS_QUOTA_DOCUMENTS", 200, 0, 10_000_000),
    quotaPeriodSeconds: r.whole("DOCUMENTS_QUOTA_PERIOD_SECONDS", 30 * 86_400, 60, 10 * 366 * 86_400),
    rateLimitPerMinute: r.whole("DOCUMENTS_RATE_LIMIT_PER_MINUTE", 600, 0, 100_000_000),
    trustedProxies: r.addresses("DOCUMENTS_TRUSTED_PROXIES"),
    rpcUrl: r.url(r.raw("DOCUMENTS_RPC_URL") !== undefined ? "DOCUMENTS_RPC_URL" : "RPC_URL", ["http", "https"]),
    deployment: r.raw("DEPLOYMENT"),
    registrarUrl: r.url("DOCUMENTS_REGISTRAR_URL", ["http", "https"]),
    registrarToken: r.raw("DOCUMENTS_REGISTRAR_TOKEN"),
    logLevel: r.oneOf<LogLevel>("LOG_LEVEL", "info", LOG_LEVELS),
  };
  if (config.registrarUrl !== undefined && (config.registrarToken ?? "").length < 16) r.problems.push("DOCUMENTS_REGISTRAR_TOKEN: expected the registrar's API token, at least 16 characters, with DOCUMENTS_REGISTRAR_URL (the value is not shown)");
  if (config.registrarUrl !== undefined && config.rpcUrl === undefined) r.problems.push("DOCUMENTS_RPC_URL: the rules of restricted documents read the chain: give its node with DOCUMENTS_REGISTRAR_URL (RPC_URL is read too)");
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
