/**
 * The close of a meeting against a real node (one-second blocks): a burst of ballots across the
 * closing second. An acknowledgement is a promise — every ballot answered 202 is counted on chain —
 * and every ballot that could not be counted in time was refused at intake (meeting_closing, or
 * meeting_not_open once closed), none acknowledged and then lost.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NonceManager, ZeroAddress, id as keccakText } from "ethers";
import { MeetingType } from "#lib/domain.js";
import { MeetingHall__factory } from "#typechain/index.js";
import { CHOICES, QUESTION_TYPE, deployFixture, devAccount, signedBallot, startChainProcess, type ChainProcess, type Fixture } from "./helpers/chain.js";
import { request, waitFor } from "./helpers/http.js";
import { startInProcess, type RunningServices } from "./helpers/services.js";

const VOTERS = 64;
const WARM_UP = 6;

let chain: ChainProcess;
let fx: Fixture;
let relayer: RunningServices;

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: VOTERS, meetings: 1 });
  relayer = await startInProcess(fx, { RELAYER_CLOSING_MARGIN_SECONDS: "3", RELAYER_BATCH_WAIT_MS: "100" });
});

after(async () => {
  await relayer?.stop();
  fx?.cleanup();
  await chain?.stop();
});

const chainTime = async () => Number(BigInt((await fx.provider.send("eth_getBlockByNumber", ["latest", false])).timestamp));

async function settled(id: string): Promise<any> {
  let status: any;
  await waitFor(async () => {
    status = (await request(`${relayer.relayerUrl}/v1/ballots/${id}`)).body;
    return status.status === "confirmed" || status.status === "rejected";
  }, 90_000, `ballot ${id}`);
  return status;
}

describe("ballots across the closing second", () => {
  it("counts every ballot acknowledged, and refuses at intake every one that could not be counted in time", async () => {
    const organiser = new NonceManager(devAccount(0).connect(fx.provider));
    const hall = MeetingHall__factory.connect(fx.deployment.contracts.MeetingHall.address, organiser);
    const start = (await chainTime()) + 2;
    const end = start + 60;
    const questions = Array.from({ length: 3 }, (_, q) => ({ textRef: keccakText(`question ${q}`), questionType: QUESTION_TYPE }));
    await (await hall.announceMeeting(1n, MeetingType.Extraordinary, ZeroAddress, start, end, keccakText("closing agenda"), questions)).wait();
    const meetingId = await hall.meetingCount();
    // signed as custody signs: the meeting's close is the ballot's deadline
    const ballotOf = (v: (typeof fx.voters)[number]) => signedBallot(fx.domain, v, meetingId, CHOICES, { deadline: BigInt(end) });
    while ((await chainTime()) < start) await new Promise((r) => setTimeout(r, 100));

    // a few ballots early on: the relayer measures how long an acknowledged ballot takes to land
    for (let i = 0; i < WARM_UP; i++) {
      const b = ballotOf(fx.voters[i]!);
      assert.equal((await request(`${relayer.relayerUrl}/v1/ballots`, { body: b.body })).status, 202);
      assert.equal((await settled(b.id)).status, "confirmed");
    }

    // to a dozen seconds before the close, then a ballot every 250 ms until well after it
    await fx.provider.send("evm_increaseTime", [end - (await chainTime()) - 12]);
    await waitFor(async () => (await chainTime()) >= end - 12, 10_000, "the jump");
    const answers: Array<{ id: string; status: number; code?: string; at: number }> = [];
    for (let i = WARM_UP; i < VOTERS; i++) {
      const b = ballotOf(fx.voters[i]!);
      const at = await chainTime();
      const r = await request(`${relayer.relayerUrl}/v1/ballots`, { body: b.body });
      answers.push({ id: b.id, status: r.status, code: r.body?.error?.code, at });
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok((await chainTime()) > end, "the burst ran past the close");

    const acknowledged = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    assert.ok(acknowledged.length > 0, "ballots before the margin were taken");
    for (const a of acknowledged) {
      const status = await settled(a.id);
      assert.equal(status.status, "confirmed", `acknowledged at chain time ${a.at} (close ${end}), then ${status.status} ${status.reason ?? ""}`);
      assert.equal(await hall.hasVoted(meetingId, status.voter), true);
    }
    for (const a of refused) {
      assert.equal(a.status, 409, JSON.stringify(a));
      assert.ok(a.code === "meeting_closing" || a.code === "meeting_not_open", JSON.stringify(a));
    }
    assert.ok(refused.some((a) => a.code === "meeting_closing"), `some were refused as closing: ${JSON.stringify(refused)}`);
    for (const a of refused) {
      const voter = fx.voters.find((v) => ballotOf(v).id === a.id)!;
      assert.equal(await hall.hasVoted(meetingId, voter.address), false, "a refused ballot was not counted either");
    }
  });
});
