/**
 * Contract wallets (ERC-1271) at intake, against a real node, with every call the relayer makes to
 * the node recorded: a wallet is asked nothing unless its voter is eligible; when asked, the call
 * carries a gas cap, so a wallet that burns all the gas it gets costs no more; an answer only counts
 * as the contract reads it, so a wallet's return bomb is refused; an honest wallet's ballot counts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet, ZeroAddress } from "ethers";
import { ballotDigest } from "#lib/ballot.js";
import { GasBurningWallet__factory, OwnedWallet__factory, ReturnBombWallet__factory } from "#typechain/index.js";
import { CHOICES, deployFixture, devAccount, startChainProcess, type ChainProcess, type Fixture } from "../helpers/chain.js";
import { request, waitFor } from "../helpers/http.js";
import { startRpcRecorder, type RpcRecorder } from "../helpers/rpc-recorder.js";
import { startInProcess, type RunningServices } from "../helpers/services.js";

let chain: ChainProcess;
let fx: Fixture;
let recorder: RpcRecorder;
let services: RunningServices;
let meetingId: bigint;
const deployer = () => devAccount(8).connect(fx.provider);

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: 4, meetings: 1 });
  recorder = await startRpcRecorder(chain.url);
  services = await startInProcess({ ...fx, url: recorder.url });
});

after(async () => {
  await services?.stop();
  await recorder?.close();
  fx?.cleanup();
  await chain?.stop();
});

/** A ballot of `wallet` in the meeting, signed by a key the wallet may or may not accept. */
function walletBallot(wallet: string, key = Wallet.createRandom()) {
  const deadline = BigInt(fx.votingEnds.get(meetingId)!);
  const digest = ballotDigest(fx.domain, { meetingId, voter: wallet, choices: CHOICES, representative: ZeroAddress, deadline });
  return {
    id: digest,
    body: { meetingId: meetingId.toString(), voter: wallet, choices: CHOICES.toString(), deadline: deadline.toString(), signature: key.signingKey.sign(digest).serialized },
  };
}

const post = (body: unknown) => request(`${services.relayerUrl}/v1/ballots`, { body });

describe("a contract wallet's ballot at intake", () => {
  let burner: string;
  let bomb: string;

  before(async () => {
    burner = await (await new GasBurningWallet__factory(deployer()).deploy()).getAddress();
    bomb = await (await new ReturnBombWallet__factory(deployer()).deploy()).getAddress();
  });

  it("asks no wallet whose voter is not eligible", async () => {
    meetingId = await fx.announce();
    const r = await post(walletBallot(burner).body);
    assert.deepEqual([r.status, r.body.error?.code], [403, "not_eligible"], JSON.stringify(r.body));
    assert.deepEqual(recorder.callsTo(burner), [], "isValidSignature was never called");
  });

  it("asks an eligible voter's wallet with capped gas: one that burns it all is refused and costs no more", async () => {
    await fx.addOwners([burner, bomb]);
    meetingId = await fx.announce();
    const started = Date.now();
    const r = await post(walletBallot(burner).body);
    assert.deepEqual([r.status, r.body.error?.code], [400, "bad_signature"], JSON.stringify(r.body));
    const asked = recorder.callsTo(burner);
    assert.ok(asked.length >= 1, "the wallet was asked");
    for (const call of asked) {
      assert.ok(call.gas !== undefined, "every call to the wallet carries a gas limit");
      assert.ok(BigInt(call.gas) <= 50_000n, `gas ${BigInt(call.gas)}`);
    }
    assert.ok(Date.now() - started < 5_000, "answered at once");
  });

  it("refuses a wallet whose answer is a return bomb, however it starts", async () => {
    const r = await post(walletBallot(bomb).body);
    assert.deepEqual([r.status, r.body.error?.code], [400, "bad_signature"], JSON.stringify(r.body));
    for (const call of recorder.callsTo(bomb)) assert.ok(call.gas !== undefined && BigInt(call.gas) <= 50_000n);
  });

  it("counts an honest wallet's ballot", async () => {
    const owner = Wallet.createRandom();
    const honest = await (await new OwnedWallet__factory(deployer()).deploy(owner.address)).getAddress();
    await fx.addOwners([honest]);
    meetingId = await fx.announce();
    const b = walletBallot(honest, owner);
    const r = await post(b.body);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    let status: any;
    await waitFor(async () => {
      status = (await request(`${services.relayerUrl}/v1/ballots/${b.id}`)).body;
      return status.status === "confirmed" || status.status === "rejected";
    }, 60_000, "the wallet's ballot");
    assert.equal(status.status, "confirmed");
  });
});
