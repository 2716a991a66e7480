/**
 * The registrar's HTTP API against the real system: the registrar's token guards imports,
 * registers and annexes; a register file is sent as text/csv, planned with `?dryRun=true`, refused
 * with its problems (line, column, the reader's language) or imported with its progress to follow;
 * a building's register comes with its hash, the chain's. For a meeting, its administrator — a
 * resident signed in at custody — sees who has not voted yet, and nobody else does; the operator
 * reads the annexes: the owners at the snapshot and the participants with their identity data, as
 * the register stood at the snapshot even after a later sale.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet, ZeroHash, id, keccak256, parseEther, toUtf8Bytes } from "ethers";
import { packChoices } from "#lib/ballot.js";
import { Choice, OrganiserRole } from "#lib/domain.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import { parseAnnex } from "#lib/protocol/annex.js";
import type { RunningRegistrar } from "../src/service.js";
import { generatedBuilding, toCsv, type TestRegister } from "./helpers/register-csv.js";
import { API_TOKEN, CUSTODY_TOKEN, json, residentToken, startSystem, startTestRegistrar, until, type TestSystem } from "./helpers/system.js";

describe("the registrar's API", () => {
  let system: TestSystem;
  let service: RunningRegistrar;
  let register: TestRegister;
  let url: string;
  const csv = () => toCsv(register);
  const post = (body: string, query = "", headers: Record<string, string> = {}) => json(`${url}/v1/imports${query}`, { body, contentType: "text/csv", token: API_TOKEN, headers });

  before(async () => {
    system = await startSystem();
    service = await startTestRegistrar(system);
    url = service.url;
    register = generatedBuilding(2, 40);
  });

  after(async () => {
    await service?.stop();
    await system?.close();
  });

  it("answers its health to anyone and everything else to the registrar's token only", async () => {
    assert.deepEqual((await json(`${url}/v1/health`)).body, { status: "ok" });
    assert.equal((await json(`${url}/v1/buildings`)).status, 401);
    const wrong = await json(`${url}/v1/buildings`, { token: "another-token-of-some-length" });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, "forbidden");
    assert.equal((await json(`${url}/v1/imports`, { body: csv(), contentType: "text/csv" })).status, 401);
    assert.equal((await json(`${url}/v1/meetings/1/annex`)).status, 401);
    assert.equal((await json(`${url}/v1/nothing`, { token: API_TOKEN })).body.error.code, "not_found");
  });

  it("takes a register file as UTF-8 text/csv only", async () => {
    const form = await json(`${url}/v1/imports`, { body: csv(), contentType: "application/x-www-form-urlencoded", token: API_TOKEN });
    assert.deepEqual([form.status, form.body.error.code], [415, "unsupported_media_type"]);
    const latin = await json(`${url}/v1/imports`, { body: csv(), contentType: "text/csv; charset=windows-1251", token: API_TOKEN });
    assert.deepEqual([latin.status, latin.body.error.code], [415, "unsupported_encoding"]);
    const query = await post(csv(), "?dryRun=maybe");
    assert.deepEqual([query.status, query.body.error.code], [400, "invalid_request"]);
  });

  it("refuses a file with problems, naming each at its line and column in the reader's language, and applies nothing", async () => {
    const nonce = await system.registrarNonce();
    const bad = csv().replace(",residential,", ",flat,");
    assert.notEqual(bad, csv());
    const line = bad.split("\r\n").findIndex((l) => l.includes(",flat,")) + 1;
    const ru = await post(bad, "", { "accept-language": "ru-RU,ru;q=0.9" });
    assert.equal(ru.status, 422);
    assert.equal(ru.body.error.code, "invalid_register_file");
    const problem = ru.body.error.details.problems[0];
    assert.equal(problem.code, "unknown_kind");
    assert.equal(problem.line, line);
    assert.equal(problem.field, "kind");
    assert.match(problem.message, new RegExp(`^строка ${line}, столбец ${problem.column} \\(kind\\): неизвестный вид помещения «flat»`));
    assert.match(problem.messages.en, new RegExp(`^line ${line}, column ${problem.column} \\(kind\\): unknown kind 'flat'`));
    assert.equal(ru.body.error.message, problem.message);
    const en = await post(bad, "?dryRun=true", { "accept-language": "en" });
    assert.equal(en.body.error.details.problems[0].message, problem.messages.en);
    assert.equal(await system.registrarNonce(), nonce);
    assert.equal(system.custodyProxy.count(""), 0);
  });

  it("plans a file without changing anything", async () => {
    const dry = await post(csv(), "?dryRun=true");
    assert.equal(dry.status, 200);
    assert.equal(dry.body.dryRun, true);
    assert.equal(dry.body.plan.buildings[0].newPremises.length, 40);
    assert.equal(dry.body.plan.onboard.length, register.persons.length);
    assert.equal(await system.registrarNonce(), 0);
    assert.equal(system.custodyProxy.count(""), 0);
    assert.deepEqual((await json(`${url}/v1/buildings`, { token: API_TOKEN })).body, { buildings: [] });
  });

  it("imports a file, one import at a time, with its progress to follow", async () => {
    const started = await post(csv());
    assert.equal(started.status, 202);
    assert.equal(started.headers.get("location"), `/v1/imports/${started.body.importId}`);
    const second = await post(csv());
    assert.deepEqual([second.status, second.body.error.code, second.body.error.details.importId], [409, "import_in_progress", started.body.importId]);
    const done = await until("the import to finish", async () => {
      const r = await json(`${url}/v1/imports/${started.body.importId}`, { token: API_TOKEN });
      return r.body.status === "running" ? undefined : r.body;
    });
    assert.equal(done.status, "done");
    assert.equal(done.progress.phase, "done");
    assert.equal(done.progress.done, done.progress.total);
    assert.equal(done.progress.phases.premises.done, 40);
    assert.equal(done.progress.phases.onboarding.done, register.persons.length);
    assert.equal((await json(`${url}/v1/imports/00000000-0000-4000-8000-000000000000`, { token: API_TOKEN })).status, 404);
    assert.equal((await json(`${url}/v1/imports/not-an-id`, { token: API_TOKEN })).status, 400);
  });

  it("lists the buildings and serves a building's canonical register with the hash the chain holds", async () => {
    const list = await json(`${url}/v1/buildings`, { token: API_TOKEN });
    assert.equal(list.body.buildings.length, 1);
    const b = list.body.buildings[0];
    assert.deepEqual([b.buildingId, b.cadastralNumber, b.address, b.premises, b.version], ["1", register.buildings[0]!.key, register.buildings[0]!.address, 40, 1]);
    const r = await json(`${url}/v1/buildings/1/register`, { token: API_TOKEN });
    assert.equal(r.status, 200);
    const onChain = await system.registry.registerHash(1n);
    assert.equal(r.body.registerHash, onChain);
    assert.deepEqual(r.body.chain, { registerHash: onChain, matches: true });
    assert.equal(keccak256(toUtf8Bytes(r.body.canonical)), onChain);
    assert.deepEqual(JSON.parse(r.body.canonical), r.body.register);
    assert.equal(r.body.register.premises.length, 40);
    const [event] = await system.registry.queryFilter(system.registry.filters.RegisterPublished(1n));
    assert.equal(event!.transactionHash, r.body.publishedInTransaction);
    assert.equal((await json(`${url}/v1/buildings/2/register`, { token: API_TOKEN })).body.error.code, "unknown_building");
  });

  it("answers a person's account to the platform's services, and nothing else of them", async () => {
    const r = await json(`${url}/v1/persons/b2.p2`, { token: API_TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { personId: "b2.p2", address: service.registrar.store.person("b2.p2")!.address });
    assert.equal((await json(`${url}/v1/persons/b2.p2`)).status, 401);
    assert.equal((await json(`${url}/v1/persons/nobody.here`, { token: API_TOKEN })).status, 404);
    assert.equal((await json(`${url}/v1/persons/${"x".repeat(129)}`, { token: API_TOKEN })).status, 400);
  });

  describe("a meeting's people", () => {
    const initiator = Wallet.createRandom();
    let meetingId: bigint;
    let administrator: string;
    const voters = ["b2.p10", "b2.p3"];

    before(async () => {
      const w = initiator.connect(system.provider);
      await (await system.operator.sendTransaction({ to: w.address, value: parseEther("1") })).wait();
      // the management company's own wallet, granted its role with the registrar's key
      await (await system.registry.connect(system.registrarWallet).setOrganiser(1n, w.address, OrganiserRole.ManagementOrganisation)).wait();
      const stored = service.registrar.store;
      administrator = stored.person("b2.p2")!.address;
      const now = (await system.provider.getBlock("latest"))!.timestamp;
      const type = questionTypeIndex(RULES_VERSIONS.at(-1)!, "other");
      await (await system.hall.connect(w).announceMeeting(1n, 0, administrator, now + 5, now + 3600, id("agenda"), [{ textRef: id("Покрасить подъезд"), questionType: type }])).wait();
      meetingId = await system.hall.meetingCount();
      // two owners vote through the company as their representative, under powers of attorney the registrar recorded
      for (const voter of voters) {
        const principal = stored.person(voter)!.address;
        const receipt = await (
          await system.hall.connect(system.registrarWallet).recordPowerOfAttorney({ principal, representative: w.address, buildingId: 1n, meetingId, validFrom: now, validTo: now + 7200, documentHash: id(`доверенность ${voter}`) })
        ).wait();
        const poa = system.hall.interface.parseLog(receipt!.logs.find((l) => l.address === system.deployment.contracts.MeetingHall.address)!)!.args.id as bigint;
        await system.provider.send("evm_increaseTime", [10]);
        await (await system.hall.connect(w).castBallotFor(meetingId, principal, poa, packChoices([Choice.For]))).wait();
      }
    });

    it("shows the administrator, signed in at custody, who has not voted: names, premises and the weight outstanding", async () => {
      const token = await residentToken(system, "b2.p2");
      const r = await json(`${url}/v1/meetings/${meetingId}/not-voted`, { token });
      assert.equal(r.status, 200);
      const ids = r.body.notVoted.map((p: { personId: string }) => p.personId);
      for (const v of voters) assert.ok(!ids.includes(v), `${v} voted`);
      // the spouse's joint flat was counted with the other spouse's ballot
      assert.ok(!ids.includes("b2.p10s"));
      assert.ok(ids.includes("b2.p2") && ids.includes("b2.p13a"));
      const p2 = r.body.notVoted.find((p: { personId: string }) => p.personId === "b2.p2");
      assert.deepEqual(p2.premises, ["2"]);
      assert.equal(p2.name, register.persons.find((p) => p.id === "b2.p2")!.name);
      // the address custody holds the person's key under: the one a paper decision is entered for
      const onboarded = await fetch(`${system.custody.url}/v1/residents`, { method: "POST", headers: { authorization: `Bearer ${CUSTODY_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ residentId: "b2.p2" }) });
      assert.equal(p2.address, ((await onboarded.json()) as { address: string }).address);
      const view = await system.hall.getMeeting(meetingId);
      const total = await system.registry.totalWeightAt(1n, view.snapshot);
      assert.ok(view.participatingWeight > 0n);
      assert.equal(BigInt(r.body.outstandingWeight), total - view.participatingWeight);
      assert.equal(r.body.totalWeight, total.toString());
      assert.equal(r.body.register.registerHash, await system.registry.registerHash(1n));
    });

    it("refuses anyone else: another owner, a token for custody, no token, an unknown meeting", async () => {
      const other = await json(`${url}/v1/meetings/${meetingId}/not-voted`, { token: await residentToken(system, "b2.p4") });
      assert.deepEqual([other.status, other.body.error.code], [403, "not_meeting_officer"]);
      const custodyToken = (await json(`${system.custody.url}/v1/auth/token`, {
        body: JSON.stringify({ residentId: "b2.p2", code: (await json(`${system.custody.url}/v1/auth/code`, { body: JSON.stringify({ residentId: "b2.p2" }), contentType: "application/json" })).body.code }),
        contentType: "application/json",
      })).body.token;
      assert.equal((await json(`${url}/v1/meetings/${meetingId}/not-voted`, { token: custodyToken })).status, 401);
      assert.equal((await json(`${url}/v1/meetings/${meetingId}/not-voted`)).status, 401);
      assert.equal((await json(`${url}/v1/meetings/${meetingId}/not-voted`, { token: API_TOKEN })).status, 401);
      const unknown = await json(`${url}/v1/meetings/999/not-voted`, { token: await residentToken(system, "b2.p2") });
      assert.deepEqual([unknown.status, unknown.body.error.code], [404, "unknown_meeting"]);
    });

    it("gives the operator the annexes as the keeper reads them: the register of owners at the snapshot and everyone the protocol names, with identity data", async () => {
      const r = await json(`${url}/v1/meetings/${meetingId}/annex`, { token: API_TOKEN });
      assert.equal(r.status, 200);
      // one shape, lib/protocol/annex.ts's, for the registrar that writes it and the keeper that reads it
      assert.deepEqual(parseAnnex(r.body).problems, []);
      assert.deepEqual([r.body.meetingId, r.body.buildingId], [meetingId.toString(), "1"]);
      assert.deepEqual(r.body.building, { address: register.buildings[0]!.address, cadastralNumber: register.buildings[0]!.key });
      const held = register.buildings[0]!.premises.filter((p) => p.owners.length > 0);
      assert.equal(new Set(r.body.owners.map((o: { premisesId: string }) => o.premisesId)).size, held.length);
      assert.equal(r.body.owners.length, held.reduce((n, p) => n + p.owners.length, 0), "a row per holder and premises");
      assert.equal(r.body.registerHash, await system.registry.registerHash(1n));
      assert.equal(keccak256(toUtf8Bytes(r.body.register.canonical)), r.body.registerHash);
      const flat2 = r.body.owners.filter((o: { premisesNumber: string }) => o.premisesNumber === "2");
      assert.equal(flat2.length, 1);
      assert.equal(flat2[0].personId, "b2.p2");
      assert.equal(flat2[0].identity, register.persons.find((p) => p.id === "b2.p2")!.identity);
      assert.equal(flat2[0].fullName, register.persons.find((p) => p.id === "b2.p2")!.name);
      assert.deepEqual([flat2[0].share, flat2[0].ownership, flat2[0].premisesKind], ["1/1", "sole", "Residential"]);
      assert.ok(flat2[0].titleDocument.length > 0);
      // each participant is identified with their identity data: the joint holder who voted and his spouse
      for (const voter of voters) {
        const row = r.body.owners.find((o: { personId: string }) => o.personId === voter);
        assert.equal(row.identity, register.persons.find((p) => p.id === voter)!.identity, voter);
        assert.equal(row.address, service.registrar.store.person(voter)!.address);
      }
      const joint = r.body.owners.filter((o: { premisesNumber: string }) => o.premisesNumber === "10");
      assert.deepEqual(joint.map((o: { personId: string }) => o.personId).sort(), ["b2.p10", "b2.p10s"]);
      assert.ok(joint.every((o: { ownership: string; share: string }) => o.ownership === "joint" && o.share === "1/1"));
      // the administrator is an owner; the representative, a wallet the register does not know, is not named
      assert.ok(r.body.owners.some((o: { address: string }) => o.address === administrator));
      assert.ok(!r.body.persons.some((p: { address: string }) => p.address === initiator.address));
      assert.ok(!r.body.owners.some((o: { address: string }) => o.address === initiator.address));
    });

    it("keeps answering by the register at the snapshot after a later sale", async () => {
      const before = await json(`${url}/v1/meetings/${meetingId}/annex`, { token: API_TOKEN });
      register.persons.push({ id: "b2.buyer", name: "Орлов Глеб Петрович", identity: "паспорт 45 21 000111" });
      register.buildings[0]!.premises.find((p) => p.number === "2")!.owners = [{ person: "b2.buyer", share: "1", ownership: "sole", title: "new-title" }];
      const started = await post(csv());
      assert.equal(started.status, 202);
      await until("the sale's import", async () => ((await json(`${url}/v1/imports/${started.body.importId}`, { token: API_TOKEN })).body.status === "done" ? true : undefined));
      assert.notEqual(await system.registry.registerHash(1n), before.body.registerHash);
      const after = await json(`${url}/v1/meetings/${meetingId}/annex`, { token: API_TOKEN });
      assert.deepEqual(after.body.owners, before.body.owners);
      assert.deepEqual(after.body.persons, before.body.persons);
      assert.equal(after.body.registerHash, before.body.registerHash);
      assert.equal(after.body.register.canonical, before.body.register.canonical);
      assert.notEqual(after.body.registerHash, ZeroHash);
      // the administrator, who has sold, still sees the meeting they administer
      const notVoted = await json(`${url}/v1/meetings/${meetingId}/not-voted`, { token: await residentToken(system, "b2.p2") });
      assert.ok(notVoted.body.notVoted.some((p: { personId: string }) => p.personId === "b2.p2"));
    });

    it("refuses the annexes of a meeting whose snapshot the register does not stand for", async () => {
      // a premises added on chain by hand with the registrar's key, past the register
      await (await system.registry.connect(system.registrarWallet).addPremises(1n, [{ area: 5000n, kind: 0, ref: id("by hand"), holdings: [] }])).wait();
      const now = (await system.provider.getBlock("latest"))!.timestamp;
      const w = initiator.connect(system.provider);
      await (await system.hall.connect(w).announceMeeting(1n, 0, administrator, now + 5, now + 3600, id("agenda 2"), [{ textRef: id("Вопрос"), questionType: questionTypeIndex(RULES_VERSIONS.at(-1)!, "other") }])).wait();
      const r = await json(`${url}/v1/meetings/${await system.hall.meetingCount()}/annex`, { token: API_TOKEN });
      assert.deepEqual([r.status, r.body.error.code], [409, "register_out_of_step"]);
      assert.equal(r.body.error.details.differences[0].address, "total");
      // the first meeting's snapshot came before: its annexes stand
      assert.equal((await json(`${url}/v1/meetings/${meetingId}/annex`, { token: API_TOKEN })).status, 200);
    });
  });
});
