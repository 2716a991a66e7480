/**
 * Who the caller is. In production (`jwt` mode) a bearer JWT from the city's OpenID Connect
 * provider — the access token it issued for custody's audience after the page's authorization code
 * flow — verified against the provider's JWKS: signature by a key it publishes (asymmetric
 * algorithms only, never `none`), issuer, audience and expiry; the subject (or a configured claim)
 * is the resident id. Each refusal has its own code (`token_expired`, `token_wrong_audience`, …,
 * lib/http/auth.ts). In one-time-code mode (`demo`) the custody service is its own identity
 * provider: one-time codes, then a short-lived JWT signed with a key generated at start and
 * published at /.well-known/jwks.json, verified by the same path. Either way a token logged out is
 * refused until it expires (the revocation list).
 *
 * One-time codes resist guessing: wrong guesses are counted per resident across codes, and after
 * MAX_CODE_ATTEMPTS of them the resident's login is locked for a minute, then twice as long after
 * each further lockout (at most an hour); asking for a new code changes none of that. A code
 * request does not replace a code issued less than a minute ago and still pending, so nobody can
 * keep wiping a resident's code by asking for new ones. Codes are kept only as hashes and never
 * written to a log.
 */
import { createHash, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JSONWebKeySet } from "jose";
import { AppError } from "#lib/errors.js";
import { jwtBearer, remoteKeys, type Bearer, type BearerOf } from "#lib/http/auth.js";
import type { TokenRevocations } from "#lib/http/revocations.js";

const TOKEN_TTL_SECONDS = 3600;
/** Wrong codes in a row before a lockout. */
export const MAX_CODE_ATTEMPTS = 5;
const FIRST_LOCKOUT_MS = 60_000;
const MAX_LOCKOUT_MS = 3_600_000;
/** A pending code younger than this is not replaced by a new request. */
export const CODE_REISSUE_MS = 60_000;
/** Lockouts are forgotten after a day without a wrong guess. */
const GUESSES_FORGOTTEN_MS = 86_400_000;

export interface Authenticator {
  /** The verified bearer token: its resident, id and expiry, or `unauthenticated`. */
  bearerOf: BearerOf;
  /** The resident id of a bearer token, or `unauthenticated`. */
  residentOf(authorization: string | undefined): Promise<string>;
  jwks?: JSONWebKeySet;
}

function authenticator(bearerOf: BearerOf, jwks?: JSONWebKeySet): Authenticator {
  return { bearerOf, residentOf: async (a) => (await bearerOf(a)).subject, ...(jwks ? { jwks } : {}) };
}

export interface ProviderTokenOptions {
  /** The claim that names the resident (default `sub`). */
  subjectClaim?: string;
  revocations?: TokenRevocations;
}

/** Tokens of an OpenID Connect provider, verified against its JWKS, each refusal by its own code. */
export function jwksAuthenticator(jwksUrl: string, issuer: string, audience: string, options: ProviderTokenOptions = {}): Authenticator {
  return authenticator(
    jwtBearer(remoteKeys(jwksUrl), issuer, audience, {
      isRevoked: (id) => options.revocations?.isRevoked(id) ?? false,
      subjectClaim: options.subjectClaim,
      detailedRefusals: true,
    }),
  );
}

export interface DemoLogin extends Authenticator {
  /**
   * Issues a one-time code for a resident, or nothing when a code issued less than a minute ago is
   * still pending (it stays valid).
   */
  issueCode(residentId: string): string | undefined;
  /** When the resident's pending code expires (Unix ms), if one is pending. */
  pendingUntil(residentId: string): number | undefined;
  /** Exchanges a valid code for a token; `invalid_code`, or `too_many_attempts` while locked out. */
  exchange(residentId: string, code: string): Promise<{ token: string; expiresIn: number }>;
  /** A token for the same resident with another service's audience (one of `otherAudiences`), expiring no later than `bearer`. */
  tokenFor(bearer: Bearer, audience: string): Promise<{ token: string; expiresIn: number }>;
}

export interface DemoOptions {
  issuer: string;
  audience: string;
  codeTtlSeconds: number;
  /** Other services' audiences the demo identity provider issues tokens for. */
  otherAudiences?: readonly string[];
  revocations?: TokenRevocations;
  now?: () => number;
}

interface PendingCode {
  hash: Buffer;
  issuedAt: number;
  expires: number;
}

interface Guesses {
  failures: number;
  lockouts: number;
  lockedUntil: number;
  lastFailure: number;
}

export async function demoAuthenticator(options: DemoOptions): Promise<DemoLogin> {
  const now = options.now ?? Date.now;
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "custody-demo-1", alg: "ES256", use: "sig" };
  const jwks: JSONWebKeySet = { keys: [jwk] };
  const bearerOf = jwtBearer(createLocalJWKSet(jwks), options.issuer, options.audience, {
    isRevoked: (id) => options.revocations?.isRevoked(id) ?? false,
    detailedRefusals: true,
  });
  const codes = new Map<string, PendingCode>();
  const guesses = new Map<string, Guesses>();
  const digest = (residentId: string, code: string) => createHash("sha256").update(`${residentId}\0${code}`).digest();
  const sign = (residentId: string, audience: string, expiresAt?: number) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: jwk.kid })
      .setSubject(residentId)
      .setIssuer(options.issuer)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(expiresAt ?? `${TOKEN_TTL_SECONDS}s`)
      .sign(privateKey);

  const lockedFor = (residentId: string): number => {
    const g = guesses.get(residentId);
    if (!g) return 0;
    const t = now();
    if (t - g.lastFailure > GUESSES_FORGOTTEN_MS && g.lockedUntil <= t) {
      guesses.delete(residentId);
      return 0;
    }
    return Math.max(0, g.lockedUntil - t);
  };
  const tooMany = (ms: number) =>
    new AppError("too_many_attempts", `too many wrong codes for this resident; try again in ${Math.ceil(ms / 1000)} s`, {
      details: { retryAfter: Math.ceil(ms / 1000) },
    });

  return {
    ...authenticator(bearerOf, jwks),
    issueCode(residentId) {
      const t = now();
      for (const [k, v] of codes) if (v.expires < t) codes.delete(k);
      const pending = codes.get(residentId);
      if (pending && t - pending.issuedAt < CODE_REISSUE_MS) return undefined;
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      codes.set(residentId, { hash: digest(residentId, code), issuedAt: t, expires: t + options.codeTtlSeconds * 1000 });
      return code;
    },
    pendingUntil(residentId) {
      const pending = codes.get(residentId);
      return pending && pending.expires >= now() ? pending.expires : undefined;
    },
    async exchange(residentId, code) {
      const locked = lockedFor(residentId);
      if (locked > 0) throw tooMany(locked);
      const entry = codes.get(residentId);
      const invalid = new AppError("invalid_code", "the one-time code is wrong or expired");
      const t = now();
      if (!entry || entry.expires < t) throw invalid;
      if (!timingSafeEqual(entry.hash, digest(residentId, code))) {
        const g = guesses.get(residentId) ?? { failures: 0, lockouts: 0, lockedUntil: 0, lastFailure: 0 };
        g.failures++;
        g.lastFailure = t;
        guesses.set(residentId, g);
        if (g.failures < MAX_CODE_ATTEMPTS) throw invalid;
        // Locked out: the code is void too, so the next try needs a new one after the wait.
        g.failures = 0;
        g.lockouts++;
        const ms = Math.min(MAX_LOCKOUT_MS, FIRST_LOCKOUT_MS * 2 ** (g.lockouts - 1));
        g.lockedUntil = t + ms;
        codes.delete(residentId);
        throw tooMany(ms);
      }
      codes.delete(residentId);
      guesses.delete(residentId);
      return { token: await sign(residentId, options.audience), expiresIn: TOKEN_TTL_SECONDS };
    },
    async tokenFor(bearer, audience) {
      if (!(options.otherAudiences ?? []).includes(audience)) {
        throw new AppError("unknown_audience", `this identity provider issues no tokens for '${audience}'`, { details: { audiences: options.otherAudiences ?? [] } });
      }
      // It lives no longer than the token it was asked with.
      const expiresAt = Math.min(bearer.expiresAt, Math.floor(now() / 1000) + TOKEN_TTL_SECONDS);
      return { token: await sign(bearer.subject, audience, expiresAt), expiresIn: Math.max(0, expiresAt - Math.floor(now() / 1000)) };
    },
  };
}
