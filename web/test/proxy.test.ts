/**
 * The web server as the one public door: it forwards the page's own calls to the configured query
 * node, custody and relayer and nothing else. Crafted paths that try to reach another host or port
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
let web: WebServer;
let webPort: number;
const victim = Wallet.createRandom().address;

before(async () => {
  chain = await startLocalChain({ port: 0 });
  capture = await recordingServer("capture");
  graphql = await recordingServer("graphql");
  custody = await recordingServer("custody");
  relayer = await recordingServer("relayer");
  web = await startWebServer({ graphqlUrl: `${graphql.url}${GRAPHQL_PATH}`, custodyUrl: custody.url, relayerUrl: relayer.url, logger: createLogger("silent") });
  webPort = Number(new URL(web.url).port);
});

after(async () => {
  await web?.close();
  for (const s of [capture, graphql, custody, relayer]) await s?.close();
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
    // case and prefix games
    `/API/custody//127.0.0.1:${capture.port}/`,
    `/api/CUSTODY//127.0.0.1:${capture.port}/`,
    "/api/custodyx/v1/me",
    // the notifier's registrar routes and health (its resident routes go through once it is connected)
    "/api/notifier/v1/residents/flat-1",
    "/api/notifier/v1/delivery-log",
    "/api/notifier/v1/health",
    "/api/chain",
    "/api",
    "/api/",
  );
  return all;
}

/** Every request that reached one of the configured services was one of the page's routes. */
function assertOnlyRoutes() {
  const allowed = (service: keyof typeof ROUTES, method: string, path: string) => ROUTES[service].some((r) => r.method === method && r.path.test(path));
  for (const r of graphql.requests) assert.ok(r.method === "POST" && r.url === GRAPHQL_PATH, `graphql got ${r.method} ${r.url}`);
  for (const r of custody.requests) assert.ok(allowed("custody", r.method, r.url), `custody got ${r.method} ${r.url}`);
  for (const r of relayer.requests) assert.ok(allowed("relayer", r.method, r.url), `relayer got ${r.method} ${r.url}`);
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
    ];
    for (const [method, target, server, path] of cases) {
      const before = server.requests.length;
      const r = await rawRequest(webPort, method, target, { "content-type": "application/json" }, method === "POST" ? '{"residentId":"flat-1"}' : "");
      assert.equal(r.status, 200, `${method} ${target}: ${r.body}`);
      assert.equal(server.requests.length, before + 1, `${method} ${target} reached its service once`);
      assert.deepEqual([server.requests.at(-1)!.method, server.requests.at(-1)!.url], [method, path]);
      if (method === "POST") assert.equal(server.requests.at(-1)!.body, '{"residentId":"flat-1"}');
    }
    assert.equal(capture.requests.length, 0);
  });

  it("sends no crafted path anywhere but the web server: neither the chain's JSON-RPC nor any other port is reached", async () => {
    const targets = craftedTargets();
    assert.ok(targets.length >= 50, `${targets.length} crafted paths`);
    const before = { graphql: graphql.requests.length, custody: custody.requests.length, relayer: relayer.requests.length };
    for (const target of targets) {
      for (const [method, body] of [["GET", ""], ...rpcBodies().map((b) => ["POST", b])] as const) {
        const r = await rawRequest(webPort, method, target, { "content-type": "application/json", authorization: "Bearer stolen" }, body);
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${target}: answered ${r.status} ${r.body.slice(0, 200)}`);
        assert.ok(!r.body.includes("jsonrpc") && !r.body.includes('"server"'), `${method} ${target}: the answer came from behind: ${r.body.slice(0, 200)}`);
      }
    }
    assert.deepEqual(capture.requests.map((r) => `${r.method} ${r.url}`), [], "the capture server was never reached");
    assert.equal(await victimBalance(), 0n, "no JSON-RPC call reached the chain");
    assert.deepEqual({ graphql: graphql.requests.length, custody: custody.requests.length, relayer: relayer.requests.length }, before, "no crafted path reached a service either");
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
    const before = custody.requests.length + relayer.requests.length + graphql.requests.length;
    for (const [method, target, status] of [
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
    assert.equal(custody.requests.length + relayer.requests.length + graphql.requests.length, before);
    assertOnlyRoutes();
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

describe("the web server's proxy to a service connected after it starts (the notifier)", () => {
  it("answers upstream_unavailable until the notifier is connected, then forwards only a resident's own routes", async () => {
    const notifier = await recordingServer("notifier");
    const late = await startWebServer({ graphqlUrl: graphql.url, custodyUrl: custody.url, relayerUrl: relayer.url, logger: createLogger("silent") });
    const port = Number(new URL(late.url).port);
    try {
      const before = await rawRequest(port, "GET", "/api/notifier/v1/feed", { authorization: "Bearer a-notifier-token" });
      assert.equal(before.status, 502, before.body);
      assert.equal(JSON.parse(before.body).error.code, "upstream_unavailable");
      assert.equal(notifier.requests.length, 0);

      late.connect("notifier", notifier.url);
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
