/**
 * The description of a generated network, `network.json` in its folder: chain id, the nodes with their
 * role, signer address, enode and ports, and the funded accounts. The tool and the tests read it to
 * start, reach and reconfigure the nodes; it holds no secret (keys and passwords stay in the nodes'
 * folders and in accounts.json).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { NetworkError } from "./errors.js";

export const SPEC_FILE = "network.json";
export const NODE_ROLES = ["signer", "observer"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

const address = z
  .string()
  .refine((s) => isAddress(s), { message: "expected a 0x-prefixed 20-byte address" })
  .transform((s) => getAddress(s));
const port = z.number().int().min(1).max(65535);

const nodeSpec = z.object({
  /** Folder name and handle: signer-1, observer-1, … */
  name: z.string().regex(/^[a-z]+-\d+$/),
  role: z.enum(NODE_ROLES),
  /** The signer's account (signers only): etherbase and Clique sealing key. */
  address: address.optional(),
  /** enode://<public key>@127.0.0.1:<p2p port> */
  enode: z.string().regex(/^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/),
  ports: z.object({ p2p: port, http: port, authrpc: port }),
});

export const networkSpecSchema = z.object({
  format: z.literal(1),
  client: z.literal("geth"),
  chainId: z.number().int().positive(),
  /** Clique block period in seconds. */
  period: z.number().int().positive(),
  gasLimit: z.number().int().positive(),
  /** The signers written into the genesis extraData (others join by votes). */
  genesisSigners: z.array(address).min(1),
  nodes: z.array(nodeSpec).min(1),
  funded: z.array(address),
  createdAt: z.string(),
});

export type NodeSpec = z.infer<typeof nodeSpec>;
export type NetworkSpec = z.infer<typeof networkSpecSchema>;

export async function readSpec(dir: string): Promise<NetworkSpec> {
  const file = path.join(dir, SPEC_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new NetworkError("BAD_NETWORK", `${file} cannot be read (run 'npm run network -- init' first): ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NetworkError("BAD_NETWORK", `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = networkSpecSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new NetworkError("BAD_NETWORK", `${file} is not a network description of this tool: ${issues}`);
  }
  return parsed.data;
}

export async function writeSpec(dir: string, spec: NetworkSpec): Promise<void> {
  networkSpecSchema.parse(spec);
  await writeFile(path.join(dir, SPEC_FILE), JSON.stringify(spec, null, 2) + "\n");
}
