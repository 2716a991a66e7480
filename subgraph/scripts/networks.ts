/**
 * Generates `subgraph/networks.json` (graph-cli's network file) from the deployment records
 * `deployments/<network>.json`: per network, each data source's address and start block.
 */
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEPLOYMENTS_DIR, readDeployment, type Deployment } from "../../scripts/lib/deployment.js";
import { SUBGRAPH_DIR } from "./paths.js";

export type NetworkEntry = Record<string, { address: string; startBlock: number }>;
export type NetworksFile = Record<string, NetworkEntry>;

/** The data sources of one deployment, as graph-cli's network file lists them. */
export function networkEntry(deployment: Deployment): NetworkEntry {
  return {
    BuildingRegistry: {
      address: deployment.contracts.BuildingRegistry.address,
      startBlock: deployment.contracts.BuildingRegistry.deploymentBlock,
    },
    MeetingHall: {
      address: deployment.contracts.MeetingHall.address,
      startBlock: deployment.contracts.MeetingHall.deploymentBlock,
    },
  };
}

export async function readAllDeployments(dir = DEPLOYMENTS_DIR): Promise<Deployment[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  } catch {
    return [];
  }
  return Promise.all(files.map((f) => readDeployment(path.join(dir, f))));
}

export async function writeNetworks(file = path.join(SUBGRAPH_DIR, "networks.json")): Promise<NetworksFile> {
  const networks: NetworksFile = {};
  for (const deployment of await readAllDeployments()) networks[deployment.network] = networkEntry(deployment);
  await writeFile(file, JSON.stringify(networks, null, 2) + "\n");
  return networks;
}
