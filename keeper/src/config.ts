/**
 * The keeper's configuration from the environment, validated at start-up: every problem is reported
 * at once with the variable, the value and what was expected (see .env.example).
 */
import { ConfigError } from "#lib/errors.js";
import { EnvReader, type Env } from "#lib/env-reader.js";
import { LOG_LEVELS, type LogLevel } from "#lib/log.js";
import type { Language } from "#lib/protocol/labels.js";

export interface KeeperConfig {
  /** JSON-RPC endpoint of a node of the voting chain. */
  rpcUrl: string;
  /** Deployment record: a network name under deployments/ or a path to a JSON file. */
  deployment: string;
  host: string;
  port: number;
  /** The durable record of what the keeper sent and produced. */
  dbPath: string;
  /** The keeper's own chain key (a file holding a 0x-prefixed private key, owner-only). */
  chainKeyFile: string;
  /** The operator's protocol signing key (Ed25519, PKCS #8 PEM), created on first start. */
  signingKeyFile: string;
  /** Where the operator record with the public keys is published (default: beside the deployment record). */
  operatorRecordPath?: string;
  operatorName: string;
  /** Where protocols are drawn up, as they state it (default: the system, in the protocol's language). */
  place?: string;
  language: Language;
  /** The registrar's API (the annex of each meeting) and its token. */
  registrarUrl: string;
  registrarToken: string;
  /** The document store (agenda texts read, protocols stored) and its service token. */
  documentsUrl: string;
  documentsToken: string;
  /** Local copies of every protocol file, written before they are stored. */
  protocolsDir: string;
  /** Blocks a finalization (or an announcement) must be under before the keeper relies on it. */
  confirmations: number;
  pollIntervalMs: number;
  logChunk: number;
  /** Gas limit of a finalize transaction (a meeting of 64 questions stays far below). */
  finalizeGas: number;
  requestTimeoutMs: number;
  logLevel: LogLevel;
}

const TOKEN_MIN = 16;

export function loadConfig(env: Env = process.env): KeeperConfig {
  const r = new EnvReader(env);
  const rpcName = r.raw("KEEPER_RPC_URL") !== undefined ? "KEEPER_RPC_URL" : "RPC_URL";
  if (r.raw(rpcName) === undefined) r.problems.push("KEEPER_RPC_URL: missing, expected an http(s) URL of a JSON-RPC node (RPC_URL is read too)");
  const token = (name: string) => {
    const v = r.string(name);
    if (v && v.length < TOKEN_MIN) r.problems.push(`${name}: expected at least ${TOKEN_MIN} characters (the value is not shown)`);
    return v;
  };
  const registrarUrl = r.url("KEEPER_REGISTRAR_URL", ["http", "https"]);
  if (registrarUrl === undefined && r.raw("KEEPER_REGISTRAR_URL") === undefined) r.problems.push("KEEPER_REGISTRAR_URL: missing, expected the registrar API's http(s) URL");
  const documentsUrl = r.url("KEEPER_DOCUMENTS_URL", ["http", "https"]);
  if (documentsUrl === undefined && r.raw("KEEPER_DOCUMENTS_URL") === undefined) r.problems.push("KEEPER_DOCUMENTS_URL: missing, expected the document store's http(s) URL");
  const config: KeeperConfig = {
    rpcUrl: r.url(rpcName, ["http", "https"]) ?? "",
    deployment: r.string("DEPLOYMENT", "localhost"),
    host: r.host("KEEPER_HOST", "127.0.0.1"),
    port: r.whole("KEEPER_PORT", 8552, 0, 65535),
    dbPath: r.string("KEEPER_DB_PATH", "data/keeper.sqlite"),
    chainKeyFile: r.string("KEEPER_CHAIN_KEY_FILE"),
    signingKeyFile: r.string("KEEPER_SIGNING_KEY_FILE", "data/keeper/protocol-signing-key.pem"),
    operatorRecordPath: r.raw("KEEPER_OPERATOR_RECORD"),
    operatorName: r.string("KEEPER_OPERATOR_NAME", "Оператор информационной системы «Цифровой дом»"),
    place: r.raw("KEEPER_PLACE"),
    language: r.oneOf<Language>("KEEPER_LANGUAGE", "ru", ["ru", "en"]),
    registrarUrl: registrarUrl ?? "",
    registrarToken: token("KEEPER_REGISTRAR_TOKEN"),
    documentsUrl: documentsUrl ?? "",
    documentsToken: token("KEEPER_DOCUMENTS_TOKEN"),
    protocolsDir: r.string("KEEPER_PROTOCOLS_DIR", "data/keeper/protocols"),
    confirmations: r.whole("KEEPER_CONFIRMATIONS", 0, 0, 256),
    pollIntervalMs: r.whole("KEEPER_POLL_INTERVAL_MS", 1_000, 10, 600_000),
    logChunk: r.whole("KEEPER_LOG_CHUNK", 2_000, 1, 1_000_000),
    finalizeGas: r.whole("KEEPER_FINALIZE_GAS", 3_000_000, 100_000, 30_000_000),
    requestTimeoutMs: r.whole("KEEPER_REQUEST_TIMEOUT_MS", 15_000, 100, 300_000),
    logLevel: r.oneOf<LogLevel>("LOG_LEVEL", "info", LOG_LEVELS),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
