/**
 * The operator's signature of a protocol: a detached signature over each file's exact bytes, made
 * through `ProtocolSigner` so that the signer can change without touching what is signed.
 *
 * The demo's signer, `LocalKeySigner`, holds an Ed25519 key in a PKCS #8 PEM file created once with
 * owner-only permissions (0600, in a 0700 folder; a key file others may read is refused) and produces
 * a JWS with a detached payload (RFC 7515 appendix F): `BASE64URL(header)..BASE64URL(signature)`, the
 * header `{ alg: "EdDSA", kid, typ: "JOSE", cty }` with `kid` the key's JWK thumbprint (RFC 7638) and
 * `cty` the signed file's media type. Its public key is published as a JWKS (RFC 7517; OKP keys as in
 * RFC 8037) in the deployment's operator record and beside each protocol.
 *
 * A qualified electronic signature (the law asks the operator's; in Russia a GOST R 34.10-2012 key on a
 * certified device, the signature a detached CAdES/CMS file) plugs in behind the same interface: its
 * `sign` returns the provider's detached signature of the bytes, `format` names it ("cades-detached"),
 * and `publicJwks` gives way to the certificate chain its verifier checks. Nothing else changes: the
 * keeper stores whatever `sign` returns beside the file it signed.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { chmod, mkdir, open, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../errors.js";

/** A public key as a JWK: an Ed25519 OKP key (RFC 8037). */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

export interface Jwks {
  keys: PublicJwk[];
}

export interface ProtocolSigner {
  /** The kind of signature `sign` produces (the demo's: "jws-detached"). */
  readonly format: string;
  /** The signing key's id, as the signatures name it. */
  readonly keyId: string;
  /** A detached signature of `content` (the exact bytes of a file), as the text of a signature file. */
  sign(content: Uint8Array, contentType: string): Promise<string>;
  /** What a verifier needs to check the signatures: the public keys as a JWKS. */
  publicJwks(): Jwks;
}

export class SignatureError extends AppError {}

const b64url = (data: Uint8Array | string) => Buffer.from(data).toString("base64url");

/** The RFC 7638 thumbprint of an Ed25519 public key. */
export function jwkThumbprint(jwk: { crv: string; kty: string; x: string }): string {
  return createHash("sha256").update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })).digest("base64url");
}

function publicJwkOf(key: KeyObject): PublicJwk {
  const jwk = createPublicKey(key).export({ format: "jwk" }) as { kty: string; crv: string; x: string };
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw new SignatureError("unsupported_key", `the signing key is ${jwk.kty}/${jwk.crv}, expected an Ed25519 key`);
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid: jwkThumbprint(jwk), alg: "EdDSA", use: "sig" };
}

/** The demo's signer: an Ed25519 key in a file of its own. */
export class LocalKeySigner implements ProtocolSigner {
  readonly format = "jws-detached";
  readonly keyId: string;
  private readonly jwk: PublicJwk;

  private constructor(private readonly key: KeyObject) {
    this.jwk = publicJwkOf(key);
    this.keyId = this.jwk.kid;
  }

  /**
   * Opens the key at `file`, creating it first (0600, its folder 0700) when it does not exist and
   * `create` is set. A key file that its group or others may read or write is refused.
   */
  static async open(file: string, options: { create: boolean }): Promise<LocalKeySigner> {
    let pem: string;
    try {
      const info = await stat(file);
      if ((info.mode & 0o077) !== 0) {
        throw new SignatureError("key_file_exposed", `signing key ${file} has mode ${(info.mode & 0o777).toString(8)}: others may read it; expected 600 (chmod 600 ${file})`);
      }
      pem = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || !options.create) {
        if (err instanceof AppError) throw err;
        throw new SignatureError("key_unreadable", `signing key ${file} cannot be read: ${(err as Error).message}`, { cause: err });
      }
      pem = await createKeyFile(file);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (err) {
      throw new SignatureError("key_unreadable", `signing key ${file} is not a PKCS #8 PEM private key`, { cause: err });
    }
    return new LocalKeySigner(key);
  }

  async sign(content: Uint8Array, contentType: string): Promise<string> {
    const header = b64url(JSON.stringify({ alg: "EdDSA", kid: this.keyId, typ: "JOSE", cty: contentType }));
    const signature = sign(null, Buffer.from(`${header}.${b64url(content)}`, "ascii"), this.key);
    return `${header}..${b64url(signature)}`;
  }

  publicJwks(): Jwks {
    return { keys: [{ ...this.jwk }] };
  }
}

/** Creates a new Ed25519 key file that only its owner may read; fails if one appeared meanwhile. */
async function createKeyFile(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }) as string;
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(file, 0o600); // whatever the umask
  return pem;
}

export interface VerifiedSignature {
  keyId: string;
  contentType: string;
}

const JWK_X = /^[A-Za-z0-9_-]{43}$/;

/** Reads a JWKS, keeping its Ed25519 signature keys; anything else in it is refused. */
export function parseJwks(json: unknown): Jwks {
  const keys = (json as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new SignatureError("invalid_jwks", "expected a JWKS: an object with a non-empty keys array");
  return {
    keys: keys.map((k, i) => {
      const jwk = k as Partial<PublicJwk>;
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string" || !JWK_X.test(jwk.x)) throw new SignatureError("invalid_jwks", `keys[${i}]: expected an Ed25519 public key (kty OKP, crv Ed25519, x)`);
      if ("d" in (k as object)) throw new SignatureError("invalid_jwks", `keys[${i}]: holds a private key; a JWKS publishes public keys only`);
      const kid = jwkThumbprint({ crv: "Ed25519", kty: "OKP", x: jwk.x });
      if (jwk.kid !== undefined && jwk.kid !== kid) throw new SignatureError("invalid_jwks", `keys[${i}]: kid ${jwk.kid} is not the key's thumbprint ${kid}`);
      return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid, alg: "EdDSA", use: "sig" } as PublicJwk;
    }),
  };
}

/**
 * Checks a detached JWS over `content` against the keys of `jwks`. Throws `malformed_signature` for a
 * text that is not a detached JWS of this kind (the file is unsigned, as far as anyone can tell),
 * `unknown_signing_key` for a key not in the set, and `signature_mismatch` when the bytes are not the
 * bytes that were signed.
 */
export function verifyDetached(content: Uint8Array, signatureText: string, jwks: Jwks): VerifiedSignature {
  const parts = signatureText.trim().split(".");
  if (parts.length !== 3 || parts[1] !== "" || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[2])) {
    throw new SignatureError("malformed_signature", "not a JWS with a detached payload (header..signature)");
  }
  let header: { alg?: unknown; kid?: unknown; cty?: unknown; crit?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
  } catch {
    throw new SignatureError("malformed_signature", "the JWS header is not base64url JSON");
  }
  if (header.alg !== "EdDSA") throw new SignatureError("malformed_signature", `JWS alg ${String(header.alg)}: expected EdDSA`);
  if (header.crit !== undefined) throw new SignatureError("malformed_signature", "JWS header names critical extensions this verifier does not know");
  if (typeof header.kid !== "string") throw new SignatureError("malformed_signature", "the JWS header names no key (kid)");
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new SignatureError("unknown_signing_key", `signed by key ${header.kid}, which is not among the operator's published keys (${jwks.keys.map((k) => k.kid).join(", ")})`);
  const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
  const ok = verify(null, Buffer.from(`${parts[0]}.${b64url(content)}`, "ascii"), publicKey, Buffer.from(parts[2], "base64url"));
  if (!ok) throw new SignatureError("signature_mismatch", `the signature by key ${jwk.kid} does not match the file's bytes: the file was changed after it was signed`);
  return { keyId: jwk.kid, contentType: typeof header.cty === "string" ? header.cty : "" };
}
