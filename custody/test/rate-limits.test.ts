/**
 * Custody's rate limits: each client behind the web server counted on its own (by the address the
 * trusted proxy forwards for, believed from that proxy only), and each resident counted on their
 * own whatever address their requests come from.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#lib/log.js";
import { loadConfig } from "../src/config.js";
import { startCustody, type RunningCustody } from "../src/service.js";
import { startVotingChain } from "./chain.js";
import { REGISTRAR_TOKEN, deployment, request } from "./helpers.js";

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dh-custody-limits-"));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function custodyWith(env: Record<string, string>, record = deployment): Promise<RunningCustody> {
  return startCustody(
    loadConfig({
      LOG_LEVEL: "silent",
      CUSTODY_PORT: "0",
      CUSTODY_DB_PATH: path.join(dir, `custody-${randomBytes(4).toString("hex")}.sqlite`),
      CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
      CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
      CUSTODY_REVEAL_OTP: "true",
      ...env,
    }),
    { deployment: record, logger: createLogger("silent") },
  );
}

const statuses = async (n: number, send: (i: number) => Promise<{ status: number }>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(i)).status);
  return out;
};

describe("custody's limit per client address", () => {
  it("counts each client behind the trusted web server by the address it forwards for", async () => {
    const custody = await custodyWith({ CUSTODY_RATE_LIMIT_PER_MINUTE: "60", CUSTODY_TRUSTED_PROXIES: "127.0.0.1" });
    try {
      const flood = await statuses(30, () => request(`${custody.url}/v1/health`, { headers: { "x-forwarded-for": "198.51.100.1" } }));
      assert.ok(flood.includes(429), "one client's burst is limited");
      const neighbour = await request(`${custody.url}/v1/health`, { headers: { "x-forwarded-for": "198.51.100.2" } });
      assert.equal(neighbour.status, 200, "another client behind the same proxy is not");
    } finally {
      await custody.stop();
    }
  });

  it("believes X-Forwarded-For from its trusted proxies only", async () => {
    const custody = await custodyWith({ CUSTODY_RATE_LIMIT_PER_MINUTE: "60" });
    try {
      const flood = await statuses(30, (i) => request(`${custody.url}/v1/health`, { headers: { "x-forwarded-for": `198.51.100.${i + 1}` } }));
      assert.ok(flood.includes(429), "a client cannot pick a fresh bucket per request");
    } finally {
      await custody.stop();
    }
  });
});

describe("custody's limit per resident", () => {
  it("limits a resident's signing from any address, and no other resident", async () => {
    const chain = await startVotingChain();
    const custody = await custodyWith(
      { RPC_URL: chain.url, CUSTODY_RATE_LIMIT_PER_MINUTE: "0", CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "10", CUSTODY_TRUSTED_PROXIES: "127.0.0.1" },
      chain.deployment,
    );
    try {
      const token = async (residentId: string) => {
        await request(`${custody.url}/v1/residents`, { body: { residentId }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } });
        const { code } = (await request(`${custody.url}/v1/auth/code`, { body: { residentId } })).body;
        return (await request(`${custody.url}/v1/auth/token`, { body: { residentId, code } })).body.token as string;
      };
      const a = await token("flat-a");
      const b = await token("flat-b");
      const owners = await Promise.all(["flat-a", "flat-b"].map(async (residentId) => (await request(`${custody.url}/v1/residents`, { body: { residentId }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } })).body.address as string));
      await chain.addOwners(owners);
      const { meetingId } = await chain.announce({ questions: 1 });
      const sign = (t: string, i: number) =>
        request(`${custody.url}/v1/ballots/sign`, {
          body: { meetingId: meetingId.toString(), choices: String(1 + (i % 3)) },
          headers: { authorization: `Bearer ${t}`, "x-forwarded-for": `203.0.113.${i + 1}` },
        });
      const burst = await statuses(14, (i) => sign(a, i));
      assert.deepEqual(burst.slice(0, 10), Array(10).fill(200));
      assert.equal(burst.at(-1), 429, "a burst of one resident's requests is limited, from whatever address");
      const limited = await sign(a, 20);
      assert.equal(limited.body.error.code, "rate_limited");
      assert.match(String(limited.headers.get("retry-after")), /^\d+$/);
      assert.equal((await sign(b, 0)).status, 200, "another resident signs as before");
    } finally {
      await custody.stop();
      await chain.stop();
    }
  });
});
