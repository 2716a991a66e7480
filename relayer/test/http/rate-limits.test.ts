/**
 * Rate limits across the public path — web server → custody → relayer — against a real node: one
 * anonymous client flooding custody through the web server and the relayer directly does not leave
 * a real resident's ballot at 429. The web server names each client in X-Forwarded-For, custody
 * believes it from the web server only and limits each client and each resident on its own, and
 * custody's calls to the relayer carry its token, so they are not counted as one anonymous client.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#lib/log.js";
import { startWebServer, type WebServer } from "../../../web/src/server.js";
import { CHOICES, deployFixture, startChainProcess, type ChainProcess, type Fixture } from "../helpers/chain.js";
import { request as plainRequest, waitFor } from "../helpers/http.js";
import { REGISTRAR_TOKEN, startWithCustody, type RunningServices } from "../helpers/services.js";

let chain: ChainProcess;
let fx: Fixture;
let services: RunningServices;
let web: WebServer;

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 2, meetings: 1 });
  services = await startWithCustody(fx, {
    relayer: { RELAYER_RATE_LIMIT_PER_MINUTE: "60" },
    custody: { CUSTODY_RATE_LIMIT_PER_MINUTE: "60", CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "30", CUSTODY_TRUSTED_PROXIES: "127.0.0.1" },
  });
  web = await startWebServer({ graphqlUrl: `${chain.url}/unused`, custodyUrl: services.custodyUrl!, relayerUrl: services.relayerUrl, logger: createLogger("silent") });
});

after(async () => {
  await web?.close();
  await services?.stop();
  fx?.cleanup();
  await chain?.stop();
});

/** A JSON request from a client at `from` (another loopback address: another client as the servers see it). */
function from(address: string, url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? (payload ? "POST" : "GET"), localAddress: address, headers: { "content-type": "application/json", ...init.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

describe("rate limits on the public path", () => {
  it("leave a real resident's ballot unhindered by 80 junk posts of one anonymous client", async () => {
    const attacker = "127.0.0.2";
    const resident = "127.0.0.3";
    const address = (await plainRequest(`${services.custodyUrl}/v1/residents`, { body: { residentId: "resident-real" }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } })).body.address;
    await fx.addOwners([address]);
    const meetingId = await fx.announce();

    const junk: number[] = [];
    for (let i = 0; i < 80; i++) {
      junk.push((await from(attacker, `${web.url}/api/custody/v1/ballots`, { body: { meetingId: "1", choices: "1" }, headers: { authorization: "Bearer junk" } })).status);
      junk.push((await from(attacker, `${services.relayerUrl}/v1/ballots`, { body: { junk: i } })).status);
    }
    assert.ok(junk.includes(429), "the flood itself is limited");

    const code = await from(resident, `${web.url}/api/custody/v1/auth/code`, { body: { residentId: "resident-real" } });
    assert.equal(code.status, 202, JSON.stringify(code.body));
    const token = await from(resident, `${web.url}/api/custody/v1/auth/token`, { body: { residentId: "resident-real", code: code.body.code } });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const vote = await from(resident, `${web.url}/api/custody/v1/ballots`, {
      body: { meetingId: meetingId.toString(), choices: CHOICES.toString() },
      headers: { authorization: `Bearer ${token.body.token}` },
    });
    assert.equal(vote.status, 202, `the resident's ballot: ${JSON.stringify(vote.body)}`);
    let status: any;
    await waitFor(async () => {
      status = (await from(resident, `${web.url}/api/relayer/v1/ballots/${vote.body.id}`)).body;
      return status.status === "confirmed" || status.status === "rejected";
    }, 60_000, "the resident's ballot");
    assert.equal(status.status, "confirmed");
  });
});
