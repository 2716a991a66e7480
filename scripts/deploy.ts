/**
 * Deploys Digital Home to the network Hardhat is run with and writes deployments/<network>.json.
 *
 *   npx hardhat run scripts/deploy.ts --network <name>
 *
 * Environment (all optional):
 *   DH_ADMIN, DH_REGISTRAR        addresses for the admin (of the register and of the legal rules, whose
 *                                 new versions it publishes) and the first registrar (default: the deployer)
 *   DH_MIN_NOTICE, DH_MIN_WINDOW, DH_MAX_WINDOW   seconds (default: the law, 10 / 7 / 60 days)
 *   DH_MAX_OPEN_PER_INITIATOR     meetings and polls one initiator may have open in a building (default 3)
 *
 * The legal rules published are the newest version of lib/legal-rules.ts.
 */
import { network } from "hardhat";
import { isAddress } from "ethers";
import { deployDigitalHome } from "../dev/deploy.js";
import { LAW_PARAMETERS, writeDeployment } from "#lib/deployment.js";
import { ConfigError } from "#lib/errors.js";

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError([`${name}: got '${raw}', expected a whole number of seconds`]);
  return Number(raw);
}

function count(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ConfigError([`${name}: got '${raw}', expected a whole number 1–${max}`]);
  }
  return Number(raw);
}

function optionalAddress(name: string): string | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!isAddress(raw)) throw new ConfigError([`${name}: got '${raw}', expected a 0x-prefixed address`]);
  return raw;
}

const connection = await network.create();
const [deployer] = await connection.ethers.getSigners();
if (!deployer) throw new ConfigError([`network ${connection.networkName} has no deployer account (set DH_DEPLOYER_KEY)`]);

const parameters = {
  minNotice: seconds("DH_MIN_NOTICE", LAW_PARAMETERS.minNotice),
  minWindow: seconds("DH_MIN_WINDOW", LAW_PARAMETERS.minWindow),
  maxWindow: seconds("DH_MAX_WINDOW", LAW_PARAMETERS.maxWindow),
  maxOpenPerInitiator: count("DH_MAX_OPEN_PER_INITIATOR", LAW_PARAMETERS.maxOpenPerInitiator, 65_535),
};
const deployment = await deployDigitalHome(deployer, {
  network: connection.networkName,
  admin: optionalAddress("DH_ADMIN"),
  registrar: optionalAddress("DH_REGISTRAR"),
  parameters,
});
const file = await writeDeployment(deployment);
console.log(`BuildingRegistry ${deployment.contracts.BuildingRegistry.address}`);
console.log(`MeetingHall      ${deployment.contracts.MeetingHall.address}`);
console.log(`LegalRules       ${deployment.contracts.LegalRules.address}`);
console.log(`Forwarder        ${deployment.contracts.Forwarder.address}`);
console.log(`chain ${deployment.chainId}, start block ${deployment.startBlock}, record ${file}`);
