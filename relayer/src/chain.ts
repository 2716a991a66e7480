/** The connection to the voting chain: a JSON-RPC provider with short timeouts and the MeetingHall ABI. */
import type { JsonRpcProvider } from "ethers";
import { IMeetingHall__factory } from "#typechain/index.js";
import { readDeployment, type Deployment } from "#lib/deployment.js";
import { ballotDomain } from "#lib/ballot.js";
import type { TypedDataDomain } from "ethers";
import { HttpJsonRpcProvider } from "#lib/rpc.js";
import { checkDeployedChain } from "#lib/chain-check.js";

export const meetingHallInterface = IMeetingHall__factory.createInterface();

export interface ChainContext {
  provider: JsonRpcProvider;
  /**
   * A second connection for intake's reads (meetings, clock, eligibility, votes), so that they are
   * not held up in the same JSON-RPC batches as the submitter's simulations and receipts.
   */
  readProvider: JsonRpcProvider;
  deployment: Deployment;
  chainId: bigint;
  hallAddress: string;
  domain: TypedDataDomain;
}

export function createProvider(rpcUrl: string, chainId: number, timeoutMs = 10_000): JsonRpcProvider {
  return new HttpJsonRpcProvider(rpcUrl, chainId, {
    timeoutMs,
    staticNetwork: true,
    // No JSON-RPC batches: requests travel on kept-alive connections, and ethers re-serialises a
    // growing batch for every request it adds, which is quadratic in the size of batch calldata.
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
}

/**
 * Connects to the node and checks that it serves the chain of the deployment record and that the
 * record's contracts have code there (lib/chain-check.ts). Retries for 15 s while the node is starting.
 */
export async function connectChain(rpcUrl: string, deploymentRef: string | Deployment, attempts = 30): Promise<ChainContext> {
  const deployment = typeof deploymentRef === "string" ? await readDeployment(deploymentRef) : deploymentRef;
  const provider = createProvider(rpcUrl, deployment.chainId);
  const hallAddress = deployment.contracts.MeetingHall.address;
  try {
    await checkDeployedChain(provider, deployment, { rpcUrl, attempts });
  } catch (err) {
    provider.destroy();
    throw err;
  }
  return {
    provider,
    readProvider: createProvider(rpcUrl, deployment.chainId),
    deployment,
    chainId: BigInt(deployment.chainId),
    hallAddress,
    domain: ballotDomain(deployment.chainId, hallAddress),
  };
}
