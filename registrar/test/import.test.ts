/**
 * Importing a building's register into the real system: a local chain with the voting core, the
 * custodial wallet and the notifier, each behind a proxy that counts what reaches it. A
 * 300-premises building goes on chain with its owners' weights, joint and shared holdings,
 * residents and organiser, and its register's hash; running the same file again sends nothing and
 * onboards nobody; a sale is planned as a sale and moves the weights on chain; a resident gone is
 * deregistered; a file that would change what the chain cannot is refused at the premises' line.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SHARE_UNIT } from "#lib/domain.js";
import { canonicalJson, registerHash } from "../src/canonical.js";
import type { Importer } from "../src/importer.js";
import { jointGroupOf } from "../src/meetings.js";
import { RegisterFileError } from "../src/problems.js";
import { openRegistrar, type Registrar } from "../src/service.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "#lib/log.js";
import { cents, generatedBuilding, toCsv, type TestRegister } from "./helpers/register-csv.js";
import { NOTIFIER_TOKEN, json, startSystem, type TestSystem } from "./helpers/system.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("importing a building's register", () => {
  let system: TestSystem;
  let registrar: Registrar;
  let importer: Importer;
  let register: TestRegister;
  const building = () => register.buildings[0]!;
  const addressOf = (personId: string) => registrar.store.person(personId)!.address;
  const buildingId = () => registrar.store.building(building().key)!.buildingId;

  before(async () => {
    system = await startSystem();
    registrar = await openRegistrar(loadConfig(system.env), { deployment: system.deployment, logger: createLogger("silent") });
    importer = registrar.importer;
    register = generatedBuilding(1, 300);
  });

  after(async () => {
    await registrar?.close();
    await system?.close();
  });

  it("imports a 300-premises building: premises, owners' weights, residents, organiser and the register's hash on chain", async () => {
    const started = importer.start(bytes(toCsv(register)), "test");
    assert.equal(started.plan.buildings[0]!.buildingId, null);
    assert.equal(started.plan.buildings[0]!.newPremises.length, 300);
    assert.equal(started.plan.onboard.length, register.persons.length);
    const outcome = await started.done;
    assert.deepEqual(outcome, { importId: started.importId, status: "done" });

    const id = buildingId();
    assert.equal(await system.registry.buildingCount(), 1n);
    assert.equal(await system.registry.premisesCount(), 300n);
    const totalArea = building().premises.reduce((n, p) => n + cents(p.area), 0n);
    assert.equal(await system.registry.totalWeight(id), totalArea * SHARE_UNIT);
    // every premises on chain as the file says: area, kind, holders' addresses and shares
    const stored = registrar.store.premisesOf(building().key);
    for (const p of building().premises.filter((_, i) => i % 37 === 0)) {
      const [onChainBuilding, area, kind, holdings] = await system.registry.premises(stored.get(p.number)!.premisesId);
      assert.equal(onChainBuilding, id);
      assert.equal(area, cents(p.area));
      assert.equal(Number(kind), ["residential", "non-residential", "parking"].indexOf(p.kind));
      assert.equal(holdings.length, p.owners.filter((o) => o.ownership !== "joint").length + new Set(p.owners.filter((o) => o.ownership === "joint").map((o) => o.group)).size);
    }
    // an owner of a flat and parking spaces: all their areas are their weight
    const parking = building().premises.find((p) => p.kind === "parking")!;
    const owner = parking.owners[0]!.person;
    const theirs = building().premises.filter((p) => p.owners.length === 1 && p.owners[0]!.person === owner);
    assert.ok(theirs.length >= 3 && theirs.some((p) => p.kind === "residential"));
    assert.equal(await system.registry.weightOf(id, addressOf(owner)), theirs.reduce((n, p) => n + cents(p.area), 0n) * SHARE_UNIT);
    const owner1 = building().premises[0]!.owners[0]!.person;
    // residents and the management company
    assert.equal(await system.registry.isResident(id, addressOf("b1.tenant")), true);
    assert.equal(await system.registry.isResident(id, addressOf(owner1)), true);
    assert.equal(await system.registry.organiserRole(id, addressOf("b1.uk")), 1n);
    // the register's hash on chain is the keccak256 of the canonical register the store holds
    const version = registrar.store.latestVersion(building().key)!;
    assert.equal(await system.registry.registerHash(id), version.registerHash);
    assert.equal(registerHash(canonicalJson(JSON.parse(version.canonical))), version.registerHash);
    // everyone has a custody account and a directory entry with their contacts
    assert.equal(system.custodyProxy.count("POST /v1/residents 201"), register.persons.length);
    assert.equal(system.notifierProxy.count("PUT /v1/residents 201"), register.persons.length);
    const anna = register.persons.find((p) => p.email && p.phone)!;
    const entry = await json(`${system.notifier.url}/v1/residents/${anna.id}`, { token: NOTIFIER_TOKEN });
    assert.equal(entry.body.resident.address, addressOf(anna.id));
    assert.equal(entry.body.resident.email, anna.email);
    assert.equal(entry.body.resident.phone, anna.phone);
  });

  it("keeps spouses' joint holding on their joint group and heirs' shares on each of them", async () => {
    const id = buildingId();
    const stored = registrar.store.premisesOf(building().key);
    // flat 10: spouses jointly; their group holds the whole area, neither holds any of it alone
    const flat10 = building().premises.find((p) => p.number === "10")!;
    const spouses = flat10.owners.map((o) => addressOf(o.person));
    const group = jointGroupOf(id, spouses);
    assert.equal(group, await system.registry.jointGroupOf(id, spouses));
    assert.equal(await system.registry.weightAt(id, group, (await system.provider.getBlock("latest"))!.timestamp), cents(flat10.area) * SHARE_UNIT);
    for (const a of spouses) assert.equal(await system.registry.weightOf(id, a), 0n);
    const [, , , holdings] = await system.registry.premises(stored.get("10")!.premisesId);
    assert.equal(holdings.length, 1);
    assert.deepEqual([...holdings[0]!.holders].map(String).sort(), [...spouses].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).sort());
    // flat 7: three heirs, a third each
    const flat7 = building().premises.find((p) => p.number === "7")!;
    assert.equal(flat7.owners.length, 3);
    for (const o of flat7.owners) assert.equal(await system.registry.weightOf(id, addressOf(o.person)), (cents(flat7.area) * SHARE_UNIT) / 3n);
    // flat 13: half one owner's, half a couple's jointly
    const flat13 = building().premises.find((p) => p.number === "13")!;
    const [single, a, b] = flat13.owners.map((o) => addressOf(o.person));
    assert.equal(await system.registry.weightOf(id, single!), (cents(flat13.area) * SHARE_UNIT) / 2n);
    assert.equal(await system.registry.weightOf(id, jointGroupOf(id, [a!, b!])), (cents(flat13.area) * SHARE_UNIT) / 2n);
  });

  it("changes nothing when the same file is imported again: no transaction, no onboarding, no directory entry", async () => {
    const nonce = await system.registrarNonce();
    const calls = { custody: system.custodyProxy.count("POST"), notifier: system.notifierProxy.count("PUT") };
    const versions = registrar.store.latestVersion(building().key)!.version;
    const dry = importer.dryRun(bytes(toCsv(register)));
    assert.equal(dry.plan.empty, true);
    const started = importer.start(bytes(toCsv(register, { lineEnd: "\n" })), "test");
    assert.equal(started.plan.empty, true);
    assert.equal((await started.done).status, "done");
    assert.equal(await system.registrarNonce(), nonce);
    assert.equal(system.custodyProxy.count("POST"), calls.custody);
    assert.equal(system.notifierProxy.count("PUT"), calls.notifier);
    assert.equal(registrar.store.latestVersion(building().key)!.version, versions);
    assert.equal(registrar.store.opsOf(started.importId).length, 0);
  });

  it("plans a sale as a sale, onboards the buyer, and moves the weight on chain", async () => {
    const id = buildingId();
    const flat = building().premises.find((p) => p.number === "2")!;
    const seller = flat.owners[0]!.person;
    const sellerWeight = await system.registry.weightOf(id, addressOf(seller));
    register.persons.push({ id: "b1.buyer", name: "Новикова Дарья Ильинична", identity: "паспорт 45 20 777888, СНИЛС 190-123-456 78", email: "darya@example.org", language: "ru" });
    flat.owners = [{ person: "b1.buyer", share: "1", ownership: "sole", title: "77:01:0004001:10002-77/011/2025-1" }];
    // the city's tenant moves out
    building().residents = building().residents.filter((r) => r.person !== "b1.tenant");

    const { plan } = importer.dryRun(bytes(toCsv(register)));
    const b = plan.buildings[0]!;
    assert.deepEqual(
      b.sales.map((s) => ({ premises: s.premises, from: s.from.map((h) => h.personId), to: s.to.map((h) => h.personId) })),
      [{ premises: "2", from: [seller], to: ["b1.buyer"] }],
    );
    assert.deepEqual(plan.onboard.map((p) => p.personId), ["b1.buyer"]);
    assert.deepEqual(b.residentsGone.map((r) => r.personId), ["b1.tenant"]);
    assert.deepEqual(b.newPremises, []);
    assert.equal(b.registerChanged, true);

    const nonce = await system.registrarNonce();
    const created = system.custodyProxy.count("POST /v1/residents 201");
    const started = importer.start(bytes(toCsv(register)), "test");
    assert.equal((await started.done).status, "done");
    // one setOwners, one setResidents, one publishRegister
    assert.equal(await system.registrarNonce(), nonce + 3);
    assert.deepEqual(registrar.store.opsOf(started.importId).map((o) => o.kind), ["setOwners", "setResidents", "publishRegister"]);
    assert.equal(system.custodyProxy.count("POST /v1/residents 201"), created + 1);
    const area = cents(flat.area) * SHARE_UNIT;
    assert.equal(await system.registry.weightOf(id, addressOf(seller)), sellerWeight - area);
    assert.equal(await system.registry.weightOf(id, addressOf("b1.buyer")), area);
    assert.equal(await system.registry.isResident(id, addressOf("b1.tenant")), false);
    assert.equal(await system.registry.registerHash(id), registrar.store.latestVersion(building().key)!.registerHash);
    // the seller is still in the register's history, the buyer in the new version
    const latest = JSON.parse(registrar.store.latestVersion(building().key)!.canonical);
    assert.deepEqual(latest.premises.find((p: { number: string }) => p.number === "2").holdings[0].holders, ["b1.buyer"]);
  });

  it("publishes a new register, and sends nothing else, when only personal data changes", async () => {
    const nonce = await system.registrarNonce();
    register.persons.find((p) => p.id === "b1.buyer")!.name = "Новикова-Орлова Дарья Ильинична";
    const started = importer.start(bytes(toCsv(register)), "test");
    assert.deepEqual(started.plan.buildings[0]!.sales, []);
    assert.equal(started.plan.buildings[0]!.registerChanged, true);
    assert.equal((await started.done).status, "done");
    assert.deepEqual(registrar.store.opsOf(started.importId).map((o) => o.kind), ["publishRegister"]);
    assert.equal(await system.registrarNonce(), nonce + 1);
    assert.equal(registrar.store.person("b1.buyer")!.name, "Новикова-Орлова Дарья Ильинична");
  });

  it("refuses a file that changes a registered premises' area or leaves one out, at the premises' line", async () => {
    const nonce = await system.registrarNonce();
    const changed = structuredClone(register);
    changed.buildings[0]!.premises[3]!.area = "99.99";
    const text = toCsv(changed);
    const line = text.split("\r\n").findIndex((l) => l.startsWith("premises,") && l.includes(",99.99,")) + 1;
    assert.throws(
      () => importer.start(bytes(text), "test"),
      (err: unknown) => err instanceof RegisterFileError && err.problems.some((p) => p.code === "premises_changed" && p.line === line && p.field === "area" && p.params.registered !== "99.99"),
    );
    const missing = structuredClone(register);
    const dropped = missing.buildings[0]!.premises.pop()!;
    assert.throws(
      () => importer.dryRun(bytes(toCsv(missing))),
      (err: unknown) => err instanceof RegisterFileError && err.problems.some((p) => p.code === "premises_missing" && p.params.premises === dropped.number),
    );
    assert.equal(await system.registrarNonce(), nonce);
  });
});
