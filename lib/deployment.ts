/**
 * The deployment record `deployments/<network>.json`: chain id, contract addresses, start block and
 * parameters of one network. The relayer, the subgraph and the audit tools read it; nothing copies an
 * address by hand.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isAddress, getAddress } from "ethers";
import { z } from "zod";
import { AppError } from "./errors.js";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DEPLOYMENTS_DIR = path.join(PROJECT_ROOT, "deployments");

const address = z
  .string()
  .refine((s) => isAddress(s), { message: "expected a 0x-prefixed 20-byte address" })
  .transform((s) => getAddress(s));
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hash");
const wholeNumber = z.number().int().nonnegative();

const contractRecord = z.object({
  address,
  deploymentBlock: wholeNumber,
  transactionHash: hash,
});

export const deploymentSchema = z.object({
  network: z.string().min(1),
  chainId: z.number().int().positive(),
  startBlock: wholeNumber,
  contracts: z.object({
    BuildingRegistry: contractRecord,
    MeetingHall: contractRecord,
    LegalRules: contractRecord,
    Forwarder: contractRecord,
  }),
  parameters: z.object({
    minNotice: wholeNumber,
    minWindow: z.number().int().positive(),
    maxWindow: z.number().int().positive(),
    maxOpenPerInitiator: z.number().int().min(1).max(65_535),
  }),
  admin: address,
  registrar: address,
  commit: z.string().optional(),
  deployedAt: z.string(),
});

export type Deployment = z.infer<typeof deploymentSchema>;

/** The deployment's parameters, as MeetingHall takes them (`IMeetingHall.Parameters`). */
export type Parameters = Deployment["parameters"];

/**
 * Law defaults (Housing Code art. 47.1): 10 days notice, 7–60 days of voting. The law sets no limit of
 * open meetings per initiator; three keeps one owner from flooding a building with notices while
 * leaving room for an annual meeting, an extraordinary one and a poll at once.
 */
export const LAW_PARAMETERS = {
  minNotice: 10 * 24 * 3600,
  minWindow: 7 * 24 * 3600,
  maxWindow: 60 * 24 * 3600,
  maxOpenPerInitiator: 3,
} as const satisfies Parameters;

/** The contracts whose events an indexer reads (the forwarder's are of no interest to it). */
export const INDEXED_CONTRACTS = ["BuildingRegistry", "MeetingHall", "LegalRules"] as const;

/** Each indexed contract's address and first block, by contract name: what an indexer's data sources need. */
export type ContractSources = Record<(typeof INDEXED_CONTRACTS)[number], { address: string; startBlock: number }>;

export function contractSources(deployment: Deployment): ContractSources {
  const source = (name: (typeof INDEXED_CONTRACTS)[number]) => ({
    address: deployment.contracts[name].address,
    startBlock: deployment.contracts[name].deploymentBlock,
  });
  return {
    BuildingRegistry: source("BuildingRegistry"),
    MeetingHall: source("MeetingHall"),
    LegalRules: source("LegalRules"),
  };
}

export function deploymentPath(network: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(network)) {
    throw new AppError("invalid_network_name", `network name '${network}': expected letters, digits, '.', '_' or '-'`);
  }
  return path.join(DEPLOYMENTS_DIR, `${network}.json`);
}

/**
 * Reads and validates a deployment record, from a path to a JSON file or a network name: the name is
 * looked up in `deployments/` of the working directory first (for tools installed as a package),
 * then of this project.
 */
export async function readDeployment(networkOrFile: string): Promise<Deployment> {
  let file: string;
  if (networkOrFile.endsWith(".json")) {
    file = path.resolve(networkOrFile);
  } else {
    const project = deploymentPath(networkOrFile);
    const local = path.resolve("deployments", path.basename(project));
    file = existsSync(local) ? local : project;
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AppError("deployment_unreadable", `deployment record ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError("invalid_deployment", `deployment record ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new AppError("invalid_deployment", `deployment record ${file} is invalid: ${issues.join("; ")}`, { details: { issues } });
  }
  return parsed.data;
}

export async function writeDeployment(deployment: Deployment, file = deploymentPath(deployment.network)): Promise<string> {
  deploymentSchema.parse(deployment);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(deployment, null, 2) + "\n");
  return file;
}
