/**
 * `POST /v1/ballots`, its one implementation, for a table of bodies: plain, compressed, in another
 * charset, malformed, oversized, each schema error and each refusal of intake. Every answer has its
 * status, code, X-Request-Id, Location or Retry-After where they belong, a JSON body that the
 * OpenAPI document allows, and a refusal queues nothing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import zlib from "node:zlib";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { ballotDomain } from "#lib/ballot.js";
import { relayerOpenApi } from "../../src/http/openapi.js";
import { CHOICES, signedBallot, voter } from "../helpers/chain.js";
import { CLIENT_TOKEN, METRICS_TOKEN, rawRequest, startTestApi, type RawAnswer, type TestApi } from "../helpers/api.js";
import { CHAIN_ID, HALL, openMeeting } from "../helpers/intake.js";
import { JsonSchemaChecker } from "../helpers/json-schema.js";

const domain = ballotDomain(CHAIN_ID, HALL);
const checker = new JsonSchemaChecker(relayerOpenApi);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const voters = Array.from({ length: 20 }, (_, i) => voter(100 + i));
/** Meeting 1 of the scripted chain closes at 2000: the deadline its ballots are signed with. */
const DEADLINE = { deadline: 2000n };
const ballotOf = (i: number, meetingId = 1n, choices = CHOICES) => signedBallot(domain, voters[i]!, meetingId, choices, DEADLINE);
const text = (value: unknown) => Buffer.from(JSON.stringify(value));
const json = { "content-type": "application/json" };

interface Case {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string | number>;
  body?: Buffer;
  /** Sent without ending the request, as a client still writing. */
  partial?: boolean;
  status: number;
  /** The refusal's code; absent for an accepted ballot. */
  code?: string;
  /** The accepted ballot: its id, and whether the relayer already held it. */
  accepted?: { id: string; duplicate: boolean };
  /** The X-Request-Id the answer must carry (else a new one). */
  requestId?: string;
  /** The connection is closed after the answer rather than the body read. */
  close?: boolean;
}

function cases(): Case[] {
  const a = ballotOf(0);
  const b = a.body;
  const accept = (name: string, i: number, init: Pick<Case, "headers" | "path"> & { body: (ballot: ReturnType<typeof ballotOf>) => Buffer }): Case => {
    const ballot = ballotOf(i);
    return { name, path: init.path, headers: init.headers ?? json, body: init.body(ballot), status: 202, accepted: { id: ballot.id, duplicate: false } };
  };
  const bomb = zlib.gzipSync(`{"meetingId":"${"1".repeat(20_000)}"}`);
  assert.ok(bomb.length < 4096, "a small gzip body that unpacks past the limit");
  const table: Case[] = [
    { name: "a valid ballot", headers: json, body: text(b), status: 202, accepted: { id: a.id, duplicate: false } },
    { name: "the same ballot again", headers: json, body: text(b), status: 202, accepted: { id: a.id, duplicate: true } },
    { name: "a duplicate with the client's request id", headers: { ...json, "x-request-id": "client-req.1_A" }, body: text(b), status: 202, accepted: { id: a.id, duplicate: true }, requestId: "client-req.1_A" },
    { name: "a request id that is not a plain token is replaced", headers: { ...json, "x-request-id": "not a token!" }, body: text(b), status: 202, accepted: { id: a.id, duplicate: true } },
    accept("Content-Type text/plain", 1, { headers: { "content-type": "text/plain" }, body: (x) => text(x.body) }),
    accept("no Content-Type", 2, { headers: {}, body: (x) => text(x.body) }),
    accept("gzip", 3, { headers: { ...json, "content-encoding": "gzip" }, body: (x) => zlib.gzipSync(text(x.body)) }),
    accept("deflate", 4, { headers: { ...json, "content-encoding": "deflate" }, body: (x) => zlib.deflateSync(text(x.body)) }),
    accept("br", 5, { headers: { ...json, "content-encoding": "BR" }, body: (x) => zlib.brotliCompressSync(text(x.body)) }),
    accept("charset utf-16le", 6, { headers: { "content-type": "application/json; charset=utf-16le" }, body: (x) => Buffer.from(JSON.stringify(x.body), "utf16le") }),
    accept("UTF-8 with a byte-order mark", 7, { headers: { "content-type": 'application/json; charset="UTF-8"' }, body: (x) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(x.body)]) }),
    accept("Content-Encoding identity, body with whitespace", 8, { headers: { ...json, "content-encoding": "identity" }, body: (x) => Buffer.from(` \n\t${JSON.stringify(x.body, null, 2)}\r\n`) }),
    accept("a query string", 9, { path: "/v1/ballots?source=table", body: (x) => text(x.body) }),
    accept("a trailing slash", 10, { path: "/v1/ballots/", body: (x) => text(x.body) }),
    { name: "an empty object", headers: json, body: text({}), status: 400, code: "invalid_request" },
    { name: "an empty body", headers: json, body: Buffer.alloc(0), status: 400, code: "invalid_request" },
    { name: "an empty object, gzipped", headers: { ...json, "content-encoding": "gzip" }, body: zlib.gzipSync("{}"), status: 400, code: "invalid_request" },
    { name: "an array", headers: json, body: text([b]), status: 400, code: "invalid_request" },
    { name: "an unknown field", headers: json, body: text({ ...b, extra: 1 }), status: 400, code: "invalid_request" },
    { name: "a wrong type", headers: json, body: text({ ...b, meetingId: true }), status: 400, code: "invalid_request" },
    { name: "a short address", headers: json, body: text({ ...b, voter: "0x1234" }), status: 400, code: "invalid_request" },
    { name: "a missing signature", headers: json, body: text({ ...b, signature: undefined }), status: 400, code: "invalid_request" },
    { name: "a domain with an unknown field", headers: json, body: text({ ...b, domain: { salt: "0x00" } }), status: 400, code: "invalid_request" },
    { name: "JSON null", headers: json, body: Buffer.from("null"), status: 400, code: "malformed_json" },
    { name: "a JSON string", headers: json, body: Buffer.from('"ballot"'), status: 400, code: "malformed_json" },
    { name: "malformed JSON", headers: json, body: Buffer.from('{"meetingId": 1,'), status: 400, code: "malformed_json" },
    { name: "a value too large", headers: json, body: text({ ...b, choices: "0x" + "f".repeat(40) }), status: 400, code: "value_too_large" },
    { name: "another domain", headers: json, body: text({ ...b, domain: { chainId: 1 } }), status: 400, code: "wrong_domain" },
    { name: "another voter's signature", headers: json, body: text({ ...b, signature: ballotOf(11).body.signature }), status: 400, code: "bad_signature" },
    { name: "a voter without weight", headers: json, body: text(signedBallot(domain, Wallet.createRandom(), 1n, CHOICES, DEADLINE).body), status: 403, code: "not_eligible" },
    { name: "a meeting not open", headers: json, body: text(ballotOf(12, 2n).body), status: 409, code: "meeting_not_open" },
    { name: "a second ballot of a voter", headers: json, body: text(ballotOf(0, 1n, 3n | (3n << 2n) | (3n << 4n)).body), status: 409, code: "already_queued" },
    { name: "a body over the limit", headers: json, body: text({ ...b, signature: "0x" + "ab".repeat(3000) }), status: 413, code: "payload_too_large", close: true },
    { name: "a chunked body over the limit", headers: { ...json, "transfer-encoding": "chunked" }, body: text({ ...b, signature: "0x" + "ab".repeat(3000) }), status: 413, code: "payload_too_large", close: true },
    { name: "a huge Content-Length", headers: { ...json, "content-length": 1_000_000_000 }, body: text(b), partial: true, status: 413, code: "payload_too_large", close: true },
    { name: "gzip that unpacks past the limit", headers: { ...json, "content-encoding": "gzip" }, body: bomb, status: 413, code: "payload_too_large", close: true },
    { name: "gzip larger than the limit", headers: { ...json, "content-encoding": "gzip", "transfer-encoding": "chunked" }, body: zlib.gzipSync(randomBytes(6000)), status: 413, code: "payload_too_large", close: true },
    { name: "a body that is not gzip", headers: { ...json, "content-encoding": "gzip" }, body: text(b), status: 400, code: "bad_request" },
    { name: "truncated gzip", headers: { ...json, "content-encoding": "gzip" }, body: zlib.gzipSync(text(b)).subarray(0, 40), status: 400, code: "bad_request" },
    { name: "an unknown Content-Encoding", headers: { ...json, "content-encoding": "compress" }, body: text(b), status: 415, code: "unsupported_encoding" },
    { name: "two Content-Encodings", headers: { ...json, "content-encoding": "gzip, br" }, body: zlib.brotliCompressSync(zlib.gzipSync(text(b))), status: 415, code: "unsupported_encoding" },
    { name: "charset latin1", headers: { "content-type": "application/json; charset=latin1" }, body: Buffer.from(JSON.stringify(b), "latin1"), status: 415, code: "unsupported_encoding" },
    { name: "charset utf-32", headers: { "content-type": "application/json; charset=utf-32" }, body: text(b), status: 415, code: "unsupported_encoding" },
    { name: "another method", method: "PUT", headers: json, body: text(b), status: 404, code: "not_found" },
  ];
  if (typeof zlib.zstdCompressSync === "function") {
    table.push(accept("zstd", 13, { headers: { ...json, "content-encoding": "zstd" }, body: (x) => zlib.zstdCompressSync(text(x.body)) }));
  }
  return table;
}

/** Status, headers and a body the document allows; the refusal's code or the acknowledgement's id. */
function assertAnswer(c: Case, r: RawAnswer): void {
  const what = `${c.name}: ${r.status} ${r.text.slice(0, 200)}`;
  assert.equal(r.status, c.status, what);
  assert.equal(r.headers["content-type"], "application/json; charset=utf-8", what);
  assert.equal(Number(r.headers["content-length"]), Buffer.byteLength(r.text), what);
  if (c.requestId) assert.equal(r.headers["x-request-id"], c.requestId, what);
  else assert.match(String(r.headers["x-request-id"]), UUID, what);
  assert.equal(r.headers.connection === "close", c.close === true, `${what}: Connection ${r.headers.connection}`);
  if (c.accepted) {
    assert.equal(r.body.id, c.accepted.id, what);
    assert.equal(r.body.duplicate, c.accepted.duplicate, what);
    assert.equal(r.body.status, "queued", what);
    assert.equal(r.headers.location, `/v1/ballots/${c.accepted.id}`, what);
    assert.deepEqual(checker.check(checker.resolve("#/components/schemas/BallotAcknowledgement"), r.body), [], what);
  } else {
    assert.equal(r.body.error.code, c.code, what);
    assert.equal(typeof r.body.error.message, "string", what);
    assert.equal(r.headers.location, undefined, what);
    assert.deepEqual(checker.check(checker.resolve("#/components/schemas/Error"), r.body), [], what);
  }
  assert.equal(r.headers["retry-after"], undefined, what);
}

describe("POST /v1/ballots", () => {
  let api: TestApi;

  before(async () => {
    api = await startTestApi();
    for (const v of voters) api.chain.weights.set(v.address, 1000n);
    api.chain.meetings.set(2n, openMeeting(2n, { votingStart: 1800 }));
  });
  after(() => api?.stop());

  it("answers each body of the table with its status, code and headers, and queues only what it accepts", async () => {
    const table = cases();
    assert.ok(table.length >= 40);
    for (const c of table) {
      const before = api.store.counts().queued;
      const r = await rawRequest(api.url, { method: c.method, path: c.path, headers: c.headers, body: c.body, partial: c.partial });
      assertAnswer(c, r);
      const queued = c.accepted && !c.accepted.duplicate ? 1 : 0;
      assert.equal(api.store.counts().queued, before + queued, `${c.name}: ${queued} ballot queued`);
      if (c.accepted) assert.equal(api.store.get(c.accepted.id)?.state, "queued", c.name);
    }
  });

  it("answers an oversized declared body at once, without waiting for it", async () => {
    const started = Date.now();
    const r = await rawRequest(api.url, { headers: { ...json, "content-length": 10_000 }, body: Buffer.from("{"), partial: true });
    assert.equal(r.status, 413);
    assert.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms`);
  });
});

describe("POST /v1/ballots, rate limited", () => {
  let api: TestApi;

  before(async () => {
    api = await startTestApi({ rateLimitPerMinute: 60 });
    for (const v of voters) api.chain.weights.set(v.address, 1000n);
  });
  after(() => api?.stop());

  it("passes a burst of ten, then answers 429 rate_limited with Retry-After and queues nothing", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await rawRequest(api.url, { headers: json, body: text({}) })).status);
    assert.deepEqual(statuses, Array(10).fill(400));
    const ballot = ballotOf(0);
    const r = await rawRequest(api.url, { headers: { ...json, "x-request-id": "limited-1" }, body: zlib.gzipSync(text(ballot.body)) });
    assert.equal(r.status, 429);
    assert.equal(r.body.error.code, "rate_limited");
    assert.equal(r.headers["x-request-id"], "limited-1");
    assert.ok(Number(r.headers["retry-after"]) >= 1, `Retry-After: ${r.headers["retry-after"]}`);
    assert.deepEqual(checker.check(checker.resolve("#/components/schemas/Error"), r.body), []);
    assert.equal(api.store.get(ballot.id), undefined, "nothing queued");
  });
});

describe("POST /v1/ballots, who posts", () => {
  let api: TestApi;

  before(async () => {
    api = await startTestApi({ rateLimitPerMinute: 60, trustedProxies: ["127.0.0.1"] });
    for (const v of voters) api.chain.weights.set(v.address, 1000n);
  });
  after(() => api?.stop());

  const junk = (headers: Record<string, string> = {}) => rawRequest(api.url, { headers: { ...json, ...headers }, body: text({}) });

  it("does not count a client with a client token (custody) as one anonymous client, however many junk posts share its address", async () => {
    const flood: number[] = [];
    for (let i = 0; i < 80; i++) flood.push((await junk()).status);
    assert.ok(flood.includes(429), "the anonymous flood is limited");
    const r = await rawRequest(api.url, { headers: { ...json, authorization: `Bearer ${CLIENT_TOKEN}` }, body: text(ballotOf(5).body) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  });

  it("refuses a bearer token that is not a client token, rather than taking it as anonymous", async () => {
    const r = await rawRequest(api.url, { headers: { ...json, authorization: "Bearer someone-elses-token-1234" }, body: text(ballotOf(6).body) });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, "unauthenticated");
    assert.equal(api.store.get(ballotOf(6).id), undefined);
  });

  it("counts each client a trusted proxy forwards for on its own", async () => {
    for (let i = 0; i < 40; i++) await junk({ "x-forwarded-for": "198.51.100.1" });
    assert.equal((await junk({ "x-forwarded-for": "198.51.100.1" })).status, 429);
    const other = await rawRequest(api.url, { headers: { ...json, "x-forwarded-for": "198.51.100.2" }, body: text(ballotOf(7).body) });
    assert.equal(other.status, 202, JSON.stringify(other.body));
  });
});

describe("GET /v1/health and /metrics", () => {
  it("reads health from the node at most once a second, however often it is asked", async () => {
    let reads = 0;
    const api = await startTestApi({
      health: async () => {
        reads++;
        return { chainReachable: true, blockNumber: 1, senders: [] };
      },
    });
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 50 }, () => rawRequest(api.url, { method: "GET", path: "/v1/health" })));
      for (let i = 0; i < 20; i++) answers.push(await rawRequest(api.url, { method: "GET", path: "/v1/health" }));
      assert.ok(answers.every((a) => a.status === 200));
      const seconds = Math.ceil((Date.now() - started) / 1000);
      assert.ok(reads <= seconds + 1, `${reads} node reads in ${seconds} s for ${answers.length} requests`);
      await new Promise((r) => setTimeout(r, 1100));
      await rawRequest(api.url, { method: "GET", path: "/v1/health" });
      assert.ok(reads >= 2, "a second later it is read again");
    } finally {
      await api.stop();
    }
  });

  it("serves metrics to the bearer of the metrics token only", async () => {
    const api = await startTestApi();
    try {
      const none = await rawRequest(api.url, { method: "GET", path: "/metrics" });
      assert.deepEqual([none.status, none.body.error.code], [401, "unauthenticated"]);
      const other = await rawRequest(api.url, { method: "GET", path: "/metrics", headers: { authorization: `Bearer ${CLIENT_TOKEN}` } });
      assert.deepEqual([other.status, other.body.error.code], [403, "forbidden"]);
      const ok = await rawRequest(api.url, { method: "GET", path: "/metrics", headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /relayer_intake_total/);
    } finally {
      await api.stop();
    }
  });
});
