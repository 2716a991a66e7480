/**
 * How the page signs residents in, as the web server tells it (`GET /api/login`): with one-time
 * codes from custody (`{ mode: "code" }`, the demo), or at the city's OpenID Connect provider
 * (`{ mode: "oidc", issuer, clientId, redirectUri, scope, resource? }`): the page is a public
 * client of the provider, runs the authorization code flow with PKCE itself (web/public/oidc.js)
 * and presents the access token the provider issues for custody's audience (the `resource`, an
 * RFC 8707 resource indicator, when the provider needs one to pick that audience).
 *
 * The provider is another origin: the page is redirected to it, and reads from it, so its origin
 * goes into the page's Content-Security-Policy (security-headers.ts) and nothing else does.
 */
import { ConfigError } from "#lib/errors.js";
import { isLoopback } from "#lib/http/client-address.js";

export interface OidcLogin {
  /** The provider's issuer, exactly as its discovery document and tokens name it. */
  issuer: string;
  /** The page's client id at the provider (a public client: no secret). */
  clientId: string;
  /** Where the provider sends the resident back: the page's own address, registered at the provider. */
  redirectUri: string;
  /** The scopes asked for (openid first). */
  scope: string;
  /** The resource indicator of custody, if the provider issues its access tokens by resource. */
  resource?: string;
}

export type LoginConfig = { mode: "code" } | ({ mode: "oidc" } & OidcLogin);

/** An http(s) URL without credentials or fragment; http only on loopback (a local trial). */
function checkedUrl(name: string, value: string, problems: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: got '${value}', expected an absolute URL`);
    return undefined;
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname.replace(/^\[(.*)\]$/, "$1")))) {
    problems.push(`${name}: got '${value}', expected an https URL (http only on 127.0.0.1, ::1 or localhost)`);
    return undefined;
  }
  if (url.username || url.password || url.hash) {
    problems.push(`${name}: got '${value}', expected a URL without credentials or fragment`);
    return undefined;
  }
  return url;
}

/** Checks an OIDC login configuration; throws ConfigError naming every problem. */
export function checkOidcLogin(login: OidcLogin): OidcLogin & { providerOrigin: string } {
  const problems: string[] = [];
  const issuer = checkedUrl("oidc.issuer", login.issuer, problems);
  if (issuer?.search) problems.push(`oidc.issuer: got '${login.issuer}', expected an issuer without a query`);
  checkedUrl("oidc.redirectUri", login.redirectUri, problems);
  if (login.resource !== undefined) {
    try {
      const r = new URL(login.resource);
      if (r.hash) problems.push(`oidc.resource: got '${login.resource}', expected an absolute URI without a fragment`);
    } catch {
      problems.push(`oidc.resource: got '${login.resource}', expected an absolute URI (RFC 8707)`);
    }
  }
  if (!/^[\x21-\x7e]{1,200}$/.test(login.clientId)) problems.push(`oidc.clientId: got '${login.clientId}', expected 1–200 printable characters`);
  const scopes = login.scope.split(" ");
  if (!scopes.includes("openid") || !scopes.every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    problems.push(`oidc.scope: got '${login.scope}', expected space-separated scopes including openid`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...login, providerOrigin: issuer!.origin };
}
