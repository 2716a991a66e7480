/**
 * The deployment's operator record: who operates the system for a deployment and the public keys its
 * protocols are signed with (a JWKS), published beside the deployment record as
 * `deployments/<network>.operator.json`. A verifier trusts the keys named here (or given to it), not
 * whatever key travels with a file.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { deploymentPath } from "../deployment.js";
import { AppError } from "../errors.js";
import { parseJwks, type Jwks } from "./signer.js";

export interface OperatorRecord {
  network: string;
  chainId: number;
  /** The operator's name as the protocols state it. */
  operator: string;
  protocolSigner: { format: string; jwks: Jwks };
  updatedAt: string;
}

/** Where the operator record of a deployment (a network name or a deployment file) lives. */
/** How an operator record's file name ends, beside the deployment record it belongs to. */
export const OPERATOR_RECORD_SUFFIX = ".operator.json";

export function operatorRecordPath(deployment: string): string {
  if (deployment.endsWith(".json")) return path.resolve(deployment.replace(/\.json$/, OPERATOR_RECORD_SUFFIX));
  return deploymentPath(deployment).replace(/\.json$/, OPERATOR_RECORD_SUFFIX);
}

export async function readOperatorRecord(file: string): Promise<OperatorRecord> {
  let json: OperatorRecord;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new AppError("operator_record_unreadable", `operator record ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (!json || typeof json.network !== "string" || typeof json.chainId !== "number" || typeof json.protocolSigner?.format !== "string") {
    throw new AppError("invalid_operator_record", `operator record ${file}: expected network, chainId and protocolSigner { format, jwks }`);
  }
  return { ...json, protocolSigner: { format: json.protocolSigner.format, jwks: parseJwks(json.protocolSigner.jwks) } };
}

/** Writes the record atomically (a temporary file renamed over it). */
export async function writeOperatorRecord(file: string, record: OperatorRecord): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record, null, 2) + "\n");
  await rename(tmp, file);
}
