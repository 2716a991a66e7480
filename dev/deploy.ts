/**
 * Deploys Digital Home with any ethers signer and returns the deployment record: the forwarder, the
 * legal rules (publishing the newest version of lib/legal-rules.ts), the building register and the
 * meeting hall wired to all three.
 */
import { execFileSync } from "node:child_process";
import { getAddress, type ContractTransactionResponse, type Signer } from "ethers";
import {
  BuildingRegistry__factory,
  Forwarder__factory,
  LegalRules__factory,
  MeetingHall__factory,
} from "#typechain/index.js";
import { LAW_PARAMETERS, PROJECT_ROOT, type Deployment, type Parameters } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { RULES_VERSIONS, publishArgs, type RulesVersion } from "#lib/legal-rules.js";

export interface DeployOptions {
  network: string;
  /** Holder of DEFAULT_ADMIN_ROLE of the register and the rules, and of the rules' RULES_ADMIN_ROLE
   * (default: the deployer). */
  admin?: string;
  /** First holder of REGISTRAR_ROLE (default: the deployer). */
  registrar?: string;
  parameters?: Parameters;
  /** The rules version to publish (default: the newest of lib/legal-rules.ts). */
  rules?: RulesVersion;
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
  const admin = getAddress(options.admin ?? deployerAddress);
  const registrar = getAddress(options.registrar ?? deployerAddress);
  const parameters = options.parameters ?? { ...LAW_PARAMETERS };
  const rulesVersion = options.rules ?? RULES_VERSIONS.at(-1);
  if (!rulesVersion) throw new AppError("deployment_failed", "lib/legal-rules.ts holds no rules version");
  const { chainId } = await provider.getNetwork();

  const forwarder = await new Forwarder__factory(deployer).deploy();
  const forwarderReceipt = await mined(forwarder.deploymentTransaction());
  // the deployer publishes the first version, then hands the roles to the admin
  const rules = await new LegalRules__factory(deployer).deploy(deployerAddress);
  const rulesReceipt = await mined(rules.deploymentTransaction());
  const { sourceRef, quorum, questionTypes } = publishArgs(rulesVersion);
  await mined(await rules.publish(sourceRef, quorum, questionTypes));
  if (admin !== deployerAddress) {
    for (const role of [await rules.RULES_ADMIN_ROLE(), await rules.DEFAULT_ADMIN_ROLE()]) {
      await mined(await rules.grantRole(role, admin));
      await mined(await rules.renounceRole(role, deployerAddress));
    }
  }
  const registry = await new BuildingRegistry__factory(deployer).deploy(admin, registrar);
  const registryReceipt = await mined(registry.deploymentTransaction());
  const hall = await new MeetingHall__factory(deployer).deploy(
    await registry.getAddress(),
    await rules.getAddress(),
    await forwarder.getAddress(),
    parameters,
  );
  const hallReceipt = await mined(hall.deploymentTransaction());

  const record = (address: string, receipt: { blockNumber: number; hash: string }) => ({
    address,
    deploymentBlock: receipt.blockNumber,
    transactionHash: receipt.hash,
  });
  return {
    network: options.network,
    chainId: Number(chainId),
    startBlock: forwarderReceipt.blockNumber, // the first of the four
    contracts: {
      BuildingRegistry: record(await registry.getAddress(), registryReceipt),
      MeetingHall: record(await hall.getAddress(), hallReceipt),
      LegalRules: record(await rules.getAddress(), rulesReceipt),
      Forwarder: record(await forwarder.getAddress(), forwarderReceipt),
    },
    parameters,
    admin,
    registrar,
    commit: currentCommit(),
    deployedAt: new Date().toISOString(),
  };
}
