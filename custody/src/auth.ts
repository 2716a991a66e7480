/**
 * Who the caller is. In production a bearer JWT from the platform's identity provider, verified
 * against its JWKS (issuer and audience checked; the subject is the resident id). For the demo the
 * custody service is its own identity provider: one-time codes, then a short-lived JWT signed with a
 * key generated at start and published at /.well-known/jwks.json, verified by the same path.
 */
import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JSONWebKeySet } from "jose";
import { AppError } from "#lib/errors.js";
import { jwksSubject, jwtSubject } from "#lib/http/auth.js";

const TOKEN_TTL_SECONDS = 3600;
const MAX_CODE_ATTEMPTS = 5;

export interface Authenticator {
  /** The resident id of a bearer token, or `unauthenticated`. */
  residentOf(authorization: string | undefined): Promise<string>;
  jwks?: JSONWebKeySet;
}

export function jwksAuthenticator(jwksUrl: string, issuer: string, audience: string): Authenticator {
  return { residentOf: jwksSubject(jwksUrl, issuer, audience) };
}

export interface DemoLogin extends Authenticator {
  /** Issues a one-time code for a resident. */
  issueCode(residentId: string): string;
  /** Exchanges a valid code for a token. */
  exchange(residentId: string, code: string): Promise<{ token: string; expiresIn: number }>;
}

export async function demoAuthenticator(issuer: string, audience: string, codeTtlSeconds: number): Promise<DemoLogin> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "custody-demo-1", alg: "ES256", use: "sig" };
  const jwks: JSONWebKeySet = { keys: [jwk] };
  const residentOf = jwtSubject(createLocalJWKSet(jwks), issuer, audience);
  const codes = new Map<string, { hash: Buffer; expires: number; attempts: number }>();
  const digest = (residentId: string, code: string) => createHash("sha256").update(`${residentId}\0${code}`).digest();

  return {
    jwks,
    residentOf,
    issueCode(residentId) {
      const now = Date.now();
      for (const [k, v] of codes) if (v.expires < now) codes.delete(k);
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      codes.set(residentId, { hash: digest(residentId, code), expires: now + codeTtlSeconds * 1000, attempts: 0 });
      return code;
    },
    async exchange(residentId, code) {
      const entry = codes.get(residentId);
      const invalid = new AppError("invalid_code", "the one-time code is wrong or expired");
      if (!entry || entry.expires < Date.now()) throw invalid;
      entry.attempts++;
      if (!timingSafeEqual(entry.hash, digest(residentId, code))) {
        if (entry.attempts >= MAX_CODE_ATTEMPTS) codes.delete(residentId);
        throw invalid;
      }
      codes.delete(residentId);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: jwk.kid })
        .setSubject(residentId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
        .sign(privateKey);
      return { token, expiresIn: TOKEN_TTL_SECONDS };
    },
  };
}
