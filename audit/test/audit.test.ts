/**
 * The audit tool run as a user runs it (a child process talking JSON-RPC to a real node), on meetings
 * with random ownership layouts, co-owners, a sale during voting, rejected ballots and a poll.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet, id } from "ethers";
import { DatabaseSync } from "node:sqlite";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { QueryNode } from "../../query-node/src/query-node.js";
import { encodeBigInt } from "../../query-node/src/store/codec.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { PROJECT_ROOT, writeDeployment } from "#lib/deployment.js";
import { ballotDigest, ballotDomain } from "#lib/ballot.js";
import { SHARE_UNIT } from "#lib/domain.js";
import {
  QUESTION_SETS,
  advance,
  announce,
  deployWorld,
  fund,
  random,
  randomChoices,
  registerBuilding,
  relay,
  signBallot,
  type World,
} from "../../dev/scenario.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function audit(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", "audit.ts"), ...args],
      { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("audit tool", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let world: World;
  let dir: string;
  let common: string[];
  const meetings: Record<string, bigint> = {};
  let relayedTx = "";
  let countedBallotId = "";

  before(async function () {
    chain = await startLocalChain({ port: 0 });
    world = await deployWorld(chain.url);
    dir = await mkdtemp(path.join(tmpdir(), "dh-audit-"));
    const deploymentFile = path.join(dir, "scenario.json");
    await writeDeployment(world.deployment, deploymentFile);
    common = ["--rpc", chain.url, "--deployment", deploymentFile];

    const rnd = random(7);
    const questions = QUESTION_SETS.courtyard;
    const a = await registerBuilding(world, 101, 40, 24, 6);
    const b = await registerBuilding(world, 202, 15, 10, 0);

    // meeting 1 in building A: direct and relayed ballots, invalid ones, a sale during voting
    const m1 = await announce(world, a.buildingId, questions);
    meetings.finalized = m1.meetingId;
    await advance(world, 10);
    const direct = a.owners.slice(0, 6);
    await fund(world, direct);
    for (const voter of direct) {
      await (await world.hall.connect(voter).castBallot(m1.meetingId, randomChoices(rnd, questions.length))).wait();
    }
    // a sale after the snapshot: the buyer has no weight in this meeting, the seller keeps theirs
    const buyer = new Wallet(id("buyer"), world.provider);
    await (await world.registry.setOwners(a.premisesIds[3], [buyer.address], [SHARE_UNIT])).wait();
    const signed = [];
    for (const voter of a.owners.slice(6, 20)) signed.push(await signBallot(world, voter, m1.meetingId, randomChoices(rnd, questions.length)));
    signed.push(await signBallot(world, buyer, m1.meetingId, randomChoices(rnd, questions.length))); // not eligible
    signed.push(await signBallot(world, a.residents[0], m1.meetingId, randomChoices(rnd, questions.length))); // a resident: not eligible
    signed.push(await signBallot(world, a.owners[0], m1.meetingId, randomChoices(rnd, questions.length))); // already voted
    const forged = await signBallot(world, a.owners[21], m1.meetingId, randomChoices(rnd, questions.length));
    signed.push({ ...forged, voter: a.owners[22].address }); // bad signature
    const receipts = await relay(world, m1.meetingId, signed, 8);
    relayedTx = receipts[1]!.hash; // six owners counted, the buyer and a resident rejected
    const domain = ballotDomain(world.chainId, world.deployment.contracts.MeetingHall.address);
    countedBallotId = ballotDigest(domain, { meetingId: m1.meetingId, voter: signed[0].voter, choices: signed[0].choices });
    await advance(world, 3600);
    await (await world.hall.finalize(m1.meetingId)).wait();

    // a poll in building A: owners and residents, one vote each
    const poll = await announce(world, a.buildingId, questions.slice(0, 2), { poll: true });
    meetings.poll = poll.meetingId;
    await advance(world, 10);
    const answers = [];
    for (const voter of [...a.owners.slice(0, 5), ...a.residents]) answers.push(await signBallot(world, voter, poll.meetingId, randomChoices(rnd, 2)));
    await relay(world, poll.meetingId, answers, 50);
    await advance(world, 3600);
    await (await world.hall.finalize(poll.meetingId)).wait();

    // a meeting in building B still open
    const m3 = await announce(world, b.buildingId, questions);
    meetings.open = m3.meetingId;
    await advance(world, 10);
    const open = [];
    for (const voter of b.owners.slice(0, 7)) open.push(await signBallot(world, voter, m3.meetingId, randomChoices(rnd, questions.length)));
    await relay(world, m3.meetingId, open, 100);
  });

  after(async function () {
    world?.provider.destroy();
    await chain?.close();
  });

  describe("recount", function () {
    for (const which of ["finalized", "poll", "open"] as const) {
      it(`agrees with the contract on the ${which} meeting and exits 0`, async function () {
        const run = await audit(["recount", String(meetings[which]), "--json", ...common]);
        expect(run.stderr).to.equal("");
        expect(run.code).to.equal(0);
        const report = JSON.parse(run.stdout);
        expect(report.differences).to.deep.equal([]);
        const results = await world.hall.getResults(meetings[which]);
        const view = await world.hall.getMeeting(meetings[which]);
        expect(report.questions.map((q: { forWeight: string }) => q.forWeight)).to.deep.equal(results.map((r) => r.forWeight.toString()));
        expect(report.questions.map((q: { againstWeight: string }) => q.againstWeight)).to.deep.equal(results.map((r) => r.againstWeight.toString()));
        expect(report.participatingWeight).to.equal(view.participatingWeight.toString());
        expect(report.ballots.length).to.equal(Number(view.ballots));
      });
    }

    it("names the rejected ballots and their reasons", async function () {
      const run = await audit(["recount", String(meetings.finalized), "--json", ...common]);
      const reasons = JSON.parse(run.stdout).rejected.map((r: { reason: string }) => r.reason).sort();
      expect(reasons).to.deep.equal(["AlreadyVoted", "BadSignature", "NotEligible", "NotEligible"]);
    });

    it("checks every relayed signature and every direct sender", async function () {
      const report = JSON.parse((await audit(["recount", String(meetings.finalized), "--json", ...common])).stdout);
      const via = report.ballots.map((b: { via: string; signatureValid: boolean }) => `${b.via}:${b.signatureValid}`);
      expect(via.filter((v: string) => v === "direct:true")).to.have.length(6);
      expect(via.filter((v: string) => v === "relayed:true")).to.have.length(14);
    });

    it("recounts every meeting with --all and prints a summary", async function () {
      const run = await audit(["recount", "--all", ...common]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(/3 meetings, \d+ ballots recounted in [\d.]+ s: 3 agree, 0 differ/);
      expect(run.stderr).to.contain("3/3");
    });

    it("detects a published result that differs, naming the field, and exits 1", async function () {
      const out = path.join(dir, "published");
      expect((await audit(["protocol", String(meetings.finalized), "--out", out, ...common])).code).to.equal(0);
      const file = path.join(out, `protocol-${meetings.finalized}.json`);
      const published = JSON.parse(await readFile(file, "utf8"));
      published.questions[1].forWeight = (BigInt(published.questions[1].forWeight) + 1n).toString();
      await writeFile(file, JSON.stringify(published));
      const run = await audit(["recount", String(meetings.finalized), "--expect", file, ...common]);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain("published result, question 2: forWeight expected");
    });
  });

  describe("recount against the subgraph", function () {
    let node: QueryNode;
    let endpoint: string;
    let dbFile: string;

    before(async function () {
      dbFile = path.join(dir, "subgraph.sqlite");
      const { contracts } = world.deployment;
      node = await QueryNode.open({
        buildDir: path.join(PROJECT_ROOT, "subgraph", "build"),
        databaseFile: dbFile,
        name: "digital-home",
        rpcUrl: chain.url,
        pollIntervalMs: 50,
        overrides: {
          BuildingRegistry: { address: contracts.BuildingRegistry.address, startBlock: contracts.BuildingRegistry.deploymentBlock },
          MeetingHall: { address: contracts.MeetingHall.address, startBlock: contracts.MeetingHall.deploymentBlock },
        },
      });
      const server = await node.start();
      endpoint = `${server.url}/subgraphs/name/digital-home`;
      const head = await world.provider.getBlockNumber();
      for (let i = 0; ; i++) {
        const response = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ _meta { block { number } } }" }) });
        const body = (await response.json()) as { data?: { _meta: { block: { number: number } } } };
        if (body.data?._meta.block.number === head) break;
        if (i > 600) throw new Error("the query node did not reach the chain head");
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    after(async function () {
      await node?.close();
    });

    it("agrees with the subgraph on every meeting", async function () {
      const run = await audit(["recount", "--all", "--graphql", endpoint, ...common]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain("3 agree, 0 differ");
    });

    it("detects a tampered row in the subgraph's store, naming the ballot and the field", async function () {
      const report = JSON.parse((await audit(["recount", String(meetings.finalized), "--json", ...common])).stdout);
      const target = report.ballots[3];
      const db = new DatabaseSync(dbFile);
      try {
        const rows = db
          .prepare(`SELECT vid FROM ballot WHERE "voter" = ? AND "meeting" = ?`)
          .all(Buffer.from(target.voter.slice(2), "hex"), String(meetings.finalized)) as Array<{ vid: number }>;
        expect(rows).to.have.length(1);
        db.prepare(`UPDATE ballot SET "weight" = ? WHERE vid = ?`).run(encodeBigInt(BigInt(target.weight) + 1n), rows[0].vid);
      } finally {
        db.close();
      }
      const run = await audit(["recount", String(meetings.finalized), "--graphql", endpoint, ...common]);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain(`subgraph, ballot of ${target.voter} (tx ${target.transactionHash}, log ${target.logIndex}): weight expected ${target.weight}, found ${BigInt(target.weight) + 1n}`);
    });

    it("reports an unreachable GraphQL endpoint with exit 4", async function () {
      const run = await audit(["recount", String(meetings.poll), "--graphql", "http://127.0.0.1:9/subgraphs/name/x", ...common]);
      expect(run.code).to.equal(4);
      expect(run.stderr).to.contain("GraphQL endpoint");
    });
  });

  describe("protocol", function () {
    it("writes PDF, JSON and CSV whose figures match the recount; the PDF renders Cyrillic", async function () {
      const out = path.join(dir, "protocol");
      const texts = path.join(dir, "texts.json");
      await writeFile(texts, JSON.stringify(QUESTION_SETS.courtyard.map((q) => q.text)));
      const run = await audit(["protocol", String(meetings.finalized), "--out", out, "--texts", texts, ...common]);
      expect(run.code).to.equal(0);
      const recount = JSON.parse((await audit(["recount", String(meetings.finalized), "--json", ...common])).stdout);
      const doc = JSON.parse(await readFile(path.join(out, `protocol-${meetings.finalized}.json`), "utf8"));
      expect(doc.questions.map((q: { forWeight: string }) => q.forWeight)).to.deep.equal(recount.questions.map((q: { forWeight: string }) => q.forWeight));
      expect(doc.totalWeight).to.equal(recount.totalWeight);
      expect(doc.questions[0].text).to.equal(QUESTION_SETS.courtyard[0].text);

      const csv = (await readFile(path.join(out, `protocol-${meetings.finalized}-questions.csv`), "utf8")).trim().split("\n");
      expect(csv).to.have.length(1 + QUESTION_SETS.courtyard.length);
      const header = csv[0].split(",");
      const q1 = csv[1].split(",");
      expect(q1[header.indexOf("forWeight")]).to.equal(recount.questions[0].forWeight);
      expect(q1[header.indexOf("passed")]).to.equal(String(recount.questions[0].passed));
      const ballotsCsv = (await readFile(path.join(out, `protocol-${meetings.finalized}-ballots.csv`), "utf8")).trim().split("\n");
      expect(ballotsCsv).to.have.length(1 + recount.ballots.length);

      const pdf = await getDocument({ data: new Uint8Array(await readFile(path.join(out, `protocol-${meetings.finalized}.pdf`))) }).promise;
      let text = "";
      for (let p = 1; p <= pdf.numPages; p++) {
        const content = await (await pdf.getPage(p)).getTextContent();
        text += content.items.map((i) => ("str" in i ? i.str : "")).join(" ") + "\n";
      }
      expect(text).to.contain("ПРОТОКОЛ общего собрания собственников");
      expect(text).to.contain(QUESTION_SETS.courtyard[0].text);
      for (const q of doc.questions) expect(text).to.contain(q.forSquareMetres);
      expect(text).to.contain(doc.totalSquareMetres);
      expect(text).to.contain(recount.ballots[0].voter);
    });
  });

  describe("verify", function () {
    it("shows every ballot of a relayed transaction, counted and rejected", async function () {
      const run = await audit(["verify", relayedTx, ...common]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain("✓ counted in meeting");
      expect(run.stdout).to.contain("EIP-712 signature by the voter: valid");
      expect(run.stdout).to.match(/✗ rejected: .* reason (NotEligible|AlreadyVoted|BadSignature)/);
    });

    it("finds a ballot by its id and shows voter, weight, choices and block", async function () {
      const run = await audit(["verify", countedBallotId, "--json", ...common]);
      expect(run.code).to.equal(0);
      const v = JSON.parse(run.stdout);
      expect(v.kind).to.equal("ballotId");
      expect(v.ballots[0].status).to.equal("counted");
      expect(v.ballots[0].ballot.ballotId).to.equal(countedBallotId);
      expect(v.ballots[0].weightMatchesRegister).to.equal(true);
      expect(v.ballots[0].ballot.signatureValid).to.equal(true);
    });
  });

  describe("events", function () {
    it("prints the meeting's decoded events as JSON lines", async function () {
      const run = await audit(["events", String(meetings.poll), ...common]);
      expect(run.code).to.equal(0);
      const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines[0].event).to.equal("MeetingAnnounced");
      expect(lines[0].args.kind).to.equal("1");
      expect(lines.filter((l) => l.event === "BallotCast")).to.have.length(11);
      expect(lines.at(-1).event).to.equal("MeetingFinalized");
    });
  });

  describe("built package", function () {
    it("runs as plain JavaScript from the built package (npx digital-home-audit)", async function () {
      await new Promise<void>((resolve, reject) =>
        execFile("npx", ["tsx", "scripts/build-audit.ts"], { cwd: PROJECT_ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())),
      );
      const run = await new Promise<Run>((resolve) =>
        execFile(process.execPath, [path.join(PROJECT_ROOT, "dist", "audit", "src", "main.js"), "recount", String(meetings.poll), ...common], (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain("the recount agrees with every source compared");
    });
  });

  describe("bad arguments", function () {
    it("refuses a malformed meeting id with exit 2", async function () {
      const run = await audit(["recount", "abc", ...common]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain("meeting id 'abc': expected a whole number");
    });

    it("refuses a malformed ballot id with exit 2", async function () {
      const run = await audit(["verify", "0x1234", ...common]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain("expected a ballot id or transaction hash");
    });

    it("reports an unknown meeting with exit 3", async function () {
      const run = await audit(["recount", "99", ...common]);
      expect(run.code).to.equal(3);
      expect(run.stderr).to.contain("meeting 99 was never announced");
    });

    it("reports a ballot id that is nowhere with exit 3", async function () {
      const run = await audit(["verify", id("nothing"), ...common]);
      expect(run.code).to.equal(3);
    });

    it("reports an unreachable endpoint with exit 4", async function () {
      const run = await audit(["recount", "1", "--rpc", "http://127.0.0.1:9", "--deployment", common[3]]);
      expect(run.code).to.equal(4);
      expect(run.stderr).to.contain("unreachable");
    });

    it("refuses an unknown command and a missing deployment record with exit 2", async function () {
      expect((await audit(["recount-everything"])).code).to.equal(2);
      const run = await audit(["recount", "1", "--deployment", path.join(dir, "none.json")]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain("cannot be read");
    });
  });
});
