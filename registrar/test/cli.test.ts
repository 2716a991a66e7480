/**
 * `npm run register -- import <file>` as a registrar runs it (scripts/register.ts in a child
 * process, configured from the environment): a dry run prints the plan in the registrar's language
 * and changes nothing; a bad file prints each problem at its line and column and applies nothing;
 * usage and configuration mistakes are named. On a chain that mines a block a second, an
 * import killed twice half-way — once while onboarding people, once while adding premises — and run
 * a third time finishes the job with nothing done twice: every premises registered once, every
 * custody account created once, every transaction of the registrar's key in the journal, confirmed.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { id } from "ethers";
import { RegisterStore } from "../src/store.js";
import { generatedBuilding, toCsv } from "./helpers/register-csv.js";
import { runCli, startSystem, until, type CliRun, type TestSystem } from "./helpers/system.js";

describe("npm run register", () => {
  let system: TestSystem;
  const register = generatedBuilding(3, 300);
  let file: string;

  before(async () => {
    system = await startSystem({ blockTimeMs: 1000 });
    file = path.join(system.dir, "building.csv");
    writeFileSync(file, toCsv(register));
  });

  after(async () => {
    await system?.close();
  });

  it("prints the plan of a dry run, in English or Russian, and changes nothing", async () => {
    const en = runCli(system, ["import", file, "--dry-run"]);
    assert.equal(await en.exited, 0, en.stderr());
    assert.match(en.stdout(), new RegExp(`^Building ${register.buildings[0]!.key} — Москва, ул. Тестовая, д. 3 \\(new: it is registered on chain\\)`));
    assert.match(en.stdout(), /new premises: 300 \(residential 270, non-residential 15, parking 15\)/);
    assert.match(en.stdout(), new RegExp(`people to onboard \\(custody account and directory entry\\): ${register.persons.length}`));
    const ru = runCli(system, ["import", file, "--dry-run", "--lang", "ru"]);
    assert.equal(await ru.exited, 0, ru.stderr());
    assert.match(ru.stdout(), /новые помещения: 300 \(жилые 270, нежилые 15, машино-места 15\)/);
    const asJson = runCli(system, ["import", file, "--dry-run", "--json"], { LANG: "ru_RU.UTF-8" });
    assert.equal(await asJson.exited, 0);
    assert.equal(JSON.parse(asJson.stdout()).plan.buildings[0].newPremises.length, 300);
    assert.equal(await system.registrarNonce(), 0);
    assert.equal(system.custodyProxy.count(""), 0);
  });

  it("prints each problem of a bad file at its line and column, exits 3 and applies nothing", async () => {
    const bad = path.join(system.dir, "bad.csv");
    const text = toCsv(register).replace(",1/3,shared,", ",1/4,shared,").replace(",sole,,", ",alone,,");
    writeFileSync(bad, text);
    const run = runCli(system, ["import", bad], { REGISTRAR_LANGUAGE: "ru" });
    assert.equal(await run.exited, 3);
    const lines = text.split("\r\n");
    const alone = lines.findIndex((l) => l.includes(",alone,")) + 1;
    assert.match(run.stderr(), new RegExp(`bad\\.csv: строка ${alone}, столбец \\d+ \\(ownership\\): неизвестный вид собственности «alone»`));
    assert.match(run.stderr(), /сумма долей помещения 7 равна 11\/12/);
    assert.match(run.stderr(), /ничего не применено/);
    assert.equal(await system.registrarNonce(), 0);
    assert.equal(system.custodyProxy.count(""), 0);
  });

  it("names a usage or configuration mistake and exits 2, never showing a secret", async () => {
    for (const args of [[], ["export", file], ["import"], ["import", file, "--lang", "de"], ["import", file, "--unknown"]]) {
      const run = runCli(system, args);
      assert.equal(await run.exited, 2, args.join(" "));
    }
    const missing = runCli(system, ["import", path.join(system.dir, "missing.csv")]);
    assert.equal(await missing.exited, 2);
    assert.match(missing.stderr(), /cannot read .*missing\.csv: ENOENT/);
    const badConfig = runCli(system, ["import", file], { REGISTRAR_KEY: "0x1234", REGISTRAR_API_TOKEN: "short", REGISTRAR_CUSTODY_URL: "ftp://x" });
    assert.equal(await badConfig.exited, 2);
    assert.match(badConfig.stderr(), /REGISTRAR_KEY: expected a private key of 64 hex digits \(the value is not shown\)/);
    assert.match(badConfig.stderr(), /REGISTRAR_API_TOKEN: expected at least 16 characters/);
    assert.match(badConfig.stderr(), /REGISTRAR_CUSTODY_URL: got 'ftp:\/\/x', expected an http\(s\) URL/);
    assert.doesNotMatch(badConfig.stderr(), /short|0x1234/);
  });

  it("finishes an import killed twice half-way, without doing anything twice", async () => {
    const killWhen = async (run: CliRun, what: RegExp, least: number) => {
      await until(`progress ${what}`, () => (run.lines.some((l) => Number(what.exec(l)?.[1] ?? -1) >= least) ? true : undefined));
      run.child.kill("SIGKILL");
      return run.exited;
    };
    // a small gas budget: many batches of premises, each waiting for its block
    const extra = { REGISTRAR_BATCH_GAS: "2500000" };
    const first = runCli(system, ["import", file], extra);
    assert.equal(await killWhen(first, /onboarding people (\d+)\//, Math.floor(register.persons.length / 3)), null);
    const second = runCli(system, ["import", file], extra);
    assert.equal(await killWhen(second, /adding premises (\d+)\//, 90), null);
    const premisesBefore = await system.registry.premisesCount();
    assert.ok(premisesBefore > 0n && premisesBefore < 300n, `${premisesBefore} premises when killed`);
    const third = runCli(system, ["import", file], extra);
    assert.equal(await third.exited, 0, third.stderr());
    assert.match(third.lines.at(-1)!, /^progress 100% done$/);
    assert.match(third.stdout(), /import done: /);

    // every premises once, in the order of the file
    assert.equal(await system.registry.premisesCount(), 300n);
    const registered = await system.registry.queryFilter(system.registry.filters.PremisesRegistered());
    assert.deepEqual(registered.map((e) => e.args.ref), register.buildings[0]!.premises.map((p) => id(p.cadastral)));
    // every account created once, every directory entry written
    assert.equal(system.custodyProxy.count("POST /v1/residents 201"), register.persons.length);
    assert.equal(system.custodyProxy.count("POST /v1/residents 5"), 0);
    assert.ok(system.notifierProxy.count("PUT /v1/residents 2") >= register.persons.length);
    // every transaction the key sent is in the journal and confirmed, the register's hash last
    const store = new RegisterStore(system.env.REGISTRAR_DB_PATH!, system.deployment);
    try {
      const ops = store.db.prepare("SELECT kind, status, nonce FROM chain_ops ORDER BY nonce").all() as Array<{ kind: string; status: string; nonce: number }>;
      const nonce = await system.registrarNonce();
      assert.deepEqual(ops.map((o) => o.nonce), Array.from({ length: nonce }, (_, i) => i));
      assert.ok(ops.every((o) => o.status === "confirmed"), JSON.stringify(ops.filter((o) => o.status !== "confirmed")));
      assert.equal(ops.filter((o) => o.kind === "registerBuilding").length, 1);
      assert.equal(ops.filter((o) => o.kind === "publishRegister").length, 1);
      assert.equal(ops.at(-1)!.kind, "publishRegister");
      const key = register.buildings[0]!.key;
      assert.equal(await system.registry.registerHash(store.building(key)!.buildingId), store.latestVersion(key)!.registerHash);
      assert.equal(store.premisesCount(key), 300);
      // the runs killed are marked as taken over by the one that finished
      const imports = store.db.prepare("SELECT status, error FROM imports ORDER BY created_at").all() as Array<{ status: string; error: string | null }>;
      assert.deepEqual(imports.map((i) => i.status), ["failed", "failed", "done"]);
      assert.ok(imports.slice(0, 2).every((i) => JSON.parse(i.error!).code === "import_interrupted"));
    } finally {
      store.close();
    }

    // and once more: nothing to do
    const nonce = await system.registrarNonce();
    const calls = system.custodyProxy.count("") + system.notifierProxy.count("");
    const again = runCli(system, ["import", file]);
    assert.equal(await again.exited, 0);
    assert.match(again.stdout(), /Nothing to do/);
    assert.equal(await system.registrarNonce(), nonce);
    assert.equal(system.custodyProxy.count("") + system.notifierProxy.count(""), calls);
  });
});
