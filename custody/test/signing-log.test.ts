/**
 * The signing log for the registrar and auditors: every signature custody ever made, read a page at
 * a time with a cursor — oldest or newest first, of one resident, within a span of time — so that
 * nothing past the first thousand entries is out of reach.
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
import { startVotingChain, type VotingChain } from "./chain.js";
import { REGISTRAR_TOKEN, request } from "./helpers.js";

const RESIDENTS = ["flat-1", "flat-2", "flat-3"];
const SIGNED = 1_005;
/** Seven questions: 3^7 different ballots, so each signature is of another ballot. */
const QUESTIONS = 7;
/** The i-th ballot's choices: i in base 3, one answer a question. */
const choicesOf = (i: number) => {
  let c = 0n;
  for (let q = 0; q < QUESTIONS; q++) c |= BigInt(1 + (Math.floor(i / 3 ** q) % 3)) << BigInt(2 * q);
  return c.toString();
};
const registrar = { authorization: `Bearer ${REGISTRAR_TOKEN}` };

let dir: string;
let chain: VotingChain;
let custody: RunningCustody;
let url: string;
const signedBy = new Map<string, string[]>();

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "dh-signing-log-"));
  chain = await startVotingChain();
  custody = await startCustody(
    loadConfig({
      RPC_URL: chain.url,
      LOG_LEVEL: "silent",
      CUSTODY_PORT: "0",
      CUSTODY_DB_PATH: path.join(dir, "custody.sqlite"),
      CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
      CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
      CUSTODY_REVEAL_OTP: "true",
      CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
      CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "0",
    }),
    { deployment: chain.deployment, logger: createLogger("silent") },
  );
  url = custody.url;
  const tokens = new Map<string, string>();
  for (const id of RESIDENTS) {
    await chain.addOwners([(await request(`${url}/v1/residents`, { body: { residentId: id }, headers: registrar })).body.address]);
    const { code } = (await request(`${url}/v1/auth/code`, { body: { residentId: id } })).body;
    tokens.set(id, (await request(`${url}/v1/auth/token`, { body: { residentId: id, code } })).body.token);
    signedBy.set(id, []);
  }
  const { meetingId } = await chain.announce({ questions: QUESTIONS });
  for (let i = 0; i < SIGNED; i++) {
    const id = RESIDENTS[i % RESIDENTS.length]!;
    const r = await request(`${url}/v1/ballots/sign`, { body: { meetingId: meetingId.toString(), choices: choicesOf(i) }, headers: { authorization: `Bearer ${tokens.get(id)}` } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    signedBy.get(id)!.push(r.body.id);
  }
});

after(async () => {
  await custody?.stop();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Entry = { seq: number; residentId: string; meetingId: string; choices: string; digest: string; signedAt: string };

/** Every page of a query, following nextCursor to the end. */
async function allPages(query: Record<string, string>): Promise<{ pages: Entry[][]; entries: Entry[] }> {
  const pages: Entry[][] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const r = await request(`${url}/v1/signing-log?${q}`, { headers: registrar });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    pages.push(r.body.entries);
    cursor = r.body.nextCursor;
    assert.ok(pages.length < 100, "the cursor ends");
  } while (cursor !== null);
  return { pages, entries: pages.flat() };
}

describe("GET /v1/signing-log", () => {
  it("reaches every entry, past the first thousand, a page at a time", async () => {
    const { pages, entries } = await allPages({ limit: "400" });
    assert.deepEqual(pages.map((p) => p.length), [400, 400, 205]);
    assert.equal(entries.length, SIGNED);
    assert.deepEqual(entries.map((e) => e.seq), [...entries.map((e) => e.seq)].sort((a, b) => a - b), "oldest first by default");
    assert.equal(new Set(entries.map((e) => e.digest)).size, SIGNED, "no entry twice");
    assert.equal(entries.at(-1)!.choices, choicesOf(SIGNED - 1));
    const first = await request(`${url}/v1/signing-log`, { headers: registrar });
    assert.equal(first.body.entries.length, 100, "a page of 100 unless asked");
  });

  it("gives the newest first when asked, and pages back from there", async () => {
    const { entries } = await allPages({ order: "newest", limit: "1000" });
    assert.equal(entries.length, SIGNED);
    assert.equal(entries[0]!.choices, choicesOf(SIGNED - 1), "the last signature first");
    assert.deepEqual(entries.map((e) => e.seq), [...entries.map((e) => e.seq)].sort((a, b) => b - a));
  });

  it("filters by resident and by time", async () => {
    const { entries } = await allPages({ residentId: "flat-2", limit: "100" });
    assert.deepEqual(entries.map((e) => e.digest), signedBy.get("flat-2"));
    assert.ok(entries.every((e) => e.residentId === "flat-2"));

    const all = (await allPages({ limit: "1000" })).entries;
    const from = all[600]!.signedAt;
    const to = all[900]!.signedAt;
    const span = (await allPages({ since: from, until: to, limit: "50" })).entries;
    assert.ok(span.length > 0);
    assert.ok(span.every((e) => e.signedAt >= from && e.signedAt < to), "every entry within [since, until)");
    assert.deepEqual(span, all.filter((e) => e.signedAt >= from && e.signedAt < to), "and every entry of the span");
    const mine = (await allPages({ residentId: "flat-3", since: from, order: "newest" })).entries;
    assert.deepEqual(mine, all.filter((e) => e.residentId === "flat-3" && e.signedAt >= from).reverse());
  });

  it("refuses a malformed query, naming the parameter, and a caller who is not the registrar", async () => {
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=5000", "limit"],
      ["limit=ten", "limit"],
      ["cursor=abc", "cursor"],
      ["since=yesterday", "since"],
      ["until=2025-13-45", "until"],
      ["order=random", "order"],
      ["residentId=a%20b", "residentId"],
      ["limit=10&limit=20", "limit"],
      ["page=2", "body"],
    ] as const) {
      const r = await request(`${url}/v1/signing-log?${query}`, { headers: registrar });
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.code, "invalid_request");
      assert.ok(r.body.error.message.startsWith(`${field}:`), `${query}: ${r.body.error.message}`);
    }
    assert.equal((await request(`${url}/v1/signing-log`)).status, 401);
  });
});
