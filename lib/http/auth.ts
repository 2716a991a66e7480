/**
 * Who is calling, for every API: a bearer token from the Authorization header; the registrar's shared
 * token compared in constant time; a resident's JWT verified against a JWKS with issuer, audience and
 * expiry checked, its subject the resident id, its id (`jti`, else a digest of the token) looked up
 * in the service's revocation list (revocations.ts) so that a logged-out token is refused until it
 * expires. Failures are `unauthenticated` (no or a bad credential) and `forbidden` (a credential that
 * is not the registrar's).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import { AppError } from "../errors.js";

const JWT_ALGORITHMS = ["ES256", "RS256", "EdDSA"];

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
}

/** The id a token is revoked by: its `jti`, or a digest of the whole token when it carries none. */
export function tokenIdOf(token: string, jti: unknown): string {
  return typeof jti === "string" && jti.length > 0 ? `jti:${jti}` : `sha256:${createHash("sha256").update(token).digest("hex")}`;
}

export function jwtBearer(getKey: JWTVerifyGetKey, issuer: string, audience: string, options: JwtCheckOptions = {}): BearerOf {
  const invalid = (cause?: unknown) => new AppError("unauthenticated", "the bearer token is invalid or expired", cause === undefined ? {} : { cause });
  return async (authorization) => {
    const token = bearerToken(authorization);
    let payload: { sub?: unknown; jti?: unknown; exp?: unknown };
    try {
      ({ payload } = await jwtVerify(token, getKey, { issuer, audience, algorithms: JWT_ALGORITHMS, requiredClaims: ["exp"] }));
    } catch (err) {
      throw invalid(err);
    }
    if (typeof payload.sub !== "string" || payload.sub.length === 0 || typeof payload.exp !== "number") throw invalid();
    const tokenId = tokenIdOf(token, payload.jti);
    if (options.isRevoked?.(tokenId)) throw new AppError("unauthenticated", "the bearer token has been revoked (logged out)");
    return { subject: payload.sub, tokenId, expiresAt: payload.exp };
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
