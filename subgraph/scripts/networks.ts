/**
 * Generates `subgraph/networks.json` (graph-cli's network file) from the deployment records
 * `deployments/<network>.json`: per network, each data source's address and start block. The
 * operator records beside them (`<network>.operator.json`, the keeper's signing keys) are not
 * deployment records.
 */
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEPLOYMENTS_DIR, contractSources, readDeployment, type ContractSources, type Deployment } from "#lib/deployment.js";
import { OPERATOR_RECORD_SUFFIX } from "#lib/protocol/operator-record.js";
import { SUBGRAPH_DIR } from "./paths.js";

export type NetworksFile = Record<string, ContractSources>;

export async function readAllDeployments(dir = DEPLOYMENTS_DIR): Promise<Deployment[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith(".json") && !f.endsWith(OPERATOR_RECORD_SUFFIX)).sort();
  } catch {
    return [];
  }
  return Promise.all(files.map((f) => readDeployment(path.join(dir, f))));
}

export async function writeNetworks(file = path.join(SUBGRAPH_DIR, "networks.json")): Promise<NetworksFile> {
  const networks: NetworksFile = {};
  for (const deployment of await readAllDeployments()) networks[deployment.network] = contractSources(deployment);
  await writeFile(file, JSON.stringify(networks, null, 2) + "\n");
  return networks;
}
