/**
 * Read-only access to the chain for auditors: logs of the register, the meeting hall and the legal
 * rules decoded with their ABIs, transactions, block timestamps, and the contracts' own views. Talks
 * to a JSON-RPC endpoint and nothing else.
 */
import { EventFragment, Interface, type JsonRpcProvider, type Log, type LogDescription, type TransactionResponse } from "ethers";
import { BuildingRegistry__factory, Forwarder__factory, LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";
import type { BuildingRegistry, LegalRules, MeetingHall } from "#typechain/index.js";
import type { Deployment } from "../deployment.js";
import { HttpJsonRpcProvider } from "../rpc.js";
import { checkDeployedChain } from "../chain-check.js";
import { AppError } from "../errors.js";
import { UnreachableError } from "./errors.js";

export const registryInterface = new Interface(BuildingRegistry__factory.abi);
export const hallInterface = new Interface(MeetingHall__factory.abi);
export const rulesInterface = new Interface(LegalRules__factory.abi);
export const forwarderInterface = new Interface(Forwarder__factory.abi);

/** The contracts whose logs an audit reads. */
export type ContractName = "hall" | "registry" | "rules";

/** topic0 → event, computed once: `Interface.parseLog` re-hashes every event signature per log. */
function eventsByTopic(iface: Interface): Map<string, EventFragment> {
  const map = new Map<string, EventFragment>();
  iface.forEachEvent((fragment) => map.set(fragment.topicHash, fragment));
  return map;
}
const INTERFACES: Record<ContractName, Interface> = { hall: hallInterface, registry: registryInterface, rules: rulesInterface };
const EVENTS: Record<ContractName, Map<string, EventFragment>> = {
  hall: eventsByTopic(hallInterface),
  registry: eventsByTopic(registryInterface),
  rules: eventsByTopic(rulesInterface),
};

export interface DecodedLog {
  name: string;
  args: LogDescription["args"];
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
  address: string;
}

/** Orders logs as the chain does. */
export const byChainOrder = (a: DecodedLog, b: DecodedLog) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;

/**
 * A JSON-RPC provider that moves payloads with Node's own fetch and JSON parser: reading hundreds of
 * thousands of logs, ethers' portable byte-by-byte UTF-8 decoding would dominate the audit's time.
 */
export class ChainReader {
  readonly provider: JsonRpcProvider;
  readonly hall: MeetingHall;
  readonly registry: BuildingRegistry;
  readonly rules: LegalRules;
  private readonly timestamps = new Map<number, number>();
  private head: number | undefined;

  constructor(
    readonly rpcUrl: string,
    readonly deployment: Deployment,
    private readonly logChunk = 50_000,
  ) {
    this.provider = new HttpJsonRpcProvider(rpcUrl, deployment.chainId, { staticNetwork: true, batchMaxCount: 50, timeoutMs: 120_000 });
    this.hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, this.provider);
    this.registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, this.provider);
    this.rules = LegalRules__factory.connect(deployment.contracts.LegalRules.address, this.provider);
  }

  /** The address of one of the deployment's contracts. */
  addressOf(contract: ContractName | "forwarder"): string {
    const { contracts } = this.deployment;
    const record = { hall: contracts.MeetingHall, registry: contracts.BuildingRegistry, rules: contracts.LegalRules, forwarder: contracts.Forwarder }[contract];
    return record.address;
  }

  /** Checks the endpoint answers, serves the deployment's chain and has its contracts. */
  async connect(): Promise<void> {
    try {
      await checkDeployedChain(this.provider, this.deployment, { rpcUrl: this.rpcUrl });
    } catch (err) {
      if (err instanceof AppError) throw new UnreachableError(err.message, err);
      throw err;
    }
  }

  close(): void {
    this.provider.destroy();
  }

  async latestBlock(): Promise<number> {
    this.head ??= await this.provider.getBlockNumber();
    return this.head;
  }

  async timestampOf(blockNumber: number): Promise<number> {
    const cached = this.timestamps.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.provider.getBlock(blockNumber);
    if (!block) throw new UnreachableError(`block ${blockNumber} is not available from ${this.rpcUrl}`);
    this.timestamps.set(blockNumber, block.timestamp);
    return block.timestamp;
  }

  /** The last block whose timestamp is at most `timestamp` (the start block - 1 if none). */
  async lastBlockAtOrBefore(timestamp: number): Promise<number> {
    let lo = this.deployment.startBlock;
    let hi = await this.latestBlock();
    if ((await this.timestampOf(lo)) > timestamp) return lo - 1;
    if ((await this.timestampOf(hi)) <= timestamp) return hi;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await this.timestampOf(mid)) <= timestamp) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Fetches many transactions, a few at a time; a transaction the node does not have is null. */
  async transactions(hashes: string[]): Promise<Map<string, TransactionResponse | null>> {
    const out = new Map<string, TransactionResponse | null>();
    const todo = [...new Set(hashes)];
    const CONCURRENCY = 16;
    for (let i = 0; i < todo.length; i += CONCURRENCY) {
      const slice = todo.slice(i, i + CONCURRENCY);
      const fetched = await Promise.all(slice.map((h) => this.provider.getTransaction(h)));
      slice.forEach((h, k) => out.set(h, fetched[k]));
    }
    return out;
  }

  /** All logs of one contract matching `topics`, decoded, in chain order. */
  async logs(contract: ContractName, topics: Array<string | string[] | null>): Promise<DecodedLog[]> {
    const address = this.addressOf(contract);
    const iface = INTERFACES[contract];
    const to = await this.latestBlock();
    const out: DecodedLog[] = [];
    let from = this.deployment.startBlock;
    let chunk = this.logChunk;
    while (from <= to) {
      const end = Math.min(to, from + chunk - 1);
      let raw: Log[];
      try {
        raw = await this.provider.getLogs({ address, topics, fromBlock: from, toBlock: end });
      } catch (err) {
        if (chunk > 100 && /range|limit|too many|exceed/i.test((err as Error).message)) {
          chunk = Math.floor(chunk / 4);
          continue;
        }
        throw new UnreachableError(`reading logs from ${this.rpcUrl} failed: ${(err as Error).message.split("\n")[0]}`, err);
      }
      for (const log of raw) {
        const fragment = EVENTS[contract].get(log.topics[0]);
        if (!fragment) continue;
        out.push({
          name: fragment.name,
          args: iface.decodeEventLog(fragment, log.data, log.topics),
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
          transactionHash: log.transactionHash,
          logIndex: log.index,
          address: log.address,
        });
      }
      from = end + 1;
    }
    return out.sort(byChainOrder);
  }
}

/** Topic of an indexed uint256 argument. */
export const uintTopic = (value: bigint | number) => "0x" + BigInt(value).toString(16).padStart(64, "0");

export const topicOf = (iface: Interface, event: string) => {
  const fragment = iface.getEvent(event);
  if (!fragment) throw new AppError("unknown_event", `no event ${event}`);
  return fragment.topicHash;
};
