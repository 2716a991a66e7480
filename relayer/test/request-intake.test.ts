/**
 * Intake of forward requests on its own: each step refuses with its own code, in the fixed order
 * schema → size → target → function → deadline → signature → the signer's limit → nonce →
 * Forwarder.verify → the hall's answer → queued, reading the chain no further than the step that
 * refuses; a request posted again is acknowledged again and queued once; a second request of a
 * signer with the same nonce is refused while the first is live.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Signature, ZeroAddress, concat, id as keccakText, toBeHex, type BaseWallet, type Interface } from "ethers";
import { forwarderDomain } from "#lib/forward-request.js";
import { MeetingHall__factory } from "#typechain/index.js";
import { requestDigest } from "../src/forwarding.js";
import { voter } from "./helpers/chain.js";
import { CHAIN_ID, FORWARDER, HALL, codeOf, scriptedIntake, type ScriptedIntake } from "./helpers/intake.js";

// untyped: the tests call every function by name
const hall: Interface = MeetingHall__factory.createInterface();
const owner = voter(21);
const other = voter(22);
let t: ScriptedIntake;

beforeEach(() => {
  t = scriptedIntake();
});
afterEach(() => t.close());

/** A forward request body as a client posts it, signed by `wallet` (the clock of the scripted chain is at 1500). */
function signedRequest(wallet: BaseWallet = owner, overrides: Partial<{ to: string; value: bigint; gas: bigint; nonce: bigint; deadline: bigint; data: string }> = {}) {
  const request = {
    from: wallet.address,
    to: overrides.to ?? HALL,
    value: overrides.value ?? 0n,
    gas: overrides.gas ?? 500_000n,
    nonce: overrides.nonce ?? 0n,
    deadline: overrides.deadline ?? 1800n,
    data: overrides.data ?? hall.encodeFunctionData("finalize", [1n]),
  };
  const id = requestDigest(forwarderDomain(CHAIN_ID, FORWARDER), request);
  return {
    id,
    body: {
      from: request.from,
      to: request.to,
      value: request.value.toString(),
      gas: request.gas.toString(),
      nonce: request.nonce.toString(),
      deadline: request.deadline.toString(),
      data: request.data,
      signature: wallet.signingKey.sign(id).serialized,
    },
  };
}

const refusal = (body: unknown) => codeOf(t.requestIntake.submit(body));

describe("RequestIntake.submit: the order of the steps", () => {
  it("answers with the first step that fails, reading the chain no further than that step", async () => {
    const good = signedRequest();
    t.chain.forwarder.nonces.set(owner.address, 3n);
    t.chain.forwarder.verifies = false;
    t.chain.forwarder.simulation = { kind: "revert", error: { name: "MeetingHallNotFinalizable", args: { meetingId: "1", status: "1", votingEnd: "2000" } } };
    const ladder: Array<{ body: unknown; code: string; reads: string[]; fix?: () => void }> = [
      { body: { ...good.body, extra: 1 }, code: "invalid_request", reads: [] },
      { body: { ...good.body, deadline: (1n << 48n).toString() }, code: "value_too_large", reads: [] },
      { body: signedRequest(owner, { to: FORWARDER }).body, code: "wrong_target", reads: [] },
      { body: signedRequest(owner, { value: 1n }).body, code: "invalid_value", reads: [] },
      { body: signedRequest(owner, { gas: 5_000_001n }).body, code: "gas_too_high", reads: [] },
      { body: signedRequest(owner, { data: hall.encodeFunctionData("castBallotsBySig", [1n, []]) }).body, code: "function_not_allowed", reads: [] },
      { body: signedRequest(owner, { data: hall.encodeFunctionData("finalize", [1n]) + "00" }).body, code: "malformed_call", reads: [] },
      { body: signedRequest(owner, { deadline: 1499n }).body, code: "request_expired", reads: ["clock"] },
      { body: { ...good.body, signature: signedRequest(other).body.signature }, code: "bad_signature", reads: ["clock"] },
      { body: good.body, code: "wrong_nonce", reads: ["clock", "nonce"], fix: () => t.chain.forwarder.nonces.set(owner.address, 0n) },
      { body: good.body, code: "bad_signature", reads: ["clock", "nonce", "verify"], fix: () => (t.chain.forwarder.verifies = true) },
      { body: good.body, code: "request_reverted", reads: ["clock", "nonce", "verify", "simulate"], fix: () => (t.chain.forwarder.simulation = { kind: "ok" }) },
    ];
    for (const step of ladder) {
      t.chain.reads.length = 0;
      const r = await refusal(step.body);
      assert.equal(r.code, step.code, r.message);
      assert.deepEqual(t.chain.reads, step.reads, `${step.code}: the reads made`);
      assert.equal(t.store.requestCounts().queued, 0, `${step.code}: nothing queued`);
      step.fix?.();
    }
    t.chain.reads.length = 0;
    const { request, duplicate } = await t.requestIntake.submit(good.body);
    assert.equal(duplicate, false);
    assert.equal(request.id, good.id, "the id is the request's EIP-712 digest");
    assert.equal(request.functionName, "finalize");
    assert.deepEqual(t.chain.reads, ["clock", "nonce", "verify", "simulate"]);
    assert.equal(t.store.getRequest(good.id)?.state, "queued", "durably queued");
  });
});

describe("RequestIntake.submit: what is relayed", () => {
  it("relays each function of the allowlist, and no other function of the hall", async () => {
    const calls: Array<[string, unknown[]]> = [
      ["announceMeeting", [1n, 0, ZeroAddress, 1600n, 2600n, keccakText("a"), [{ textRef: keccakText("q"), questionType: 0 }]]],
      ["announcePoll", [1n, 1600n, 2600n, keccakText("p"), [keccakText("q")]]],
      ["cancel", [1n]],
      ["enterPaperDecisions", [1n, [{ voter: other.address, representative: ZeroAddress, powerOfAttorney: 0n, choices: 1n, voidMask: 0n, scanHash: keccakText("s") }]]],
      ["recordPowerOfAttorney", [{ principal: other.address, representative: owner.address, buildingId: 1n, meetingId: 0n, validFrom: 1n, validTo: 2n, documentHash: keccakText("d") }]],
      ["revokePowerOfAttorney", [1n]],
      ["castBallot", [1n, 21n]],
      ["castBallotFor", [1n, other.address, 1n, 21n]],
      ["finalize", [2n]],
    ];
    for (const [i, [name, args]] of calls.entries()) {
      t.chain.forwarder.nonces.set(owner.address, BigInt(i));
      const r = await t.requestIntake.submit(signedRequest(owner, { nonce: BigInt(i), data: hall.encodeFunctionData(name, args) }).body);
      assert.equal(r.request.functionName, name);
    }
    for (const name of ["castBallotsBySig", "meetingCount", "getMeeting", "ballotDigest"]) {
      const fragment = hall.getFunction(name)!;
      const data = fragment.selector + "00".repeat(32 * fragment.inputs.length);
      assert.equal((await refusal(signedRequest(owner, { data }).body)).code, "function_not_allowed", name);
    }
  });

  it("names the hall's custom error and its arguments when the hall refuses the call", async () => {
    t.chain.forwarder.simulation = { kind: "revert", error: { name: "MeetingHallNotInitiator", args: { buildingId: "1", account: owner.address } } };
    const r = await refusal(signedRequest(owner, { data: hall.encodeFunctionData("cancel", [1n]) }).body);
    assert.equal(r.code, "request_reverted");
    assert.deepEqual(r.details, { function: "cancel", error: "MeetingHallNotInitiator", args: { buildingId: "1", account: owner.address } });
  });

  it("refuses a signature that is not in the canonical form, naming the rule", async () => {
    const b = signedRequest().body;
    const sig = Signature.from(b.signature);
    const v01 = concat([sig.r, sig.s, new Uint8Array([sig.v - 27])]);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = concat([sig.r, toBeHex(n - BigInt(sig.s), 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
    for (const [signature, reason] of [[v01, "v"], [highS, "high_s"], [sig.compactSerialized, "length"]] as const) {
      const r = await refusal({ ...b, signature });
      assert.deepEqual([r.code, r.details?.reason], ["bad_signature", reason]);
    }
  });

  it("refuses a deadline within the closing margin: the request could not be executed in time", async () => {
    t.chain.closingMargin = 10;
    const r = await refusal(signedRequest(owner, { deadline: 1505n }).body);
    assert.equal(r.code, "request_expired");
    assert.deepEqual(r.details, { deadline: "1505", chainTime: 1500, marginSeconds: 10 });
  });
});

describe("RequestIntake.submit: duplicates, conflicts, the signer's limit", () => {
  it("acknowledges the same request again with the same id, queued once; refuses another request with the same nonce", async () => {
    const first = signedRequest();
    await t.requestIntake.submit(first.body);
    const again = await t.requestIntake.submit(first.body);
    assert.deepEqual([again.duplicate, again.request.id], [true, first.id]);
    const second = signedRequest(owner, { data: hall.encodeFunctionData("finalize", [2n]) });
    const r = await refusal(second.body);
    assert.equal(r.code, "already_queued");
    assert.deepEqual(r.details, { requestId: first.id });
    assert.equal(t.store.requestCounts().queued, 1);
  });

  it("limits each signer on their own, once their signature is checked", async () => {
    const limited = scriptedIntake({ signerLimit: (signer) => (signer === owner.address ? 30 : 0) });
    try {
      const r = await codeOf(limited.requestIntake.submit(signedRequest(owner).body));
      assert.deepEqual([r.code, r.details?.retryAfter], ["rate_limited", 30]);
      const forged = { ...signedRequest(owner).body, signature: signedRequest(other).body.signature };
      assert.equal((await codeOf(limited.requestIntake.submit(forged))).code, "bad_signature", "nobody spends another's limit: the signature comes first");
      assert.equal((await limited.requestIntake.submit(signedRequest(other).body)).duplicate, false, "another signer is not limited");
    } finally {
      limited.close();
    }
  });
});
