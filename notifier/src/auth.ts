/**
 * Who is calling. Residents present the custody service's bearer JWT (or the platform identity
 * provider's), verified against its JWKS with issuer and audience checked; the subject is the
 * resident id. The registrar presents a shared bearer token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import { NotifierError } from "./errors.js";

export interface ResidentAuth {
  /** The resident id of a bearer token, or a 401. */
  residentOf(authorization: string | undefined): Promise<string>;
}

function bearer(authorization: string | undefined): string {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? "");
  if (!m) throw new NotifierError("unauthenticated", "a bearer token is required", { status: 401 });
  return m[1]!;
}

export function jwksAuth(jwksUrl: string, issuer: string, audience: string): ResidentAuth {
  const getKey: JWTVerifyGetKey = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  return {
    async residentOf(authorization) {
      const token = bearer(authorization);
      try {
        const { payload } = await jwtVerify(token, getKey, { issuer, audience, algorithms: ["ES256", "RS256", "EdDSA"] });
        if (typeof payload.sub !== "string" || payload.sub.length === 0) throw new Error("no subject");
        return payload.sub;
      } catch (err) {
        throw new NotifierError("unauthenticated", "the bearer token is invalid or expired", { status: 401, cause: err });
      }
    },
  };
}

/** Resident endpoints answer 503 when no identity provider is configured. */
export const noResidentAuth: ResidentAuth = {
  residentOf: async () => {
    throw new NotifierError("auth_not_configured", "resident sign-in is not configured (NOTIFIER_JWKS_URL)", { status: 503 });
  },
};

export function registrarCheck(token: string): (authorization: string | undefined) => void {
  const expected = createHash("sha256").update(token).digest();
  return (authorization) => {
    const m = /^Bearer (.+)$/.exec(authorization ?? "");
    const given = createHash("sha256").update(m?.[1] ?? "").digest();
    if (!m || !timingSafeEqual(given, expected)) {
      throw new NotifierError(m ? "forbidden" : "unauthenticated", "registrar credentials required", { status: m ? 403 : 401 });
    }
  };
}
