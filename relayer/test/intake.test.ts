/**
 * The intake pipeline on its own: each step refuses with its own code, in the fixed order schema →
 * size → EIP-712 domain → signature → meeting open and the deadline → power of attorney → eligible
 * at the snapshot → not already voted → queued, reading the chain no further than the step that
 * refuses; a ballot posted again is acknowledged again and queued once; a second, different ballot of
 * a voter is refused; a representative's ballot; joint owners, alone and racing.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Signature, Wallet, ZeroAddress, concat, toBeHex, type BaseWallet } from "ethers";
import { ballotDomain } from "#lib/ballot.js";
import { CHOICES, signedBallot, voter, type BallotOptions } from "./helpers/chain.js";
import { CHAIN_ID, HALL, codeOf, openMeeting, scriptedIntake, type ScriptedIntake } from "./helpers/intake.js";

let t: ScriptedIntake;
const alice = voter(1);
const bob = voter(2);

beforeEach(() => {
  t = scriptedIntake();
  t.chain.weights.set(alice.address, 5000n);
  t.chain.weights.set(bob.address, 3000n);
});
afterEach(() => t.close());

/** Meeting 1 closes at 2000 (helpers/intake.ts): the deadline custody signs. */
const DEADLINE = 2000n;
const ballot = (wallet: BaseWallet = alice, meetingId = 1n, choices = CHOICES, options: Partial<BallotOptions> = {}) =>
  signedBallot(t.domain, wallet, meetingId, choices, { deadline: DEADLINE, ...options });
const refusal = (body: unknown) => codeOf(t.intake.submit(body));

/** The address with the case of its first letter flipped: the same account, a broken checksum. */
function wrongChecksum(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const c = address[i]!;
  return address.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + address.slice(i + 1);
}

describe("Intake.submit: the order of the steps", () => {
  it("answers with the first step that fails, reading the chain no further than that step", async () => {
    const good = ballot().body;
    const foreign = signedBallot(ballotDomain(1, HALL), alice, 1n, CHOICES, { deadline: DEADLINE }).body;
    t.chain.meetings.set(1n, openMeeting(1n, { votingStart: 1600, votingEnd: 1999 }));
    t.chain.voted.add(`1:${alice.address}`);
    t.chain.weights.delete(alice.address);

    // Every step after the first fails too, so each answer names the earliest.
    const ladder: Array<{ body: unknown; code: string; reads: string[]; fix?: () => void }> = [
      { body: { ...foreign, choices: (1n << 128n).toString(), domain: { chainId: 1 }, extra: true }, code: "invalid_request", reads: [] },
      { body: { ...foreign, choices: (1n << 128n).toString(), domain: { chainId: 1 } }, code: "value_too_large", reads: [] },
      { body: { ...foreign, domain: { chainId: 1 } }, code: "wrong_domain", reads: [] },
      { body: foreign, code: "bad_signature", reads: ["code"] },
      { body: good, code: "meeting_not_open", reads: ["meeting", "clock", "fresh clock"], fix: () => t.chain.meetings.set(1n, openMeeting(1n, { votingEnd: 1999 })) },
      { body: good, code: "invalid_deadline", reads: ["meeting", "clock"], fix: () => t.chain.meetings.set(1n, openMeeting()) },
      { body: good, code: "not_eligible", reads: ["meeting", "clock", "weight"], fix: () => t.chain.weights.set(alice.address, 5000n) },
      { body: good, code: "already_voted", reads: ["meeting", "clock", "weight", "voted"], fix: () => t.chain.voted.clear() },
    ];
    for (const step of ladder) {
      t.chain.reads.length = 0;
      const r = await refusal(step.body);
      assert.equal(r.code, step.code, r.message);
      assert.deepEqual(t.chain.reads, step.reads, `${step.code}: the reads made`);
      assert.deepEqual(t.store.counts().queued, 0, `${step.code}: nothing queued`);
      step.fix?.();
    }
    t.chain.reads.length = 0;
    const { ballot: queued, duplicate } = await t.intake.submit(good);
    assert.equal(duplicate, false);
    assert.equal(queued.state, "queued");
    assert.deepEqual(t.chain.reads, ["meeting", "clock", "weight", "voted"]);
    assert.equal(t.store.get(queued.id)?.voter, alice.address, "durably queued");
  });
});

describe("Intake.submit: 1. schema", () => {
  it("refuses a body that breaks the schema as invalid_request, naming the field", async () => {
    const b = ballot().body;
    const cases: Array<[unknown, string]> = [
      [[b], "body"],
      [null, "body"],
      [{}, "meetingId"],
      [{ ...b, extra: 1 }, "body"],
      [{ ...b, meetingId: true }, "meetingId"],
      [{ ...b, meetingId: -1 }, "meetingId"],
      [{ ...b, meetingId: 1.5 }, "meetingId"],
      [{ ...b, meetingId: "01" }, "meetingId"],
      [{ ...b, meetingId: 2 ** 53 }, "meetingId"],
      [{ ...b, voter: "0x1234" }, "voter"],
      [{ ...b, voter: alice.address.toLowerCase().replace("0x", "") }, "voter"],
      [{ ...b, choices: "1e3" }, "choices"],
      [{ ...b, signature: "0x" }, "signature"],
      [{ ...b, signature: "0xabc" }, "signature"],
      [{ ...b, domain: { chainId: CHAIN_ID, salt: "0x00" } }, "domain"],
      [{ ...b, domain: { verifyingContract: "0x1234" } }, "domain.verifyingContract"],
      [{ ...b, deadline: undefined }, "deadline"],
      [{ ...b, deadline: "-5" }, "deadline"],
      [{ ...b, representative: "0x12" }, "representative"],
      [{ ...b, representative: bob.address }, "powerOfAttorney"],
      [{ ...b, representative: bob.address, powerOfAttorney: "0" }, "powerOfAttorney"],
      [{ ...b, powerOfAttorney: "3" }, "powerOfAttorney"],
      [{ ...b, representative: alice.address, powerOfAttorney: "3" }, "representative"],
    ];
    for (const [body, field] of cases) {
      const r = await refusal(body);
      assert.equal(r.code, "invalid_request", JSON.stringify(body));
      assert.ok(r.message.startsWith(`${field}:`), `${JSON.stringify(body)}: ${r.message}`);
    }
    assert.deepEqual(t.chain.reads, [], "nothing read from the chain");
  });

  it("refuses a mixed-case address whose EIP-55 checksum is wrong, and takes one in a single case", async () => {
    const b = ballot().body;
    assert.match(b.voter, /[a-f]/, "the voter's checksummed address is in mixed case");
    assert.equal((await refusal({ ...b, voter: wrongChecksum(b.voter) })).code, "invalid_request");
    assert.equal((await refusal({ ...b, domain: { verifyingContract: wrongChecksum(HALL) } })).code, "invalid_request");
    const lower = await t.intake.submit({ ...b, voter: b.voter.toLowerCase(), domain: { verifyingContract: HALL.toLowerCase() } });
    assert.equal(lower.ballot.voter, b.voter, "queued under its checksummed address");
  });
});

describe("Intake.submit: 2. size", () => {
  it("refuses values beyond their Solidity types and a signature beyond the limit as value_too_large", async () => {
    const small = scriptedIntake({ maxSignatureBytes: 65 });
    try {
      const b = signedBallot(small.domain, alice, 1n, CHOICES, { deadline: DEADLINE }).body;
      for (const body of [
        { ...b, meetingId: (1n << 256n).toString() },
        { ...b, meetingId: "9".repeat(78) },
        { ...b, choices: toBeHex(1n << 128n) },
        { ...b, deadline: (1n << 64n).toString() },
        { ...b, representative: bob.address, powerOfAttorney: (1n << 256n).toString() },
        { ...b, signature: b.signature + "00" },
      ]) {
        assert.equal((await codeOf(small.intake.submit(body))).code, "value_too_large", JSON.stringify(body));
      }
      assert.deepEqual(small.chain.reads, []);
    } finally {
      small.close();
    }
  });

  it("lets the largest values through to the next steps", async () => {
    const top = (1n << 256n) - 1n;
    const b = ballot(alice, top, (1n << 128n) - 1n).body;
    assert.equal((await refusal({ ...b, meetingId: toBeHex(top) })).code, "unknown_meeting", "signed for the largest meeting id, in hex");
  });
});

describe("Intake.submit: 3. EIP-712 domain", () => {
  it("refuses a ballot stated for another domain as wrong_domain, naming what differs and what is expected", async () => {
    const b = ballot().body;
    for (const [domain, field] of [
      [{ name: "Another" }, "name"],
      [{ version: "2" }, "version"],
      [{ chainId: 1 }, "chainId"],
      [{ chainId: "0x1" }, "chainId"],
      [{ verifyingContract: "0x" + "11".repeat(20) }, "verifyingContract"],
    ] as const) {
      const r = await refusal({ ...b, domain });
      assert.equal(r.code, "wrong_domain");
      assert.match(r.message, new RegExp(`\\(${field}\\)`));
      assert.deepEqual(r.details, { expected: { name: t.domain.name, version: t.domain.version, chainId: CHAIN_ID, verifyingContract: HALL } });
    }
    assert.deepEqual(t.chain.reads, []);
  });

  it("takes a ballot whose stated domain is the relayer's, however its numbers and addresses are written", async () => {
    const b = ballot().body;
    const r = await t.intake.submit({ ...b, domain: { name: t.domain.name, version: t.domain.version, chainId: toBeHex(CHAIN_ID), verifyingContract: HALL.toLowerCase() } });
    assert.equal(r.duplicate, false);
  });
});

describe("Intake.submit: 4. signature", () => {
  it("refuses a signature by another key, of another ballot, or malleable as bad_signature, before reading any meeting", async () => {
    const b = ballot().body;
    const sig = Signature.from(b.signature);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = concat([sig.r, toBeHex(n - BigInt(sig.s), 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
    for (const body of [
      { ...b, signature: ballot(bob).body.signature },
      { ...b, choices: (1n | (1n << 2n) | (1n << 4n)).toString() },
      { ...ballot(alice, 2n).body, meetingId: "1" },
      { ...b, signature: highS },
      { ...b, signature: "0x" + "00".repeat(65) },
    ]) {
      assert.equal((await refusal(body)).code, "bad_signature", JSON.stringify(body));
    }
    assert.ok(t.chain.reads.every((r) => r === "code"), `only whether the voter is a contract wallet was read: ${t.chain.reads}`);
  });
});

describe("Intake.submit: 5. meeting open", () => {
  it("refuses an unknown meeting as unknown_meeting", async () => {
    assert.equal((await refusal(ballot(alice, 9n).body)).code, "unknown_meeting");
  });

  it("refuses outside the voting window and in a meeting no longer announced as meeting_not_open, with the window", async () => {
    for (const meeting of [
      openMeeting(1n, { votingStart: 1501 }),
      openMeeting(1n, { votingEnd: 1500 }),
      openMeeting(1n, { status: 3 }),
    ]) {
      t.chain.meetings.set(1n, meeting);
      const r = await refusal(ballot().body);
      assert.equal(r.code, "meeting_not_open", JSON.stringify(meeting, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
      assert.deepEqual(r.details, { votingStart: meeting.votingStart, votingEnd: meeting.votingEnd });
    }
  });

  it("refuses only on a fresh reading of the clock: a stale reading before the window does not", async () => {
    t.chain.clock = { timestamp: 999, blockNumber: 90 };
    t.chain.fresh = { timestamp: 1000, blockNumber: 91 };
    const r = await t.intake.submit(ballot().body);
    assert.equal(r.ballot.state, "queued");
    assert.deepEqual(t.chain.reads.slice(0, 3), ["meeting", "clock", "fresh clock"]);
  });

  it("refuses choices that do not answer each question with 1, 2 or 3 as malformed_choices, once the meeting is open", async () => {
    for (const choices of [1n | (2n << 2n), 1n | (2n << 2n) | (3n << 4n) | (1n << 6n), 0n, 1n | (0n << 2n) | (3n << 4n)]) {
      assert.equal((await refusal(ballot(alice, 1n, choices).body)).code, "malformed_choices", choices.toString(2));
    }
    t.chain.meetings.set(1n, openMeeting(1n, { votingEnd: 1200 }));
    assert.equal((await refusal(ballot(alice, 1n, 1n).body)).code, "meeting_not_open", "a closed meeting first");
    assert.ok(!t.chain.reads.includes("weight"));
  });
});

describe("Intake.submit: 6–7. eligible, not voted", () => {
  it("refuses a voter without weight at the snapshot as not_eligible, before asking who has voted", async () => {
    const nobody = Wallet.createRandom();
    const r = await refusal(ballot(nobody).body);
    assert.equal(r.code, "not_eligible");
    assert.ok(!t.chain.reads.includes("voted"));
  });

  it("refuses a voter counted on chain as already_voted", async () => {
    t.chain.voted.add(`1:${bob.address}`);
    assert.equal((await refusal(ballot(bob).body)).code, "already_voted");
  });

  it("refuses as chain_unavailable, queueing nothing, when the node cannot be reached", async () => {
    t.chain.unreachable = true;
    assert.equal((await refusal(ballot().body)).code, "chain_unavailable");
    assert.equal(t.store.counts().queued, 0);
  });
});

describe("Intake.submit: 8. queued, duplicates and conflicts", () => {
  it("acknowledges the same ballot posted again as a duplicate with the same id, and queues it once", async () => {
    const b = ballot();
    const first = await t.intake.submit(b.body);
    const again = await t.intake.submit({ ...b.body, voter: b.body.voter.toLowerCase(), meetingId: 1 });
    assert.equal(first.ballot.id, b.id, "the id is the ballot's EIP-712 digest");
    assert.deepEqual([first.duplicate, again.duplicate], [false, true]);
    assert.equal(again.ballot.id, b.id);
    assert.equal(t.store.counts().queued, 1);
  });

  it("acknowledges a ballot it holds as a duplicate even once its meeting has closed or its vote is counted", async () => {
    const b = ballot();
    await t.intake.submit(b.body);
    t.chain.meetings.set(1n, openMeeting(1n, { votingEnd: 1400 }));
    assert.equal((await t.intake.submit(b.body)).duplicate, true, "closed meeting");
    t.chain.meetings.set(1n, openMeeting());
    t.chain.voted.add(`1:${alice.address}`);
    assert.equal((await t.intake.submit(b.body)).duplicate, true, "counted on chain");
    assert.equal(t.store.counts().queued, 1);
  });

  it("refuses a second, different ballot of a voter: already_queued while the first waits, already_voted once it is confirmed", async () => {
    const first = ballot();
    await t.intake.submit(first.body);
    const second = ballot(alice, 1n, 3n | (3n << 2n) | (3n << 4n));
    const queued = await refusal(second.body);
    assert.equal(queued.code, "already_queued");
    assert.deepEqual(queued.details, { ballotId: first.id });

    const planned = t.store.planBatch(1n, 10)!;
    t.store.completeBatch(planned.batchId, { confirmed: [{ voter: alice.address, txHash: "0x" + "aa".repeat(32), blockNumber: 101, logIndex: 0, weight: "5000" }], rejected: [] });
    const voted = await refusal(second.body);
    assert.equal(voted.code, "already_voted", "the queue knows the vote before the index does");
    assert.deepEqual(voted.details, { ballotId: first.id });
    assert.equal(t.store.get(second.id), undefined);
  });

  it("takes a new ballot of a voter whose earlier ballot was rejected", async () => {
    const first = ballot();
    await t.intake.submit(first.body);
    t.store.rejectBallots([first.id], "not_eligible");
    const second = ballot(alice, 1n, 2n | (2n << 2n) | (2n << 4n));
    const r = await t.intake.submit(second.body);
    assert.equal(r.duplicate, false);
    assert.equal(r.ballot.id, second.id);
  });
});

describe("Intake.prepare", () => {
  it("loads an open meeting's register and voters, leaves one whose snapshot is ahead for later, and drops one that is over", async () => {
    assert.equal(await t.intake.prepare(1n), "prepared");
    assert.deepEqual(t.chain.prepared, ["register 1", "voters 1"]);
    t.chain.meetings.set(2n, openMeeting(2n, { snapshot: 1500 }));
    assert.equal(await t.intake.prepare(2n), "later");
    t.chain.meetings.set(3n, openMeeting(3n, { votingEnd: 1500 }));
    assert.equal(await t.intake.prepare(3n), "over");
    t.chain.meetings.set(4n, openMeeting(4n, { status: 3 }));
    assert.equal(await t.intake.prepare(4n), "over");
    assert.deepEqual(t.chain.prepared, ["register 1", "voters 1"]);
  });
});

describe("Intake.submit: 4. one canonical signature form", () => {
  it("refuses v = 0/1, a high s and a signature that is not 65 bytes, naming the rule, before any meeting is read", async () => {
    const b = ballot().body;
    const sig = Signature.from(b.signature);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const v01 = concat([sig.r, sig.s, new Uint8Array([sig.v - 27])]);
    const highS = concat([sig.r, toBeHex(n - BigInt(sig.s), 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
    for (const [signature, reason, rule] of [
      [v01, "v", /v must be 27 or 28/],
      [highS, "high_s", /lower half/],
      [sig.compactSerialized, "length", /65 bytes/],
      [b.signature + "00", "length", /65 bytes/],
    ] as const) {
      const r = await refusal({ ...b, signature });
      assert.equal(r.code, "bad_signature", signature);
      assert.deepEqual(r.details, { reason });
      assert.match(r.message, rule);
    }
    assert.ok(t.chain.reads.every((r) => r === "code"), `only whether the voter is a contract wallet was read: ${t.chain.reads}`);
    assert.equal(t.store.counts().queued, 0);
  });

  it("does not let a bad-v copy queued earlier hide the voter's good signature of the same ballot", async () => {
    const good = ballot();
    const sig = Signature.from(good.body.signature);
    const badV = concat([sig.r, sig.s, new Uint8Array([sig.v - 27])]).toLowerCase();
    // as a queue from before intake held signatures to the canonical form would hold it
    t.store.insert({ id: good.id, meetingId: 1n, voter: alice.address, choices: CHOICES, signature: badV, representative: ZeroAddress, powerOfAttorney: 0n, deadline: DEADLINE });
    const r = await t.intake.submit(good.body);
    assert.equal(r.ballot.id, good.id);
    assert.equal(t.store.get(good.id)!.signature, good.body.signature.toLowerCase(), "the queued copy now carries the good signature");
    assert.equal(t.store.counts().queued, 1);
  });
});

describe("Intake.submit: 4. a contract wallet's signature", () => {
  const wallet = "0x" + "77".repeat(20);
  const walletBallot = () => ({ ...ballot(bob).body, voter: wallet, signature: ballot(bob).body.signature });

  it("asks the wallet only for an eligible voter of an open meeting who has not voted", async () => {
    t.chain.wallets.set(wallet, true);
    const r = await refusal(walletBallot());
    assert.equal(r.code, "not_eligible");
    assert.ok(!t.chain.reads.includes("wallet"), `the wallet was not called: ${t.chain.reads}`);

    t.chain.reads.length = 0;
    t.chain.meetings.set(1n, openMeeting(1n, { votingEnd: 1400 }));
    assert.equal((await refusal(walletBallot())).code, "meeting_not_open");
    assert.ok(!t.chain.reads.includes("wallet"));
    t.chain.meetings.set(1n, openMeeting());

    t.chain.weights.set(wallet, 4000n);
    t.chain.voted.add(`1:${wallet}`);
    t.chain.reads.length = 0;
    assert.equal((await refusal(walletBallot())).code, "already_voted");
    assert.ok(!t.chain.reads.includes("wallet"));
    t.chain.voted.clear();

    t.chain.reads.length = 0;
    const accepted = await t.intake.submit(walletBallot());
    assert.equal(accepted.duplicate, false);
    assert.deepEqual(t.chain.reads, ["code", "meeting", "clock", "weight", "voted", "wallet"], "the wallet is asked last");
  });

  it("refuses a ballot the wallet does not accept as bad_signature", async () => {
    t.chain.wallets.set(wallet, false);
    t.chain.weights.set(wallet, 4000n);
    const r = await refusal(walletBallot());
    assert.equal(r.code, "bad_signature");
    assert.deepEqual(r.details, { reason: "wallet_refused" });
    assert.equal(t.store.counts().queued, 0);
  });
});

describe("Intake.submit: 5. meeting closing", () => {
  it("refuses a ballot too close to the close to be counted as meeting_closing, with the close and the margin", async () => {
    t.chain.closingMargin = 10;
    t.chain.clock = { timestamp: 1991, blockNumber: 150 };
    const r = await refusal(ballot().body);
    assert.equal(r.code, "meeting_closing");
    assert.deepEqual(r.details, { votingEnd: 2000, chainTime: 1991, marginSeconds: 10 });
    assert.ok(!t.chain.reads.includes("weight"), "refused before eligibility is read");
    t.chain.clock = { timestamp: 1989, blockNumber: 149 };
    assert.equal((await t.intake.submit(ballot().body)).duplicate, false, "earlier than the margin, it is taken");
  });
});

describe("Intake.submit: 5. the signed deadline", () => {
  it("refuses a deadline after the meeting's close as invalid_deadline, and one passed or too soon as ballot_expired", async () => {
    const late = await refusal(ballot(alice, 1n, CHOICES, { deadline: 2001n }).body);
    assert.equal(late.code, "invalid_deadline");
    assert.deepEqual(late.details, { deadline: "2001", votingEnd: 2000 });

    const passed = await refusal(ballot(alice, 1n, CHOICES, { deadline: 1499n }).body);
    assert.equal(passed.code, "ballot_expired");
    assert.match(passed.message, /has passed/);

    t.chain.closingMargin = 10;
    const soon = await refusal(ballot(alice, 1n, CHOICES, { deadline: 1505n }).body);
    assert.equal(soon.code, "ballot_expired", "it would expire on its way to the chain");
    assert.deepEqual(soon.details, { deadline: "1505", chainTime: 1500, marginSeconds: 10 });
    assert.ok(!t.chain.reads.includes("weight"), "refused before eligibility is read");
    assert.equal(t.store.counts().queued, 0);

    const r = await t.intake.submit(ballot(alice, 1n, CHOICES, { deadline: 1510n }).body);
    assert.equal(r.ballot.deadline, 1510n, "a deadline beyond the margin, before the close, is taken as signed");
  });
});

describe("Intake.submit: 6. a representative's ballot", () => {
  const rep = voter(7);
  const power = (overrides: Partial<{ principal: string; representative: string; buildingId: bigint; meetingId: bigint; validFrom: number; validTo: number; revoked: boolean }> = {}) => ({
    id: 5n,
    principal: alice.address,
    representative: rep.address,
    buildingId: 1n,
    meetingId: 0n,
    validFrom: 1000,
    validTo: 3000,
    revoked: false,
    ...overrides,
  });
  const byRep = (powerOfAttorney = 5n) => ballot(rep, 1n, CHOICES, { voter: alice.address, powerOfAttorney });

  it("takes the principal's ballot signed by their representative under a power of attorney that covers the meeting now", async () => {
    t.chain.powers.set(5n, power());
    const b = byRep();
    const r = await t.intake.submit(b.body);
    assert.equal(r.ballot.id, b.id, "the id is the digest with the representative in it");
    assert.equal(r.ballot.voter, alice.address);
    assert.equal(r.ballot.representative, rep.address);
    assert.equal(r.ballot.powerOfAttorney, 5n);
    assert.deepEqual(t.chain.reads, ["meeting", "clock", "power", "weight", "voted"], "the power is read before eligibility");
  });

  it("refuses the voter's own signature, or a stranger's, on a representative's ballot as bad_signature", async () => {
    t.chain.powers.set(5n, power());
    const b = byRep().body;
    for (const signature of [ballot(alice, 1n, CHOICES, { voter: alice.address }).body.signature, ballot(bob, 1n, CHOICES, { voter: alice.address, powerOfAttorney: 5n }).body.signature]) {
      const r = await refusal({ ...b, signature });
      assert.equal(r.code, "bad_signature");
    }
    assert.equal((await refusal({ ...b, representative: bob.address })).code, "bad_signature", "the representative is signed");
    assert.equal((await refusal({ ...b, powerOfAttorney: "6" })).code, "no_power_of_attorney", "the power's id is not signed: it only points at what is checked");
  });

  it("refuses as no_power_of_attorney, naming why, a power that does not let this representative vote for this voter in this meeting now", async () => {
    const cases: Array<[ReturnType<typeof power> | undefined, string]> = [
      [undefined, "unknown"],
      [power({ revoked: true }), "revoked"],
      [power({ principal: bob.address }), "other_principal"],
      [power({ representative: bob.address }), "other_representative"],
      [power({ buildingId: 2n }), "other_building"],
      [power({ meetingId: 4n }), "other_meeting"],
      [power({ validFrom: 1501 }), "not_yet_valid"],
      [power({ validTo: 1499 }), "expired"],
    ];
    for (const [p, reason] of cases) {
      if (p) t.chain.powers.set(5n, p);
      else t.chain.powers.delete(5n);
      const r = await refusal(byRep().body);
      assert.equal(r.code, "no_power_of_attorney", reason);
      assert.equal(r.details?.reason, reason);
    }
    t.chain.closingMargin = 10;
    t.chain.powers.set(5n, power({ validTo: 1505 }));
    assert.equal((await refusal(byRep().body)).details?.reason, "expired", "a power that ends before the ballot could land");
    t.chain.powers.set(5n, power({ meetingId: 1n, validTo: 1510 }));
    assert.equal((await t.intake.submit(byRep().body)).duplicate, false, "a power for this one meeting, valid past the margin");
    assert.equal(t.store.counts().queued, 1);
  });

  it("refuses a representative's ballot for a principal who voted, and the principal's own once the representative's is queued", async () => {
    t.chain.powers.set(5n, power());
    t.chain.voted.add(`1:${alice.address}`);
    assert.equal((await refusal(byRep().body)).code, "already_voted");
    t.chain.voted.clear();
    const queued = byRep();
    await t.intake.submit(queued.body);
    const own = await refusal(ballot(alice, 1n, 3n | (3n << 2n) | (3n << 4n)).body);
    assert.equal(own.code, "already_queued", "one ballot counts for a voter, whoever casts it");
    assert.deepEqual(own.details, { ballotId: queued.id });
  });
});

describe("Intake.submit: joint owners", () => {
  const group = "0x" + "6a".repeat(20);
  const otherGroup = "0x" + "6b".repeat(20);
  const spouse = voter(3);
  const joint = (weight = 4000n, g = group) => ({ group: g, index: 9, weight });

  it("takes a joint owner who holds nothing alone, through a group nobody has voted", async () => {
    t.chain.groups.set(spouse.address, [joint()]);
    const b = ballot(spouse);
    const r = await t.intake.submit(b.body);
    assert.equal(r.duplicate, false);
    assert.deepEqual(t.store.jointGroups(b.id), [{ group, weight: "4000", claimed: true, counted: null, votedBy: null }]);
  });

  it("refuses one who holds nothing alone once every group of theirs is voted on chain, naming who voted it", async () => {
    t.chain.groups.set(spouse.address, [joint()]);
    t.chain.groupVotes.set(`1:${group}`, bob.address);
    const r = await refusal(ballot(spouse).body);
    assert.equal(r.code, "already_voted");
    assert.deepEqual(r.details, { jointGroups: [{ group, voter: bob.address }] });
  });

  it("takes one who holds a share alone though their group is voted: the share still counts", async () => {
    t.chain.weights.set(spouse.address, 1000n);
    t.chain.groups.set(spouse.address, [joint()]);
    t.chain.groupVotes.set(`1:${group}`, bob.address);
    const b = ballot(spouse);
    await t.intake.submit(b.body);
    assert.deepEqual(t.store.jointGroups(b.id), [{ group, weight: "4000", claimed: false, counted: false, votedBy: bob.address }]);
  });

  it("acknowledges only one of two holders of nothing but the same group who race, and says which ballot took it", async () => {
    t.chain.groups.set(bob.address, [joint()]);
    t.chain.weights.delete(bob.address);
    t.chain.groups.set(spouse.address, [joint()]);
    const [first, second] = [ballot(bob), ballot(spouse)];
    const results = await Promise.allSettled([t.intake.submit(first.body), t.intake.submit(second.body)]);
    assert.equal(results[0]!.status, "fulfilled");
    assert.equal(results[1]!.status, "rejected");
    const refused = await codeOf(Promise.reject((results[1] as PromiseRejectedResult).reason));
    assert.equal(refused.code, "already_queued");
    assert.deepEqual(refused.details, { jointGroups: [{ group, voter: bob.address, ballotId: first.id }] });
    assert.equal(t.store.counts().queued, 1, "only the first is queued");

    // once the first is counted, the second is refused as voted
    const planned = t.store.planBatch(1n, 10)!;
    t.store.completeBatch(planned.batchId, {
      confirmed: [{ voter: bob.address, txHash: "0x" + "aa".repeat(32), blockNumber: 101, logIndex: 1, weight: "4000" }],
      rejected: [],
      jointGroupVotes: [{ group, voter: bob.address }],
    });
    assert.equal((await refusal(second.body)).code, "already_voted");
    assert.deepEqual(t.store.jointGroups(first.id), [{ group, weight: "4000", claimed: true, counted: true, votedBy: bob.address }]);
  });

  it("acknowledges both holders when one holds a share alone, and holds that one back until the group's claimant has landed", async () => {
    t.chain.groups.set(bob.address, [joint()]);
    t.chain.weights.delete(bob.address);
    t.chain.weights.set(spouse.address, 1000n);
    t.chain.groups.set(spouse.address, [joint(), joint(2000n, otherGroup)]);
    const [first, second] = [ballot(bob), ballot(spouse)];
    await Promise.all([t.intake.submit(first.body), t.intake.submit(second.body)]);
    assert.equal(t.store.counts().queued, 2, "both can still count");
    assert.deepEqual(
      t.store.jointGroups(second.id).map((g) => [g.group, g.claimed]),
      [
        [group, false],
        [otherGroup, true],
      ],
      "the second claims only the group nobody claimed first",
    );
    const batch = t.store.planBatch(1n, 10)!;
    assert.equal(batch.size, 1, "the second waits: batched with or before the first, it would take the first's group");
    assert.equal(t.store.planBatch(1n, 10), undefined, "and stays out of later batches while the first is in flight");
    t.store.completeBatch(batch.batchId, {
      confirmed: [{ voter: bob.address, txHash: "0x" + "aa".repeat(32), blockNumber: 101, logIndex: 1, weight: "4000" }],
      rejected: [],
      jointGroupVotes: [{ group, voter: bob.address }],
    });
    const next = t.store.planBatch(1n, 10)!;
    assert.equal(next.size, 1, "batched once the first has landed");
    t.store.completeBatch(next.batchId, {
      confirmed: [{ voter: spouse.address, txHash: "0x" + "bb".repeat(32), blockNumber: 102, logIndex: 2, weight: "3000" }],
      rejected: [],
      jointGroupVotes: [{ group: otherGroup, voter: spouse.address }, { group, voter: bob.address }],
    });
    assert.deepEqual(t.store.jointGroups(second.id), [
      { group, weight: "4000", claimed: false, counted: false, votedBy: bob.address },
      { group: otherGroup, weight: "2000", claimed: true, counted: true, votedBy: spouse.address },
    ]);
  });
});
