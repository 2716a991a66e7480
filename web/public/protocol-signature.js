// A protocol file's detached signature checked in the browser, as lib/protocol/signer.ts checks it
// (verifyDetached): a JWS with a detached payload (RFC 7515 appendix F), `BASE64URL(header)..
// BASE64URL(signature)`, alg EdDSA, signed by one of the operator's Ed25519 keys (a JWKS), each key
// named by its RFC 7638 thumbprint. WebCrypto does the Ed25519 and SHA-256; nothing leaves the page.

export class SignatureCheckError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const JWK_X = /^[A-Za-z0-9_-]{43}$/;

function fromB64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function toB64url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The RFC 7638 thumbprint of an Ed25519 public key: SHA-256 of its required members in order. */
export async function jwkThumbprint(x) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify({ crv: "Ed25519", kty: "OKP", x })));
  return toB64url(new Uint8Array(digest));
}

/** The Ed25519 keys of a JWKS (an operator record's `protocolSigner.jwks`), each with its thumbprint; anything else is refused. */
export async function parseJwks(json) {
  const keys = json?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new SignatureCheckError("invalid_jwks", "expected a JWKS: an object with a non-empty keys array");
  const out = [];
  for (const [i, k] of keys.entries()) {
    if (k?.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string" || !JWK_X.test(k.x)) throw new SignatureCheckError("invalid_jwks", `keys[${i}]: expected an Ed25519 public key`);
    if ("d" in k) throw new SignatureCheckError("invalid_jwks", `keys[${i}]: holds a private key`);
    const kid = await jwkThumbprint(k.x);
    if (k.kid !== undefined && k.kid !== kid) throw new SignatureCheckError("invalid_jwks", `keys[${i}]: kid ${k.kid} is not the key's thumbprint ${kid}`);
    out.push({ x: k.x, kid });
  }
  return out;
}

/**
 * Checks `signatureText` (a .jws file's text) over `content` (the file's exact bytes) against `keys`
 * (parseJwks). Answers `{ keyId, contentType }`; throws `malformed_signature`, `unknown_signing_key`
 * or `signature_mismatch` as the operator's verifier does.
 */
export async function verifyDetached(content, signatureText, keys) {
  const parts = String(signatureText).trim().split(".");
  if (parts.length !== 3 || parts[1] !== "" || !B64URL.test(parts[0]) || !B64URL.test(parts[2])) {
    throw new SignatureCheckError("malformed_signature", "not a JWS with a detached payload (header..signature)");
  }
  let header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromB64url(parts[0])));
  } catch {
    throw new SignatureCheckError("malformed_signature", "the JWS header is not base64url JSON");
  }
  if (header?.alg !== "EdDSA") throw new SignatureCheckError("malformed_signature", `JWS alg ${String(header?.alg)}: expected EdDSA`);
  if (header.crit !== undefined) throw new SignatureCheckError("malformed_signature", "the JWS header names critical extensions");
  if (typeof header.kid !== "string") throw new SignatureCheckError("malformed_signature", "the JWS header names no key (kid)");
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new SignatureCheckError("unknown_signing_key", `signed by key ${header.kid}, which is not among the operator's keys (${keys.map((k) => k.kid).join(", ")})`);
  const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
  const signed = new TextEncoder().encode(`${parts[0]}.${toB64url(new Uint8Array(content))}`);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, fromB64url(parts[2]), signed);
  if (!ok) throw new SignatureCheckError("signature_mismatch", `the signature by key ${jwk.kid} does not match the file's bytes: the file was changed after it was signed`);
  return { keyId: jwk.kid, contentType: typeof header.cty === "string" ? header.cty : "" };
}
