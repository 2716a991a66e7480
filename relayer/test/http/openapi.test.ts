/**
 * The served OpenAPI document against the app and the zod schemas: it lists every route the app
 * serves and no other; its ballot request schema is the JSON Schema of the schema intake validates
 * with, and allows exactly the bodies that schema allows, for a table of bodies; the ballot answers
 * in every state are ones its response schemas allow.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { ballotAcknowledgementSchema, ballotStatusSchema } from "../../src/http/ballot-status.js";
import { ballotRequestSchema } from "../../src/intake.js";
import { requestAcknowledgementSchema, requestStatusSchema } from "../../src/http/request-status.js";
import { forwardRequestSchema } from "../../src/request-intake.js";
import { request } from "../helpers/http.js";
import { expressRoutes, startTestApi, type TestApi } from "../helpers/api.js";
import { CHOICES, signedBallot, voter } from "../helpers/chain.js";
import { JsonSchemaChecker } from "../helpers/json-schema.js";

let api: TestApi;
let doc: any;
let checker: JsonSchemaChecker;

before(async () => {
  api = await startTestApi();
  const r = await request(`${api.url}/v1/openapi.json`);
  assert.equal(r.status, 200);
  doc = r.body;
  checker = new JsonSchemaChecker(doc);
});
after(() => api?.stop());

/** A zod schema's JSON Schema, as the document must carry it (its `$schema` line aside). */
function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io });
  assert.equal($schema, "https://json-schema.org/draft/2020-12/schema", "the dialect of OpenAPI 3.1");
  return rest;
}

describe("GET /v1/openapi.json", () => {
  it("lists every route the app serves, and only those", async () => {
    assert.equal(doc.openapi, "3.1.0");
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    // The express app serves every route but POST /v1/ballots, which the request listener takes first.
    const served = [...expressRoutes(api.deps), "POST /v1/ballots"].sort();
    assert.deepEqual(documented, served);
    for (const route of documented) {
      const [method, path] = route.split(" ") as [string, string];
      const r = await request(api.url + path.replace("{id}", "0x" + "ab".repeat(32)), { method, body: method === "POST" ? {} : undefined });
      assert.notEqual(r.body?.error?.code, "not_found", `${route} is served`);
    }
  });

  it("carries the JSON Schema of the zod schema intake validates ballots with, as the request body", () => {
    const post = doc.paths["/v1/ballots"].post;
    assert.equal(post.requestBody.required, true);
    const schema = checker.resolve(post.requestBody.content["application/json"].schema.$ref);
    assert.deepEqual(schema, jsonSchema(ballotRequestSchema, "input"));
  });

  it("carries the JSON Schema of the zod schema intake validates forward requests with, and of the request answers", () => {
    const post = doc.paths["/v1/requests"].post;
    assert.deepEqual(checker.resolve(post.requestBody.content["application/json"].schema.$ref), jsonSchema(forwardRequestSchema, "input"));
    assert.deepEqual(checker.resolve(post.responses["202"].content["application/json"].schema.$ref), jsonSchema(requestAcknowledgementSchema, "output"));
    const status = doc.paths["/v1/requests/{id}"].get.responses["200"].content["application/json"].schema;
    assert.deepEqual(checker.resolve(status.$ref), jsonSchema(requestStatusSchema, "output"));
  });

  it("carries the JSON Schemas of the ballot answers the app is typed by", () => {
    const ack = doc.paths["/v1/ballots"].post.responses["202"].content["application/json"].schema;
    assert.deepEqual(checker.resolve(ack.$ref), jsonSchema(ballotAcknowledgementSchema, "output"));
    const status = doc.paths["/v1/ballots/{id}"].get.responses["200"].content["application/json"].schema;
    assert.deepEqual(checker.resolve(status.$ref), jsonSchema(ballotStatusSchema, "output"));
  });

  it("forbids exactly the bodies the schema refuses, for a table of bodies", () => {
    const b = signedBallot(api.domain, voter(1), 1n, CHOICES, { deadline: 2000n }).body;
    const hall = api.domain.verifyingContract as string;
    const bodies: unknown[] = [
      b,
      { ...b, meetingId: 7 },
      { ...b, meetingId: "0x1f" },
      { ...b, meetingId: "9".repeat(78) },
      { ...b, meetingId: "9".repeat(79) },
      { ...b, meetingId: "0x" + "f".repeat(64) },
      { ...b, meetingId: "0x" + "f".repeat(65) },
      { ...b, meetingId: "0x" },
      { ...b, meetingId: "01" },
      { ...b, meetingId: -1 },
      { ...b, meetingId: 1.5 },
      { ...b, meetingId: 2 ** 53 - 1 },
      { ...b, meetingId: 2 ** 53 },
      { ...b, meetingId: null },
      { ...b, choices: "1e3" },
      { ...b, voter: b.voter.toLowerCase() },
      { ...b, voter: "0x1234" },
      { ...b, voter: b.voter.slice(2) },
      { ...b, signature: "0x" },
      { ...b, signature: "0xabc" },
      { ...b, signature: "0x" + "AB".repeat(65) },
      { ...b, extra: true },
      { meetingId: b.meetingId, voter: b.voter, choices: b.choices },
      { meetingId: b.meetingId, voter: b.voter, choices: b.choices, signature: b.signature },
      { ...b, deadline: 1.5 },
      { ...b, representative: voter(2).address, powerOfAttorney: "7" },
      { ...b, representative: "0x12", powerOfAttorney: "7" },
      { ...b, powerOfAttorney: "0x" },
      { ...b, domain: {} },
      { ...b, domain: { name: "Digital Home", version: "1", chainId: "31337", verifyingContract: hall } },
      { ...b, domain: { verifyingContract: hall.toLowerCase() } },
      { ...b, domain: { verifyingContract: "0x1234" } },
      { ...b, domain: { verifyingContract: "not an address" } },
      { ...b, domain: { chainId: -1 } },
      { ...b, domain: { name: 1 } },
      { ...b, domain: { salt: "0x00" } },
      { ...b, domain: null },
      {},
      [],
      [b],
      null,
      "ballot",
      42,
    ];
    const schema = checker.resolve("#/components/schemas/BallotRequest");
    let refused = 0;
    for (const body of bodies) {
      const zodAllows = ballotRequestSchema.safeParse(body).success;
      const problems = checker.check(schema, body);
      assert.equal(problems.length === 0, zodAllows, `${JSON.stringify(body)}: zod ${zodAllows ? "allows" : "refuses"}, the document says ${problems.join("; ") || "allowed"}`);
      if (!zodAllows) refused++;
    }
    assert.ok(refused >= 25 && refused < bodies.length, `${refused} of ${bodies.length} refused: both kinds are in the table`);
  });

  it("answers the status of a ballot in every state as the document says", async () => {
    const schema = checker.resolve(doc.paths["/v1/ballots/{id}"].get.responses["200"].content["application/json"].schema.$ref);
    const voters = [voter(1), voter(2), voter(3), voter(4)];
    for (const v of voters) api.chain.weights.set(v.address, 1000n);
    const ids: string[] = [];
    for (const v of voters) {
      const posted = await request(`${api.url}/v1/ballots`, { body: signedBallot(api.domain, v, 1n, CHOICES, { deadline: 2000n }).body });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      ids.push(posted.body.id);
    }
    const { store } = api;
    // All four sent in one batch; the third confirmed and the fourth rejected; of the first two, one
    // sent again and one back in the queue.
    const batch = store.planBatch(1n, 10)!;
    store.recordSent(batch.batchId, {
      hash: "0x" + "11".repeat(32),
      batchId: batch.batchId,
      sender: voter(9).address,
      nonce: 0,
      raw: "0x02",
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
      gasLimit: 500_000n,
      sentAt: Date.now(),
      broadcast: true,
    });
    store.completeBatch(batch.batchId, {
      confirmed: [{ voter: voters[2]!.address, txHash: "0x" + "22".repeat(32), blockNumber: 120, logIndex: 3, weight: "1000" }],
      rejected: [{ id: ids[3]!, reason: "not_eligible" }],
    });
    const again = store.planBatch(1n, 1)!;
    store.recordSent(again.batchId, { ...store.currentTx(batch.batchId)!, hash: "0x" + "33".repeat(32), batchId: again.batchId, nonce: 1 });

    const seen = new Set<string>();
    for (const id of ids) {
      const r = await request(`${api.url}/v1/ballots/${id}`);
      assert.equal(r.status, 200);
      assert.deepEqual(checker.check(schema, r.body), [], JSON.stringify(r.body));
      seen.add(r.body.status);
    }
    assert.deepEqual([...seen].sort(), ["confirmed", "queued", "rejected", "submitted"]);
    const unknown = await request(`${api.url}/v1/ballots/0x${"66".repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(checker.check(checker.resolve("#/components/schemas/Error"), unknown.body), []);
  });
});
