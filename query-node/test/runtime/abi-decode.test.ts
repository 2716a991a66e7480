/**
 * Decoding of the contracts' event logs by their ABI, against ethers' encoding of the same values: the
 * nested tuple arrays of the registry (Holding[] with an address[] inside), of the meeting hall
 * (Question{bytes32, uint16}[]) and of the legal rules (QuestionType{bytes32, Rule{uint8, uint32,
 * uint32, bool}}[] beside a Rule tuple); and logs that do not fit their event.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, id, Interface, type EventFragment } from "ethers";
import { BuildingRegistry__factory, LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";
import { decodeEventLog, type Decoded } from "../../src/runtime/abi-decode.js";
import { bytesToHex } from "../../src/runtime/values.js";

const registry = new Interface(BuildingRegistry__factory.abi);
const hall = new Interface(MeetingHall__factory.abi);
const rules = new Interface(LegalRules__factory.abi);

const alice = getAddress("0x00000000000000000000000000000000000000a2");
const bob = getAddress("0x00000000000000000000000000000000000000a3");
const carol = getAddress("0xb000000000000000000000000000000000000001");

/** Decoded values in a comparable form: bytes as lowercase hex. */
function plain(value: Decoded): unknown {
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function roundTrip(iface: Interface, name: string, values: unknown[]) {
  const fragment = iface.getEvent(name) as EventFragment;
  const { data, topics } = iface.encodeEventLog(fragment, values);
  return { fragment, data, topics, decoded: decodeEventLog(fragment, topics, data).map(plain) };
}

describe("decodeEventLog", () => {
  it("decodes OwnershipChanged's holdings: tuples of an address list and a share", () => {
    const holdings = [
      [[alice], 100n],
      [[bob, alice, carol], 200n],
      [[carol], 300n],
    ];
    const { decoded } = roundTrip(registry, "OwnershipChanged", [7n, 42n, holdings]);
    assert.deepEqual(decoded, [
      7n,
      42n,
      [
        [[alice.toLowerCase()], 100n],
        [[bob.toLowerCase(), alice.toLowerCase(), carol.toLowerCase()], 200n],
        [[carol.toLowerCase()], 300n],
      ],
    ]);
    assert.deepEqual(roundTrip(registry, "OwnershipChanged", [7n, 43n, []]).decoded, [7n, 43n, []], "no registered owner");
  });

  it("decodes JointGroupRegistered: an indexed address and an address list", () => {
    const { decoded } = roundTrip(registry, "JointGroupRegistered", [1n, carol, [alice, bob]]);
    assert.deepEqual(decoded, [1n, carol.toLowerCase(), [alice.toLowerCase(), bob.toLowerCase()]]);
  });

  it("decodes MeetingAnnounced's agenda: Question{bytes32, uint16} tuples after the scalar fields", () => {
    const questions = [
      [id("q0"), 0n],
      [id("q1"), 65_535n],
    ];
    const values = [5n, 1n, alice, 0n, 1n, bob, 1n, 1000n, 2000n, 3000n, id("agenda"), questions];
    const { decoded } = roundTrip(hall, "MeetingAnnounced", values);
    assert.deepEqual(decoded, [5n, 1n, alice.toLowerCase(), 0n, 1n, bob.toLowerCase(), 1n, 1000n, 2000n, 3000n, id("agenda"), questions]);
  });

  it("decodes RulesPublished: a Rule tuple and QuestionType{bytes32, Rule} tuples", () => {
    const quorum = [1n, 1n, 2n, true];
    const types = [
      [id("other"), [0n, 1n, 2n, true]],
      [id("44.2.2"), [1n, 2n, 3n, false]],
      [id("unanimous"), [1n, 4_294_967_295n, 4_294_967_295n, false]],
    ];
    const { decoded } = roundTrip(rules, "RulesPublished", [1n, id("source"), quorum, types]);
    assert.deepEqual(decoded, [1n, id("source"), quorum, types]);
  });

  it("decodes BallotCast and BallotRejected with three indexed topics", () => {
    const cast = roundTrip(hall, "BallotCast", [3n, alice, bob, 10n ** 30n, 0b111001n, 2n]);
    assert.deepEqual(cast.decoded, [3n, alice.toLowerCase(), bob.toLowerCase(), 10n ** 30n, 0b111001n, 2n]);
    const rejected = roundTrip(hall, "BallotRejected", [3n, alice, bob, id("ballot"), 5n]);
    assert.deepEqual(rejected.decoded, [3n, alice.toLowerCase(), bob.toLowerCase(), id("ballot"), 5n]);
  });

  it("refuses a log that does not fit its event: too few topics, data cut short, an offset past the data", () => {
    const { fragment, data, topics } = roundTrip(registry, "OwnershipChanged", [7n, 42n, [[[alice, bob], 100n]]]);
    assert.throws(() => decodeEventLog(fragment, topics.slice(0, 2), data), /OwnershipChanged: expected 3 topics, got 2/);
    assert.throws(() => decodeEventLog(fragment, topics, data.slice(0, data.length - 64)), /ABI data too short/);
    const badOffset = "0x" + "ff".repeat(32) + data.slice(66);
    assert.throws(() => decodeEventLog(fragment, topics, badOffset), /ABI offset out of range/);
    const hugeLength = "0x" + data.slice(2, 66) + "ff".repeat(32) + data.slice(130);
    assert.throws(() => decodeEventLog(fragment, topics, hugeLength), /ABI (array length|offset) out of range|ABI data too short/);
  });
});
