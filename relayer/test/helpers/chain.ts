/**
 * A real local chain for the relayer's tests: Hardhat's EDR node in a child process (so a test can
 * kill the relayer independently of it), with the voting core deployed and a building of voters.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import {
  BaseWallet,
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  NonceManager,
  Wallet,
  ZeroAddress,
  id as keccakText,
  type TransactionResponse,
  type TypedDataDomain,
} from "ethers";
import { ballotDigest, ballotDomain } from "#lib/ballot.js";
import { MeetingType, SHARE_UNIT } from "#lib/domain.js";
import { RULES_2024_09_01, questionTypeIndex } from "#lib/legal-rules.js";
import { deployDigitalHome } from "../../../dev/deploy.js";
import { PROJECT_ROOT, writeDeployment, type Deployment } from "#lib/deployment.js";
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";

const MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");

/** Funded account i of the local chain. */
export function devAccount(i: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(MNEMONIC, `m/44'/60'/0'/0/${i}`);
}

export interface ChainProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `scripts/chain.ts` in a child process and waits for its URL. */
export async function startChainProcess(blockTimeMs: number): Promise<ChainProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/chain.ts", "--port", "0", "--block-time", String(blockTimeMs)], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`chain did not start: ${stderr}`)), 60_000);
    lines.on("line", (line) => {
      const m = /^JSON-RPC (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chain exited with ${code}: ${stderr}`));
    });
  });
  return { url, child, stop: () => stopChild(child) };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export interface Fixture {
  url: string;
  provider: JsonRpcProvider;
  deployment: Deployment;
  deploymentFile: string;
  domain: TypedDataDomain;
  voters: Wallet[];
  /** Open meetings (3 questions), voting for three days. */
  meetings: bigint[];
  /** Each meeting's close (votingEnd), the deadline its ballots are signed with. */
  votingEnds: Map<bigint, number>;
  /** A meeting whose voting has not started. */
  notOpenMeeting: bigint;
  tmpDir: string;
  /** Registers more owners (one flat each) in the building. */
  addOwners(addresses: string[]): Promise<void>;
  /** Registers premises (50 m² unless said) with these holdings: joint holdings, shares. */
  addPremises(premises: Array<{ area?: bigint; holdings: Array<{ holders: string[]; share: bigint }> }>): Promise<void>;
  /** Announces a meeting of the building (its snapshot is now) and waits until it is open. */
  announce(): Promise<bigint>;
  /**
   * Records, as the registrar, a power of attorney from each principal to their representative for
   * every meeting of the building over the next month (or for `meetingId` alone); their ids, in order.
   */
  recordPowers(pairs: Array<{ principal: string; representative: string }>, meetingId?: bigint): Promise<bigint[]>;
  /** A ballot of `wallet`'s (or signed by `wallet` for `options.voter`) for a meeting of the fixture, with its close as the deadline. */
  sign(wallet: BaseWallet, meetingId: bigint, choices?: bigint, options?: Omit<BallotOptions, "deadline">): ReturnType<typeof signedBallot>;
  cleanup(): void;
}

/** The question type of the fixture's questions: "other" (a majority of those taking part). */
export const QUESTION_TYPE = questionTypeIndex(RULES_2024_09_01, "other");

export const QUESTIONS = 3;
/** For, Against, Abstain. */
export const CHOICES = 1n | (2n << 2n) | (3n << 4n);

/** The deterministic voter i. */
export function voter(i: number): Wallet {
  return new Wallet(keccakText(`digital-home relayer test voter ${i}`));
}

async function waitAll(txs: TransactionResponse[]): Promise<void> {
  for (const tx of txs) {
    const r = await tx.wait();
    if (!r || r.status !== 1) throw new Error(`setup transaction ${tx.hash} failed`);
  }
}

async function latestTimestamp(provider: JsonRpcProvider): Promise<number> {
  const block = await provider.send("eth_getBlockByNumber", ["latest", false]);
  return Number(BigInt(block.timestamp));
}

/** Deploys the voting core, registers `voterCount` owners of one building and announces meetings. */
export async function deployFixture(url: string, options: { voters: number; meetings: number }): Promise<Fixture> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 100;
  const tmpDir = mkdtempSync(path.join(tmpdir(), "dh-relayer-"));
  try {
    return await setUp(url, options, provider, tmpDir);
  } catch (err) {
    provider.destroy();
    rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
}

async function setUp(url: string, options: { voters: number; meetings: number }, provider: JsonRpcProvider, tmpDir: string): Promise<Fixture> {
  const admin = new NonceManager(devAccount(0).connect(provider));
  const deployment = await deployDigitalHome(admin, {
    network: "relayer-test",
    // one initiator announces every meeting of the fixture
    parameters: { minNotice: 0, minWindow: 60, maxWindow: 30 * 24 * 3600, maxOpenPerInitiator: 1000 },
  });
  const deploymentFile = await writeDeployment(deployment, path.join(tmpDir, "deployment.json"));
  const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, admin);
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, admin);

  await waitAll([await registry.registerBuilding(keccakText("building 1"))]);
  const buildingId = 1n;
  const voters = Array.from({ length: options.voters }, (_, i) => voter(i));
  const txs: TransactionResponse[] = [];
  for (let start = 0; start < voters.length; start += 250) {
    const chunk = voters.slice(start, start + 250).map((w, j) => ({
      area: BigInt(3000 + ((start + j) % 70) * 100),
      kind: 0,
      ref: keccakText(`flat ${start + j}`),
      holdings: [{ holders: [w.address], share: SHARE_UNIT }],
    }));
    txs.push(await registry.addPremises(buildingId, chunk, { gasLimit: 25_000_000 }));
  }
  txs.push(await registry.setOrganiser(buildingId, await admin.getAddress(), 1));
  await waitAll(txs);

  const now = await latestTimestamp(provider);
  const votingStart = now + 3 + Math.ceil(options.meetings / 20);
  const questions = Array.from({ length: QUESTIONS }, (_, q) => ({ textRef: keccakText(`question ${q}`), questionType: QUESTION_TYPE }));
  const announces: TransactionResponse[] = [];
  const votingEnds = new Map<bigint, number>();
  for (let m = 0; m < options.meetings + 1; m++) {
    const start = m === options.meetings ? votingStart + 30 * 24 * 3600 : votingStart;
    votingEnds.set(BigInt(m + 1), start + 3 * 24 * 3600);
    announces.push(
      await hall.announceMeeting(buildingId, MeetingType.Extraordinary, ZeroAddress, start, start + 3 * 24 * 3600, keccakText(`agenda ${m}`), questions, {
        gasLimit: 1_000_000,
      }),
    );
  }
  await waitAll(announces);
  const meetings = Array.from({ length: options.meetings }, (_, m) => BigInt(m + 1));
  while ((await latestTimestamp(provider)) < votingStart) await new Promise((r) => setTimeout(r, 100));

  let flats = options.voters;
  const addPremises = async (premises: Array<{ area?: bigint; holdings: Array<{ holders: string[]; share: bigint }> }>) => {
    const list = premises.map((p) => ({ area: p.area ?? 5000n, kind: 0, ref: keccakText(`flat ${flats++}`), holdings: p.holdings }));
    await waitAll([await registry.addPremises(buildingId, list)]);
  };
  const addOwners = (addresses: string[]) => addPremises(addresses.map((a) => ({ holdings: [{ holders: [a], share: SHARE_UNIT }] })));
  const announce = async () => {
    const start = (await latestTimestamp(provider)) + 2;
    const tx = await hall.announceMeeting(buildingId, MeetingType.Extraordinary, ZeroAddress, start, start + 3 * 24 * 3600, keccakText("agenda"), questions);
    await waitAll([tx]);
    const id = await hall.meetingCount();
    votingEnds.set(id, start + 3 * 24 * 3600);
    while ((await latestTimestamp(provider)) < start) await new Promise((r) => setTimeout(r, 100));
    return id;
  };
  const recordPowers = async (pairs: Array<{ principal: string; representative: string }>, meetingId = 0n) => {
    const from = await latestTimestamp(provider);
    const txs: TransactionResponse[] = [];
    for (const p of pairs) {
      txs.push(
        await hall.recordPowerOfAttorney({
          ...p,
          buildingId,
          meetingId,
          validFrom: from,
          validTo: from + 30 * 24 * 3600,
          documentHash: keccakText(`power of attorney ${p.principal} → ${p.representative}`),
        }),
      );
    }
    await waitAll(txs);
    return Promise.all(pairs.map(async (p) => (await hall.powersOfAttorney(buildingId, p.principal, p.representative)).at(-1)!));
  };
  const domain = ballotDomain(deployment.chainId, deployment.contracts.MeetingHall.address);
  const sign = (wallet: BaseWallet, meetingId: bigint, choices = CHOICES, opts: Omit<BallotOptions, "deadline"> = {}) =>
    signedBallot(domain, wallet, meetingId, choices, { ...opts, deadline: BigInt(votingEnds.get(meetingId) ?? 0) });

  return {
    url,
    provider,
    addOwners,
    addPremises,
    announce,
    recordPowers,
    sign,
    votingEnds,
    deployment,
    deploymentFile,
    domain,
    voters,
    meetings,
    notOpenMeeting: BigInt(options.meetings + 1),
    tmpDir,
    cleanup: () => {
      provider.destroy();
      rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

export interface BallotOptions {
  /** The last timestamp at which it may count (the meeting's close, as custody signs it). */
  deadline: bigint;
  /** Set when the signer signs as this voter's representative. */
  voter?: string;
  /** The representative's power of attorney. */
  powerOfAttorney?: bigint;
}

/** A ballot body as a client posts it, signed by `wallet`: their own, or, with `options.voter`, as that voter's representative. */
export function signedBallot(domain: TypedDataDomain, wallet: BaseWallet, meetingId: bigint, choices: bigint, options: BallotOptions) {
  const voter = options.voter ?? wallet.address;
  const representative = options.voter === undefined ? ZeroAddress : wallet.address;
  const digest = ballotDigest(domain, { meetingId, voter, choices, representative, deadline: options.deadline });
  return {
    id: digest,
    body: {
      meetingId: meetingId.toString(),
      voter,
      choices: choices.toString(),
      deadline: options.deadline.toString(),
      ...(options.voter === undefined ? {} : { representative, powerOfAttorney: (options.powerOfAttorney ?? 0n).toString() }),
      signature: wallet.signingKey.sign(digest).serialized,
    },
  };
}
