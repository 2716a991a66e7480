/**
 * A real node in this process for the unit tests of the modules whose job is to talk to it (batcher
 * simulation, eligibility, nonces, fees): the embedded chain of dev/chain.ts mining a block per
 * transaction, the voting core deployed, one building whose owners are the given wallets (one flat
 * each, area 3000 + 100 i), and time moved on demand rather than waited for.
 */
import { JsonRpcProvider, NonceManager, Wallet, id as keccakText, type TypedDataDomain } from "ethers";
import { ballotDomain } from "#lib/ballot.js";
import type { Deployment } from "#lib/deployment.js";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import { startLocalChain } from "../../../dev/chain.js";
import { deployDigitalHome } from "../../../dev/deploy.js";
import { createProvider } from "../../src/chain.js";
import { devAccount, voter } from "./chain.js";

export const BUILDING = 1n;

export interface DeployedChain {
  url: string;
  chainId: number;
  /** The relayer's own JSON-RPC transport, as the module under test uses it. */
  provider: JsonRpcProvider;
  /** The registrar's and organiser's connection. */
  admin: NonceManager;
  deployment: Deployment;
  registry: BuildingRegistry;
  hall: MeetingHall;
  domain: TypedDataDomain;
  owners: Wallet[];
  /** The latest block's timestamp. */
  now(): Promise<number>;
  /** Moves the chain's clock on by `seconds` and mines a block. */
  advance(seconds: number): Promise<void>;
  /** Announces a meeting (or a poll) of the building with 3 questions, snapshot now, open from the next block for a day. */
  announce(kind?: "meeting" | "poll"): Promise<bigint>;
  close(): Promise<void>;
}

export async function startDeployedChain(options: { owners: number }): Promise<DeployedChain> {
  const chain = await startLocalChain();
  const direct = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const provider = createProvider(chain.url, 31337);
  const close = async () => {
    provider.destroy();
    direct.destroy();
    await chain.close();
  };
  try {
    const admin = new NonceManager(devAccount(0).connect(direct));
    const deployment = await deployDigitalHome(admin, { network: "unit", parameters: { minNotice: 0, minWindow: 60, maxWindow: 30 * 24 * 3600 } });
    const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, admin);
    const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, admin);
    await (await registry.registerBuilding(keccakText("unit building"))).wait();
    await (await registry.setOrganiser(BUILDING, await admin.getAddress(), 1)).wait();
    const owners = Array.from({ length: options.owners }, (_, i) => voter(1000 + i));
    const unit = await registry.SHARE_UNIT();
    for (let start = 0; start < owners.length; start += 200) {
      const flats = owners.slice(start, start + 200).map((w, j) => ({
        area: BigInt(3000 + (start + j) * 100),
        kind: 0,
        ref: keccakText(`unit flat ${start + j}`),
        owners: [w.address],
        shares: [unit],
      }));
      await (await registry.addPremises(BUILDING, flats, { gasLimit: 15_000_000 })).wait();
    }
    const now = async () => Number(BigInt((await direct.send("eth_getBlockByNumber", ["latest", false])).timestamp));
    const advance = async (seconds: number) => {
      await direct.send("evm_increaseTime", [seconds]);
      await direct.send("evm_mine", []);
    };
    const questions = Array.from({ length: 3 }, (_, q) => ({ textRef: keccakText(`unit question ${q}`), threshold: 0 }));
    const announce = async (kind: "meeting" | "poll" = "meeting") => {
      const snapshot = await now();
      const start = snapshot + 2;
      const tx =
        kind === "meeting"
          ? await hall.announceMeeting(BUILDING, snapshot, start, start + 24 * 3600, keccakText("unit agenda"), questions)
          : await hall.announcePoll(BUILDING, snapshot, start, start + 24 * 3600, keccakText("unit poll"), questions.map((q) => q.textRef));
      await tx.wait();
      await advance(3);
      return hall.meetingCount();
    };
    return {
      url: chain.url,
      chainId: deployment.chainId,
      provider,
      admin,
      deployment,
      registry,
      hall,
      domain: ballotDomain(deployment.chainId, deployment.contracts.MeetingHall.address),
      owners,
      now,
      advance,
      announce,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
