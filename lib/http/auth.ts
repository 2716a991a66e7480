/**
 * Who is calling, for every API: a bearer token from the Authorization header; the registrar's shared
 * token compared in constant time; a resident's JWT verified against a JWKS with issuer and audience
 * checked, its subject the resident id. Failures are `unauthenticated` (no or a bad credential) and
 * `forbidden` (a credential that is not the registrar's).
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

/**
 * A check of the registrar's bearer token: `unauthenticated` without one, `forbidden` with another.
 * Both sides are hashed first, so the comparison takes the same time whatever the length.
 */
export function registrarCheck(token: string): (authorization: string | undefined) => void {
  const expected = createHash("sha256").update(token).digest();
  return (authorization) => {
    const m = /^Bearer (.+)$/.exec(authorization ?? "");
    if (!m) throw new AppError("unauthenticated", "registrar credentials required");
    const given = createHash("sha256").update(m[1]!).digest();
    if (!timingSafeEqual(given, expected)) throw new AppError("forbidden", "registrar credentials required");
  };
}

/** Reads the subject of a bearer JWT signed by a key of `getKey`, or `unauthenticated`. */
export type SubjectOf = (authorization: string | undefined) => Promise<string>;

export function jwtSubject(getKey: JWTVerifyGetKey, issuer: string, audience: string): SubjectOf {
  return async (authorization) => {
    const token = bearerToken(authorization);
    let sub: unknown;
    try {
      ({ payload: { sub } } = await jwtVerify(token, getKey, { issuer, audience, algorithms: JWT_ALGORITHMS }));
    } catch (err) {
      throw new AppError("unauthenticated", "the bearer token is invalid or expired", { cause: err });
    }
    if (typeof sub !== "string" || sub.length === 0) throw new AppError("unauthenticated", "the bearer token is invalid or expired");
    return sub;
  };
}

/** jwtSubject with the keys of an identity provider's JWKS URL (fetched and cached by jose). */
export function jwksSubject(jwksUrl: string, issuer: string, audience: string): SubjectOf {
  const getKey = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  return jwtSubject(getKey, issuer, audience);
}
