// The page as a public OpenID Connect client of the city's identity provider: the authorization code
// flow with PKCE (S256), run in the browser with no secret. The web server says whether and where
// (GET /api/login, web/src/login-config.ts); the provider's origin is the only other one the page's
// Content-Security-Policy lets it reach.
//
// begin(): discovery, then a fresh PKCE verifier, state and nonce kept in sessionStorage (this tab
// only), and the browser sent to the provider's authorization endpoint.
// complete(): on the way back, the state checked against the one sent (and the response's `iss`,
// RFC 9207, against the issuer), the code exchanged at the token endpoint with the verifier, the ID
// token's signature checked against the provider's JWKS with WebCrypto, then its issuer, audience,
// expiry and nonce. The access token — a JWT for custody's audience, which custody verifies against
// the same JWKS — is what the page presents to custody; the ID token stays in the tab for the
// provider's end-session request at logout.

const PENDING = "dh-oidc-pending";
/** How far the browser's clock may be off the provider's. */
const SKEW_SECONDS = 120;
/** The signature algorithms accepted for the ID token, as WebCrypto names them. */
const ALGORITHMS = {
  RS256: { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verify: { name: "RSASSA-PKCS1-v1_5" }, kty: "RSA" },
  PS256: { import: { name: "RSA-PSS", hash: "SHA-256" }, verify: { name: "RSA-PSS", saltLength: 32 }, kty: "RSA" },
  ES256: { import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" }, kty: "EC", crv: "P-256" },
};

export class LoginError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromBase64url = (text) => {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
};
const random = (bytes) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));
const utf8 = (text) => new TextEncoder().encode(text);

async function json(url, init = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: "omit", cache: "no-store", redirect: "error", ...init, headers: { accept: "application/json", ...init.headers } });
  } catch (err) {
    throw new LoginError("provider_unreachable", `the identity provider cannot be reached (${err.message})`);
  }
  const body = await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, body };
}

let config;
/** How the page signs residents in: `{ mode: "code" }` or `{ mode: "oidc", issuer, clientId, redirectUri, scope, resource? }`. */
export async function loginConfig() {
  config ??= fetch("/api/login", { headers: { accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : { mode: "code" }))
    .catch(() => ({ mode: "code" }));
  return config;
}

/** The provider's discovery document, checked: its issuer is the configured one, and its endpoints are on the issuer's origin. */
export async function discover(login) {
  const answer = await json(`${login.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  const doc = answer.body;
  if (!answer.ok || !doc || typeof doc !== "object") throw new LoginError("discovery_failed", `the identity provider's discovery document cannot be read (HTTP ${answer.status})`);
  if (doc.issuer !== login.issuer) throw new LoginError("issuer_mismatch", `the discovery document names issuer ${doc.issuer}, not ${login.issuer}`);
  const origin = new URL(login.issuer).origin;
  for (const name of ["authorization_endpoint", "token_endpoint", "jwks_uri"]) {
    if (typeof doc[name] !== "string" || new URL(doc[name]).origin !== origin) throw new LoginError("discovery_failed", `the provider's ${name} is not on its issuer's origin ${origin}`);
  }
  if (doc.end_session_endpoint !== undefined && new URL(doc.end_session_endpoint).origin !== origin) delete doc.end_session_endpoint;
  if (!(doc.code_challenge_methods_supported ?? []).includes("S256")) throw new LoginError("discovery_failed", "the identity provider does not offer PKCE with S256");
  return doc;
}

/** Sends the browser to the provider to sign in; `returnTo` is the page's route to come back to. */
export async function begin(login, returnTo = "#/") {
  const doc = await discover(login);
  const verifier = random(32);
  const state = random(16);
  const nonce = random(16);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, returnTo: /^#\/[\w/?=&.-]*$/.test(returnTo) ? returnTo : "#/", at: Date.now() }));
  const url = new URL(doc.authorization_endpoint);
  const params = {
    client_id: login.clientId,
    redirect_uri: login.redirectUri,
    response_type: "code",
    scope: login.scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...(login.resource ? { resource: login.resource } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/** The provider's answer in the page's address, if the page has just come back from it. */
export function callbackParams(where = location) {
  const params = new URLSearchParams(where.search);
  return params.has("state") && (params.has("code") || params.has("error")) ? params : undefined;
}

/** Removes the provider's answer from the address (it is not to be bookmarked or reused) and goes to `route`. */
export function leaveCallback(route) {
  history.replaceState(null, "", `${location.pathname}${route}`);
}

/** Checks a JWS signature with a key of the provider's JWKS. */
async function verifySignature(token, jwks) {
  const [h, p, s] = token.split(".");
  if (!h || !p || !s) throw new LoginError("id_token_invalid", "the ID token is not a signed JWT");
  const header = JSON.parse(new TextDecoder().decode(fromBase64url(h)));
  const alg = ALGORITHMS[header.alg];
  if (!alg) throw new LoginError("id_token_invalid", `the ID token is signed with ${header.alg}, which is not accepted`);
  const candidates = (jwks.keys ?? []).filter((k) => k.kty === alg.kty && (alg.crv === undefined || k.crv === alg.crv) && (k.use === undefined || k.use === "sig") && (header.kid === undefined || k.kid === header.kid));
  if (candidates.length !== 1) throw new LoginError("id_token_invalid", "the ID token is not signed by a key the identity provider publishes");
  const k = candidates[0];
  const jwk = alg.kty === "RSA" ? { kty: k.kty, n: k.n, e: k.e } : { kty: k.kty, crv: k.crv, x: k.x, y: k.y };
  const key = await crypto.subtle.importKey("jwk", jwk, alg.import, false, ["verify"]);
  const ok = await crypto.subtle.verify(alg.verify, key, fromBase64url(s), utf8(`${h}.${p}`));
  if (!ok) throw new LoginError("id_token_invalid", "the ID token's signature is not the identity provider's");
  return JSON.parse(new TextDecoder().decode(fromBase64url(p)));
}

/** The ID token's claims once its signature, issuer, audience, expiry and nonce are right. */
async function checkIdToken(idToken, doc, login, nonce) {
  const keys = await json(doc.jwks_uri);
  if (!keys.ok || !keys.body) throw new LoginError("provider_unreachable", "the identity provider's keys cannot be read");
  const claims = await verifySignature(idToken, keys.body);
  const now = Math.floor(Date.now() / 1000);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== login.issuer) throw new LoginError("id_token_invalid", "the ID token was issued by another provider");
  if (!audiences.includes(login.clientId) || (audiences.length > 1 && claims.azp !== login.clientId)) throw new LoginError("id_token_invalid", "the ID token was issued for another client");
  if (typeof claims.exp !== "number" || claims.exp + SKEW_SECONDS < now) throw new LoginError("id_token_invalid", "the ID token has expired");
  if (typeof claims.iat === "number" && claims.iat - SKEW_SECONDS > now) throw new LoginError("id_token_invalid", "the ID token was issued in the future (is this device's clock right?)");
  if (claims.nonce !== nonce) throw new LoginError("id_token_invalid", "the ID token's nonce is not this sign-in's");
  if (typeof claims.sub !== "string" || claims.sub.length === 0) throw new LoginError("id_token_invalid", "the ID token names nobody");
  return claims;
}

/**
 * Finishes a sign-in the provider has answered: `{ accessToken, idToken, claims, returnTo }`, or a
 * LoginError. The pending state is used once, whatever the outcome.
 */
export async function complete(login, params) {
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  let pending;
  try {
    pending = JSON.parse(raw ?? "null");
  } catch {
    pending = null;
  }
  if (!pending) throw new LoginError("no_pending_login", "no sign-in was started in this tab; start again");
  if (params.get("state") !== pending.state) throw new LoginError("state_mismatch", "the answer does not belong to the sign-in started here; start again");
  if (params.has("iss") && params.get("iss") !== login.issuer) throw new LoginError("issuer_mismatch", "the answer comes from another identity provider");
  if (params.has("error")) throw new LoginError(params.get("error"), params.get("error_description") || params.get("error"));
  const doc = await discover(login);
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: params.get("code"),
    redirect_uri: login.redirectUri,
    client_id: login.clientId,
    code_verifier: pending.verifier,
    ...(login.resource ? { resource: login.resource } : {}),
  });
  const answer = await json(doc.token_endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  if (!answer.ok || !answer.body) {
    const e = answer.body ?? {};
    throw new LoginError(e.error ?? "token_refused", e.error_description ?? `the token endpoint answered HTTP ${answer.status}`);
  }
  const { access_token: accessToken, id_token: idToken, token_type: type } = answer.body;
  if (typeof idToken !== "string" || typeof accessToken !== "string" || String(type).toLowerCase() !== "bearer") {
    throw new LoginError("token_refused", "the identity provider's answer has no bearer access token and ID token");
  }
  const claims = await checkIdToken(idToken, doc, login, pending.nonce);
  return { accessToken, idToken, claims, returnTo: pending.returnTo };
}

/** Where the resident ends the session at the provider too (RP-initiated logout), or undefined if it offers none. */
export async function endSessionUrl(login, idToken) {
  const doc = await discover(login).catch(() => undefined);
  if (!doc?.end_session_endpoint) return undefined;
  const url = new URL(doc.end_session_endpoint);
  url.searchParams.set("client_id", login.clientId);
  if (idToken) url.searchParams.set("id_token_hint", idToken);
  url.searchParams.set("post_logout_redirect_uri", login.redirectUri);
  return url.toString();
}
