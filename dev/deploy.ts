/** Deploys BuildingRegistry and MeetingHall with any ethers signer and returns the deployment record. */
import { execFileSync } from "node:child_process";
import type { ContractTransactionResponse, Signer } from "ethers";
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";
import { LAW_PARAMETERS, PROJECT_ROOT, type Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";

export interface DeployOptions {
  network: string;
  /** Holder of DEFAULT_ADMIN_ROLE (default: the deployer). */
  admin?: string;
  /** First holder of REGISTRAR_ROLE (default: the deployer). */
  registrar?: string;
  parameters?: { minNotice: number; minWindow: number; maxWindow: number };
}

async function mined(tx: ContractTransactionResponse | null) {
  if (tx === null) throw new AppError("deployment_failed", "deployment transaction missing");
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) throw new AppError("deployment_failed", `deployment transaction ${tx.hash} failed`);
  return receipt;
}

function currentCommit(): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

export async function deployDigitalHome(deployer: Signer, options: DeployOptions): Promise<Deployment> {
  const provider = deployer.provider;
  if (!provider) throw new AppError("deployment_failed", "the deployer signer has no provider");
  const deployerAddress = await deployer.getAddress();
  const admin = options.admin ?? deployerAddress;
  const registrar = options.registrar ?? deployerAddress;
  const parameters = options.parameters ?? { ...LAW_PARAMETERS };
  const { chainId } = await provider.getNetwork();

  const registry = await new BuildingRegistry__factory(deployer).deploy(admin, registrar);
  const registryReceipt = await mined(registry.deploymentTransaction());
  const hall = await new MeetingHall__factory(deployer).deploy(
    await registry.getAddress(),
    parameters.minNotice,
    parameters.minWindow,
    parameters.maxWindow,
  );
  const hallReceipt = await mined(hall.deploymentTransaction());

  return {
    network: options.network,
    chainId: Number(chainId),
    startBlock: registryReceipt.blockNumber,
    contracts: {
      BuildingRegistry: {
        address: await registry.getAddress(),
        deploymentBlock: registryReceipt.blockNumber,
        transactionHash: registryReceipt.hash,
      },
      MeetingHall: {
        address: await hall.getAddress(),
        deploymentBlock: hallReceipt.blockNumber,
        transactionHash: hallReceipt.hash,
      },
    },
    parameters,
    admin,
    registrar,
    commit: currentCommit(),
    deployedAt: new Date().toISOString(),
  };
}
