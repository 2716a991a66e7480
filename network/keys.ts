/**
 * The keys of a network: each signer's account in a geth keystore (v3 JSON, scrypt) with its
 * password file, each node's p2p key (`geth/nodekey`) and the enode derived from it, and the funded
 * accounts (deployer, relayer senders) the services are configured with.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { SigningKey, Wallet, encryptKeystoreJson } from "ethers";

/**
 * scrypt cost of the keystores. geth's "light" parameters (N = 2^12, p = 6): the password sits in a
 * file beside the keystore for unattended sealing anyway, so a costlier KDF would only slow every
 * start without protecting the key from anyone who can read the folder.
 */
const KEYSTORE_SCRYPT = { N: 1 << 12, r: 8, p: 6 };

export interface GeneratedKey {
  address: string;
  privateKey: string;
}

export function newKey(): GeneratedKey {
  const wallet = Wallet.createRandom();
  return { address: wallet.address, privateKey: wallet.privateKey };
}

/** Writes `<dir>/keystore/<address>.json` and `<dir>/password.txt` (mode 0600) for a signer's key. */
export async function writeKeystore(dir: string, key: GeneratedKey): Promise<{ keystore: string; passwordFile: string }> {
  const password = randomBytes(24).toString("hex");
  const json = await encryptKeystoreJson({ address: key.address, privateKey: key.privateKey }, password, { scrypt: KEYSTORE_SCRYPT });
  const keystoreDir = path.join(dir, "keystore");
  await mkdir(keystoreDir, { recursive: true, mode: 0o700 });
  const keystore = path.join(keystoreDir, `${key.address.slice(2).toLowerCase()}.json`);
  const passwordFile = path.join(dir, "password.txt");
  await writeFile(keystore, json, { mode: 0o600 });
  await writeFile(passwordFile, password + "\n", { mode: 0o600 });
  return { keystore, passwordFile };
}

/** The enode id of a node key: its uncompressed secp256k1 public key without the 0x04 prefix. */
export function enodeId(nodeKey: string): string {
  return new SigningKey(nodeKey).publicKey.slice(4);
}

/** Writes `<dir>/geth/nodekey` (hex, no 0x, as geth reads it) and returns the node's enode URL on 127.0.0.1. */
export async function writeNodeKey(dir: string, p2pPort: number): Promise<{ nodeKey: string; enode: string }> {
  const nodeKey = "0x" + randomBytes(32).toString("hex");
  await mkdir(path.join(dir, "geth"), { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, "geth", "nodekey"), nodeKey.slice(2), { mode: 0o600 });
  return { nodeKey, enode: `enode://${enodeId(nodeKey)}@127.0.0.1:${p2pPort}` };
}
