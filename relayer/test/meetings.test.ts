/**
 * The meeting directory against a real node: a meeting id the hall does not know costs the node one
 * call for a short while however often it is asked, and is found once it is announced and that
 * while has passed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { HttpJsonRpcProvider } from "#lib/rpc.js";
import { IMeetingHall__factory } from "#typechain/index.js";
import { MeetingDirectory } from "../src/meetings.js";
import { codeOf } from "./helpers/intake.js";
import { startDeployedChain, type DeployedChain } from "./helpers/local-chain.js";

const GET_MEETING = IMeetingHall__factory.createInterface().getFunction("getMeeting")!.selector;

/** The relayer's transport, counting the hall's getMeeting calls. */
class CountingProvider extends HttpJsonRpcProvider {
  getMeetings = 0;

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    for (const p of Array.isArray(payload) ? payload : [payload]) {
      const data = (p.params as Array<{ data?: string }> | undefined)?.[0]?.data;
      if (p.method === "eth_call" && data?.startsWith(GET_MEETING)) this.getMeetings++;
    }
    return super._send(payload);
  }
}

let chain: DeployedChain;
let provider: CountingProvider;

before(async () => {
  chain = await startDeployedChain({ owners: 2 });
  provider = new CountingProvider(chain.url, chain.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
});
after(async () => {
  provider?.destroy();
  await chain?.close();
});

describe("MeetingDirectory: unknown meetings", () => {
  it("asks the node once about an unknown meeting id however often it is asked within a short while", async () => {
    const directory = new MeetingDirectory(provider, chain.deployment.contracts.MeetingHall.address, { unknownMeetingMs: 60_000 });
    provider.getMeetings = 0;
    for (let i = 0; i < 20; i++) assert.equal((await codeOf(directory.meeting(999n))).code, "unknown_meeting");
    const together = await Promise.all(Array.from({ length: 20 }, () => codeOf(directory.meeting(999n))));
    assert.ok(together.every((r) => r.code === "unknown_meeting"));
    assert.equal(provider.getMeetings, 1, "one chain call for forty requests");
  });

  it("finds a meeting announced after it was asked for, once that while has passed", async () => {
    const directory = new MeetingDirectory(provider, chain.deployment.contracts.MeetingHall.address, { unknownMeetingMs: 300 });
    const next = (await chain.hall.meetingCount()) + 1n;
    assert.equal((await codeOf(directory.meeting(next))).code, "unknown_meeting");
    assert.equal(await chain.announce(), next);
    await new Promise((r) => setTimeout(r, 350));
    assert.equal((await directory.meeting(next)).meetingId, next);
  });
});
