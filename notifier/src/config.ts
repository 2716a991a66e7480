/**
 * Configuration from the environment, validated at start-up. Every problem is reported at once with
 * the variable, the value and what was expected, e.g.
 * "NOTIFIER_MAX_ATTEMPTS: got 'ten', expected a whole number 1–100".
 */
import { ConfigError } from "#lib/errors.js";
import { LOG_LEVELS, type LogLevel } from "#lib/log.js";
import { EnvReader, type Env } from "#lib/env-reader.js";
import { isLoopback } from "#lib/http/client-address.js";

export type Language = "ru" | "en";
export const LANGUAGES = ["ru", "en"] as const;

export interface SmtpConfig {
  /** smtp://user:pass@host:port or smtps://… */
  url: string;
  /** The From header, e.g. "Digital Home <notices@example.org>". */
  from: string;
  /**
   * Check the server's TLS certificate (STARTTLS or smtps). Off only for the one loopback test server
   * named by NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER.
   */
  verifyTls: boolean;
}

/** The notifier's own audience: a token for custody is refused here. */
export const DEFAULT_AUDIENCE = "digital-home-notifier";

export interface SmsConfig {
  /** The generic JSON webhook: POST { to, text, reference } answered 2xx when accepted. */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
}

export interface NotifierConfig {
  /** JSON-RPC endpoint of a node of the voting chain. */
  rpcUrl: string;
  /** Deployment record: a network name under deployments/ or a path to a JSON file. */
  deployment: string;
  host: string;
  port: number;
  dbPath: string;
  /** Bearer token of the registrar for the resident directory and the delivery log. */
  registrarToken: string;
  /** JWKS of the identity provider (the custody service's /.well-known/jwks.json in the demo). */
  jwksUrl?: string;
  jwtIssuer: string;
  jwtAudience: string;
  smtp?: SmtpConfig;
  sms?: SmsConfig;
  /** Custody's service token for one-time codes (POST /v1/otp); unset, the endpoint answers otp_not_configured. */
  otpToken?: string;
  /** One-time codes a resident may be sent in an hour, and the whole notifier in a minute. */
  otpPerResidentPerHour: number;
  otpPerMinute: number;
  /** JSON array of agenda texts, matched to questions by keccak256 of their UTF-8 bytes (a deployment without a document store). */
  textsFile?: string;
  /** The document store, where each wording is read under its hash (the question's textRef). */
  documentsUrl?: string;
  /** Where residents vote, shown in notices. */
  voteUrl: string;
  timeZone: string;
  defaultLanguage: Language;
  pollIntervalMs: number;
  confirmations: number;
  logChunk: number;
  /** The reminder goes this long before the close (or at the opening, for shorter windows). */
  reminderBeforeSeconds: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  sendTimeoutMs: number;
  sendConcurrency: number;
  /**
   * Meetings (and polls) of one initiator in one building, within `noticeBudgetPeriodSeconds`, whose
   * notices go out by e-mail and SMS; beyond it they are held (0: no budget). The legal notice in the
   * app's feed is delivered whatever the budget.
   */
  noticeBudget: number;
  noticeBudgetPeriodSeconds: number;
  logLevel: LogLevel;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Reads the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): NotifierConfig {
  const r = new EnvReader(env);
  const rpcName = r.raw("NOTIFIER_RPC_URL") !== undefined ? "NOTIFIER_RPC_URL" : "RPC_URL";
  if (r.raw(rpcName) === undefined) r.problems.push("NOTIFIER_RPC_URL: missing, expected an http(s) URL of a JSON-RPC node (RPC_URL is read too)");
  const registrarToken = r.string("NOTIFIER_REGISTRAR_TOKEN");
  if (registrarToken && registrarToken.length < 16) {
    r.problems.push("NOTIFIER_REGISTRAR_TOKEN: expected at least 16 characters (the value is not shown)");
  }
  const smtpUrl = r.url("NOTIFIER_SMTP_URL", ["smtp", "smtps"]);
  const unverified = r.raw("NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER");
  if (unverified !== undefined) {
    // Certificate checks may be turned off for a named test server on this machine, and nothing else.
    const server = smtpUrl ? new URL(smtpUrl) : undefined;
    const named = server ? `${server.hostname}:${server.port || (server.protocol === "smtps:" ? "465" : "587")}` : undefined;
    const host = unverified.replace(/:\d+$/, "");
    if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(unverified) || !isLoopback(host)) {
      r.problems.push(`NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER: got '${unverified}', expected host:port of a loopback test server (127.0.0.1, ::1 or localhost); certificate checks stay on for any other`);
    } else if (named !== unverified) {
      r.problems.push(`NOTIFIER_SMTP_UNVERIFIED_TLS_SERVER: names '${unverified}', but NOTIFIER_SMTP_URL is ${named ? `'${named}'` : "unset"}: it must name that server`);
    }
  }
  const mailFrom = r.raw("NOTIFIER_MAIL_FROM") ?? "Digital Home <notices@digital-home.local>";
  if (smtpUrl && !/<[^<>\s@]+@[^<>\s@]+>$|^[^<>\s@]+@[^<>\s@]+$/.test(mailFrom)) {
    r.problems.push(`NOTIFIER_MAIL_FROM: got '${mailFrom}', expected an address such as "Digital Home <notices@example.org>"`);
  }
  const smsUrl = r.url("NOTIFIER_SMS_WEBHOOK_URL", ["http", "https"]);
  const timeZone = r.string("NOTIFIER_TIME_ZONE", "Europe/Moscow");
  if (!validTimeZone(timeZone)) r.problems.push(`NOTIFIER_TIME_ZONE: got '${timeZone}', expected an IANA time zone such as Europe/Moscow`);
  const retryBaseMs = r.whole("NOTIFIER_RETRY_BASE_MS", 2_000, 10, 3_600_000);
  const retryMaxMs = r.whole("NOTIFIER_RETRY_MAX_MS", 600_000, 10, 86_400_000);
  if (retryMaxMs < retryBaseMs) r.problems.push(`NOTIFIER_RETRY_MAX_MS: got ${retryMaxMs}, expected at least NOTIFIER_RETRY_BASE_MS (${retryBaseMs})`);

  const config: NotifierConfig = {
    rpcUrl: r.url(rpcName, ["http", "https"]) ?? "",
    deployment: r.string("DEPLOYMENT", "localhost"),
    host: r.host("NOTIFIER_HOST", "127.0.0.1"),
    port: r.whole("NOTIFIER_PORT", 8549, 0, 65535),
    dbPath: r.string("NOTIFIER_DB_PATH", "data/notifier.sqlite"),
    registrarToken,
    jwksUrl: r.url("NOTIFIER_JWKS_URL", ["http", "https"]),
    jwtIssuer: r.string("NOTIFIER_JWT_ISSUER", "digital-home-custody"),
    jwtAudience: r.string("NOTIFIER_JWT_AUDIENCE", DEFAULT_AUDIENCE),
    smtp: smtpUrl ? { url: smtpUrl, from: mailFrom, verifyTls: unverified === undefined } : undefined,
    sms: smsUrl ? { webhookUrl: smsUrl, token: r.raw("NOTIFIER_SMS_WEBHOOK_TOKEN") } : undefined,
    otpToken: r.secret("NOTIFIER_OTP_TOKEN", 16),
    otpPerResidentPerHour: r.whole("NOTIFIER_OTP_PER_RESIDENT_PER_HOUR", 10, 1, 1_000),
    otpPerMinute: r.whole("NOTIFIER_OTP_PER_MINUTE", 120, 1, 100_000),
    textsFile: r.raw("NOTIFIER_TEXTS_FILE"),
    documentsUrl: r.url("NOTIFIER_DOCUMENTS_URL", ["http", "https"]),
    voteUrl: r.url("NOTIFIER_VOTE_URL", ["http", "https"], "http://127.0.0.1:8080/") ?? "",
    timeZone,
    defaultLanguage: r.oneOf("NOTIFIER_DEFAULT_LANGUAGE", "ru", LANGUAGES),
    pollIntervalMs: r.whole("NOTIFIER_POLL_INTERVAL_MS", 1_000, 10, 600_000),
    confirmations: r.whole("NOTIFIER_CONFIRMATIONS", 0, 0, 64),
    logChunk: r.whole("NOTIFIER_LOG_CHUNK", 2_000, 1, 1_000_000),
    reminderBeforeSeconds: r.whole("NOTIFIER_REMINDER_BEFORE_SECONDS", 86_400, 0, 60 * 86_400),
    maxAttempts: r.whole("NOTIFIER_MAX_ATTEMPTS", 12, 1, 100),
    retryBaseMs,
    retryMaxMs,
    sendTimeoutMs: r.whole("NOTIFIER_SEND_TIMEOUT_MS", 15_000, 100, 300_000),
    sendConcurrency: r.whole("NOTIFIER_SEND_CONCURRENCY", 4, 1, 64),
    noticeBudget: r.whole("NOTIFIER_NOTICE_BUDGET", 5, 0, 10_000),
    noticeBudgetPeriodSeconds: r.whole("NOTIFIER_NOTICE_BUDGET_PERIOD_SECONDS", 30 * 86_400, 60, 366 * 86_400),
    logLevel: r.oneOf<LogLevel>("LOG_LEVEL", "info", LOG_LEVELS),
  };
  if (config.otpToken !== undefined && config.otpToken === registrarToken) {
    r.problems.push("NOTIFIER_OTP_TOKEN: the same as NOTIFIER_REGISTRAR_TOKEN, expected a token of its own (the value is not shown)");
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
