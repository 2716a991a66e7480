/** Configuration of the embedded query node from the environment, validated at start-up. */
import path from "node:path";
import { ConfigError } from "#lib/errors.js";

export interface QueryNodeConfig {
  /** Deployment record: a network name (deployments/<network>.json) or a path to a JSON file. */
  deployment: string;
  rpcUrl: string;
  databaseFile: string;
  name: string;
  port: number;
  confirmations: number;
  pollIntervalMs: number;
  buildDir: string;
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new ConfigError([`${name}: got '${raw}', expected a whole number ${min}–${max}`]);
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv, projectRoot: string): QueryNodeConfig {
  const deployment = env.SUBGRAPH_DEPLOYMENT || "localhost";
  const rpcUrl = env.SUBGRAPH_RPC_URL || "http://127.0.0.1:8545";
  try {
    new URL(rpcUrl);
  } catch {
    throw new ConfigError([`SUBGRAPH_RPC_URL: got '${rpcUrl}', expected an http(s) URL`]);
  }
  const name = env.SUBGRAPH_NAME || "digital-home";
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)?$/.test(name)) {
    throw new ConfigError([`SUBGRAPH_NAME: got '${name}', expected a name like 'digital-home' or 'org/digital-home'`]);
  }
  const network = path.basename(deployment, ".json");
  return {
    deployment,
    rpcUrl,
    name,
    databaseFile: env.SUBGRAPH_DB || path.join(projectRoot, "data", `subgraph-${network}.sqlite`),
    port: whole(env, "SUBGRAPH_PORT", 8000, 0, 65535),
    confirmations: whole(env, "SUBGRAPH_CONFIRMATIONS", 0, 0, 1000),
    pollIntervalMs: whole(env, "SUBGRAPH_POLL_MS", 500, 10, 60_000),
    buildDir: env.SUBGRAPH_BUILD_DIR || path.join(projectRoot, "subgraph", "build"),
  };
}
