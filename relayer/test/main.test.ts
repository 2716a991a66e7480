/**
 * `npm run relayer` (scripts/relayer.ts) runs the relayer alone; the custodial wallet joins its
 * process only by the explicit `--with-custody`, each service configured by its own loader from the
 * environment, and custody hands signed ballots to the relayer beside it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { CHOICES, deployFixture, startChainProcess, type ChainProcess, type Fixture } from "./helpers/chain.js";
import { request, waitFor } from "./helpers/http.js";
import { REGISTRAR_TOKEN, custodyEnv, relayerEnv, startProcess } from "./helpers/services.js";

let chain: ChainProcess;
let fx: Fixture;

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 2, meetings: 1 });
});

after(async () => {
  fx?.cleanup();
  await chain?.stop();
});

/** Runs scripts/relayer.ts with `args` until it exits; its exit code and output. */
function runToExit(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/relayer.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

describe("npm run relayer", () => {
  it("runs the relayer alone, with no custody in its process", async () => {
    const proc = await startProcess(relayerEnv(fx, { RELAYER_DB_PATH: path.join(fx.tmpDir, "alone.sqlite") }), "scripts/relayer.ts");
    try {
      assert.equal(proc.custodyUrl, undefined);
      assert.equal((await request(`${proc.relayerUrl}/v1/health`)).status, 200);
    } finally {
      await proc.stop();
    }
    assert.equal(proc.child.exitCode, 0, "SIGTERM stops it cleanly");
  });

  it("with --with-custody also runs custody from custody's own configuration, handing ballots to this relayer", async () => {
    const env = {
      ...relayerEnv(fx, { RELAYER_DB_PATH: path.join(fx.tmpDir, "with-custody.sqlite") }),
      ...custodyEnv(fx, { CUSTODY_DB_PATH: path.join(fx.tmpDir, "with-custody-custody.sqlite") }),
    };
    const proc = await startProcess(env, "scripts/relayer.ts", ["--with-custody"]);
    try {
      const custody = proc.custodyUrl!;
      assert.match(custody, /^http:\/\/127\.0\.0\.1:\d+$/);
      const { address } = (await request(`${custody}/v1/residents`, { body: { residentId: "flat-7" }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } })).body;
      await fx.addOwners([address]);
      const meetingId = await fx.announce();
      const { code } = (await request(`${custody}/v1/auth/code`, { body: { residentId: "flat-7" } })).body;
      const { token } = (await request(`${custody}/v1/auth/token`, { body: { residentId: "flat-7", code } })).body;
      const r = await request(`${custody}/v1/ballots`, { body: { meetingId: meetingId.toString(), choices: CHOICES.toString() }, headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.voter, address);
      await waitFor(async () => (await request(`${proc.relayerUrl}/v1/ballots/${r.body.id}`)).body.status === "confirmed", 60_000, "the ballot confirmed");
    } finally {
      await proc.stop();
    }
    assert.equal(proc.child.exitCode, 0);
  });

  it("reports every configuration problem of both services before starting either (exit 2)", async () => {
    const { code, stderr } = await runToExit(["--with-custody"], { RPC_URL: fx.url, CUSTODY_MASTER_KEY: "short-secret" });
    assert.equal(code, 2);
    for (const name of ["RELAYER_SENDER_KEYS", "CUSTODY_MASTER_KEY", "CUSTODY_REGISTRAR_TOKEN"]) assert.ok(stderr.includes(name), stderr);
    assert.ok(!stderr.includes("short-secret"));
  });

  it("without --with-custody reads no custody setting, and refuses an unknown argument", async () => {
    const alone = await runToExit([], { RPC_URL: fx.url, CUSTODY_MASTER_KEY: "short-secret" });
    assert.equal(alone.code, 2);
    assert.ok(alone.stderr.includes("RELAYER_SENDER_KEYS"), alone.stderr);
    assert.ok(!alone.stderr.includes("CUSTODY_"), alone.stderr);
    const unknown = await runToExit(["--with-custard"], {});
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--with-custard/);
  });
});
