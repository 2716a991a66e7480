/**
 * The real pieces the registrar works with, started for a test: a local chain (dev/chain.ts) with the
 * voting core deployed and a fresh account holding REGISTRAR_ROLE, the custodial wallet and the
 * notifier (each from its own configuration), each behind a pass-through HTTP proxy that counts the
 * calls and answers it forwards (so a test can tell that a re-run onboarded nobody), and the
 * registrar's environment for the service, the CLI and `loadConfig`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { JsonRpcProvider, NonceManager, Wallet, parseEther, type Signer } from "ethers";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import { PROJECT_ROOT, writeDeployment, type Deployment } from "#lib/deployment.js";
import { createLogger } from "#lib/log.js";
import { startLocalChain, type LocalChain } from "../../../dev/chain.js";
import { deployDigitalHome } from "../../../dev/deploy.js";
import { loadConfig as loadCustodyConfig } from "../../../custody/src/config.js";
import { startCustody, type RunningCustody } from "../../../custody/src/service.js";
import { loadConfig as loadNotifierConfig, startNotifier, type RunningNotifier } from "../../../notifier/src/index.js";
import { loadConfig } from "../../src/config.js";
import { startRegistrar, type RunningRegistrar } from "../../src/service.js";

export const API_TOKEN = "registrar-api-token-for-tests";
export const CUSTODY_TOKEN = "custody-registrar-token-for-tests";
export const NOTIFIER_TOKEN = "notifier-registrar-token-for-tests";

export interface CountingProxy {
  url: string;
  /** Answers forwarded, by "METHOD /first/two/segments STATUS". */
  calls: Map<string, number>;
  count(prefix: string): number;
  close(): Promise<void>;
}

/** A pass-through proxy on 127.0.0.1 in front of `target`, counting each answer it forwards. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const calls = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const route = (req.url ?? "").split("?")[0]!.split("/").slice(0, 3).join("/");
      const key = `${req.method} ${route} ${answer.statusCode}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    count: (prefix) => [...calls].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface TestSystem {
  chain: LocalChain;
  provider: JsonRpcProvider;
  deployment: Deployment;
  deploymentFile: string;
  dir: string;
  /** The account of REGISTRAR_ROLE (the registrar's key). */
  registrarWallet: Wallet;
  /** The chain's first account, which deployed and funds. */
  operator: Signer;
  registry: BuildingRegistry;
  hall: MeetingHall;
  custody: RunningCustody;
  notifier: RunningNotifier;
  custodyProxy: CountingProxy;
  notifierProxy: CountingProxy;
  /** The registrar's environment (service, CLI). */
  env: Record<string, string>;
  /** Transactions the registrar's key has sent. */
  registrarNonce(): Promise<number>;
  close(): Promise<void>;
}

export async function startSystem(options: { blockTimeMs?: number } = {}): Promise<TestSystem> {
  const chain = await startLocalChain({ port: 0, blockTimeMs: options.blockTimeMs });
  const provider = new JsonRpcProvider(chain.url, undefined, { pollingInterval: 50, batchMaxCount: 1, cacheTimeout: -1 });
  const operator = new NonceManager(await provider.getSigner(0));
  const registrarWallet = new Wallet(Wallet.createRandom().privateKey, provider);
  await (await operator.sendTransaction({ to: registrarWallet.address, value: parseEther("100") })).wait();
  const deployment = await deployDigitalHome(operator, {
    network: "registrar-test",
    registrar: registrarWallet.address,
    parameters: { minNotice: 0, minWindow: 1, maxWindow: 10_000_000, maxOpenPerInitiator: 3 },
  });
  const dir = mkdtempSync(path.join(tmpdir(), "registrar-test-"));
  const deploymentFile = await writeDeployment(deployment, path.join(dir, "deployment.json"));
  const silent = createLogger("silent");
  const custody = await startCustody(
    loadCustodyConfig({
      RPC_URL: chain.url,
      DEPLOYMENT: deploymentFile,
      LOG_LEVEL: "silent",
      CUSTODY_PORT: "0",
      CUSTODY_DB_PATH: path.join(dir, "custody.sqlite"),
      CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
      CUSTODY_REGISTRAR_TOKEN: CUSTODY_TOKEN,
      CUSTODY_REVEAL_OTP: "true",
      CUSTODY_DEMO_AUDIENCES: "digital-home-notifier,digital-home-registrar",
      CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
      CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "0",
    }),
    { deployment, logger: silent },
  );
  const notifier = await startNotifier(
    loadNotifierConfig({
      NOTIFIER_RPC_URL: chain.url,
      DEPLOYMENT: deploymentFile,
      NOTIFIER_PORT: "0",
      NOTIFIER_DB_PATH: path.join(dir, "notifier.sqlite"),
      NOTIFIER_REGISTRAR_TOKEN: NOTIFIER_TOKEN,
      NOTIFIER_JWKS_URL: `${custody.url}/.well-known/jwks.json`,
      NOTIFIER_POLL_INTERVAL_MS: "200",
      LOG_LEVEL: "silent",
    }),
    { deployment, logger: silent },
  );
  const custodyProxy = await countingProxy(custody.url);
  const notifierProxy = await countingProxy(notifier.url);
  const env = {
    PATH: process.env.PATH ?? "",
    RPC_URL: chain.url,
    DEPLOYMENT: deploymentFile,
    LOG_LEVEL: "silent",
    REGISTRAR_PORT: "0",
    REGISTRAR_DB_PATH: path.join(dir, "registrar.sqlite"),
    REGISTRAR_KEY: registrarWallet.privateKey,
    REGISTRAR_API_TOKEN: API_TOKEN,
    REGISTRAR_CUSTODY_URL: custodyProxy.url,
    REGISTRAR_CUSTODY_TOKEN: CUSTODY_TOKEN,
    REGISTRAR_NOTIFIER_URL: notifierProxy.url,
    REGISTRAR_NOTIFIER_TOKEN: NOTIFIER_TOKEN,
    REGISTRAR_JWKS_URL: `${custody.url}/.well-known/jwks.json`,
    REGISTRAR_RATE_LIMIT_PER_MINUTE: "0",
    REGISTRAR_LANGUAGE: "en",
  };
  return {
    chain,
    provider,
    deployment,
    deploymentFile,
    dir,
    registrarWallet,
    operator,
    registry: BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, operator),
    hall: MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, operator),
    custody,
    notifier,
    custodyProxy,
    notifierProxy,
    env,
    registrarNonce: () => provider.getTransactionCount(registrarWallet.address, "latest"),
    close: async () => {
      await custodyProxy.close();
      await notifierProxy.close();
      await notifier.stop();
      await custody.stop();
      provider.destroy();
      await chain.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The registrar service in this process, on the system's environment. */
export function startTestRegistrar(system: TestSystem, extra: Record<string, string> = {}): Promise<RunningRegistrar> {
  return startRegistrar(loadConfig({ ...system.env, ...extra }), { deployment: system.deployment, logger: createLogger("silent") });
}

export interface CliRun {
  child: ChildProcess;
  /** stderr lines as they come. */
  lines: string[];
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `npm run register -- …` as a child process (scripts/register.ts) with the system's environment. */
export function runCli(system: TestSystem, args: string[], extra: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "scripts/register.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: { ...system.env, ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const lines: string[] = [];
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  createInterface({ input: child.stderr! }).on("line", (line) => lines.push(line));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, lines, stdout: () => out, stderr: () => err, exited };
}

/** Polls `check` until it returns a value (or fails after a generous deadline). */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, deadlineMs = 120_000): Promise<T> {
  const give = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > give) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function json(url: string, init: { method?: string; token?: string; body?: string | Uint8Array; contentType?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.contentType ? { "content-type": init.contentType } : {}),
      ...init.headers,
    },
    body: init.body as BodyInit | undefined,
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text
  }
  return { status: response.status, body, headers: response.headers };
}

/** A resident's token for the registrar from custody's demo sign-in (one-time code revealed on loopback). */
export async function residentToken(system: TestSystem, residentId: string, audience = "digital-home-registrar"): Promise<string> {
  const code = await json(`${system.custody.url}/v1/auth/code`, { body: JSON.stringify({ residentId }), contentType: "application/json" });
  const token = await json(`${system.custody.url}/v1/auth/token`, { body: JSON.stringify({ residentId, code: code.body.code }), contentType: "application/json" });
  const exchanged = await json(`${system.custody.url}/v1/auth/exchange`, { body: JSON.stringify({ audience }), contentType: "application/json", token: token.body.token });
  if (exchanged.status !== 200) throw new Error(`custody issued no token: ${JSON.stringify(exchanged.body)}`);
  return exchanged.body.token as string;
}
