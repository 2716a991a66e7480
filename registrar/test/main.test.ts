/**
 * `npm run registrar` as a process (registrar/src/main.ts): it prints its ready line, serves, and
 * stops on SIGTERM with exit 0; a bad configuration exits 2 naming it, a key without REGISTRAR_ROLE
 * exits 1. Killed with SIGKILL in the middle of an import sent to its API, it goes on with that
 * import when it starts again, and the import finishes with every premises registered once.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { generatedBuilding, toCsv } from "./helpers/register-csv.js";
import { API_TOKEN, json, startSystem, until, type TestSystem } from "./helpers/system.js";

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "registrar/src/main.ts"], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const ready = new Promise<string | undefined>((resolve) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      stdout += line + "\n";
      if (line.includes('"msg":"ready"')) resolve((JSON.parse(line) as { registrarUrl: string }).registrarUrl);
    });
    void exited.then(() => resolve(undefined));
  });
  return { child, ready, exited, stderr: () => stderr, stdout: () => stdout };
}

describe("npm run registrar", () => {
  let system: TestSystem;

  before(async () => {
    system = await startSystem({ blockTimeMs: 1000 });
  });

  after(async () => {
    await system?.close();
  });

  it("prints its ready line, serves, and stops on SIGTERM with exit 0", async () => {
    const p = startProcess(system.env);
    const url = await p.ready;
    assert.ok(url, p.stderr());
    assert.deepEqual((await json(`${url}/v1/health`)).body, { status: "ok" });
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
  });

  it("exits 2 on a bad configuration, naming it, and 1 with a key that does not hold REGISTRAR_ROLE", async () => {
    const bad = startProcess({ ...system.env, REGISTRAR_PORT: "http" });
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr(), /registrar: invalid configuration:\n {2}REGISTRAR_PORT: got 'http', expected a whole number 0–65535/);
    const stranger = startProcess({ ...system.env, REGISTRAR_KEY: Wallet.createRandom().privateKey, LOG_LEVEL: "error" });
    assert.equal(await stranger.exited, 1);
    assert.match(stranger.stdout(), /"code":"not_registrar"/);
  });

  it("goes on with an import it was killed in the middle of, once started again", async () => {
    const register = generatedBuilding(5, 200);
    const env = { ...system.env, REGISTRAR_BATCH_GAS: "2500000" };
    const first = startProcess(env);
    const url = (await first.ready)!;
    const started = await json(`${url}/v1/imports`, { body: toCsv(register), contentType: "text/csv", token: API_TOKEN });
    assert.equal(started.status, 202);
    await until("some premises added", async () => {
      const r = await json(`${url}/v1/imports/${started.body.importId}`, { token: API_TOKEN });
      return (r.body.progress?.phases?.premises?.done ?? 0) >= 40 ? true : undefined;
    });
    first.child.kill("SIGKILL");
    await first.exited;
    const added = await system.registry.premisesCount();
    assert.ok(added < 200n, `${added} premises when killed`);

    const second = startProcess(env);
    const url2 = (await second.ready)!;
    const done = await until("the import resumed to finish", async () => {
      const r = await json(`${url2}/v1/imports/${started.body.importId}`, { token: API_TOKEN });
      return r.body.status === "running" ? undefined : r.body;
    });
    assert.equal(done.status, "done", JSON.stringify(done.error));
    assert.equal(await system.registry.premisesCount(), 200n);
    assert.equal(system.custodyProxy.count("POST /v1/residents 201"), register.persons.length);
    const building = (await json(`${url2}/v1/buildings/1/register`, { token: API_TOKEN })).body;
    assert.equal(building.chain.matches, true);
    assert.equal(building.register.premises.length, 200);
    second.child.kill("SIGTERM");
    assert.equal(await second.exited, 0);
  });
});
