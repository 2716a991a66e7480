/**
 * Who is calling, for every API: a bearer token from the Authorization header; the registrar's shared
 * token compared in constant time; a resident's JWT verified against a JWKS with issuer, audience and
 * expiry checked, its subject the resident id, its id (`jti`, else a digest of the token) looked up
 * in the service's revocation list (revocations.ts) so that a logged-out token is refused until it
 * expires. Failures are `unauthenticated` (no or a bad credential) and `forbidden` (a credential that
 * is not the registrar's). A service that faces an identity provider's tokens may ask for the reason
 * of each refusal as its code (`detailedRefusals`): `token_expired`, `token_wrong_audience`,
 * `token_wrong_issuer`, `token_unknown_key`, `token_algorithm_refused`, `token_no_subject`, all
 * 401, and `identity_provider_unavailable` (503) when the provider's keys cannot be fetched; the
 * reason is in `details.reason` either way.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import { AppError } from "../errors.js";

/** Asymmetric signatures only: `none` and shared-secret algorithms (HS256) are refused. */
const JWT_ALGORITHMS = ["ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"];

/** The statuses of the detailed refusals (a service adds them to its table when it asks for them). */
export const TOKEN_REFUSAL_STATUSES = Object.freeze({
  token_expired: 401,
  token_not_yet_valid: 401,
  token_wrong_audience: 401,
  token_wrong_issuer: 401,
  token_unknown_key: 401,
  token_algorithm_refused: 401,
  token_no_subject: 401,
  identity_provider_unavailable: 503,
});
export type TokenRefusal = keyof typeof TOKEN_REFUSAL_STATUSES | "malformed";

const REFUSAL_MESSAGES: Record<TokenRefusal, string> = {
  token_expired: "the bearer token has expired",
  token_not_yet_valid: "the bearer token is not valid yet",
  token_wrong_audience: "the bearer token was issued for another service (its audience is not this one's)",
  token_wrong_issuer: "the bearer token was issued by another identity provider (its issuer is not the configured one)",
  token_unknown_key: "the bearer token's signature is not made by a key the identity provider publishes",
  token_algorithm_refused: "the bearer token is unsigned or signed with an algorithm that is not accepted",
  token_no_subject: "the bearer token names no resident (its subject claim is missing or malformed)",
  identity_provider_unavailable: "the identity provider's keys cannot be fetched; try again later",
  malformed: "the bearer token is not a well-formed signed JWT",
};

/** Why jose refused a token, by its error codes and claim names (never its message). */
function refusalOf(err: unknown): TokenRefusal {
  const e = err as { code?: unknown; claim?: unknown };
  switch (e?.code) {
    case "ERR_JWT_EXPIRED":
      return "token_expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "aud") return "token_wrong_audience";
      if (e.claim === "iss") return "token_wrong_issuer";
      if (e.claim === "nbf" || e.claim === "iat") return "token_not_yet_valid";
      if (e.claim === "exp") return "token_expired";
      return "malformed";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return "token_unknown_key";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "token_algorithm_refused";
    case "ERR_JWKS_TIMEOUT":
    case "ERR_JWKS_INVALID":
      return "identity_provider_unavailable";
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
    case "ERR_JWK_INVALID":
      return "malformed";
    default:
      // not jose's own refusal: the JWKS could not be fetched (a network error, a non-JSON answer)
      return typeof e?.code === "string" && e.code.startsWith("ERR_J") ? "malformed" : "identity_provider_unavailable";
  }
}

/** The token of `Authorization: Bearer <token>`, or `unauthenticated`. */
export function bearerToken(authorization: string | undefined): string {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? "");
  if (!m) throw new AppError("unauthenticated", "a bearer token is required");
  return m[1]!;
}

/** Compares a presented secret with the expected one in constant time, whatever their lengths. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * A check of the registrar's bearer token: `unauthenticated` without one, `forbidden` with another.
 * Both sides are hashed first, so the comparison takes the same time whatever the length.
 */
export function registrarCheck(token: string): (authorization: string | undefined) => void {
  return (authorization) => {
    const m = /^Bearer (.+)$/.exec(authorization ?? "");
    if (!m) throw new AppError("unauthenticated", "registrar credentials required");
    if (!sameSecret(m[1]!, token)) throw new AppError("forbidden", "registrar credentials required");
  };
}

/** A verified bearer JWT: whom it names, its id for revocation, and when it expires (Unix seconds). */
export interface Bearer {
  subject: string;
  tokenId: string;
  expiresAt: number;
}

/** Reads a verified bearer JWT, or `unauthenticated`. */
export type BearerOf = (authorization: string | undefined) => Promise<Bearer>;

/** Reads the subject of a bearer JWT signed by a key of `getKey`, or `unauthenticated`. */
export type SubjectOf = (authorization: string | undefined) => Promise<string>;

export interface JwtCheckOptions {
  /** Whether a token id has been revoked (logged out). */
  isRevoked?: (tokenId: string) => boolean;
  /** The claim that names the resident (default `sub`); its value must be a resident id. */
  subjectClaim?: string;
  /** Each refusal's reason as its code (TOKEN_REFUSAL_STATUSES), instead of `unauthenticated` for all. */
  detailedRefusals?: boolean;
}

/** What a resident id looks like wherever it comes from (the registrar's, custody's and the notifier's). */
const RESIDENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The id a token is revoked by: its `jti`, or a digest of the whole token when it carries none. */
export function tokenIdOf(token: string, jti: unknown): string {
  return typeof jti === "string" && jti.length > 0 ? `jti:${jti}` : `sha256:${createHash("sha256").update(token).digest("hex")}`;
}

export function jwtBearer(getKey: JWTVerifyGetKey, issuer: string, audience: string, options: JwtCheckOptions = {}): BearerOf {
  const claim = options.subjectClaim ?? "sub";
  const refuse = (reason: TokenRefusal, cause?: unknown) => {
    const detailed = options.detailedRefusals && reason !== "malformed";
    return new AppError(detailed ? reason : "unauthenticated", detailed ? REFUSAL_MESSAGES[reason] : "the bearer token is invalid or expired", {
      details: { reason: reason === "malformed" ? "token_malformed" : reason },
      ...(cause === undefined ? {} : { cause }),
      retryable: reason === "identity_provider_unavailable",
    });
  };
  return async (authorization) => {
    const token = bearerToken(authorization);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, getKey, { issuer, audience, algorithms: JWT_ALGORITHMS, requiredClaims: ["exp"] }));
    } catch (err) {
      throw refuse(refusalOf(err), err);
    }
    const subject = payload[claim];
    if (typeof subject !== "string" || !RESIDENT_ID.test(subject)) throw refuse("token_no_subject");
    if (typeof payload.exp !== "number") throw refuse("token_expired");
    const tokenId = tokenIdOf(token, payload.jti);
    if (options.isRevoked?.(tokenId)) throw new AppError("unauthenticated", "the bearer token has been revoked (logged out)");
    return { subject, tokenId, expiresAt: payload.exp };
  };
}

export function jwtSubject(getKey: JWTVerifyGetKey, issuer: string, audience: string, options: JwtCheckOptions = {}): SubjectOf {
  const bearer = jwtBearer(getKey, issuer, audience, options);
  return async (authorization) => (await bearer(authorization)).subject;
}

/** The keys of an identity provider's JWKS URL (fetched and cached by jose). */
export function remoteKeys(jwksUrl: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
}

/** jwtSubject with the keys of an identity provider's JWKS URL. */
export function jwksSubject(jwksUrl: string, issuer: string, audience: string, options: JwtCheckOptions = {}): SubjectOf {
  return jwtSubject(remoteKeys(jwksUrl), issuer, audience, options);
}
