/**
 * Custody as its own service: `npm run custody` (custody/src/main.ts) starts it alone from its own
 * configuration, prints one ready line and stops on SIGTERM; a bad configuration stops it before
 * anything starts; and with RPC_URL set it signs for a deployment record only after the node has
 * confirmed the record's chain and contracts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { writeDeployment, type Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { deployDigitalHome } from "../../dev/deploy.js";
import { devAccount, startChainProcess, type ChainProcess } from "../../relayer/test/helpers/chain.js";
import { loadConfig } from "../src/config.js";
import { startCustody } from "../src/service.js";
import { REGISTRAR_TOKEN, request, spawnCustody } from "./helpers.js";

let dir: string;
let chain: ChainProcess;
let provider: JsonRpcProvider;
let deployment: Deployment;
let deploymentFile: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "dh-custody-main-"));
  chain = await startChainProcess(0);
  provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  deployment = await deployDigitalHome(new NonceManager(devAccount(0).connect(provider)), { network: "custody-test" });
  deploymentFile = await writeDeployment(deployment, path.join(dir, "deployment.json"));
});

after(async () => {
  provider?.destroy();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = (overrides: Record<string, string> = {}) => ({
  DEPLOYMENT: deploymentFile,
  LOG_LEVEL: "silent",
  CUSTODY_PORT: "0",
  CUSTODY_DB_PATH: path.join(dir, `custody-${randomBytes(4).toString("hex")}.sqlite`),
  CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
  CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
  ...overrides,
});

describe("npm run custody", () => {
  it("runs custody alone from its own configuration, prints one ready line, and stops on SIGTERM", async () => {
    const proc = spawnCustody(env({ RPC_URL: chain.url }));
    const started = await proc.ready;
    assert.ok("ready" in started, JSON.stringify(started));
    const url = started.ready.custodyUrl as string;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(Object.keys(started.ready).sort(), ["custodyUrl", "msg"], "no relayer in this process");
    assert.equal((await request(`${url}/v1/health`)).status, 200);
    const onboarded = await request(`${url}/v1/residents`, { body: { residentId: "flat-1" }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } });
    assert.equal(onboarded.status, 201, JSON.stringify(onboarded.body));
    const forwarded = await request(`${url}/v1/ballots`, { body: { meetingId: 1, choices: 1 }, headers: { authorization: "Bearer x" } });
    assert.deepEqual([forwarded.status, forwarded.body.error.code], [501, "no_relayer"], "alone, custody has no relayer to hand ballots to");
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);
  });

  it("refuses a bad configuration with exit 2, naming every variable and no secret", async () => {
    const proc = spawnCustody({ DEPLOYMENT: deploymentFile, CUSTODY_MASTER_KEY: "not-a-key-secret", CUSTODY_PORT: "eighty", CUSTODY_AUTH_MODE: "jwt" });
    const ended = await proc.ready;
    assert.ok("exit" in ended);
    assert.equal(ended.exit, 2);
    for (const name of ["CUSTODY_MASTER_KEY", "CUSTODY_REGISTRAR_TOKEN", "CUSTODY_PORT", "CUSTODY_JWKS_URL"]) assert.ok(ended.stderr.includes(name), ended.stderr);
    assert.ok(!ended.stderr.includes("not-a-key-secret"));
  });

  it("does not start against a node that serves another chain (exit 1)", async () => {
    const other = await writeDeployment({ ...deployment, chainId: 1337 }, path.join(dir, "other-chain.json"));
    const proc = spawnCustody(env({ RPC_URL: chain.url, DEPLOYMENT: other, LOG_LEVEL: "error" }));
    const ended = await proc.ready;
    assert.ok("exit" in ended, "it never reported ready");
    assert.equal(ended.exit, 1);
  });
});

describe("custody's start-up check of the chain", () => {
  it("signs for the record's MeetingHall once the node has confirmed it", async () => {
    const custody = await startCustody(loadConfig(env({ RPC_URL: chain.url })), { logger: createLogger("silent") });
    try {
      assert.equal(custody.domain.verifyingContract, deployment.contracts.MeetingHall.address);
      assert.equal(BigInt(custody.domain.chainId!), BigInt(deployment.chainId));
    } finally {
      await custody.stop();
    }
  });

  it("refuses a record whose contracts the node does not have, or of another chain", async () => {
    const nowhere = Wallet.createRandom().address;
    const cases: Array<[Deployment, string]> = [
      [{ ...deployment, contracts: { ...deployment.contracts, MeetingHall: { ...deployment.contracts.MeetingHall, address: nowhere } } }, "no_contract"],
      [{ ...deployment, chainId: 1337 }, "wrong_chain"],
    ];
    for (const [record, code] of cases) {
      let failure: unknown;
      await startCustody(loadConfig(env({ RPC_URL: chain.url })), { deployment: record, logger: createLogger("silent") }).then(
        (c) => c.stop(),
        (err) => (failure = err),
      );
      assert.ok(failure instanceof AppError, String(failure));
      assert.equal(failure.code, code);
    }
  });

  it("needs no node when RPC_URL is not set: the record alone gives the domain", async () => {
    const custody = await startCustody(loadConfig(env()), { logger: createLogger("silent") });
    try {
      assert.equal(custody.domain.verifyingContract, deployment.contracts.MeetingHall.address);
    } finally {
      await custody.stop();
    }
  });
});
