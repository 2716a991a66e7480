/**
 * The forward requests custody builds (forward-requests.ts), without a chain: one structured body per
 * function the relayer forwards, each encoded exactly as the MeetingHall's coder encodes the call.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Wallet, ZeroAddress, id as keccakText } from "ethers";
import { FORWARDABLE_HALL_FUNCTIONS } from "#lib/forward-request.js";
import { parseBody } from "#lib/http/body.js";
import { MeetingHall__factory } from "#typechain/index.js";
import { encodeCall, forwardCallSchema } from "../src/forward-requests.js";

const hall = MeetingHall__factory.createInterface();
const a = Wallet.createRandom().address;
const b = Wallet.createRandom().address;

describe("forward request bodies", () => {
  it("has one schema for each function of the allowlist, and none for another", () => {
    const schemas = forwardCallSchema.options.map((o) => o.shape.function.value).sort();
    assert.deepEqual(schemas, [...FORWARDABLE_HALL_FUNCTIONS].sort());
  });

  it("encodes each function's call as the MeetingHall's coder does", () => {
    const h = keccakText("h");
    const cases: Array<[unknown, string]> = [
      [
        { function: "announceMeeting", args: { buildingId: "1", meetingType: "Annual", votingStart: "100", votingEnd: "200", agendaRef: h, questions: [{ textRef: h, questionType: 6 }] } },
        hall.encodeFunctionData("announceMeeting", [1n, 1, ZeroAddress, 100n, 200n, h, [{ textRef: h, questionType: 6 }]]),
      ],
      [
        { function: "announceMeeting", args: { buildingId: "1", meetingType: "Extraordinary", administrator: a, votingStart: "100", votingEnd: "200", agendaRef: h, questions: [{ textRef: h, questionType: 0 }] } },
        hall.encodeFunctionData("announceMeeting", [1n, 0, a, 100n, 200n, h, [{ textRef: h, questionType: 0 }]]),
      ],
      [{ function: "announcePoll", args: { buildingId: "2", votingStart: "1", votingEnd: "9", agendaRef: h, questionRefs: [h, h] } }, hall.encodeFunctionData("announcePoll", [2n, 1n, 9n, h, [h, h]])],
      [{ function: "cancel", args: { meetingId: "0x10" } }, hall.encodeFunctionData("cancel", [16n])],
      [
        { function: "enterPaperDecisions", args: { meetingId: "3", decisions: [{ voter: a, choices: "9", voidMask: "2", scanHash: h }, { voter: b, representative: a, powerOfAttorney: "4", choices: "21", scanHash: h }] } },
        hall.encodeFunctionData("enterPaperDecisions", [
          3n,
          [
            { voter: a, representative: ZeroAddress, powerOfAttorney: 0n, choices: 9n, voidMask: 2n, scanHash: h },
            { voter: b, representative: a, powerOfAttorney: 4n, choices: 21n, voidMask: 0n, scanHash: h },
          ],
        ]),
      ],
      [
        { function: "recordPowerOfAttorney", args: { principal: a, representative: b, buildingId: "1", meetingId: "0", validFrom: "5", validTo: "6", documentHash: h } },
        hall.encodeFunctionData("recordPowerOfAttorney", [{ principal: a, representative: b, buildingId: 1n, meetingId: 0n, validFrom: 5n, validTo: 6n, documentHash: h }]),
      ],
      [{ function: "revokePowerOfAttorney", args: { id: "7" } }, hall.encodeFunctionData("revokePowerOfAttorney", [7n])],
      [{ function: "castBallot", args: { meetingId: "3", choices: "21" } }, hall.encodeFunctionData("castBallot", [3n, 21n])],
      [{ function: "castBallotFor", args: { meetingId: "3", voter: a, powerOfAttorney: "2", choices: "21" } }, hall.encodeFunctionData("castBallotFor", [3n, a, 2n, 21n])],
      [{ function: "finalize", args: { meetingId: "3" } }, hall.encodeFunctionData("finalize", [3n])],
    ];
    for (const [body, data] of cases) assert.equal(encodeCall(parseBody(forwardCallSchema, body)).data, data, JSON.stringify(body));
  });

  it("refuses values past their Solidity types and mis-checksummed addresses", () => {
    // the same account with the case of its first letter flipped: a broken EIP-55 checksum
    const i = a.slice(2).search(/[a-fA-F]/) + 2;
    const wrongCase = a.slice(0, i) + (a[i] === a[i]!.toUpperCase() ? a[i]!.toLowerCase() : a[i]!.toUpperCase()) + a.slice(i + 1);
    const bad: unknown[] = [
      { function: "cancel", args: { meetingId: (1n << 256n).toString() } },
      { function: "announcePoll", args: { buildingId: "1", votingStart: (1n << 48n).toString(), votingEnd: "1", agendaRef: keccakText("p"), questionRefs: [keccakText("q")] } },
      { function: "castBallotFor", args: { meetingId: "1", voter: wrongCase, powerOfAttorney: "1", choices: "1" } },
      { function: "castBallot", args: { meetingId: "1", choices: (1n << 128n).toString() } },
      { function: "announceMeeting", args: { buildingId: "1", meetingType: "Weekly", votingStart: "1", votingEnd: "2", agendaRef: keccakText("a"), questions: [{ textRef: keccakText("q"), questionType: 0 }] } },
    ];
    for (const body of bad) assert.equal(forwardCallSchema.safeParse(body).success, false, JSON.stringify(body));
  });
});
