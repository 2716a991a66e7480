/**
 * Starts the relayer from its validated configuration: connects to the node (checking it against the
 * deployment record), then assembles queue, intake, batcher, submitter and the HTTP API. main.ts
 * runs it as a process; `npm start` embeds it.
 */
import { connectChain, type ChainContext } from "./chain.js";
import type { RelayerConfig } from "./config.js";
import { readDeployment, type Deployment } from "#lib/deployment.js";
import { listen, type RunningServer } from "#lib/http/server.js";
import { useNativeKeccak } from "#lib/keccak.js";
import { createLogger, type Logger } from "#lib/log.js";
import { createRelayerHandler } from "./http/app.js";
import { Batcher } from "./batcher.js";
import { ClosingMargin } from "./closing.js";
import { FeeOracle } from "./fees.js";
import { Eligibility } from "./eligibility.js";
import { Intake } from "./intake.js";
import { MeetingDirectory } from "./meetings.js";
import { createRelayerMetrics } from "./metrics.js";
import { NonceManager } from "./nonce.js";
import type { BallotStore } from "./queue.js";
import { SqliteBallotStore } from "./sqlite-queue.js";
import { Submitter } from "./submitter.js";
import { MeetingPrefetcher } from "./prefetch.js";
import { ForwarderCalls } from "./forwarding.js";
import { PowersOfAttorney } from "./powers.js";
import { RequestIntake } from "./request-intake.js";
import { tokenBuckets } from "#lib/http/rate-limit.js";
import { SignatureVerifier } from "./verifier.js";
import { VotedIndex } from "./voted-index.js";
import { ContractWallets } from "./wallets.js";

export interface RunningRelayer {
  url: string;
  store: BallotStore;
  senders: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** A loaded deployment record instead of `config.deployment`. */
  deployment?: Deployment;
  defaultMetrics?: boolean;
  store?: BallotStore;
}

export async function startRelayer(config: RelayerConfig, options: StartOptions = {}): Promise<RunningRelayer> {
  useNativeKeccak();
  const log = options.logger ?? createLogger(config.logLevel, { service: "relayer" });
  const deployment = options.deployment ?? (await readDeployment(config.deployment));
  const chain = await connectChain(config.rpcUrl, deployment);
  const closeChain = () => {
    chain.provider.destroy();
    chain.readProvider.destroy();
  };
  try {
    const relayer = await assemble(config, chain, log, options);
    let stopped: Promise<void> | undefined;
    return {
      ...relayer,
      stop: () =>
        (stopped ??= (async () => {
          await relayer.stop();
          closeChain();
        })()),
    };
  } catch (err) {
    closeChain();
    throw err;
  }
}

/** The relayer's parts on a connected chain; prefetches open meetings before it listens. */
async function assemble(config: RelayerConfig, chain: ChainContext, log: Logger, options: StartOptions): Promise<RunningRelayer> {
  const store = options.store ?? new SqliteBallotStore(config.dbPath);
  const metrics = createRelayerMetrics(options.defaultMetrics ?? false);
  const meetings = new MeetingDirectory(chain.readProvider, chain.hallAddress);
  const verifier = new SignatureVerifier(config.verifyThreads);
  const votedIndex = new VotedIndex(chain.readProvider, chain.hallAddress, chain.deployment.startBlock);
  const powers = new PowersOfAttorney(chain.readProvider, chain.hallAddress);
  meetings.onClock((blockNumber) => {
    votedIndex.follow(blockNumber);
    powers.follow(blockNumber);
  });
  meetings.follow();
  const margin = new ClosingMargin({ floorSeconds: config.closingMarginSeconds, ceilingSeconds: config.closingMarginMaxSeconds });
  const intake = new Intake(
    store,
    meetings,
    new Eligibility(chain.readProvider, chain.deployment.contracts.BuildingRegistry.address, chain.deployment.startBlock),
    votedIndex,
    powers,
    new ContractWallets(chain.readProvider, config.erc1271Gas),
    chain.domain,
    { maxSignatureBytes: config.maxSignatureBytes, verifier, closingMarginSeconds: () => margin.seconds() },
  );
  const forwarder = new ForwarderCalls(chain.readProvider, chain.deployment.contracts.Forwarder.address, chain.hallAddress);
  const requestIntake = new RequestIntake(store, meetings, forwarder, chain.chainId, {
    maxGas: BigInt(config.maxRequestGas),
    maxDataBytes: Math.floor(config.maxRequestBodyBytes / 2),
    closingMarginSeconds: () => margin.seconds(),
    signerLimit: tokenBuckets(config.signerRateLimitPerMinute),
  });
  // A meeting within a minute (or three margins) of its close has its ballots batched at once and sent first.
  const closingSoon = (meetingId: bigint) => {
    const end = meetings.cachedVotingEnd(meetingId);
    const now = meetings.projectedNow();
    return end !== undefined && now !== undefined && end - now <= Math.max(60, 3 * margin.seconds());
  };
  const batcher = new Batcher(store, chain.provider, chain.hallAddress, {
    batchSize: config.batchSize,
    batchWaitMs: config.batchWaitMs,
    maxBatchGas: config.maxBatchGas,
    maxPlanned: config.senderKeys.length * config.maxInflightPerSender * 2,
    closingSoon,
    forwarderAddress: chain.deployment.contracts.Forwarder.address,
  });
  const submitter = new Submitter(
    config.senderKeys,
    chain.provider,
    store,
    batcher,
    new NonceManager(chain.provider, store),
    new FeeOracle(chain.provider, config.maxFeeGwei),
    metrics,
    log.child({ component: "submitter" }),
    {
      chainId: chain.chainId,
      hallAddress: chain.hallAddress,
      startBlock: chain.deployment.startBlock,
      maxInflightPerSender: config.maxInflightPerSender,
      stuckAfterMs: config.stuckAfterMs,
      feeBumpPercent: config.feeBumpPercent,
      confirmations: config.confirmations,
      pollIntervalMs: config.pollIntervalMs,
      observeInclusion: (acknowledgedAt) => margin.observe(acknowledgedAt),
      forwarder: new ForwarderCalls(chain.provider, chain.deployment.contracts.Forwarder.address, chain.hallAddress),
    },
  );
  // Open meetings are loaded before the relayer reports ready, so their first voters do not wait.
  const prefetcher = new MeetingPrefetcher(chain.readProvider, chain.hallAddress, chain.deployment.startBlock, intake, log.child({ component: "prefetch" }));
  await prefetcher.run(15_000);
  prefetcher.follow();
  const app = createRelayerHandler({
    intake,
    requestIntake,
    maxRequestBodyBytes: config.maxRequestBodyBytes,
    store,
    metrics,
    log: log.child({ component: "relayer-api" }),
    maxBodyBytes: config.maxBodyBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    clientTokens: config.clientTokens,
    trustedProxies: config.trustedProxies,
    metricsToken: config.metricsToken,
    domain: chain.domain,
    health: async () => {
      try {
        const blockNumber = Number(BigInt(await chain.provider.send("eth_blockNumber", [])));
        return { chainReachable: true, blockNumber, senders: submitter.addresses };
      } catch {
        return { chainReachable: false, senders: submitter.addresses };
      }
    },
  });
  let server: RunningServer;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    prefetcher.stop();
    meetings.stop();
    await verifier.close();
    store.close();
    throw err;
  }
  submitter.start();
  log.info("relayer listening", { url: server.url, senders: submitter.addresses, meetingHall: chain.hallAddress });
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    store,
    senders: submitter.addresses,
    stop: () =>
      (stopped ??= (async () => {
        await server.close();
        prefetcher.stop();
        meetings.stop();
        await verifier.close();
        await submitter.stop();
        store.close();
        log.info("relayer stopped");
      })()),
  };
}
