/**
 * Who is uploading. A service (the keeper, the seed, the notifier) presents its own shared bearer
 * token, compared in constant time with every configured one; a resident presents a JWT of the
 * platform's identity provider (custody's in the demo, which issues tokens for this store's audience
 * on request), verified against its JWKS with issuer, the store's own audience (a token for custody
 * or the notifier is refused) and expiry checked, and looked up in the store's revocation list. Both
 * checks are the toolkit's (lib/http/auth.ts), as the notifier's are. Reading needs no credentials:
 * a document is addressed by its hash, which the chain publishes.
 */
import { AppError } from "#lib/errors.js";
import { bearerToken, jwtBearer, remoteKeys, sameSecret, type Bearer, type BearerOf } from "#lib/http/auth.js";
import type { TokenRevocations } from "#lib/http/revocations.js";
import type { ServiceToken } from "./config.js";
import type { Uploader } from "./store.js";

export interface UploaderAuth {
  /** The uploader of an Authorization header, or `unauthenticated` (`auth_not_configured` for a resident's token when no JWKS is set). */
  uploaderOf(authorization: string | undefined): Promise<Uploader>;
  /** A resident's verified token (for logout), or `unauthenticated`. */
  residentBearerOf: BearerOf;
  /** The service an Authorization header names with its token, or undefined (never throws). */
  serviceOf(authorization: string | undefined): string | undefined;
}

export interface AuthOptions {
  serviceTokens: readonly ServiceToken[];
  /** Residents' identity provider; without it only services may upload. */
  jwks?: { url: string; issuer: string; audience: string };
  revocations?: TokenRevocations;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function uploaderAuth(options: AuthOptions): UploaderAuth {
  const resident: BearerOf = options.jwks
    ? jwtBearer(remoteKeys(options.jwks.url), options.jwks.issuer, options.jwks.audience, { isRevoked: (id) => options.revocations?.isRevoked(id) ?? false })
    : async () => {
        throw new AppError("auth_not_configured", "residents cannot sign in here: the store has no identity provider (DOCUMENTS_JWKS_URL)");
      };

  /** The service whose token this is; every configured token is compared, so the time says nothing of which. */
  const serviceOf = (token: string): string | undefined => {
    let found: string | undefined;
    for (const s of options.serviceTokens) if (sameSecret(token, s.token) && found === undefined) found = s.name;
    return found;
  };

  return {
    residentBearerOf: resident,
    serviceOf: (authorization) => {
      const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? "");
      return m ? serviceOf(m[1]!) : undefined;
    },
    async uploaderOf(authorization) {
      const token = bearerToken(authorization);
      const service = serviceOf(token);
      if (service !== undefined) return { kind: "service", id: service };
      if (!JWT_SHAPE.test(token)) throw new AppError("unauthenticated", "the bearer token is neither a service's token nor a resident's sign-in token");
      const bearer: Bearer = await resident(authorization);
      return { kind: "resident", id: bearer.subject };
    },
  };
}
