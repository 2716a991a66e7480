/**
 * The relayer and the custodial wallet over HTTP against a real local node: the happy path to a
 * confirmed ballot, and every kind of bad input refused with its own code, nothing queued or signed.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { Wallet, ZeroAddress, id as keccakText } from "ethers";
import { ballotDigest, ballotDomain } from "#lib/ballot.js";
import { MeetingHall__factory, OwnedWallet__factory } from "#typechain/index.js";
import { CHOICES, deployFixture, devAccount, signedBallot, startChainProcess, type ChainProcess, type Fixture } from "../helpers/chain.js";
import { request, waitFor } from "../helpers/http.js";
import { REGISTRAR_TOKEN, metricsAuth, startInProcess, startWithCustody, type RunningServices } from "../helpers/services.js";
import { MAX_LAG_BLOCKS } from "../../src/voted-index.js";

let chain: ChainProcess;
let fx: Fixture;
let services: RunningServices;
let relayer: string;
let custody: string;

async function queueCounts(): Promise<Record<string, number>> {
  const r = await request(`${relayer}/v1/health`);
  return r.body.queue;
}

async function signingLogSize(): Promise<number> {
  const r = await request(`${custody}/v1/signing-log`, { headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } });
  return r.body.entries.length;
}

async function onboard(residentId: string): Promise<string> {
  const r = await request(`${custody}/v1/residents`, { body: { residentId }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } });
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
  return r.body.address;
}

async function login(residentId: string): Promise<string> {
  const code = await request(`${custody}/v1/auth/code`, { body: { residentId } });
  assert.equal(code.status, 202);
  const token = await request(`${custody}/v1/auth/token`, { body: { residentId, code: code.body.code } });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  return token.body.token;
}

async function confirmed(id: string): Promise<any> {
  let status: any;
  await waitFor(async () => {
    status = (await request(`${relayer}/v1/ballots/${id}`)).body;
    return status.status === "confirmed" || status.status === "rejected";
  }, 60_000, `ballot ${id}`);
  return status;
}

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 20, meetings: 2 });
  services = await startWithCustody(fx);
  relayer = services.relayerUrl;
  custody = services.custodyUrl!;
});

after(async () => {
  await services?.stop();
  fx?.cleanup();
  await chain?.stop();
});

describe("happy path", () => {
  it("takes a resident's ballot through custody and the relayer to a confirmed on-chain ballot", async () => {
    const address = await onboard("resident-happy");
    assert.equal(await onboard("resident-happy"), address, "onboarding is idempotent");
    await fx.addOwners([address]);
    const meetingId = await fx.announce();
    const token = await login("resident-happy");

    const me = await request(`${custody}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(me.body, { residentId: "resident-happy", address });

    const r = await request(`${custody}/v1/ballots`, {
      body: { meetingId: meetingId.toString(), choices: CHOICES.toString() },
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const hall = MeetingHall__factory.connect(fx.deployment.contracts.MeetingHall.address, fx.provider);
    const votingEnd = fx.votingEnds.get(meetingId)!;
    assert.equal(r.body.id, await hall.ballotDigest(meetingId, address, CHOICES, ZeroAddress, votingEnd), "the ballot id is its EIP-712 digest, with the close as its deadline");

    const status = await confirmed(r.body.id);
    assert.equal(status.status, "confirmed");
    assert.equal(await hall.hasVoted(meetingId, address), true);
    const receipt = await fx.provider.getTransactionReceipt(status.txHash);
    assert.equal(receipt!.blockNumber, status.blockNumber);
    const log = receipt!.logs.find((l) => l.index === status.logIndex)!;
    const parsed = hall.interface.parseLog(log)!;
    assert.equal(parsed.name, "BallotCast");
    assert.equal(parsed.args.voter, address);
    assert.equal(parsed.args.choices, CHOICES);

    const entries = (await request(`${custody}/v1/signing-log?residentId=resident-happy`, { headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } })).body.entries;
    assert.equal(entries.length, 1);
    assert.equal(entries[0].digest, r.body.id);
    assert.equal(entries[0].meetingId, meetingId.toString());
  });

  it("relays a ballot signed by a voter who keeps their own key, and answers a duplicate with the same id", async () => {
    const b = fx.sign(fx.voters[0]!, fx.meetings[0]!);
    const first = await request(`${relayer}/v1/ballots`, { body: b.body });
    assert.equal(first.status, 202);
    assert.equal(first.body.id, b.id);
    const again = await request(`${relayer}/v1/ballots`, { body: b.body });
    assert.equal(again.status, 202);
    assert.equal(again.body.id, b.id);
    assert.equal(again.body.duplicate, true);
    const status = await confirmed(b.id);
    assert.equal(status.status, "confirmed");
    const replay = await request(`${relayer}/v1/ballots`, { body: b.body });
    assert.equal(replay.status, 202);
    assert.equal(replay.body.status, "confirmed");
  });

  it("relays a ballot of a contract wallet, checked through ERC-1271", async () => {
    const owner = Wallet.createRandom();
    const contractWallet = await new OwnedWallet__factory(devAccount(6).connect(fx.provider)).deploy(owner.address);
    await contractWallet.waitForDeployment();
    const walletAddress = await contractWallet.getAddress();
    await fx.addOwners([walletAddress]);
    const meetingId = await fx.announce();
    const deadline = BigInt(fx.votingEnds.get(meetingId)!);
    const digest = ballotDigest(fx.domain, { meetingId, voter: walletAddress, choices: CHOICES, representative: ZeroAddress, deadline });
    const body = { meetingId: meetingId.toString(), voter: walletAddress, choices: CHOICES.toString(), deadline: deadline.toString() };

    const forged = await request(`${relayer}/v1/ballots`, { body: { ...body, signature: Wallet.createRandom().signingKey.sign(digest).serialized } });
    assert.equal(forged.status, 400);
    assert.equal(forged.body.error.code, "bad_signature");

    const r = await request(`${relayer}/v1/ballots`, { body: { ...body, signature: owner.signingKey.sign(digest).serialized } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await confirmed(r.body.id)).status, "confirmed");
  });

  it("answers a plain ballot post and a compressed one alike, with the request id and the ballot's location", async () => {
    const raw = (body: Buffer, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
        const req = http.request(`${relayer}/v1/ballots`, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
        });
        req.on("error", reject);
        req.end(body);
      });
    // the same refusal of a plain body and of a gzipped one
    const plainBad = await raw(Buffer.from("{}"), { "x-request-id": "req-plain-1" });
    const gzipBad = await raw(gzipSync("{}"), { "content-encoding": "gzip", "x-request-id": "req-gzip-1" });
    for (const [r, id] of [[plainBad, "req-plain-1"], [gzipBad, "req-gzip-1"]] as const) {
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, "invalid_request");
      assert.equal(r.headers["x-request-id"], id);
      assert.match(String(r.headers["content-type"]), /^application\/json; charset=utf-8/);
    }
    assert.deepEqual(plainBad.body, gzipBad.body);
    // a ballot accepted either way, answered 202 with its location
    const a = fx.sign(fx.voters[10]!, fx.meetings[0]!);
    const b = fx.sign(fx.voters[11]!, fx.meetings[0]!);
    const plain = await raw(Buffer.from(JSON.stringify(a.body)), {});
    const gzip = await raw(gzipSync(JSON.stringify(b.body)), { "content-encoding": "gzip" });
    for (const [r, ballot] of [[plain, a], [gzip, b]] as const) {
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.id, ballot.id);
      assert.equal(r.headers.location, `/v1/ballots/${ballot.id}`);
      assert.match(String(r.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    }
    assert.deepEqual(Object.keys(plain.body).sort(), Object.keys(gzip.body).sort());
    for (const ballot of [a, b]) assert.equal((await confirmed(ballot.id)).status, "confirmed");
  });

  it("serves its OpenAPI document, health and Prometheus metrics", async () => {
    const doc = await request(`${relayer}/v1/openapi.json`);
    assert.equal(doc.body.openapi, "3.1.0");
    assert.ok(doc.body.paths["/v1/ballots"].post);
    const health = await request(`${relayer}/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, "ok");
    const metrics = await fetch(`${relayer}/metrics`, { headers: metricsAuth }).then((r) => r.text());
    assert.match(metrics, /relayer_ballots_confirmed_total \d+/);
    assert.match(metrics, /relayer_intake_total\{result="accepted"\}/);
  });
});

describe("bad input at the relayer", () => {
  const post = (body: unknown) => request(`${relayer}/v1/ballots`, { body });

  async function refused(send: () => Promise<{ status: number; body: any }>, status: number, code: string) {
    const before = await queueCounts();
    const r = await send();
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error.code, code);
    assert.equal(typeof r.body.error.message, "string");
    assert.deepEqual(await queueCounts(), before, "nothing queued");
  }

  it("refuses malformed JSON", () => refused(() => request(`${relayer}/v1/ballots`, { raw: '{"meetingId": 1,' }), 400, "malformed_json"));

  it("refuses wrong types and unknown fields", async () => {
    const b = fx.sign(fx.voters[1]!, fx.meetings[0]!).body;
    await refused(() => post({ ...b, meetingId: true }), 400, "invalid_request");
    await refused(() => post({ ...b, voter: "0x1234" }), 400, "invalid_request");
    await refused(() => post({ ...b, extra: 1 }), 400, "invalid_request");
    await refused(() => post([b]), 400, "invalid_request");
  });

  it("refuses an oversized body and oversized values", async () => {
    const b = fx.sign(fx.voters[1]!, fx.meetings[0]!).body;
    await refused(() => post({ ...b, signature: "0x" + "ab".repeat(10_000) }), 413, "payload_too_large");
    await refused(() => post({ ...b, choices: "0x" + "f".repeat(40) }), 400, "value_too_large");
  });

  it("refuses a ballot stated for another chain or contract", async () => {
    const deadline = { deadline: BigInt(fx.votingEnds.get(fx.meetings[0]!)!) };
    const other = signedBallot(ballotDomain(1, fx.deployment.contracts.MeetingHall.address), fx.voters[1]!, fx.meetings[0]!, CHOICES, deadline);
    await refused(() => post({ ...other.body, domain: { chainId: 1 } }), 400, "wrong_domain");
    await refused(() => post({ ...other.body, domain: { verifyingContract: fx.deployment.contracts.BuildingRegistry.address } }), 400, "wrong_domain");
  });

  it("refuses a signature for another chain, contract, meeting or voter, and a tampered choice", async () => {
    const v = fx.voters[1]!;
    const m = fx.meetings[0]!;
    const deadline = { deadline: BigInt(fx.votingEnds.get(m)!) };
    const otherChain = signedBallot(ballotDomain(1, fx.deployment.contracts.MeetingHall.address), v, m, CHOICES, deadline);
    await refused(() => post(otherChain.body), 400, "bad_signature");
    const otherContract = signedBallot(ballotDomain(fx.deployment.chainId, fx.deployment.contracts.BuildingRegistry.address), v, m, CHOICES, deadline);
    await refused(() => post(otherContract.body), 400, "bad_signature");
    const otherMeeting = fx.sign(v, fx.meetings[1]!);
    await refused(() => post({ ...otherMeeting.body, meetingId: m.toString() }), 400, "bad_signature");
    const byOther = fx.sign(fx.voters[2]!, m);
    await refused(() => post({ ...byOther.body, voter: v.address }), 400, "bad_signature");
    const good = fx.sign(v, m);
    await refused(() => post({ ...good.body, choices: (1n | (1n << 2n) | (1n << 4n)).toString() }), 400, "bad_signature");
    await refused(() => post({ ...good.body, deadline: (BigInt(good.body.deadline) - 1n).toString() }), 400, "bad_signature");
  });

  it("refuses an unknown meeting, a meeting not open and malformed choices", async () => {
    const v = fx.voters[1]!;
    await refused(() => post(fx.sign(v, 999n).body), 404, "unknown_meeting");
    await refused(() => post(fx.sign(v, fx.notOpenMeeting).body), 409, "meeting_not_open");
    await refused(() => post(fx.sign(v, fx.meetings[0]!, 1n | (2n << 2n)).body), 400, "malformed_choices");
  });

  it("refuses a voter who owns nothing at the snapshot", async () => {
    await refused(() => post(fx.sign(Wallet.createRandom(), fx.meetings[0]!).body), 403, "not_eligible");
  });

  it("refuses a second ballot of a voter (queued, or already counted)", async () => {
    const v = fx.voters[3]!;
    const first = fx.sign(v, fx.meetings[1]!);
    assert.equal((await post(first.body)).status, 202);
    const second = fx.sign(v, fx.meetings[1]!, 3n | (3n << 2n) | (3n << 4n));
    const r = await post(second.body);
    if (r.status === 409 && r.body.error.code === "already_queued") {
      // still in the queue: wait for it to land, then a replay of another choice is a vote already cast
      await confirmed(first.id);
    }
    await refused(() => post(second.body), 409, "already_voted");
  });

  it("refuses a ballot of a voter who voted directly", async () => {
    const v = fx.voters[4]!.connect(fx.provider);
    const funder = devAccount(5).connect(fx.provider);
    await (await funder.sendTransaction({ to: v.address, value: 10n ** 17n })).wait();
    const hall = MeetingHall__factory.connect(fx.deployment.contracts.MeetingHall.address, v);
    const receipt = await (await hall.castBallot(fx.meetings[1]!, CHOICES)).wait();
    // intake reads "already voted" from an index that may lag the newest block by MAX_LAG_BLOCKS
    await waitFor(async () => (await fx.provider.getBlockNumber()) > receipt!.blockNumber + MAX_LAG_BLOCKS, 20_000, "the index's lag");
    await refused(() => post(fx.sign(fx.voters[4]!, fx.meetings[1]!).body), 409, "already_voted");
  });

  it("limits submissions per client", async () => {
    const limited = await startInProcess(fx, {
      RELAYER_RATE_LIMIT_PER_MINUTE: "60",
      RELAYER_SENDER_KEYS: devAccount(7).privateKey,
      RELAYER_DB_PATH: `${fx.tmpDir}/limited.sqlite`,
    });
    try {
      const statuses: number[] = [];
      let last: any;
      for (let i = 0; i < 15; i++) {
        last = await request(`${limited.relayerUrl}/v1/ballots`, { body: {} });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(400), "a burst of ten passes the limiter");
      assert.equal(statuses.at(-1), 429);
      assert.equal(last.body.error.code, "rate_limited");
    } finally {
      await limited.stop();
    }
  });

  it("answers an unknown ballot id and an unknown path with 404", async () => {
    const r = await request(`${relayer}/v1/ballots/${keccakText("nothing")}`);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, "unknown_ballot");
    const p = await request(`${relayer}/v2/ballots`);
    assert.equal(p.status, 404);
    assert.equal(p.body.error.code, "not_found");
  });
});

describe("bad input at custody", () => {
  let token: string;
  let address: string;
  let meetingId: bigint;

  before(async () => {
    address = await onboard("resident-a");
    await onboard("resident-b");
    await fx.addOwners([address]);
    token = await login("resident-a");
    meetingId = await fx.announce();
  });

  async function refusedAtCustody(send: () => Promise<{ status: number; body: any }>, status: number, code: string) {
    const logBefore = await signingLogSize();
    const queueBefore = await queueCounts();
    const r = await send();
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error.code, code);
    assert.equal(await signingLogSize(), logBefore, "nothing signed");
    assert.deepEqual(await queueCounts(), queueBefore, "nothing queued");
  }

  const sign = (body: unknown, authorization?: string) =>
    request(`${custody}/v1/ballots`, { body, headers: authorization ? { authorization } : {} });

  it("refuses an unauthenticated resident", async () => {
    await refusedAtCustody(() => sign({ meetingId: "1", choices: CHOICES.toString() }), 401, "unauthenticated");
    await refusedAtCustody(() => sign({ meetingId: "1", choices: CHOICES.toString() }, "Bearer not.a.token"), 401, "unauthenticated");
  });

  it("refuses to sign for another resident's address", async () => {
    const other = (await request(`${custody}/v1/residents`, { body: { residentId: "resident-b" }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } })).body.address;
    await refusedAtCustody(() => sign({ meetingId: meetingId.toString(), choices: CHOICES.toString(), voter: other }, `Bearer ${token}`), 403, "foreign_voter");
  });

  it("refuses arbitrary payloads and malformed choices", async () => {
    await refusedAtCustody(() => sign({ message: "0xdeadbeef" }, `Bearer ${token}`), 400, "invalid_request");
    await refusedAtCustody(() => sign({ meetingId: "1", choices: "0" }, `Bearer ${token}`), 400, "malformed_choices");
  });

  it("refuses a wrong one-time code and onboarding without registrar credentials", async () => {
    await request(`${custody}/v1/auth/code`, { body: { residentId: "resident-a" } });
    const wrong = await request(`${custody}/v1/auth/token`, { body: { residentId: "resident-a", code: "000000" } });
    // one chance in a million that 000000 is the code
    if (wrong.status !== 200) {
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, "invalid_code");
    }
    const r = await request(`${custody}/v1/residents`, { body: { residentId: "intruder" }, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, "forbidden");
  });

  it("signs only Ballot typed data and never returns the key", async () => {
    const r = await request(`${custody}/v1/ballots/sign`, {
      body: { meetingId: meetingId.toString(), choices: CHOICES.toString() },
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ballot.voter, address);
    assert.equal(r.body.ballot.deadline, String(fx.votingEnds.get(meetingId)), "the meeting's close is the deadline");
    assert.deepEqual(Object.keys(r.body).sort(), ["ballot", "domain", "id", "signature"]);
  });
});
