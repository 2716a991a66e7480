/**
 * A real OpenID Connect provider for tests and local trials, standing for the city's identity
 * provider: panva's `oidc-provider` on 127.0.0.1, with discovery, the authorization code flow with
 * PKCE (S256, required of public clients), ID tokens signed RS256, JWT access tokens for each
 * registered resource (RFC 8707 resource indicators: custody's audience, and any other), a JWKS,
 * CORS for the registered clients' origins, and RP-initiated logout.
 *
 * Its users are a real store: each with a username, a password kept only as a scrypt hash, and the
 * resident id the provider gives as their subject. Its login page checks the password; a first-party
 * client is then granted the scopes it asked for without a consent screen, as a city's own portal
 * would be.
 *
 * The server is listening before the provider is configured (`listenOidcProvider`, then `start`), so
 * that the page's redirect URI, which depends on the web server's port, which depends on the
 * provider's origin for its CSP, can be registered.
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { Provider, type Configuration } from "oidc-provider";
import { AppError } from "#lib/errors.js";

export interface OidcUser {
  username: string;
  password: string;
  /** The subject the provider names the user by: the resident id custody knows them by. */
  residentId: string;
  name?: string;
}

export interface OidcClient {
  clientId: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
}

export interface OidcResource {
  /** The resource indicator a client asks for (an absolute URI). */
  indicator: string;
  /** The access token's `aud`. */
  audience: string;
  /** The scopes of the resource (space-separated). */
  scope: string;
  /** Seconds an access token for it lives (default an hour). */
  ttlSeconds?: number;
}

export interface OidcProviderConfig {
  clients: OidcClient[];
  users: OidcUser[];
  resources: OidcResource[];
  /** The resource of a request that names none (default: the first). */
  defaultResource?: string;
}

export interface RunningOidcProvider {
  issuer: string;
  /** The provider's signing keys, private parts included, for tests that forge what only it could sign. */
  signingKeys: { rsa: JWK; ec: JWK };
  stop(): Promise<void>;
}

export interface ListeningOidcProvider {
  /** The provider's issuer: its origin (http://127.0.0.1:port). */
  issuer: string;
  start(config: OidcProviderConfig): Promise<RunningOidcProvider>;
  stop(): Promise<void>;
}

interface StoredUser {
  username: string;
  residentId: string;
  name?: string;
  salt: Buffer;
  hash: Buffer;
}

const hashPassword = (password: string, salt: Buffer) => scryptSync(password, salt, 32);

/** The user store: usernames, scrypt password hashes, subjects. */
class Users {
  private readonly byName = new Map<string, StoredUser>();
  private readonly bySubject = new Map<string, StoredUser>();

  constructor(users: OidcUser[]) {
    for (const u of users) {
      const salt = randomBytes(16);
      const stored = { username: u.username, residentId: u.residentId, name: u.name, salt, hash: hashPassword(u.password, salt) };
      this.byName.set(u.username, stored);
      this.bySubject.set(u.residentId, stored);
    }
  }

  /** The user with this username and password, or undefined (the same time spent either way). */
  check(username: string, password: string): StoredUser | undefined {
    const user = this.byName.get(username);
    const hash = hashPassword(password, user?.salt ?? Buffer.alloc(16));
    return user && timingSafeEqual(hash, user.hash) ? user : undefined;
  }

  find(subject: string): StoredUser | undefined {
    return this.bySubject.get(subject);
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function loginPage(uid: string, client: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>City ID — sign in</title></head><body>
<h1>City ID</h1><p>Sign in to continue to <strong>${escapeHtml(client)}</strong>.</p>
${error ? `<p id="login-error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label>Username <input id="username" name="username" required></label>
<label>Password <input id="password" name="password" type="password" required></label>
<button id="sign-in-provider" type="submit">Sign in</button>
</form></body></html>`;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 8192) throw new AppError("payload_too_large", "the form is too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Listens on 127.0.0.1 (a free port unless given); the provider is configured by `start`. */
export async function listenOidcProvider(options: { port?: number } = {}): Promise<ListeningOidcProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.statusCode = 503;
    res.end("not started");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));

  const start = async (config: OidcProviderConfig): Promise<RunningOidcProvider> => {
    const users = new Users(config.users);
    const rsa = await generateKeyPair("RS256", { extractable: true });
    const ec = await generateKeyPair("ES256", { extractable: true });
    const signingKeys = {
      rsa: { ...(await exportJWK(rsa.privateKey)), kid: "city-id-rsa-1", alg: "RS256", use: "sig" },
      ec: { ...(await exportJWK(ec.privateKey)), kid: "city-id-ec-1", alg: "ES256", use: "sig" },
    };
    const resources = new Map(config.resources.map((r) => [r.indicator, r]));
    const allowedOrigins = (clientId: string) =>
      new Set((config.clients.find((c) => c.clientId === clientId)?.redirectUris ?? []).map((u) => new URL(u).origin));
    const configuration: Configuration = {
      clients: config.clients.map((c) => ({
        client_id: c.clientId,
        token_endpoint_auth_method: "none",
        application_type: "web",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: c.redirectUris,
        post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
      })),
      jwks: { keys: [signingKeys.rsa, signingKeys.ec] as unknown as Array<Record<string, unknown>> },
      cookies: { keys: [randomBytes(32).toString("hex")] },
      scopes: ["openid", "profile", ...new Set(config.resources.flatMap((r) => r.scope.split(" ")))],
      claims: { openid: ["sub"], profile: ["name"] },
      pkce: { required: () => true },
      clientBasedCORS: (_ctx, origin, client) => allowedOrigins(client.clientId).has(origin),
      findAccount: async (_ctx, sub) => {
        const user = users.find(sub);
        if (!user) return undefined;
        return { accountId: user.residentId, claims: async () => ({ sub: user.residentId, ...(user.name ? { name: user.name } : {}) }) };
      },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => config.defaultResource ?? config.resources[0]?.indicator,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, indicator) => {
            const r = resources.get(indicator);
            if (!r) throw new AppError("invalid_target", `no resource ${indicator}`);
            return { scope: r.scope, audience: r.audience, accessTokenTTL: r.ttlSeconds ?? 3600, accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } };
          },
        },
      },
      renderError: async (ctx, out) => {
        ctx.type = "html";
        ctx.body = `<!doctype html><meta charset="utf-8"><title>City ID — error</title><h1>${escapeHtml(String(out.error))}</h1><p id="provider-error">${escapeHtml(String(out.error_description ?? ""))}</p>`;
      },
      interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    };
    const provider = new Provider(issuer, configuration);
    const callback = provider.callback();

    const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined) => {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) throw new AppError("invalid_request", "this sign-in has expired; start again");
      const clientId = String(details.params.client_id);
      if (details.prompt.name === "login") {
        if (req.method === "POST" && action === "login") {
          const form = await formBody(req);
          const user = users.check(form.get("username") ?? "", form.get("password") ?? "");
          if (!user) {
            res.statusCode = 401;
            res.setHeader("content-type", "text/html; charset=utf-8");
            res.end(loginPage(uid, clientId, "Wrong username or password."));
            return;
          }
          await provider.interactionFinished(req, res, { login: { accountId: user.residentId } }, { mergeWithLastSubmission: false });
          return;
        }
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.setHeader("cache-control", "no-store");
        res.end(loginPage(uid, clientId));
        return;
      }
      if (details.prompt.name === "consent") {
        // a first-party client of the city: granted what it asked for, without a consent screen
        const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session!.accountId, clientId });
        if (!grant) throw new AppError("invalid_request", "the grant of this sign-in is gone; start again");
        const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      throw new AppError("invalid_request", `unexpected prompt ${details.prompt.name}`);
    };

    handler = (req, res) => {
      const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/.exec((req.url ?? "").split("?")[0]!);
      if (!m) return callback(req, res);
      interaction(req, res, m[1]!, m[2]).catch((err: unknown) => {
        res.statusCode = 400;
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(`<!doctype html><meta charset="utf-8"><title>City ID — error</title><p id="provider-error">${escapeHtml(err instanceof AppError ? err.message : "this sign-in cannot go on; start again")}</p>`);
      });
    };
    return { issuer, signingKeys, stop };
  };

  return { issuer, start, stop };
}

/** A provider listening and configured at once, for clients whose redirect URIs are known in advance. */
export async function startOidcProvider(config: OidcProviderConfig, options: { port?: number } = {}): Promise<RunningOidcProvider> {
  const listening = await listenOidcProvider(options);
  return listening.start(config);
}
