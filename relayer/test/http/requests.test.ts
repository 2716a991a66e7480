/**
 * Forward requests over HTTP against a real node (one-second blocks), the relayer and custody each
 * from its own configuration: an owner without ether announces a meeting through the relayer; an
 * owner in custody announces through custody and the relayer, its administrator records a power of
 * attorney and enters a paper decision, and the representative votes for the principal, all
 * gas-free; the hall's refusal comes back as its custom error; a request that someone else executes
 * too lands once; and refused requests queue nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NonceManager, Wallet, ZeroAddress, id as keccakText, type BaseWallet, type Interface } from "ethers";
import { MeetingType } from "#lib/domain.js";
import { FORWARD_REQUEST_TYPES, forwarderDomain } from "#lib/forward-request.js";
import { Forwarder__factory, MeetingHall__factory, type Forwarder, type MeetingHall } from "#typechain/index.js";
import { CHOICES, QUESTION_TYPE, deployFixture, devAccount, startChainProcess, type ChainProcess, type Fixture } from "../helpers/chain.js";
import { request, waitFor } from "../helpers/http.js";
import { REGISTRAR_TOKEN, startInProcess, startWithCustody, type RunningServices } from "../helpers/services.js";

const hallInterface: Interface = MeetingHall__factory.createInterface();

let chain: ChainProcess;
let fx: Fixture;
let services: RunningServices;
let relayer: string;
let custody: string;
let hall: MeetingHall;
let forwarder: Forwarder;

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 6, meetings: 1 });
  services = await startWithCustody(fx, { relayer: { RELAYER_SIGNER_RATE_LIMIT_PER_MINUTE: "0" } });
  relayer = services.relayerUrl;
  custody = services.custodyUrl!;
  const admin = new NonceManager(devAccount(0).connect(fx.provider));
  hall = MeetingHall__factory.connect(fx.deployment.contracts.MeetingHall.address, admin);
  forwarder = Forwarder__factory.connect(fx.deployment.contracts.Forwarder.address, admin);
});

after(async () => {
  await services?.stop();
  fx?.cleanup();
  await chain?.stop();
});

const chainTime = async () => Number(BigInt((await fx.provider.send("eth_getBlockByNumber", ["latest", false])).timestamp));

/** A forward request for the hall signed by `wallet` with its current forwarder nonce. */
async function signed(wallet: BaseWallet, data: string, overrides: Partial<{ gas: bigint; deadline: bigint; nonce: bigint; to: string }> = {}) {
  const request = {
    from: wallet.address,
    to: overrides.to ?? fx.deployment.contracts.MeetingHall.address,
    value: 0n,
    gas: overrides.gas ?? 1_500_000n,
    nonce: overrides.nonce ?? (await forwarder.nonces(wallet.address)),
    deadline: overrides.deadline ?? BigInt((await chainTime()) + 600),
    data,
  };
  const domain = forwarderDomain(fx.deployment.chainId, fx.deployment.contracts.Forwarder.address);
  const signature = await wallet.signTypedData(domain, FORWARD_REQUEST_TYPES, request);
  const body = { ...request, value: "0", gas: request.gas.toString(), nonce: request.nonce.toString(), deadline: request.deadline.toString(), signature };
  return { request, signature, body };
}

async function settled(id: string): Promise<any> {
  let s: any;
  await waitFor(async () => {
    s = (await request(`${relayer}/v1/requests/${id}`)).body;
    return s.status === "confirmed" || s.status === "rejected";
  }, 90_000, `request ${id}`);
  return s;
}

const requestCounts = async () => (await request(`${relayer}/v1/health`)).body.requests;

async function announceData(options: { start?: number; administrator?: string } = {}) {
  const start = options.start ?? (await chainTime()) + 4;
  return {
    start,
    data: hallInterface.encodeFunctionData("announceMeeting", [
      1n,
      MeetingType.Annual,
      options.administrator ?? ZeroAddress,
      start,
      start + 3 * 24 * 3600,
      keccakText("annual agenda"),
      [{ textRef: keccakText("approve the year's accounts"), questionType: QUESTION_TYPE }],
    ]),
  };
}

describe("POST /v1/requests: an owner without ether", () => {
  it("announces a meeting through the relayer, which pays the gas; the hall records the owner as its initiator", async () => {
    const owner = fx.voters[0]!.connect(fx.provider);
    assert.equal(await fx.provider.getBalance(owner.address), 0n, "the owner holds no ether");
    const { data } = await announceData();
    const r = await signed(owner, data);
    const posted = await request(`${relayer}/v1/requests`, { body: r.body });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    assert.equal(posted.body.function, "announceMeeting");
    const again = await request(`${relayer}/v1/requests`, { body: r.body });
    assert.deepEqual([again.status, again.body.id, again.body.duplicate], [202, posted.body.id, true]);

    const s = await settled(posted.body.id);
    assert.equal(s.status, "confirmed", JSON.stringify(s));
    const meetingId = await hall.meetingCount();
    const m = await hall.getMeeting(meetingId);
    assert.equal(m.initiator, owner.address);
    assert.equal(m.administrator, owner.address, "the initiator administers it by default");
    assert.equal(m.meetingType, BigInt(MeetingType.Annual));
    const receipt = await fx.provider.getTransactionReceipt(s.txHash);
    assert.ok(services.senders.includes(receipt!.from), "the relayer's sender paid for it");
    assert.equal(await forwarder.nonces(owner.address), 1n, "the nonce is used: the request cannot run again");
    const replay = await request(`${relayer}/v1/requests`, { body: r.body });
    assert.deepEqual([replay.status, replay.body.status], [202, "confirmed"], "posted again once executed: the same request, confirmed");
  });

  it("refuses what it does not relay, naming the hall's error when the hall refuses, and queues nothing", async () => {
    const owner = fx.voters[1]!.connect(fx.provider);
    const stranger = Wallet.createRandom().connect(fx.provider);
    const before = await requestCounts();
    const { data } = await announceData();
    const cases: Array<[() => Promise<unknown>, number, string]> = [
      [async () => (await signed(owner, data, { to: fx.deployment.contracts.BuildingRegistry.address })).body, 400, "wrong_target"],
      [async () => (await signed(owner, hallInterface.encodeFunctionData("castBallotsBySig", [1n, []]))).body, 400, "function_not_allowed"],
      [async () => (await signed(owner, data, { gas: 50_000_000n })).body, 400, "gas_too_high"],
      [async () => (await signed(owner, data, { deadline: BigInt((await chainTime()) - 1) })).body, 409, "request_expired"],
      [async () => ({ ...(await signed(owner, data)).body, signature: (await signed(stranger, data)).signature }), 400, "bad_signature"],
      [async () => (await signed(owner, data, { nonce: 5n })).body, 409, "wrong_nonce"],
    ];
    for (const [body, status, code] of cases) {
      const r = await request(`${relayer}/v1/requests`, { body: await body() });
      assert.deepEqual([r.status, r.body.error?.code], [status, code], JSON.stringify(r.body));
    }
    const refused = await request(`${relayer}/v1/requests`, { body: (await signed(stranger, data)).body });
    assert.equal(refused.status, 422);
    assert.deepEqual(refused.body.error.details, { function: "announceMeeting", error: "MeetingHallNotInitiator", args: { buildingId: "1", account: stranger.address } });
    const raw = await request(`${relayer}/v1/requests`, { raw: "from=0x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.deepEqual([raw.status, raw.body.error.code], [415, "unsupported_media_type"]);
    assert.deepEqual(await requestCounts(), before, "nothing queued");
  });

  it("lands a request once when someone else executes it too, and confirms it where it landed", async () => {
    const owner = fx.voters[2]!.connect(fx.provider);
    const { data } = await announceData();
    const r = await signed(owner, data);
    await fx.provider.send("evm_setIntervalMining", [0]);
    try {
      const posted = await request(`${relayer}/v1/requests`, { body: r.body });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      // anyone may submit a signed request: a third party sends the same one
      await waitFor(async () => {
        const s = (await request(`${relayer}/v1/requests/${posted.body.id}`)).body;
        return s.status === "submitted" && s.txHash !== null && (await fx.provider.send("eth_getTransactionByHash", [s.txHash])) !== null;
      }, 20_000, "the relayer's transaction to reach the node");
      const thirdParty = Forwarder__factory.connect(fx.deployment.contracts.Forwarder.address, devAccount(9).connect(fx.provider));
      await thirdParty.execute({ ...r.request, signature: r.signature }, { gasLimit: 2_000_000 });
      await fx.provider.send("evm_mine", []);
    } finally {
      await fx.provider.send("evm_setIntervalMining", [1000]);
    }
    const posted = await request(`${relayer}/v1/requests`, { body: r.body });
    const s = await settled(posted.body.id);
    assert.equal(s.status, "confirmed", JSON.stringify(s));
    const executed = await forwarder.queryFilter(forwarder.filters.ExecutedForwardRequest(owner.address));
    assert.deepEqual(executed.map((e) => [e.args.nonce, e.args.success]), [[0n, true]], "executed once");
    assert.equal(executed[0]!.transactionHash, s.txHash, "confirmed where it landed");
  });
});

describe("an owner in custody, gas-free through custody and the relayer", () => {
  const authorization = (token: string) => ({ authorization: `Bearer ${token}` });
  async function resident(residentId: string) {
    const address = (await request(`${custody}/v1/residents`, { body: { residentId }, headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } })).body.address as string;
    const { code } = (await request(`${custody}/v1/auth/code`, { body: { residentId } })).body;
    const token = (await request(`${custody}/v1/auth/token`, { body: { residentId, code } })).body.token as string;
    return { address, token };
  }
  const viaCustody = async (token: string, body: unknown) => {
    const r = await request(`${custody}/v1/requests`, { body, headers: authorization(token) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = await settled(r.body.id);
    assert.equal(s.status, "confirmed", JSON.stringify(s));
    return s;
  };

  it("announces a meeting; its administrator records a power of attorney and enters a paper decision; the representative votes for the principal", async () => {
    const initiator = await resident("initiator-owner");
    const administrator = await resident("meeting-administrator");
    const principal = await resident("principal-owner");
    const representative = await resident("representative");
    const onPaper = await resident("paper-owner");
    await fx.addOwners([initiator.address, principal.address, onPaper.address]);

    const start = (await chainTime()) + 20;
    await viaCustody(initiator.token, {
      function: "announceMeeting",
      args: {
        buildingId: "1",
        meetingType: "Extraordinary",
        administrator: administrator.address,
        votingStart: String(start),
        votingEnd: String(start + 3 * 24 * 3600),
        agendaRef: keccakText("custody agenda"),
        questions: [0, 1, 2].map((q) => ({ textRef: keccakText(`custody question ${q}`), questionType: QUESTION_TYPE })),
      },
    });
    const meetingId = await hall.meetingCount();
    const m = await hall.getMeeting(meetingId);
    assert.deepEqual([m.initiator, m.administrator], [initiator.address, administrator.address]);

    // the administrator records the power of attorney for this meeting after checking its document
    const now = await chainTime();
    await viaCustody(administrator.token, {
      function: "recordPowerOfAttorney",
      args: {
        principal: principal.address,
        representative: representative.address,
        buildingId: "1",
        meetingId: meetingId.toString(),
        validFrom: String(now),
        validTo: String(now + 7 * 24 * 3600),
        documentHash: keccakText("power of attorney, notarised"),
      },
    });
    const [powerId] = await hall.powersOfAttorney(1n, principal.address, representative.address);
    const [, revoked, recordedBy] = await hall.powerOfAttorney(powerId!);
    assert.deepEqual([revoked, recordedBy], [false, administrator.address]);

    await waitFor(async () => (await chainTime()) >= start, 60_000, "voting to open");
    // a paper decision handed to the administrator: question 2 marked twice (void)
    await viaCustody(administrator.token, {
      function: "enterPaperDecisions",
      args: { meetingId: meetingId.toString(), decisions: [{ voter: onPaper.address, choices: String(1 | (2 << 2)), voidMask: "4", scanHash: keccakText("scan of the paper decision") }] },
    });
    const paper = await hall.queryFilter(hall.filters.PaperDecisionEntered(meetingId, onPaper.address));
    assert.equal(paper.length, 1);
    assert.equal(paper[0]!.args.administrator, administrator.address);

    // the representative votes for the principal, through custody, signed with the representative's key
    const vote = await request(`${custody}/v1/ballots`, {
      body: { meetingId: meetingId.toString(), choices: CHOICES.toString(), voter: principal.address, powerOfAttorney: powerId!.toString() },
      headers: authorization(representative.token),
    });
    assert.equal(vote.status, 202, JSON.stringify(vote.body));
    let s: any;
    await waitFor(async () => {
      s = (await request(`${relayer}/v1/ballots/${vote.body.id}`)).body;
      return s.status === "confirmed" || s.status === "rejected";
    }, 60_000, "the representative's ballot");
    assert.equal(s.status, "confirmed", JSON.stringify(s));
    assert.deepEqual([s.voter, s.representative, s.powerOfAttorney], [principal.address, representative.address, powerId!.toString()]);
    const cast = await hall.queryFilter(hall.filters.BallotCast(meetingId, principal.address));
    assert.equal(cast.length, 1);
    assert.equal(cast[0]!.args.representative, representative.address, "the event names both accounts");

    // the principal's own ballot no longer counts: one ballot a voter
    const own = await request(`${custody}/v1/ballots`, { body: { meetingId: meetingId.toString(), choices: CHOICES.toString() }, headers: authorization(principal.token) });
    assert.equal(own.status, 409);
    assert.equal(own.body.error.code, "already_voted");
    const entries = (await request(`${custody}/v1/signing-log?residentId=meeting-administrator`, { headers: { authorization: `Bearer ${REGISTRAR_TOKEN}` } })).body.entries;
    assert.deepEqual(entries.map((e: { kind: string; functionName: string }) => [e.kind, e.functionName]), [
      ["forward_request", "recordPowerOfAttorney"],
      ["forward_request", "enterPaperDecisions"],
    ]);
  });
});

describe("POST /v1/requests: each signer's own limit", () => {
  it("limits a signer's requests, whatever address they come from, and no other signer", async () => {
    const limited = await startInProcess(fx, {
      RELAYER_SIGNER_RATE_LIMIT_PER_MINUTE: "1",
      RELAYER_SENDER_KEYS: devAccount(8).privateKey,
      RELAYER_DB_PATH: `${fx.tmpDir}/signer-limit.sqlite`,
    });
    try {
      const signer = fx.voters[3]!.connect(fx.provider);
      const statuses: number[] = [];
      // signed with a nonce the forwarder will refuse: each request is checked as far as the nonce
      for (let i = 0; i < 11; i++) {
        const r = await request(`${limited.relayerUrl}/v1/requests`, { body: (await signed(signer, hallInterface.encodeFunctionData("finalize", [1n]), { nonce: 9n })).body });
        statuses.push(r.status);
      }
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(409), "a burst of ten goes through to the nonce");
      assert.equal(statuses.at(-1), 429);
      const other = await request(`${limited.relayerUrl}/v1/requests`, { body: (await signed(fx.voters[4]!.connect(fx.provider), hallInterface.encodeFunctionData("finalize", [1n]), { nonce: 9n })).body });
      assert.equal(other.status, 409, "another signer is not limited");
    } finally {
      await limited.stop();
    }
  });
});
