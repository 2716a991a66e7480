/**
 * The web server as the one public door: it forwards the page's own calls to the configured query
 * node, custody, relayer, registrar, document store, keeper and notifier and nothing else. Crafted paths that try to reach another host or port
 * (the chain's JSON-RPC with its unlocked accounts, a capture server standing for the mail capture
 * or anything else on the machine), to climb out of a service's prefix, or to reach what lies behind
 * a service (metrics, health, the registrar's endpoints) never leave the web server; a redirect from
 * a service is not followed; only the headers and methods the APIs need go through.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { JsonRpcProvider, Wallet } from "ethers";
import { createLogger } from "#lib/log.js";
import { startLocalChain, type LocalChain } from "../../dev/chain.js";
import { startWebServer, type WebServer } from "../src/server.js";
import { ROUTES } from "../src/upstreams.js";
import { rawRequest, recordingServer, type RecordingServer } from "./helpers.js";

const GRAPHQL_PATH = "/subgraphs/name/digital-home";
const BALLOT = "0x" + "ab".repeat(32);

let chain: LocalChain;
let capture: RecordingServer;
let graphql: RecordingServer;
let custody: RecordingServer;
let relayer: RecordingServer;
let registrar: RecordingServer;
let documents: RecordingServer;
let keeper: RecordingServer;
let notifier: RecordingServer;
let web: WebServer;
let webPort: number;
const victim = Wallet.createRandom().address;

before(async () => {
  chain = await startLocalChain({ port: 0 });
  capture = await recordingServer("capture");
  graphql = await recordingServer("graphql");
  custody = await recordingServer("custody");
  relayer = await recordingServer("relayer");
  registrar = await recordingServer("registrar");
  documents = await recordingServer("documents");
  keeper = await recordingServer("keeper");
  notifier = await recordingServer("notifier");
  web = await startWebServer({
    graphqlUrl: `${graphql.url}${GRAPHQL_PATH}`,
    custodyUrl: custody.url,
    relayerUrl: relayer.url,
    registrarUrl: registrar.url,
    documentsUrl: documents.url,
    keeperUrl: keeper.url,
    notifierUrl: notifier.url,
    parameters: { minNotice: 120, minWindow: 300, maxWindow: 3600, maxOpenPerInitiator: 3 },
    logger: createLogger("silent"),
  });
  webPort = Number(new URL(web.url).port);
});

after(async () => {
  await web?.close();
  for (const s of [capture, graphql, custody, relayer, registrar, documents, keeper, notifier]) await s?.close();
  await chain?.close();
});

/** What a request that reached the chain would do: give the victim ether, or send some from an unlocked account. */
function rpcBodies(): string[] {
  return [
    JSON.stringify({ jsonrpc: "2.0", id: 1, method: "hardhat_setBalance", params: [victim, "0xde0b6b3a7640000"] }),
    JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_sendTransaction", params: [{ from: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", to: victim, value: "0x1" }] }),
  ];
}

/** The crafted request targets, each naming a host and port it must not reach. */
function craftedTargets(): string[] {
  const rpc = `127.0.0.1:${chain.port}`;
  const cap = `127.0.0.1:${capture.port}`;
  const all: string[] = [];
  for (const hostPort of [rpc, cap]) {
    const [host, port] = hostPort.split(":") as [string, string];
    all.push(
      // another authority after an empty segment
      `/api/custody//${hostPort}/`,
      `/api/relayer//${hostPort}/x`,
      `/api/graphql//${hostPort}/`,
      `/api/custody///${hostPort}`,
      // percent-encoded slashes, single and double encoded
      `/api/custody/%2F%2F${hostPort}/`,
      `/api/custody/%2f%2f${hostPort}`,
      `/api/custody/%252F%252F${hostPort}`,
      `/api/custody/%25%32%46%25%32%46${hostPort}`,
      // userinfo
      `/api/custody/@${hostPort}/`,
      `/api/custody@${hostPort}/`,
      `/api/custody/v1/me@${hostPort}`,
      // backslashes, raw and encoded
      `/api/custody/\\\\${hostPort}/`,
      `/api/custody/%5C%5C${hostPort}/`,
      `/api/custody\\${hostPort}`,
      // absolute URLs and schemes, as the target and as a path
      `http://${hostPort}/`,
      `http://${hostPort}/api/custody/v1/me`,
      `//${hostPort}/api/custody/v1/me`,
      `/api/custody/http://${hostPort}/`,
      `/api/custody/http:%2F%2F${hostPort}/`,
      `/api/custody/http%3A%2F%2F${host}%3A${port}%2F`,
      `/api/custody/%68ttp://${hostPort}`,
      `/api/custody/HTTP:/${hostPort}`,
      // unicode dots and slashes in the host
      `/api/custody//${host.replaceAll(".", "%E3%80%82")}:${port}/`,
      `/api/custody//${host.replaceAll(".", "%EF%BC%8E")}:${port}/`,
      `/api/custody/%EF%BC%8F%EF%BC%8F${hostPort}`,
      // other spellings of the loopback host
      `/api/custody//0x7f.1:${port}/`,
      `/api/custody//2130706433:${port}/`,
      `/api/custody//[::1]:${port}/`,
      `/api/custody/%5B::1%5D:${port}/`,
      `/api/custody//localhost:${port}/`,
      // tab, CR/LF and NUL smuggled in the path
      `/api/custody/%09//${hostPort}`,
      `/api/custody/%0d%0aHost:%20${hostPort}`,
      `/api/custody/v1/me%0d%0a%0d%0aGET%20http://${hostPort}/%20HTTP/1.1`,
      `/api/custody/%00//${hostPort}`,
      // parameters, queries and fragments
      `/api/custody;//${hostPort}`,
      `/api/custody/v1/me;@${hostPort}`,
      `/api/custody/v1/me?next=//${hostPort}`,
      `/api/custody/v1/me?@${hostPort}`,
      `/api/custody/v1/me#@${hostPort}`,
    );
    // the same tricks on the new services' routes, with and without a query they take
    for (const prefix of ["/api/registrar", "/api/documents", "/api/keeper", "/api/notifier"]) {
      all.push(
        `${prefix}//${hostPort}/`,
        `${prefix}/%2F%2F${hostPort}/`,
        `${prefix}/@${hostPort}/`,
        `${prefix}@${hostPort}/`,
        `${prefix}/\\${hostPort}/`,
        `${prefix}/http://${hostPort}/`,
        `${prefix}//[::1]:${port}/`,
        `${prefix}/%0d%0aHost:%20${hostPort}`,
        `${prefix};//${hostPort}`,
        `${prefix}/v1/meetings/1/protocol?next=//${hostPort}`,
        `${prefix}/v1/meetings/1/not-voted#@${hostPort}`,
      );
    }
    all.push(
      `/api/documents/v1/documents?name=//${hostPort}/x`,
      `/api/documents/v1/documents?name=a%2F%2F${hostPort}`,
      `/api/documents/v1/documents/${BALLOT}?@${hostPort}`,
      `/api/registrar/v1/imports?dryRun=true&next=http%3A%2F%2F${hostPort}`,
      `/api/notifier/v1/meetings/1/delivery-log?format=http://${hostPort}`,
    );
  }
  all.push(
    // climbing out of a service's prefix: plain, encoded, double encoded, mixed, unicode
    "/api/custody/../../",
    "/api/custody/..%2F..%2F",
    "/api/custody/%2e%2e/%2e%2e/",
    "/api/custody/%2E%2E%2F",
    "/api/custody/.%2e/.%2e/",
    "/api/custody/%252e%252e/",
    "/api/custody/%c0%ae%c0%ae/",
    "/api/custody/%E2%80%A4%E2%80%A4/",
    "/api/custody/v1/../../metrics",
    "/api/relayer/v1/ballots/../../metrics",
    `/api/relayer/v1/ballots/${BALLOT}/../../../v1/health`,
    "/api/relayer/v1/ballots/0x..%2F..%2Fmetrics",
    "/api/graphql/..%2F..%2F",
    "/api/graphql/extra/path",
    "/api/graphql?query={_meta{block{number}}}",
    "/api/custody/v1/me/.",
    "/api/custody/v1/me/%2e",
    "/api/custody/./v1/me",
    // what lies behind a service: metrics, health, the registrar's endpoints, keys
    "/api/relayer/metrics",
    "/api/relayer/v1/health",
    "/api/relayer/v1/openapi.json",
    "/api/custody/v1/health",
    "/api/custody/v1/signing-log",
    "/api/custody/v1/residents",
    "/api/custody/.well-known/jwks.json",
    "/api/custody/v1/ballots/sign",
    "/api/custody/v1/requests/sign",
    // what lies behind the new services: the registrar's annexes (personal data for the operator), its
    // health; the store's health and logout; the keeper's keys and health; the notifier's directory,
    // its registrar's delivery log and releases
    "/api/registrar/v1/meetings/1/annex",
    "/api/registrar/v1/health",
    "/api/registrar/v1/imports/../buildings",
    "/api/registrar/v1/buildings/0/register",
    "/api/registrar/v1/buildings/1/register/x",
    "/api/registrar/v1/meetings/01/not-voted",
    "/api/documents/v1/health",
    "/api/documents/v1/auth/logout",
    "/api/documents/v1/documents/0x1234",
    `/api/documents/v1/documents/${BALLOT}/meta/x`,
    `/api/documents/v1/documents/${BALLOT}/..`,
    `/api/documents/v1/documents/${BALLOT}%2Fmeta`,
    "/api/keeper/.well-known/jwks.json",
    "/api/keeper/v1/health",
    "/api/keeper/v1/meetings/x/protocol",
    "/api/notifier/v1/residents/flat-1",
    "/api/notifier/v1/delivery-log",
    "/api/notifier/v1/delivery-log?meetingId=1",
    "/api/notifier/v1/meetings/1/release-held",
    "/api/notifier/v1/health",
    // case and prefix games
    `/API/custody//127.0.0.1:${capture.port}/`,
    `/api/CUSTODY//127.0.0.1:${capture.port}/`,
    "/api/custodyx/v1/me",
    "/api/chain",
    "/api",
    "/api/",
  );
  return all;
}

/** Every request that reached one of the configured services was one of the page's routes. */
function assertOnlyRoutes() {
  const allowed = (service: keyof typeof ROUTES, method: string, url: string) => {
    const [path, query] = url.split("?", 2) as [string, string | undefined];
    return ROUTES[service].some(
      (r) => r.method === method && r.path.test(path) && [...new URLSearchParams(query ?? "")].every(([name, value]) => r.query !== undefined && Object.hasOwn(r.query, name) && r.query[name]!.test(value)),
    );
  };
  for (const r of graphql.requests) assert.ok(r.method === "POST" && r.url === GRAPHQL_PATH, `graphql got ${r.method} ${r.url}`);
  for (const [name, server] of Object.entries(others())) for (const r of server.requests) assert.ok(allowed(name as keyof typeof ROUTES, r.method, r.url), `${name} got ${r.method} ${r.url}`);
}

/** The services but the query node, by their names in the route table. */
function others(): Record<Exclude<keyof typeof ROUTES, "graphql">, RecordingServer> {
  return { custody, relayer, registrar, documents, keeper, notifier };
}

/** How many requests each service has received. */
function counts(): Record<string, number> {
  return Object.fromEntries([["graphql", graphql], ...Object.entries(others())].map(([name, s]) => [name, (s as RecordingServer).requests.length]));
}

async function victimBalance(): Promise<bigint> {
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true });
  try {
    return await provider.getBalance(victim);
  } finally {
    provider.destroy();
  }
}

describe("the web server's proxy", () => {
  it("forwards the page's own calls to the configured services, on their fixed paths", async () => {
    const cases: Array<[string, string, RecordingServer, string]> = [
      ["POST", "/api/graphql", graphql, GRAPHQL_PATH],
      ["POST", "/api/custody/v1/auth/code", custody, "/v1/auth/code"],
      ["POST", "/api/custody/v1/auth/token", custody, "/v1/auth/token"],
      ["GET", "/api/custody/v1/me", custody, "/v1/me"],
      ["POST", "/api/custody/v1/ballots", custody, "/v1/ballots"],
      ["GET", `/api/relayer/v1/ballots/${BALLOT}`, relayer, `/v1/ballots/${BALLOT}`],
      ["GET", `/api/relayer/v1/requests/${BALLOT}`, relayer, `/v1/requests/${BALLOT}`],
      ["POST", "/api/custody/v1/requests", custody, "/v1/requests"],
      ["POST", "/api/custody/v1/auth/exchange", custody, "/v1/auth/exchange"],
      ["GET", "/api/registrar/v1/buildings", registrar, "/v1/buildings"],
      ["GET", "/api/registrar/v1/buildings/2/register", registrar, "/v1/buildings/2/register"],
      ["GET", "/api/registrar/v1/imports/0f8e7d6c-5b4a-4392-8170-a1b2c3d4e5f6", registrar, "/v1/imports/0f8e7d6c-5b4a-4392-8170-a1b2c3d4e5f6"],
      ["GET", "/api/registrar/v1/meetings/12/not-voted", registrar, "/v1/meetings/12/not-voted"],
      ["POST", "/api/registrar/v1/imports?dryRun=true", registrar, "/v1/imports?dryRun=true"],
      ["GET", `/api/documents/v1/documents/${BALLOT}`, documents, `/v1/documents/${BALLOT}`],
      ["GET", `/api/documents/v1/documents/${BALLOT}/meta`, documents, `/v1/documents/${BALLOT}/meta`],
      ["PUT", "/api/documents/v1/documents?name=%D0%A1%D0%BC%D0%B5%D1%82%D0%B0+2026.pdf&access=public", documents, "/v1/documents?name=%D0%A1%D0%BC%D0%B5%D1%82%D0%B0+2026.pdf&access=public"],
      ["GET", "/api/keeper/v1/meetings/7/protocol", keeper, "/v1/meetings/7/protocol"],
      ["GET", "/api/notifier/v1/meetings/7/delivery-log?format=csv", notifier, "/v1/meetings/7/delivery-log?format=csv"],
    ];
    for (const [method, target, server, path] of cases) {
      const before = server.requests.length;
      const r = await rawRequest(webPort, method, target, { "content-type": "application/json" }, method !== "GET" ? '{"residentId":"flat-1"}' : "");
      assert.equal(r.status, 200, `${method} ${target}: ${r.body}`);
      assert.equal(server.requests.length, before + 1, `${method} ${target} reached its service once`);
      assert.deepEqual([server.requests.at(-1)!.method, server.requests.at(-1)!.url], [method, path]);
      if (method !== "GET") assert.equal(server.requests.at(-1)!.body, '{"residentId":"flat-1"}');
    }
    assert.equal(capture.requests.length, 0);
  });

  it("sends no crafted path anywhere but the web server: neither the chain's JSON-RPC nor any other port is reached", async () => {
    const targets = craftedTargets();
    assert.ok(targets.length >= 50, `${targets.length} crafted paths`);
    const before = counts();
    for (const target of targets) {
      for (const [method, body] of [["GET", ""], ...rpcBodies().map((b) => ["POST", b])] as const) {
        const r = await rawRequest(webPort, method, target, { "content-type": "application/json", authorization: "Bearer stolen" }, body);
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${target}: answered ${r.status} ${r.body.slice(0, 200)}`);
        assert.ok(!r.body.includes("jsonrpc") && !r.body.includes('"server"'), `${method} ${target}: the answer came from behind: ${r.body.slice(0, 200)}`);
      }
    }
    assert.deepEqual(capture.requests.map((r) => `${r.method} ${r.url}`), [], "the capture server was never reached");
    assert.equal(await victimBalance(), 0n, "no JSON-RPC call reached the chain");
    assert.deepEqual(counts(), before, "no crafted path reached a service either");
    assertOnlyRoutes();
  });

  it("goes to the configured service whatever Host or X-Forwarded-Host the client names", async () => {
    const before = custody.requests.length;
    const r = await rawRequest(webPort, "GET", "/api/custody/v1/me", { host: `127.0.0.1:${capture.port}`, "x-forwarded-host": `127.0.0.1:${capture.port}` });
    assert.equal(r.status, 200, r.body);
    assert.equal(custody.requests.length, before + 1);
    assert.equal(custody.requests.at(-1)!.headers.host, `127.0.0.1:${custody.port}`);
    assert.equal(capture.requests.length, 0);
  });

  it("does not follow a service's redirect", async () => {
    const previous = custody.respond;
    custody.respond = () => ({ status: 302, headers: { location: `${capture.url}/stolen` } });
    try {
      const r = await rawRequest(webPort, "GET", "/api/custody/v1/me", { authorization: "Bearer a-resident-token" });
      assert.equal(r.status, 502, r.body);
      assert.equal(JSON.parse(r.body).error.code, "upstream_redirect");
      assert.equal(r.headers.location, undefined, "the redirect is not passed on to the browser");
    } finally {
      custody.respond = previous;
    }
    assert.equal(capture.requests.length, 0, "the redirect's target was never asked");
  });

  it("passes on only the headers a service reads, and the client's own address as X-Forwarded-For", async () => {
    const r = await rawRequest(
      webPort,
      "POST",
      "/api/custody/v1/ballots",
      {
        "content-type": "application/json",
        authorization: "Bearer a-resident-token",
        cookie: "session=secret",
        "proxy-authorization": "Basic c2VjcmV0",
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-host": "evil.example",
        "x-api-key": "secret",
        "x-request-id": "req-web-1",
      },
      '{"meetingId":"1","choices":"21"}',
    );
    assert.equal(r.status, 200, r.body);
    const got = custody.requests.at(-1)!.headers;
    assert.equal(got.authorization, "Bearer a-resident-token");
    assert.equal(got["content-type"], "application/json");
    assert.equal(got["x-forwarded-for"], "127.0.0.1", "the socket's address, not what the client claimed");
    assert.equal(got["x-request-id"], "req-web-1");
    for (const name of ["cookie", "proxy-authorization", "x-forwarded-host", "x-api-key"]) assert.equal(got[name], undefined, `${name} is not passed on`);

    await rawRequest(webPort, "GET", `/api/relayer/v1/ballots/${BALLOT}`, { authorization: "Bearer a-resident-token", cookie: "a=b" });
    const toRelayer = relayer.requests.at(-1)!.headers;
    assert.equal(toRelayer.authorization, undefined, "the relayer's status needs no credentials: a resident's token stays at custody");
    assert.equal(toRelayer.cookie, undefined);
  });

  it("refuses the methods the page does not use, before any service sees them", async () => {
    const before = counts();
    for (const [method, target, status] of [
      ["POST", `/api/documents/v1/documents/${BALLOT}`, 405],
      ["PUT", `/api/documents/v1/documents/${BALLOT}`, 405],
      ["GET", "/api/documents/v1/documents", 405],
      ["POST", "/api/documents/v1/documents", 405],
      ["GET", "/api/registrar/v1/imports", 405],
      ["PUT", "/api/registrar/v1/buildings", 405],
      ["POST", "/api/registrar/v1/meetings/1/not-voted", 405],
      ["POST", "/api/keeper/v1/meetings/1/protocol", 405],
      ["PUT", "/api/notifier/v1/meetings/1/delivery-log", 405],
      ["DELETE", "/api/custody/v1/me", 405],
      ["PUT", "/api/custody/v1/ballots", 405],
      ["PATCH", "/api/custody/v1/auth/code", 405],
      ["GET", "/api/custody/v1/ballots", 405],
      ["POST", "/api/relayer/v1/ballots", 404],
      ["POST", `/api/relayer/v1/ballots/${BALLOT}`, 405],
      ["GET", "/api/graphql", 405],
      ["OPTIONS", "/api/custody/v1/me", 405],
      ["TRACE", "/api/custody/v1/me", 405],
    ] as const) {
      const r = await rawRequest(webPort, method, target, { "content-type": "application/json" }, method === "GET" || method === "OPTIONS" || method === "TRACE" ? "" : "{}");
      assert.equal(r.status, status, `${method} ${target}: ${r.status} ${r.body}`);
      if (status === 405) assert.ok(r.headers.allow, `${method} ${target}: an Allow header`);
    }
    assert.deepEqual(counts(), before);
    assertOnlyRoutes();
  });

  it("takes a query only where a route names its parameters, checks each value and sends it rebuilt", async () => {
    const before = counts();
    for (const target of [
      "/api/custody/v1/me?x=1",
      "/api/keeper/v1/meetings/1/protocol?format=csv",
      "/api/registrar/v1/buildings?dryRun=true",
      "/api/registrar/v1/imports?dryRun=yes",
      "/api/registrar/v1/imports?dryRun=true&dryRun=false",
      "/api/registrar/v1/imports?dryrun=true",
      "/api/registrar/v1/imports?constructor=1",
      "/api/registrar/v1/imports?__proto__=1",
      "/api/documents/v1/documents?name=a%2Fb.pdf",
      "/api/documents/v1/documents?name=a%5Cb.pdf",
      "/api/documents/v1/documents?name=a%0Ab.pdf",
      "/api/documents/v1/documents?name=",
      "/api/documents/v1/documents?name=%FF.pdf",
      "/api/documents/v1/documents?name=%zz",
      "/api/documents/v1/documents?access=secret",
      "/api/documents/v1/documents?meeting=0",
      "/api/documents/v1/documents?meeting=1e3",
      "/api/documents/v1/documents?owner=me",
      "/api/notifier/v1/meetings/1/delivery-log?format=xml",
      "/api/notifier/v1/meetings/1/delivery-log?format=csv&meetingId=2",
    ]) {
      const method = target.includes("/imports") ? "POST" : target.startsWith("/api/documents/v1/documents?") ? "PUT" : "GET";
      const r = await rawRequest(webPort, method, target, { "content-type": "text/csv" }, method === "GET" ? "" : "x");
      assert.equal(r.status, 400, `${method} ${target}: ${r.status} ${r.body}`);
      assert.ok(["invalid_query", "invalid_path"].includes(JSON.parse(r.body).error.code), `${target}: ${r.body}`);
    }
    assert.deepEqual(counts(), before, "no request with a query its route does not take reached a service");
    // a value the route takes goes as the URL API writes it, whatever spelling the client used
    const r = await rawRequest(webPort, "PUT", "/api/documents/v1/documents?access=restricted&purpose=paper-decision&meeting=3&name=%D1%81%D0%BA%D0%B0%D0%BD%20%E2%84%96%202.pdf", { "content-type": "application/pdf" }, "%PDF-1.7");
    assert.equal(r.status, 200, r.body);
    const sent = documents.requests.at(-1)!;
    assert.equal(sent.url, "/v1/documents?access=restricted&purpose=paper-decision&meeting=3&name=%D1%81%D0%BA%D0%B0%D0%BD+%E2%84%96+2.pdf");
    assert.equal(new URL(sent.url, "http://x").searchParams.get("name"), "скан № 2.pdf");
  });

  it("holds each route to its own body limit: a document or a register file may be large, a JSON call may not", async () => {
    const big = "x".repeat(200 * 1024);
    const before = counts();
    const small = await rawRequest(webPort, "POST", "/api/custody/v1/ballots", { "content-type": "application/json" }, big);
    assert.equal(small.status, 413, small.body);
    assert.deepEqual(counts(), before, "a body over the limit never reaches the service");
    const file = await rawRequest(webPort, "POST", "/api/registrar/v1/imports?dryRun=true", { "content-type": "text/csv; charset=utf-8" }, big);
    assert.equal(file.status, 200, file.body);
    assert.equal(registrar.requests.at(-1)!.body.length, big.length);
    assert.equal(registrar.requests.at(-1)!.headers["content-type"], "text/csv; charset=utf-8");
    const doc = await rawRequest(webPort, "PUT", "/api/documents/v1/documents?name=big.txt", { "content-type": "text/plain", authorization: "Bearer resident" }, big);
    assert.equal(doc.status, 200, doc.body);
    assert.equal(documents.requests.at(-1)!.body.length, big.length);
    assert.equal(documents.requests.at(-1)!.headers.authorization, "Bearer resident");
  });

  it("serves a document with its download headers, sandboxed, and passes on a resident's token and If-None-Match", async () => {
    const previous = documents.respond;
    documents.respond = () => ({
      status: 200,
      headers: { "content-type": "application/pdf", "content-disposition": 'attachment; filename="smeta.pdf"', etag: `"${BALLOT}"`, "cache-control": "public, max-age=31536000, immutable", "set-cookie": "a=b", "x-internal": "1" },
      body: "%PDF-1.7 …",
    });
    try {
      const r = await rawRequest(webPort, "GET", `/api/documents/v1/documents/${BALLOT}`, { authorization: "Bearer resident", "if-none-match": `"0x${"cd".repeat(32)}"`, cookie: "s=1" });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers["content-type"], "application/pdf");
      assert.equal(r.headers["content-disposition"], 'attachment; filename="smeta.pdf"');
      assert.equal(r.headers.etag, `"${BALLOT}"`);
      assert.match(r.headers["content-security-policy"] ?? "", /sandbox/);
      assert.equal(r.headers["set-cookie"], undefined);
      assert.equal(r.headers["x-internal"], undefined);
      const got = documents.requests.at(-1)!.headers;
      assert.equal(got.authorization, "Bearer resident");
      assert.equal(got["if-none-match"], `"0x${"cd".repeat(32)}"`);
      assert.equal(got.cookie, undefined);
    } finally {
      documents.respond = previous;
    }
    await rawRequest(webPort, "GET", "/api/keeper/v1/meetings/7/protocol", { authorization: "Bearer resident" });
    assert.equal(keeper.requests.at(-1)!.headers.authorization, undefined, "the keeper's API holds no personal data and needs no token");
  });

  it("serves the deployment's parameters it was given, and none when it was given none", async () => {
    const r = await rawRequest(webPort, "GET", "/api/parameters");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { minNotice: 120, minWindow: 300, maxWindow: 3600, maxOpenPerInitiator: 3 });
    const bare = await startWebServer({ graphqlUrl: `${graphql.url}${GRAPHQL_PATH}`, custodyUrl: custody.url, relayerUrl: relayer.url, logger: createLogger("silent") });
    try {
      const none = await rawRequest(Number(new URL(bare.url).port), "GET", "/api/parameters");
      assert.equal(none.status, 404);
      assert.equal(JSON.parse(none.body).error.code, "not_found");
    } finally {
      await bare.close();
    }
  });

  it("answers upstream_not_configured for a service it was not given", async () => {
    const bare = await startWebServer({ graphqlUrl: `${graphql.url}${GRAPHQL_PATH}`, custodyUrl: custody.url, relayerUrl: relayer.url, logger: createLogger("silent") });
    try {
      const r = await rawRequest(Number(new URL(bare.url).port), "GET", "/api/keeper/v1/meetings/1/protocol");
      assert.equal(r.status, 503, r.body);
      assert.equal(JSON.parse(r.body).error.code, "upstream_not_configured");
    } finally {
      await bare.close();
    }
  });

  it("answers when a service is down, without saying where it lives", async () => {
    const down = await startWebServer({ graphqlUrl: "http://127.0.0.1:1/graphql", custodyUrl: "http://127.0.0.1:1", relayerUrl: "http://127.0.0.1:1", logger: createLogger("silent") });
    try {
      const r = await rawRequest(Number(new URL(down.url).port), "GET", "/api/custody/v1/me");
      assert.equal(r.status, 502);
      const body = JSON.parse(r.body);
      assert.equal(body.error.code, "upstream_unavailable");
      assert.ok(!r.body.includes("127.0.0.1:1"), r.body);
    } finally {
      await down.close();
    }
  });
});

describe("the web server's security headers", () => {
  it("sends a Content-Security-Policy, no framing, no sniffing and no referrer on every answer", async () => {
    for (const target of ["/", "/app.js", "/style.css", "/api/texts", "/nowhere", "/api/custody/v1/me", "/api/relayer/metrics"]) {
      const r = await rawRequest(webPort, "GET", target);
      const csp = r.headers["content-security-policy"] ?? "";
      assert.match(csp, /default-src 'none'/, `${target}: ${csp}`);
      assert.match(csp, /script-src 'self'(;|$)/, target);
      assert.match(csp, /frame-ancestors 'none'/, target);
      assert.equal(r.headers["x-frame-options"], "DENY", target);
      assert.equal(r.headers["x-content-type-options"], "nosniff", target);
      assert.equal(r.headers["referrer-policy"], "no-referrer", target);
    }
  });
});

describe("the web server's proxy to a resident's notices and choices at the notifier", () => {
  it("answers upstream_not_configured without a notifier, and with one forwards only a resident's own routes", async () => {
    const notifier = await recordingServer("notifier");
    const without = await startWebServer({ graphqlUrl: graphql.url, custodyUrl: custody.url, relayerUrl: relayer.url, logger: createLogger("silent") });
    const late = await startWebServer({ graphqlUrl: graphql.url, custodyUrl: custody.url, relayerUrl: relayer.url, notifierUrl: notifier.url, logger: createLogger("silent") });
    const port = Number(new URL(late.url).port);
    try {
      const before = await rawRequest(Number(new URL(without.url).port), "GET", "/api/notifier/v1/feed", { authorization: "Bearer a-notifier-token" });
      assert.equal(before.status, 503, before.body);
      assert.equal(JSON.parse(before.body).error.code, "upstream_not_configured");
      assert.equal(notifier.requests.length, 0);

      const feed = await rawRequest(port, "GET", "/api/notifier/v1/feed", { authorization: "Bearer a-notifier-token", cookie: "a=b" });
      assert.equal(feed.status, 200, feed.body);
      assert.deepEqual([notifier.requests.at(-1)!.method, notifier.requests.at(-1)!.url], ["GET", "/v1/feed"]);
      assert.equal(notifier.requests.at(-1)!.headers.authorization, "Bearer a-notifier-token");
      assert.equal(notifier.requests.at(-1)!.headers.cookie, undefined);
      const body = '{"language":"en","optOut":{"sms":true}}';
      const put = await rawRequest(port, "PUT", "/api/notifier/v1/me/preferences", { "content-type": "application/json", authorization: "Bearer t" }, body);
      assert.equal(put.status, 200, put.body);
      assert.deepEqual([notifier.requests.at(-1)!.method, notifier.requests.at(-1)!.url, notifier.requests.at(-1)!.body], ["PUT", "/v1/me/preferences", body]);

      // the registrar's routes of the notifier (contacts, the delivery log) and its health stay behind it
      const seen = notifier.requests.length;
      for (const [method, target, status] of [
        ["GET", "/api/notifier/v1/residents/flat-1", 404],
        ["PUT", "/api/notifier/v1/residents/flat-1", 404],
        ["GET", "/api/notifier/v1/delivery-log", 404],
        ["POST", "/api/notifier/v1/meetings/1/release-held", 404],
        ["GET", "/api/notifier/v1/health", 404],
        ["DELETE", "/api/notifier/v1/me/preferences", 405],
        ["POST", "/api/notifier/v1/feed", 405],
        ["GET", "/api/notifier/v1/feed/..%2f..%2fresidents", 400],
      ] as const) {
        const r = await rawRequest(port, method, target, { "content-type": "application/json" }, method === "GET" ? "" : "{}");
        assert.equal(r.status, status, `${method} ${target}: ${r.status} ${r.body}`);
      }
      assert.equal(notifier.requests.length, seen, "none of them reached the notifier");
    } finally {
      await without.close();
      await late.close();
      await notifier.close();
    }
  });

  it("forwards the exchange of custody's token for the notifier's", async () => {
    const before = custody.requests.length;
    const r = await rawRequest(webPort, "POST", "/api/custody/v1/auth/exchange", { "content-type": "application/json", authorization: "Bearer a-resident-token" }, '{"audience":"digital-home-notifier"}');
    assert.equal(r.status, 200, r.body);
    assert.equal(custody.requests.length, before + 1);
    assert.deepEqual([custody.requests.at(-1)!.url, custody.requests.at(-1)!.body], ["/v1/auth/exchange", '{"audience":"digital-home-notifier"}']);
  });
});
