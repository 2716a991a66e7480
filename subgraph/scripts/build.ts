/**
 * Builds the subgraph offline: ABIs from the compiled contracts, networks.json from the deployment
 * records, then `graph codegen` and `graph build` (output in subgraph/generated and subgraph/build).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { writeAbis } from "./abis.js";
import { writeNetworks } from "./networks.js";
import { PROJECT_ROOT, SUBGRAPH_DIR } from "./paths.js";

const graph = path.join(PROJECT_ROOT, "node_modules", ".bin", "graph");
const env = { ...process.env, GRAPH_SKIP_NEW_VERSION_CHECK: "true" };

function run(args: string[]): void {
  execFileSync(graph, args, { cwd: SUBGRAPH_DIR, env, stdio: "inherit" });
}

await writeAbis();
const networks = await writeNetworks();
console.log(`networks.json: ${Object.keys(networks).join(", ") || "(no deployment records)"}`);
run(["codegen", "--skip-migrations"]);
run(["build", "--skip-migrations"]);
