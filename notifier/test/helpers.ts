/**
 * Real pieces for the notifier's tests: a local chain with the voting core, an SMTP server that
 * parses what it receives (the notifier's own mail capture), an HTTP endpoint standing in for the SMS
 * gateway, an identity provider's JWKS, and the notifier itself in-process or as a child process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import type { Wallet } from "ethers";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { PROJECT_ROOT, writeDeployment } from "#lib/deployment.js";
import { deployWorld, type World } from "../../dev/scenario.js";
import { loadConfig, type NotifierConfig } from "../src/config.js";
import { createLogger } from "#lib/log.js";
import { startNotifier, type RunningNotifier, type StartOptions } from "../src/service.js";

export const REGISTRAR_TOKEN = "registrar-token-for-tests-0123456789";
export const ISSUER = "test-idp";
export const AUDIENCE = "digital-home";

/** Polls `check` until it returns a value other than undefined (or fails after a generous deadline, so a bug cannot hang the suite). */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const give = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > give) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TestWorld {
  chain: LocalChain;
  world: World;
  dir: string;
  deploymentFile: string;
  close(): Promise<void>;
}

export async function startWorld(): Promise<TestWorld> {
  const chain = await startLocalChain({ port: 0 });
  const world = await deployWorld(chain.url);
  const dir = mkdtempSync(path.join(tmpdir(), "notifier-test-"));
  const deploymentFile = await writeDeployment(world.deployment, path.join(dir, "deployment.json"));
  return {
    chain,
    world,
    dir,
    deploymentFile,
    close: async () => {
      world.provider.destroy();
      await chain.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function writeTexts(dir: string, texts: string[]): string {
  const file = path.join(dir, "texts.json");
  writeFileSync(file, JSON.stringify(texts));
  return file;
}

export interface SmsGateway {
  url: string;
  port: number;
  /** Accepted requests. */
  received: Array<{ to: string; text: string; reference: string; idempotencyKey: string }>;
  /** Requests answered 500. */
  refused: number;
  /** Answer 500 to the next `n` requests. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startSmsGateway(): Promise<SmsGateway> {
  let failures = 0;
  const gateway: SmsGateway = {
    url: "",
    port: 0,
    received: [],
    refused: 0,
    failNext: (n) => void (failures = n),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (failures > 0) {
        failures--;
        gateway.refused++;
        res.statusCode = 500;
        res.end(JSON.stringify({ error: "gateway overloaded" }));
        return;
      }
      const json = JSON.parse(body) as { to: string; text: string; reference: string };
      gateway.received.push({ ...json, idempotencyKey: String(req.headers["idempotency-key"]) });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: `sms-${gateway.received.length}`, status: "queued" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  gateway.port = (server.address() as AddressInfo).port;
  gateway.url = `http://127.0.0.1:${gateway.port}/send`;
  return gateway;
}

export interface IdentityProvider {
  jwksUrl: string;
  /** A token for the resident, with the tests' audience unless another is given. */
  token(residentId: string, options?: { audience?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const keys = await generateKeyPair("ES256");
  const jwks = { keys: [{ ...(await exportJWK(keys.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" }] };
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    token: (sub, options = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
        .setSubject(sub)
        .setIssuer(ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(keys.privateKey),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port that was free a moment ago (for a server that starts later). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function notifierEnv(t: TestWorld, extra: Record<string, string | undefined>): Record<string, string | undefined> {
  return {
    NOTIFIER_RPC_URL: t.chain.url,
    DEPLOYMENT: t.deploymentFile,
    NOTIFIER_PORT: "0",
    NOTIFIER_DB_PATH: path.join(t.dir, "notifier.sqlite"),
    NOTIFIER_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
    NOTIFIER_JWT_ISSUER: ISSUER,
    NOTIFIER_JWT_AUDIENCE: AUDIENCE,
    NOTIFIER_POLL_INTERVAL_MS: "50",
    NOTIFIER_RETRY_BASE_MS: "50",
    NOTIFIER_RETRY_MAX_MS: "400",
    NOTIFIER_TIME_ZONE: "Europe/Moscow",
    NOTIFIER_VOTE_URL: "http://127.0.0.1:8080/",
    LOG_LEVEL: "silent",
    ...extra,
  };
}

export async function startInProcess(
  t: TestWorld,
  extra: Record<string, string | undefined>,
  prepare?: StartOptions["prepare"],
): Promise<{ notifier: RunningNotifier; config: NotifierConfig }> {
  const config = loadConfig(notifierEnv(t, extra));
  const notifier = await startNotifier(config, { deployment: t.world.deployment, logger: createLogger("silent"), prepare });
  return { notifier, config };
}

export interface NotifierProcess {
  child: ChildProcess;
  url: Promise<string>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `notifier/src/main.ts` in a child process; its URL is read from the start-up log line. */
export function startChild(env: Record<string, string | undefined>): NotifierProcess {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "notifier/src/main.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /"msg":"notifier started","service":"notifier","url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`notifier exited with ${code}: ${stderr}`)));
  });
  url.catch(() => undefined);
  return {
    child,
    url,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Registers a resident's contacts through the registrar API. */
export async function register(
  url: string,
  residentId: string,
  body: { address: string; language?: "ru" | "en"; email?: string | null; phone?: string | null; optOut?: Record<string, boolean> },
): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/v1/residents/${residentId}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${REGISTRAR_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

export async function get(url: string, token?: string): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, json: await response.json() };
}

/** Owners now: alone, as co-owners or as joint owners. */
export async function owningWallets(world: World, buildingId: bigint, wallets: Wallet[]): Promise<Wallet[]> {
  const now = (await world.provider.getBlock("latest"))!.timestamp;
  const flags = await Promise.all(wallets.map((w) => world.registry.isOwnerAt(buildingId, w.address, now)));
  return wallets.filter((_, i) => flags[i]);
}

export const count = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
};
