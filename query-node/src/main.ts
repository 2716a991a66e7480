/**
 * Runs the embedded query node: indexes the built subgraph from the chain of a deployment record and
 * serves http://127.0.0.1:<port>/subgraphs/name/<name>. Configuration in SUBGRAPH_* variables
 * (see config.ts); SIGTERM and SIGINT stop it after the current step.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT, contractSources, readDeployment } from "#lib/deployment.js";
import { readConfig } from "./config.js";
import { QueryNode } from "./query-node.js";

const log = (entry: { msg: string; [key: string]: unknown }) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + "\n");

async function main(): Promise<void> {
  const config = readConfig(process.env, PROJECT_ROOT);
  const deployment = await readDeployment(config.deployment);
  await mkdir(path.dirname(config.databaseFile), { recursive: true });
  const node = await QueryNode.open({
    buildDir: config.buildDir,
    databaseFile: config.databaseFile,
    name: config.name,
    overrides: contractSources(deployment),
    rpcUrl: config.rpcUrl,
    confirmations: config.confirmations,
    pollIntervalMs: config.pollIntervalMs,
    port: config.port,
    log,
  });
  const server = await node.start();
  log({
    msg: "query node started",
    url: `${server.url}/subgraphs/name/${config.name}`,
    deployment: node.subgraph.deployment,
    network: deployment.network,
    cursor: node.store.cursor()?.number ?? null,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ msg: "stopping", signal });
    await node.close();
    log({ msg: "stopped" });
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: Error) => {
  log({ msg: "query node failed to start", error: err.message });
  process.exitCode = 1;
});
