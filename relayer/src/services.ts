/**
 * Starts the relayer and/or the custodial wallet from a validated configuration; `npm start` embeds
 * this, and main.ts runs it alone.
 */
import { ballotDomain } from "#lib/ballot.js";
import { readDeployment, type Deployment } from "#lib/deployment.js";
import { useNativeKeccak } from "#lib/keccak.js";
import { connectChain } from "./chain.js";
import type { ServiceConfig } from "./config.js";
import { createLogger, type Logger } from "#lib/log.js";
import { startCustody } from "../../custody/src/service.js";
import { startRelayer } from "./service.js";

export interface RunningServices {
  relayerUrl?: string;
  custodyUrl?: string;
  /** Sender accounts of the relayer (they need funds, or a zero-gas-price chain). */
  senders: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** A loaded deployment record instead of `config.chain.deployment`. */
  deployment?: Deployment;
  deliverCode?: (residentId: string, code: string) => void;
}

export async function startServices(config: ServiceConfig, options: StartOptions = {}): Promise<RunningServices> {
  useNativeKeccak();
  const log = options.logger ?? createLogger(config.logLevel);
  const deployment = options.deployment ?? (await readDeployment(config.chain.deployment));
  const domain = ballotDomain(deployment.chainId, deployment.contracts.MeetingHall.address);
  // Custody needs only the deployment record (the EIP-712 domain); the relayer needs the node.
  const chain = config.relayer ? await connectChain(config.chain.rpcUrl, deployment) : undefined;
  const stops: Array<() => Promise<void>> = [];
  try {
    const relayer = config.relayer && chain ? await startRelayer(config.relayer, chain, log) : undefined;
    if (relayer) stops.push(relayer.stop);
    const custody = config.custody
      ? await startCustody(config.custody, domain, log, { relayerUrl: relayer?.url, deliverCode: options.deliverCode })
      : undefined;
    if (custody) stops.push(custody.stop);
    let stopped: Promise<void> | undefined;
    return {
      relayerUrl: relayer?.url,
      custodyUrl: custody?.url,
      senders: relayer?.senders ?? [],
      stop: () =>
        (stopped ??= (async () => {
          for (const stop of stops.reverse()) await stop();
          chain?.provider.destroy();
          chain?.readProvider.destroy();
        })()),
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop();
    chain?.provider.destroy();
    chain?.readProvider.destroy();
    throw err;
  }
}
