/**
 * A real node in this process for the unit tests of the modules whose job is to talk to it (batcher
 * simulation, eligibility, nonces, fees): the embedded chain of dev/chain.ts mining a block per
 * transaction, the voting core deployed, one building whose owners are the given wallets (one flat
 * each, area 3000 + 100 i), and time moved on demand rather than waited for.
 */
import { JsonRpcProvider, NonceManager, Wallet, ZeroAddress, id as keccakText, type BaseWallet, type TypedDataDomain } from "ethers";
import { ballotDomain } from "#lib/ballot.js";
import { MeetingType, SHARE_UNIT } from "#lib/domain.js";
import type { Deployment } from "#lib/deployment.js";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import { startLocalChain } from "../../../dev/chain.js";
import { deployDigitalHome } from "../../../dev/deploy.js";
import { createProvider } from "../../src/chain.js";
import { CHOICES, QUESTION_TYPE, devAccount, signedBallot, voter, type BallotOptions } from "./chain.js";

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
  /** Announces a meeting (or a poll) of the building with 3 questions (its snapshot is now), open from the next block for a day. */
  announce(kind?: "meeting" | "poll"): Promise<bigint>;
  /** A ballot of `wallet`'s for a meeting announced here, signed with its close as the deadline. */
  sign(wallet: BaseWallet, meetingId: bigint, choices?: bigint, options?: Omit<BallotOptions, "deadline">): ReturnType<typeof signedBallot>;
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
    const deployment = await deployDigitalHome(admin, { network: "unit", parameters: { minNotice: 0, minWindow: 60, maxWindow: 30 * 24 * 3600, maxOpenPerInitiator: 100 } });
    const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, admin);
    const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, admin);
    await (await registry.registerBuilding(keccakText("unit building"))).wait();
    await (await registry.setOrganiser(BUILDING, await admin.getAddress(), 1)).wait();
    const owners = Array.from({ length: options.owners }, (_, i) => voter(1000 + i));
    for (let start = 0; start < owners.length; start += 200) {
      const flats = owners.slice(start, start + 200).map((w, j) => ({
        area: BigInt(3000 + (start + j) * 100),
        kind: 0,
        ref: keccakText(`unit flat ${start + j}`),
        holdings: [{ holders: [w.address], share: SHARE_UNIT }],
      }));
      await (await registry.addPremises(BUILDING, flats, { gasLimit: 15_000_000 })).wait();
    }
    const now = async () => Number(BigInt((await direct.send("eth_getBlockByNumber", ["latest", false])).timestamp));
    const advance = async (seconds: number) => {
      await direct.send("evm_increaseTime", [seconds]);
      await direct.send("evm_mine", []);
    };
    const questions = Array.from({ length: 3 }, (_, q) => ({ textRef: keccakText(`unit question ${q}`), questionType: QUESTION_TYPE }));
    const votingEnds = new Map<bigint, number>();
    const announce = async (kind: "meeting" | "poll" = "meeting") => {
      const start = (await now()) + 2;
      const tx =
        kind === "meeting"
          ? await hall.announceMeeting(BUILDING, MeetingType.Extraordinary, ZeroAddress, start, start + 24 * 3600, keccakText("unit agenda"), questions)
          : await hall.announcePoll(BUILDING, start, start + 24 * 3600, keccakText("unit poll"), questions.map((q) => q.textRef));
      await tx.wait();
      await advance(3);
      const id = await hall.meetingCount();
      votingEnds.set(id, start + 24 * 3600);
      return id;
    };
    const domain = ballotDomain(deployment.chainId, deployment.contracts.MeetingHall.address);
    const sign = (wallet: BaseWallet, meetingId: bigint, choices = CHOICES, options: Omit<BallotOptions, "deadline"> = {}) =>
      signedBallot(domain, wallet, meetingId, choices, { ...options, deadline: BigInt(votingEnds.get(meetingId) ?? 2 ** 40) });
    return {
      url: chain.url,
      chainId: deployment.chainId,
      provider,
      admin,
      deployment,
      registry,
      hall,
      domain,
      owners,
      now,
      advance,
      announce,
      sign,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
