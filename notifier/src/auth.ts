/**
 * Who is calling. Residents present the custody service's bearer JWT (or the platform identity
 * provider's), verified against its JWKS with issuer and audience checked; the subject is the
 * resident id. The registrar presents a shared bearer token. Both checks are the toolkit's
 * (lib/http/auth.ts), the same as custody's.
 */
import { AppError } from "#lib/errors.js";
import { jwksSubject } from "#lib/http/auth.js";

export interface ResidentAuth {
  /** The resident id of a bearer token, or `unauthenticated`. */
  residentOf(authorization: string | undefined): Promise<string>;
}

export function jwksAuth(jwksUrl: string, issuer: string, audience: string): ResidentAuth {
  return { residentOf: jwksSubject(jwksUrl, issuer, audience) };
}

/** Resident endpoints answer `auth_not_configured` (503) when no identity provider is configured. */
export const noResidentAuth: ResidentAuth = {
  residentOf: async () => {
    throw new AppError("auth_not_configured", "resident sign-in is not configured (NOTIFIER_JWKS_URL)");
  },
};
