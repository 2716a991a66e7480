/**
 * Encryption of residents' private keys at rest: AES-256-GCM under a master key, with the resident's
 * id and address as additional data so a ciphertext cannot be moved to another row. A KMS-backed
 * implementation of KeyWrapper can replace it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ConfigError } from "#lib/errors.js";

export interface WrappedKey {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

export interface KeyWrapper {
  wrap(plain: Buffer, context: string): WrappedKey;
  unwrap(wrapped: WrappedKey, context: string): Buffer;
}

export class AesGcmKeyWrapper implements KeyWrapper {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new ConfigError(["the master key must be 32 bytes"]);
    this.key = Buffer.from(masterKey);
  }

  wrap(plain: Buffer, context: string): WrappedKey {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { ciphertext, iv, tag: cipher.getAuthTag() };
  }

  unwrap(wrapped: WrappedKey, context: string): Buffer {
    const decipher = createDecipheriv("aes-256-gcm", this.key, wrapped.iv);
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(wrapped.tag);
    return Buffer.concat([decipher.update(wrapped.ciphertext), decipher.final()]);
  }
}
