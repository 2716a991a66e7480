/**
 * Who is calling. Residents present a bearer JWT of the platform's identity provider (in the demo,
 * custody's, which issues notifier tokens on request), verified against its JWKS with issuer,
 * audience (the notifier's own: a token for custody is refused) and expiry checked; the subject is
 * the resident id, and a token logged out here is refused until it expires. The registrar presents a
 * shared bearer token. Both checks are the toolkit's (lib/http/auth.ts), the same as custody's.
 */
import { AppError } from "#lib/errors.js";
import { jwtBearer, remoteKeys, type BearerOf } from "#lib/http/auth.js";
import type { TokenRevocations } from "#lib/http/revocations.js";

export interface ResidentAuth {
  /** The verified bearer token (resident id, token id, expiry), or `unauthenticated`. */
  bearerOf: BearerOf;
  /** The resident id of a bearer token, or `unauthenticated`. */
  residentOf(authorization: string | undefined): Promise<string>;
}

export function jwksAuth(jwksUrl: string, issuer: string, audience: string, revocations?: TokenRevocations): ResidentAuth {
  const bearerOf = jwtBearer(remoteKeys(jwksUrl), issuer, audience, { isRevoked: (id) => revocations?.isRevoked(id) ?? false });
  return { bearerOf, residentOf: async (a) => (await bearerOf(a)).subject };
}

/** Resident endpoints answer `auth_not_configured` (503) when no identity provider is configured. */
export const noResidentAuth: ResidentAuth = {
  bearerOf: async () => {
    throw new AppError("auth_not_configured", "resident sign-in is not configured (NOTIFIER_JWKS_URL)");
  },
  residentOf: async () => {
    throw new AppError("auth_not_configured", "resident sign-in is not configured (NOTIFIER_JWKS_URL)");
  },
};
