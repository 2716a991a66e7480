/**
 * The keeper's own chain key: a file holding one 0x-prefixed private key, readable by its owner only.
 * The key pays for the finalize transactions (on a network without gas price, it only needs to be
 * allowed to send).
 */
import { readFile, stat } from "node:fs/promises";
import { Wallet } from "ethers";
import { ConfigError } from "#lib/errors.js";

export async function readChainKey(file: string): Promise<Wallet> {
  let text: string;
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) throw new ConfigError([`KEEPER_CHAIN_KEY_FILE: ${file} has mode ${(info.mode & 0o777).toString(8)}: others may read it; expected 600`]);
    text = (await readFile(file, "utf8")).trim();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`KEEPER_CHAIN_KEY_FILE: ${file} cannot be read: ${(err as Error).message}`]);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError([`KEEPER_CHAIN_KEY_FILE: ${file} does not hold a 0x-prefixed 32-byte private key`]);
  return new Wallet(text);
}
