/**
 * A public OpenID Connect client over plain HTTP, as the web page is one in the browser: discovery,
 * the authorization request with PKCE (S256), state and nonce, the provider's login form filled in,
 * its redirects followed with the cookies it sets, and the code exchanged at the token endpoint.
 * Tests use it to get real tokens from the provider of dev/oidc-provider.ts.
 */
import { createHash, randomBytes } from "node:crypto";

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
  code_challenge_methods_supported?: string[];
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scope?: string;
  resource?: string;
}

export interface Authorized {
  code: string;
  state: string;
  /** The `state` and `nonce` the request was sent with, and its PKCE verifier. */
  sent: { state: string; nonce: string; verifier: string };
  /** The `iss` of the authorization response (RFC 9207). */
  iss: string | null;
}

const base64url = (b: Buffer) => b.toString("base64url");

export async function discover(issuer: string): Promise<Discovery> {
  const r = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!r.ok) throw new Error(`discovery answered ${r.status}`);
  return (await r.json()) as Discovery;
}

/** Signs `username` in at the provider and returns the authorization code sent to the redirect URI. */
export async function authorize(discovery: Discovery, request: AuthorizationRequest, username: string, password: string): Promise<Authorized> {
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const nonce = base64url(randomBytes(16));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    response_type: "code",
    scope: request.scope ?? "openid",
    state,
    nonce,
    code_challenge: base64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    ...(request.resource ? { resource: request.resource } : {}),
  }).toString();
  const cookies = new Map<string, string>();
  const send = async (target: string, init: RequestInit = {}) => {
    const r = await fetch(target, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return r;
  };
  let next = url.toString();
  for (let hops = 0; hops < 12; hops++) {
    if (next.startsWith(request.redirectUri)) {
      const back = new URL(next);
      const error = back.searchParams.get("error");
      if (error) throw new Error(`the provider refused: ${error} ${back.searchParams.get("error_description") ?? ""}`);
      return { code: back.searchParams.get("code")!, state: back.searchParams.get("state")!, iss: back.searchParams.get("iss"), sent: { state, nonce, verifier } };
    }
    let r = await send(next);
    if (r.status === 200 && /\/interaction\/[^/]+$/.test(new URL(next).pathname)) {
      await r.text();
      r = await send(`${next}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username, password }).toString(),
      });
    }
    const location = r.headers.get("location");
    if (r.status < 300 || r.status >= 400 || !location) throw new Error(`the sign-in stopped at ${next} with ${r.status}: ${(await r.text()).slice(0, 300)}`);
    await r.arrayBuffer();
    next = new URL(location, next).toString();
  }
  throw new Error("the provider redirected too many times");
}

/** Exchanges an authorization code at the token endpoint as a public client; the provider's answer as it is. */
export async function exchangeCode(discovery: Discovery, request: AuthorizationRequest, code: string, verifier: string): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: request.redirectUri,
      client_id: request.clientId,
      code_verifier: verifier,
      ...(request.resource ? { resource: request.resource } : {}),
    }).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

/** Signs in and exchanges the code: the token response. */
export async function signIn(discovery: Discovery, request: AuthorizationRequest, username: string, password: string) {
  const { code, sent } = await authorize(discovery, request, username, password);
  const answer = await exchangeCode(discovery, request, code, sent.verifier);
  if (answer.status !== 200) throw new Error(`the token endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { ...(answer.body as { access_token: string; id_token: string; token_type: string; expires_in: number }), nonce: sent.nonce };
}
