/**
 * A voting chain for custody's tests: the embedded chain of dev/chain.ts in this process (a block per
 * transaction, time moved on demand), the voting core deployed, and one building whose owners the
 * tests register (custody's residents among them) and whose meetings they announce. Custody reads it
 * before it signs anything.
 */
import { JsonRpcProvider, NonceManager, ZeroAddress, id as keccakText } from "ethers";
import { MeetingType, SHARE_UNIT } from "#lib/domain.js";
import { writeDeployment, type Deployment } from "#lib/deployment.js";
import { RULES_2024_09_01, questionTypeIndex } from "#lib/legal-rules.js";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import { startLocalChain } from "../../dev/chain.js";
import { deployDigitalHome } from "../../dev/deploy.js";
import { devAccount } from "../../relayer/test/helpers/chain.js";

export const BUILDING = 1n;
const OTHER = questionTypeIndex(RULES_2024_09_01, "other");

export interface VotingChain {
  url: string;
  provider: JsonRpcProvider;
  deployment: Deployment;
  /** The deployer: registrar of the register and organiser of the building. */
  admin: NonceManager;
  registry: BuildingRegistry;
  hall: MeetingHall;
  /** Registers a flat (50 m²) for each owner. */
  addOwners(owners: string[]): Promise<void>;
  /** Announces a meeting of `questions` questions, open from the next block for `window` seconds; its id and close. */
  announce(options?: { questions?: number; window?: number }): Promise<{ meetingId: bigint; votingEnd: number }>;
  now(): Promise<number>;
  /** Moves the chain's clock on and mines a block. */
  advance(seconds: number): Promise<void>;
  /** Writes the deployment record to `file` (for a custody started from its configuration). */
  writeRecord(file: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startVotingChain(): Promise<VotingChain> {
  const chain = await startLocalChain();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const stop = async () => {
    provider.destroy();
    await chain.close();
  };
  try {
    const admin = new NonceManager(devAccount(0).connect(provider));
    const deployment = await deployDigitalHome(admin, {
      network: "custody-test",
      parameters: { minNotice: 0, minWindow: 60, maxWindow: 30 * 24 * 3600, maxOpenPerInitiator: 100 },
    });
    const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, admin);
    const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, admin);
    await (await registry.registerBuilding(keccakText("custody test building"))).wait();
    await (await registry.setOrganiser(BUILDING, await admin.getAddress(), 1)).wait();
    const now = async () => Number(BigInt((await provider.send("eth_getBlockByNumber", ["latest", false])).timestamp));
    const advance = async (seconds: number) => {
      await provider.send("evm_increaseTime", [seconds]);
      await provider.send("evm_mine", []);
    };
    let flats = 0;
    return {
      url: chain.url,
      provider,
      deployment,
      admin,
      registry,
      hall,
      addOwners: async (owners) => {
        const premises = owners.map((o) => ({ area: 5000n, kind: 0, ref: keccakText(`custody flat ${flats++}`), holdings: [{ holders: [o], share: SHARE_UNIT }] }));
        await (await registry.addPremises(BUILDING, premises)).wait();
      },
      announce: async (options = {}) => {
        const start = (await now()) + 2;
        const votingEnd = start + (options.window ?? 24 * 3600);
        const questions = Array.from({ length: options.questions ?? 3 }, (_, q) => ({ textRef: keccakText(`custody question ${q}`), questionType: OTHER }));
        await (await hall.announceMeeting(BUILDING, MeetingType.Extraordinary, ZeroAddress, start, votingEnd, keccakText("custody agenda"), questions)).wait();
        await advance(2);
        return { meetingId: await hall.meetingCount(), votingEnd };
      },
      now,
      advance,
      writeRecord: (file) => writeDeployment(deployment, file),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
