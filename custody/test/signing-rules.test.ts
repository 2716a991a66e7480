/**
 * What custody signs, against a real chain: a ballot only for an announced meeting whose voting is
 * open and not about to close, for a voter eligible at its snapshot (the resident, or the principal
 * of a power of attorney that names the resident), with the meeting's close as its signed deadline;
 * a forward request only for a hall function the hall would accept for the resident, built from a
 * structured body; and nothing at all without a chain to read. Each refusal leaves the signing log
 * as it was.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { TypedDataEncoder, Wallet, ZeroAddress, id as keccakText, recoverAddress } from "ethers";
import { BALLOT_TYPES, ballotDigest } from "#lib/ballot.js";
import { FORWARD_REQUEST_TYPES } from "#lib/forward-request.js";
import { createLogger } from "#lib/log.js";
import { Forwarder__factory, MeetingHall__factory } from "#typechain/index.js";
import { loadConfig } from "../src/config.js";
import { startCustody, type RunningCustody } from "../src/service.js";
import { BUILDING, startVotingChain, type VotingChain } from "./chain.js";
import { REGISTRAR_TOKEN, deployment as chainless, request } from "./helpers.js";

const registrar = { authorization: `Bearer ${REGISTRAR_TOKEN}` };
/** For, Against, Abstain on three questions. */
const CHOICES = "57";

let dir: string;
let chain: VotingChain;
let custody: RunningCustody;
let url: string;
const residents = new Map<string, { address: string; token: string }>();

async function start(rpcUrl: string | undefined, record = chain.deployment): Promise<RunningCustody> {
  return startCustody(
    loadConfig({
      ...(rpcUrl ? { RPC_URL: rpcUrl } : {}),
      LOG_LEVEL: "silent",
      CUSTODY_PORT: "0",
      CUSTODY_DB_PATH: path.join(dir, `custody-${randomBytes(4).toString("hex")}.sqlite`),
      CUSTODY_MASTER_KEY: randomBytes(32).toString("hex"),
      CUSTODY_REGISTRAR_TOKEN: REGISTRAR_TOKEN,
      CUSTODY_REVEAL_OTP: "true",
      CUSTODY_RATE_LIMIT_PER_MINUTE: "0",
      CUSTODY_RESIDENT_RATE_LIMIT_PER_MINUTE: "0",
      CUSTODY_CLOSING_MARGIN_SECONDS: "30",
    }),
    { deployment: record, logger: createLogger("silent") },
  );
}

async function resident(base: string, residentId: string) {
  const address = (await request(`${base}/v1/residents`, { body: { residentId }, headers: registrar })).body.address as string;
  const { code } = (await request(`${base}/v1/auth/code`, { body: { residentId } })).body;
  const token = (await request(`${base}/v1/auth/token`, { body: { residentId, code } })).body.token as string;
  return { address, token };
}

const signBallot = (who: string, body: unknown) =>
  request(`${url}/v1/ballots/sign`, { body, headers: { authorization: `Bearer ${residents.get(who)!.token}` } });
const signRequest = (who: string, body: unknown) =>
  request(`${url}/v1/requests/sign`, { body, headers: { authorization: `Bearer ${residents.get(who)!.token}` } });
const logSize = async () => (await request(`${url}/v1/signing-log?limit=1000`, { headers: registrar })).body.entries.length as number;

/** Sends `send`, expects the refusal `status` / `code`, and that nothing was signed. */
async function refused(send: () => Promise<{ status: number; body: any }>, status: number, code: string) {
  const before = await logSize();
  const r = await send();
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  assert.equal(await logSize(), before, "nothing signed");
  return r.body.error;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "dh-custody-rules-"));
  chain = await startVotingChain();
  custody = await start(chain.url);
  url = custody.url;
  for (const id of ["owner-a", "owner-b", "tenant-c", "representative-d"]) residents.set(id, await resident(url, id));
  await chain.addOwners([residents.get("owner-a")!.address, residents.get("owner-b")!.address]);
});

after(async () => {
  await custody?.stop();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("POST /v1/ballots/sign: the meeting", () => {
  it("a stolen token cannot collect signatures for a meeting id that does not exist yet", async () => {
    const next = (await chain.hall.meetingCount()) + 1n;
    for (const meetingId of [next, next + 1n, next + 63n, 2n ** 255n]) {
      await refused(() => signBallot("owner-a", { meetingId: meetingId.toString(), choices: CHOICES }), 404, "unknown_meeting");
    }
    // once that meeting is announced and open, the owner signs for it as usual
    const { meetingId } = await chain.announce();
    assert.equal(meetingId, next);
    assert.equal((await signBallot("owner-a", { meetingId: meetingId.toString(), choices: CHOICES })).status, 200);
  });

  it("a signature is useless after votingEnd: the deadline it binds is the meeting's close", async () => {
    const { meetingId, votingEnd } = await chain.announce({ window: 600 });
    const r = await signBallot("owner-b", { meetingId: meetingId.toString(), choices: CHOICES });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ballot.deadline, String(votingEnd));
    const signed = { meetingId, voter: residents.get("owner-b")!.address, choices: BigInt(CHOICES), representative: ZeroAddress, deadline: BigInt(votingEnd) };
    assert.equal(r.body.id, ballotDigest(custody.domain, signed));
    assert.equal(TypedDataEncoder.hash(custody.domain, BALLOT_TYPES, signed), r.body.id, "the deadline is in the signed message");
    assert.equal(recoverAddress(r.body.id, r.body.signature), signed.voter);
    // a later deadline is another message: the signature does not cover it
    assert.notEqual(recoverAddress(ballotDigest(custody.domain, { ...signed, deadline: signed.deadline + 3600n }), r.body.signature), signed.voter);

    // after the close the contract takes it nowhere: the hall refuses it as not open, and custody signs nothing more
    await chain.advance(votingEnd - (await chain.now()) + 1);
    const batch = [{ voter: signed.voter, representative: ZeroAddress, powerOfAttorney: 0n, choices: signed.choices, deadline: signed.deadline, signature: r.body.signature }];
    const receipt = await (await chain.hall.castBallotsBySig(meetingId, batch)).wait();
    const names = receipt!.logs.map((l) => chain.hall.interface.parseLog(l)?.name);
    assert.deepEqual(names, ["BallotRejected"], "rejected, not counted");
    assert.equal(await chain.hall.hasVoted(meetingId, signed.voter), false);
    await refused(() => signBallot("owner-b", { meetingId: meetingId.toString(), choices: CHOICES }), 409, "meeting_not_open");
  });

  it("signs nothing before voting opens, once the meeting is cancelled, or in the closing margin", async () => {
    const start = (await chain.now()) + 3600;
    await (await chain.hall.announceMeeting(BUILDING, 0, ZeroAddress, start, start + 3600, keccakText("later"), [{ textRef: keccakText("q"), questionType: 0 }])).wait();
    const upcoming = await chain.hall.meetingCount();
    await refused(() => signBallot("owner-a", { meetingId: upcoming.toString(), choices: "1" }), 409, "meeting_not_open");
    await (await chain.hall.cancel(upcoming)).wait();
    await refused(() => signBallot("owner-a", { meetingId: upcoming.toString(), choices: "1" }), 409, "meeting_not_open");

    const { meetingId, votingEnd } = await chain.announce({ window: 120 });
    await chain.advance(votingEnd - (await chain.now()) - 20);
    const closing = await refused(() => signBallot("owner-a", { meetingId: meetingId.toString(), choices: CHOICES }), 409, "meeting_closing");
    assert.equal(closing.details.marginSeconds, 30);
  });

  it("refuses choices that do not answer the meeting's agenda", async () => {
    const { meetingId } = await chain.announce();
    for (const choices of ["1", "5", String(57 | (1 << 6))]) {
      await refused(() => signBallot("owner-a", { meetingId: meetingId.toString(), choices }), 400, "malformed_choices");
    }
  });
});

describe("POST /v1/ballots/sign: the voter", () => {
  it("refuses a resident who owns nothing at the snapshot, and one who bought after it", async () => {
    const { meetingId } = await chain.announce();
    await refused(() => signBallot("tenant-c", { meetingId: meetingId.toString(), choices: CHOICES }), 403, "not_eligible");
    await chain.addOwners([residents.get("tenant-c")!.address]);
    await refused(() => signBallot("tenant-c", { meetingId: meetingId.toString(), choices: CHOICES }), 403, "not_eligible");
    const later = await chain.announce();
    assert.equal((await signBallot("tenant-c", { meetingId: later.meetingId.toString(), choices: CHOICES })).status, 200, "an owner at the next meeting's snapshot");
  });

  it("signs a principal's ballot for their representative only under a power of attorney that names the representative", async () => {
    const { meetingId, votingEnd } = await chain.announce();
    const principal = residents.get("owner-a")!.address;
    const rep = residents.get("representative-d")!.address;
    const body = (powerOfAttorney: bigint, voter = principal) => ({ meetingId: meetingId.toString(), choices: CHOICES, voter, powerOfAttorney: powerOfAttorney.toString() });
    const now = await chain.now();
    const record = async (p: { principal: string; representative: string; meetingId?: bigint; validFrom?: number; validTo?: number }) => {
      await (
        await chain.hall.recordPowerOfAttorney({
          principal: p.principal,
          representative: p.representative,
          buildingId: BUILDING,
          meetingId: p.meetingId ?? 0n,
          validFrom: p.validFrom ?? now,
          validTo: p.validTo ?? now + 7 * 24 * 3600,
          documentHash: keccakText(`power ${p.principal} ${p.representative}`),
        })
      ).wait();
      return (await chain.hall.powersOfAttorney(BUILDING, p.principal, p.representative)).at(-1)!;
    };

    await refused(() => signBallot("representative-d", body(999n)), 403, "no_power_of_attorney");
    const toSomeoneElse = await record({ principal, representative: residents.get("owner-b")!.address });
    await refused(() => signBallot("representative-d", body(toSomeoneElse)), 403, "no_power_of_attorney");
    const otherMeeting = await record({ principal, representative: rep, meetingId: meetingId - 1n });
    await refused(() => signBallot("representative-d", body(otherMeeting)), 403, "no_power_of_attorney");
    const notYet = await record({ principal, representative: rep, validFrom: now + 3600 });
    await refused(() => signBallot("representative-d", body(notYet)), 403, "no_power_of_attorney");
    const good = await record({ principal, representative: rep, meetingId });
    await (await chain.hall.revokePowerOfAttorney(good)).wait();
    await refused(() => signBallot("representative-d", body(good)), 403, "no_power_of_attorney");
    const valid = await record({ principal, representative: rep });
    await refused(() => signBallot("representative-d", body(valid, residents.get("tenant-c")!.address)), 403, "no_power_of_attorney");
    await refused(() => signBallot("representative-d", { meetingId: meetingId.toString(), choices: CHOICES, voter: principal }), 403, "foreign_voter");

    const r = await signBallot("representative-d", body(valid));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.ballot, {
      meetingId: meetingId.toString(),
      voter: principal,
      choices: CHOICES,
      deadline: String(votingEnd),
      representative: rep,
      powerOfAttorney: valid.toString(),
    });
    assert.equal(recoverAddress(r.body.id, r.body.signature), rep, "signed with the representative's own key");
    assert.equal(r.body.id, await chain.hall.ballotDigest(meetingId, principal, BigInt(CHOICES), rep, votingEnd));
    const entry = (await request(`${url}/v1/signing-log?residentId=representative-d&order=newest&limit=1`, { headers: registrar })).body.entries[0];
    assert.deepEqual([entry.kind, entry.voter, entry.digest, entry.deadline], ["ballot", principal, r.body.id, String(votingEnd)]);
  });
});

describe("POST /v1/requests/sign", () => {
  const hallInterface = MeetingHall__factory.createInterface();

  it("signs an owner's announcement the hall accepts, with the forwarder's nonce, a short deadline and the gas it needs", async () => {
    const owner = residents.get("owner-a")!;
    const start = (await chain.now()) + 600;
    const args = {
      buildingId: "1",
      meetingType: "Annual",
      votingStart: String(start),
      votingEnd: String(start + 3600),
      agendaRef: keccakText("annual meeting"),
      questions: [{ textRef: keccakText("approve the accounts"), questionType: 0 }],
    };
    const r = await signRequest("owner-a", { function: "announceMeeting", args });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const forwarder = chain.deployment.contracts.Forwarder.address;
    assert.deepEqual(r.body.domain, { name: "Digital Home Forwarder", version: "1", chainId: chain.deployment.chainId, verifyingContract: forwarder });
    const req = r.body.request;
    assert.equal(req.from, owner.address);
    assert.equal(req.to, chain.deployment.contracts.MeetingHall.address);
    assert.equal(req.value, "0");
    assert.equal(req.nonce, "0");
    assert.ok(Number(req.deadline) > (await chain.now()) && Number(req.deadline) <= (await chain.now()) + 300);
    assert.equal(req.data, hallInterface.encodeFunctionData("announceMeeting", [1n, 1, ZeroAddress, start, start + 3600, args.agendaRef, args.questions]));
    const typed = { ...req, value: 0n, gas: BigInt(req.gas), nonce: 0n, deadline: BigInt(req.deadline) };
    const digest = TypedDataEncoder.hash({ ...r.body.domain, chainId: BigInt(r.body.domain.chainId) }, FORWARD_REQUEST_TYPES, typed);
    assert.equal(r.body.id, digest);
    assert.equal(recoverAddress(digest, r.body.signature), owner.address);
    const entry = (await request(`${url}/v1/signing-log?residentId=owner-a&order=newest&limit=1`, { headers: registrar })).body.entries[0];
    assert.deepEqual([entry.kind, entry.functionName, entry.digest], ["forward_request", "announceMeeting", digest]);

    // it executes as signed, and the hall acts for the owner
    const forwarderContract = Forwarder__factory.connect(forwarder, chain.admin);
    await (await forwarderContract.execute({ ...typed, signature: r.body.signature })).wait();
    const m = await chain.hall.getMeeting(await chain.hall.meetingCount());
    assert.equal(m.initiator, owner.address, "the owner announced it, paying no gas");
    assert.equal(m.meetingType, 1n);
  });

  it("refuses a call the hall would refuse, with the hall's error, signing nothing", async () => {
    const start = (await chain.now()) + 600;
    const announce = { buildingId: "1", meetingType: "Extraordinary", votingStart: String(start), votingEnd: String(start + 3600), agendaRef: keccakText("x"), questions: [{ textRef: keccakText("q"), questionType: 0 }] };
    const notOwner = await refused(() => signRequest("representative-d", { function: "announceMeeting", args: announce }), 422, "request_reverted");
    assert.equal(notOwner.details.error, "MeetingHallNotInitiator");
    assert.deepEqual(notOwner.details.args, { buildingId: "1", account: residents.get("representative-d")!.address });
    const badType = await refused(() => signRequest("owner-a", { function: "announceMeeting", args: { ...announce, questions: [{ textRef: keccakText("q"), questionType: 999 }] } }), 422, "request_reverted");
    assert.equal(badType.details.error, "MeetingHallInvalidQuestionType");
    const notAdministrator = await refused(() => signRequest("owner-b", { function: "cancel", args: { meetingId: "1" } }), 422, "request_reverted");
    assert.equal(notAdministrator.details.error, "MeetingHallNotMeetingInitiator");
  });

  it("refuses raw calldata, functions outside the allowlist and malformed arguments as invalid_request", async () => {
    const bodies: unknown[] = [
      { function: "announceMeeting", data: "0x12345678" },
      { data: hallInterface.encodeFunctionData("finalize", [1n]) },
      { function: "grantRole", args: {} },
      { function: "castBallotsBySig", args: { meetingId: "1", ballots: [] } },
      { function: "cancel", args: { meetingId: "-1" } },
      { function: "cancel", args: { meetingId: "1", extra: true } },
      { function: "recordPowerOfAttorney", args: { principal: "0x12", representative: ZeroAddress, buildingId: "1", meetingId: "0", validFrom: "0", validTo: "1", documentHash: keccakText("d") } },
      { function: "announcePoll", args: { buildingId: "1", votingStart: "1", votingEnd: "2", agendaRef: keccakText("p"), questionRefs: [] } },
      { function: "enterPaperDecisions", args: { meetingId: "1", decisions: [{ voter: Wallet.createRandom().address, choices: "1", scanHash: keccakText("s"), representative: Wallet.createRandom().address }] } },
    ];
    for (const body of bodies) await refused(() => signRequest("owner-a", body), 400, "invalid_request");
  });
});

describe("without a chain to read", () => {
  it("logs residents in but signs nothing", async () => {
    const blind = await start(undefined, chainless);
    try {
      const { token } = await resident(blind.url, "owner-x");
      for (const [p, body] of [
        ["/v1/ballots/sign", { meetingId: "1", choices: CHOICES }],
        ["/v1/requests/sign", { function: "finalize", args: { meetingId: "1" } }],
      ] as const) {
        const r = await request(`${blind.url}${p}`, { body, headers: { authorization: `Bearer ${token}` } });
        assert.deepEqual([r.status, r.body.error.code], [501, "no_chain"], p);
      }
      assert.equal((await request(`${blind.url}/v1/signing-log`, { headers: registrar })).body.entries.length, 0);
    } finally {
      await blind.stop();
    }
  });
});
