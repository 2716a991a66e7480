import { Address, BigInt } from "@graphprotocol/graph-ts";
import { afterEach, assert, beforeEach, clearStore, describe, test } from "matchstick-as/assembly/index";
import {
  handleBallotCast,
  handleBallotRejected,
  handleMeetingAnnounced,
  handleMeetingCancelled,
  handleMeetingFinalized,
  handleQuestionDecided,
} from "../src/meeting-hall";
import {
  createBallotCastEvent,
  createBallotRejectedEvent,
  createMeetingAnnouncedEvent,
  createMeetingCancelledEvent,
  createMeetingFinalizedEvent,
  createQuestionDecidedEvent,
} from "./meeting-hall-utils";

const initiator = Address.fromString("0x00000000000000000000000000000000000000a1");
const alice = Address.fromString("0x00000000000000000000000000000000000000a2");
const bob = Address.fromString("0x00000000000000000000000000000000000000a3");

const FOR = 1;
const AGAINST = 2;
const ABSTAIN = 3;

describe("handleMeetingAnnounced", () => {
  afterEach(() => {
    clearStore();
  });

  test("records a meeting with its whole agenda and empty tallies", () => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(1, 7, initiator, 0, [0, 1, 2]));

    assert.entityCount("Meeting", 1);
    assert.entityCount("Question", 3);
    assert.fieldEquals("Meeting", "1", "building", "7");
    assert.fieldEquals("Meeting", "1", "kind", "Meeting");
    assert.fieldEquals("Meeting", "1", "status", "Announced");
    assert.fieldEquals("Meeting", "1", "questionCount", "3");
    assert.fieldEquals("Meeting", "1", "votingEnd", "3000");
    assert.fieldEquals("Meeting", "1", "initiator", initiator.toHexString());
    assert.fieldEquals("Question", "1-0", "threshold", "MajorityOfParticipants");
    assert.fieldEquals("Question", "1-1", "threshold", "MajorityOfAll");
    assert.fieldEquals("Question", "1-2", "threshold", "TwoThirdsOfAll");
    assert.fieldEquals("Question", "1-2", "index", "2");
    assert.fieldEquals("Question", "1-2", "forWeight", "0");
    assert.fieldEquals("Question", "1-2", "decided", "false");
  });

  test("records a poll as a poll with consultative questions", () => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(2, 7, initiator, 1, [4]));

    assert.fieldEquals("Meeting", "2", "kind", "Poll");
    assert.fieldEquals("Question", "2-0", "threshold", "Consultative");
  });
});

describe("handleMeetingCancelled", () => {
  test("marks the meeting cancelled", () => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(1, 7, initiator, 0, [0]));
    handleMeetingCancelled(createMeetingCancelledEvent(1, initiator));

    assert.fieldEquals("Meeting", "1", "status", "Cancelled");
    assert.fieldEquals("Meeting", "1", "cancelledAt", "1");
    clearStore();
  });
});

describe("handleBallotCast", () => {
  beforeEach(() => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(1, 7, initiator, 0, [0, 1, 2]));
  });

  afterEach(() => {
    clearStore();
  });

  test("counts the weight into each question by its answer", () => {
    let event = createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, AGAINST, ABSTAIN]);
    handleBallotCast(event);

    assert.fieldEquals("Question", "1-0", "forWeight", "9500");
    assert.fieldEquals("Question", "1-0", "againstWeight", "0");
    assert.fieldEquals("Question", "1-1", "againstWeight", "9500");
    assert.fieldEquals("Question", "1-2", "abstainWeight", "9500");
    assert.fieldEquals("Question", "1-2", "participatingWeight", "9500");
    assert.fieldEquals("Meeting", "1", "ballotCount", "1");
    assert.fieldEquals("Meeting", "1", "participatingWeight", "9500");
  });

  test("records the ballot as an immutable entity keyed by transaction and log index", () => {
    let event = createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, AGAINST, ABSTAIN]);
    handleBallotCast(event);

    let id = event.transaction.hash.concatI32(event.logIndex.toI32()).toHexString();
    assert.entityCount("Ballot", 1);
    assert.fieldEquals("Ballot", id, "meeting", "1");
    assert.fieldEquals("Ballot", id, "member", "7-" + alice.toHexString());
    assert.fieldEquals("Ballot", id, "voter", alice.toHexString());
    assert.fieldEquals("Ballot", id, "weight", "9500");
    assert.fieldEquals("Ballot", id, "choices", (1 + (2 << 2) + (3 << 4)).toString());
    assert.fieldEquals("Ballot", id, "answers", "[For, Against, Abstain]");
    assert.fieldEquals("Ballot", id, "transactionHash", event.transaction.hash.toHexString());
    assert.fieldEquals("Ballot", id, "logIndex", event.logIndex.toString());
  });

  test("keeps live tallies across ballots, with no result before finalization", () => {
    handleBallotCast(createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, FOR, FOR]));
    handleBallotCast(createBallotCastEvent(1, bob, BigInt.fromI32(4000), [AGAINST, FOR, ABSTAIN]));

    assert.fieldEquals("Question", "1-0", "forWeight", "9500");
    assert.fieldEquals("Question", "1-0", "againstWeight", "4000");
    assert.fieldEquals("Question", "1-1", "forWeight", "13500");
    assert.fieldEquals("Question", "1-2", "abstainWeight", "4000");
    assert.fieldEquals("Meeting", "1", "ballotCount", "2");
    assert.fieldEquals("Meeting", "1", "participatingWeight", "13500");
    assert.fieldEquals("Question", "1-0", "passed", "null");
    assert.fieldEquals("Meeting", "1", "quorumReached", "null");
  });

  test(
    "fails for a meeting that was never announced",
    () => {
      handleBallotCast(createBallotCastEvent(99, alice, BigInt.fromI32(1), [FOR]));
    },
    true,
  );
});

describe("handleBallotRejected", () => {
  test("records the rejection with its reason and counts it on the meeting", () => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(1, 7, initiator, 0, [0]));
    let event = createBallotRejectedEvent(1, bob, 3);
    handleBallotRejected(event);

    let id = event.transaction.hash.concatI32(event.logIndex.toI32()).toHexString();
    assert.fieldEquals("RejectedBallot", id, "reason", "AlreadyVoted");
    assert.fieldEquals("RejectedBallot", id, "voter", bob.toHexString());
    assert.fieldEquals("Meeting", "1", "rejectedBallotCount", "1");
    assert.fieldEquals("Meeting", "1", "ballotCount", "0");
    clearStore();
  });
});

describe("handleMeetingFinalized and handleQuestionDecided", () => {
  afterEach(() => {
    clearStore();
  });

  test("sets the final quorum, totals and each question's outcome", () => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(1, 7, initiator, 0, [0, 2]));
    handleBallotCast(createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, FOR]));
    handleMeetingFinalized(createMeetingFinalizedEvent(1, BigInt.fromI32(15000), BigInt.fromI32(9500), 1, true));
    handleQuestionDecided(
      createQuestionDecidedEvent(1, 0, 0, BigInt.fromI32(9500), BigInt.zero(), BigInt.zero(), true),
    );
    handleQuestionDecided(
      createQuestionDecidedEvent(1, 1, 2, BigInt.fromI32(9500), BigInt.zero(), BigInt.zero(), false),
    );

    assert.fieldEquals("Meeting", "1", "status", "Finalized");
    assert.fieldEquals("Meeting", "1", "totalWeight", "15000");
    assert.fieldEquals("Meeting", "1", "quorumReached", "true");
    assert.fieldEquals("Question", "1-0", "decided", "true");
    assert.fieldEquals("Question", "1-0", "passed", "true");
    assert.fieldEquals("Question", "1-1", "passed", "false");
    assert.fieldEquals("Question", "1-1", "forWeight", "9500");
  });

  test("a meeting without quorum passes nothing", () => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(1, 7, initiator, 0, [0]));
    handleBallotCast(createBallotCastEvent(1, bob, BigInt.fromI32(4000), [FOR]));
    handleMeetingFinalized(createMeetingFinalizedEvent(1, BigInt.fromI32(15000), BigInt.fromI32(4000), 1, false));
    handleQuestionDecided(
      createQuestionDecidedEvent(1, 0, 0, BigInt.fromI32(4000), BigInt.zero(), BigInt.zero(), false),
    );

    assert.fieldEquals("Meeting", "1", "quorumReached", "false");
    assert.fieldEquals("Question", "1-0", "passed", "false");
  });
});
