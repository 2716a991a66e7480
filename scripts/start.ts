/**
 * `npm start`: runs Digital Home on one machine. Starts the embedded chain (Hardhat's simulated network
 * as a JSON-RPC node on 127.0.0.1, one block a second), deploys the contracts with demo parameters
 * (minutes instead of days) and writes deployments/localhost.json. Stops cleanly on Ctrl-C.
 *
 * Environment: DH_RPC_PORT (default 8545; 0 picks a free port), DH_BLOCK_TIME_MS (default 1000).
 */
import { JsonRpcProvider } from "ethers";
import { startLocalChain, type LocalChain } from "./lib/chain.js";
import { deployDigitalHome } from "./lib/deploy.js";
import { writeDeployment } from "./lib/deployment.js";

const DEMO_PARAMETERS = { minNotice: 120, minWindow: 300, maxWindow: 7 * 24 * 3600 };

function envNumber(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    console.error(`${name}: got '${raw}', expected a whole number 0–${max}`);
    process.exit(2);
  }
  return Number(raw);
}

const port = envNumber("DH_RPC_PORT", 8545, 65535);
const blockTimeMs = envNumber("DH_BLOCK_TIME_MS", 1000, 60_000);

const step = (text: string) => console.log(`• ${text}`);
let chain: LocalChain | undefined;
let stopping = false;

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping…");
  await chain?.close().catch(() => undefined);
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

try {
  step(`starting the embedded chain (one block every ${blockTimeMs} ms)`);
  try {
    chain = await startLocalChain({ port, blockTimeMs });
  } catch (err) {
    if (port === 0) throw err;
    step(`port ${port} is taken (${(err as Error).message}); using a free port`);
    chain = await startLocalChain({ port: 0, blockTimeMs });
  }
  const provider = new JsonRpcProvider(chain.url, undefined, { pollingInterval: 250 });
  const deployer = await provider.getSigner(0);

  step("deploying BuildingRegistry and MeetingHall with demo parameters");
  const deployment = await deployDigitalHome(deployer, { network: "localhost", parameters: DEMO_PARAMETERS });
  const file = await writeDeployment(deployment);

  console.log(`
Digital Home is running.
  JSON-RPC          ${chain.url}   (chain id ${deployment.chainId})
  BuildingRegistry  ${deployment.contracts.BuildingRegistry.address}
  MeetingHall       ${deployment.contracts.MeetingHall.address}
  deployment record ${file}
Press Ctrl-C to stop.`);
} catch (err) {
  console.error(`start failed: ${(err as Error).message}`);
  await stop(1);
}
