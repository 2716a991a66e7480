import { Address, BigInt, Bytes } from "@graphprotocol/graph-ts";
import { afterEach, assert, beforeEach, clearStore, describe, test } from "matchstick-as/assembly/index";
import { handleRulesPublished } from "../src/legal-rules";
import {
  handleBallotCast,
  handleBallotDiscarded,
  handleBallotRejected,
  handleJointGroupVoted,
  handleMeetingAnnounced,
  handleMeetingCancelled,
  handleMeetingFinalized,
  handlePaperDecisionEntered,
  handlePowerOfAttorneyRecorded,
  handlePowerOfAttorneyRevoked,
  handleQuestionDecided,
} from "../src/meeting-hall";
import { inTransaction, transactionHash } from "./event-utils";
import { createFirstRulesEvent } from "./legal-rules-utils";
import {
  ANNUAL,
  createBallotCastEvent,
  createBallotDiscardedEvent,
  createBallotRejectedEvent,
  createJointGroupVotedEvent,
  createMeetingAnnouncedEvent,
  createMeetingCancelledEvent,
  createMeetingFinalizedEvent,
  createPaperDecisionEnteredEvent,
  createPowerOfAttorneyRecordedEvent,
  createPowerOfAttorneyRevokedEvent,
  createQuestionDecidedEvent,
  EXTRAORDINARY,
  MEETING,
  NO_ONE,
  PAPER,
  POLL,
  RELAYED,
  DIRECT,
} from "./meeting-hall-utils";

const initiator = Address.fromString("0x00000000000000000000000000000000000000a1");
const alice = Address.fromString("0x00000000000000000000000000000000000000a2");
const bob = Address.fromString("0x00000000000000000000000000000000000000a3");
const carol = Address.fromString("0x00000000000000000000000000000000000000a4");
const administrator = Address.fromString("0x00000000000000000000000000000000000000ad");
const group = Address.fromString("0x99f7bc14743da960697d21833e81a66ce5d3d33f");
const groupId = "7-" + group.toHexString();
const scan = Bytes.fromHexString("0x" + "5c".repeat(32));

const FOR = 1;
const AGAINST = 2;
const ABSTAIN = 3;
const NONE = 0;

/** Question types of rules version 1 (legal-rules-utils): other, 44.2.1 (two thirds of all), 44.2.4 (more than half of all). */
const OTHER = 0;
const TWO_THIRDS = 1;
const HALF_OF_ALL = 2;

function idOf(hash: Bytes, logIndex: i32): string {
  return hash.concatI32(logIndex).toHexString();
}

function announceMeeting(meetingId: i32, types: i32[]): void {
  handleMeetingAnnounced(createMeetingAnnouncedEvent(meetingId, 7, initiator, MEETING, EXTRAORDINARY, administrator, 1, types));
}

describe("handleMeetingAnnounced", () => {
  beforeEach(() => {
    handleRulesPublished(createFirstRulesEvent());
  });

  afterEach(() => {
    clearStore();
  });

  test("records a meeting with its whole agenda, its type, administrator and rules version, and empty tallies", () => {
    let event = createMeetingAnnouncedEvent(1, 7, initiator, MEETING, ANNUAL, administrator, 1, [OTHER, TWO_THIRDS, HALF_OF_ALL]);
    handleMeetingAnnounced(event);

    assert.entityCount("Meeting", 1);
    assert.entityCount("Question", 3);
    assert.fieldEquals("Meeting", "1", "building", "7");
    assert.fieldEquals("Meeting", "1", "kind", "Meeting");
    assert.fieldEquals("Meeting", "1", "meetingType", "Annual");
    assert.fieldEquals("Meeting", "1", "status", "Announced");
    assert.fieldEquals("Meeting", "1", "questionCount", "3");
    assert.fieldEquals("Meeting", "1", "snapshot", "1000");
    assert.fieldEquals("Meeting", "1", "votingEnd", "3000");
    assert.fieldEquals("Meeting", "1", "initiator", initiator.toHexString());
    assert.fieldEquals("Meeting", "1", "administrator", administrator.toHexString());
    assert.fieldEquals("Meeting", "1", "rulesVersion", "1");
    assert.fieldEquals("Meeting", "1", "rules", "1");
    assert.fieldEquals("Meeting", "1", "announcedBy", event.transaction.from.toHexString());
    assert.fieldEquals("Meeting", "1", "discardedBallotCount", "0");
    assert.fieldEquals("Question", "1-2", "index", "2");
    assert.fieldEquals("Question", "1-2", "forWeight", "0");
    assert.fieldEquals("Question", "1-2", "voidWeight", "0");
    assert.fieldEquals("Question", "1-2", "decided", "false");
  });

  test("gives each question its type, with the code and the rule of the meeting's rules version", () => {
    announceMeeting(1, [OTHER, TWO_THIRDS, HALF_OF_ALL]);

    assert.fieldEquals("Question", "1-0", "questionType", "0");
    assert.fieldEquals("Question", "1-0", "type", "1-0");
    assert.fieldEquals("Question", "1-0", "code", "other");
    assert.fieldEquals("Question", "1-0", "ruleBase", "Participants");
    assert.fieldEquals("Question", "1-0", "ruleStrict", "true");
    assert.fieldEquals("Question", "1-1", "type", "1-1");
    assert.fieldEquals("Question", "1-1", "code", "44.2.1");
    assert.fieldEquals("Question", "1-1", "ruleBase", "All");
    assert.fieldEquals("Question", "1-1", "ruleNumerator", "2");
    assert.fieldEquals("Question", "1-1", "ruleDenominator", "3");
    assert.fieldEquals("Question", "1-1", "ruleStrict", "false");
    assert.fieldEquals("Question", "1-2", "code", "44.2.4");
    assert.fieldEquals("Question", "1-2", "ruleBase", "All");
    assert.fieldEquals("Question", "1-2", "ruleStrict", "true");
  });

  test("records a poll as a poll under no rules version, with consultative questions", () => {
    handleMeetingAnnounced(createMeetingAnnouncedEvent(2, 7, initiator, POLL, EXTRAORDINARY, initiator, 0, [0]));

    assert.fieldEquals("Meeting", "2", "kind", "Poll");
    assert.fieldEquals("Meeting", "2", "meetingType", "Extraordinary");
    assert.fieldEquals("Meeting", "2", "rulesVersion", "0");
    assert.fieldEquals("Meeting", "2", "rules", "null");
    assert.fieldEquals("Question", "2-0", "questionType", "0");
    assert.fieldEquals("Question", "2-0", "type", "null");
    assert.fieldEquals("Question", "2-0", "code", "null");
    assert.fieldEquals("Question", "2-0", "ruleBase", "null");
  });

  test(
    "fails for a meeting under a rules version that was never published",
    () => {
      handleMeetingAnnounced(createMeetingAnnouncedEvent(1, 7, initiator, MEETING, EXTRAORDINARY, administrator, 2, [0]));
    },
    true,
  );

  test(
    "fails for a question type that its rules version does not have",
    () => {
      announceMeeting(1, [OTHER, 3]);
    },
    true,
  );
});

describe("handleMeetingCancelled", () => {
  test("marks the meeting cancelled", () => {
    handleRulesPublished(createFirstRulesEvent());
    announceMeeting(1, [OTHER]);
    handleMeetingCancelled(createMeetingCancelledEvent(1, initiator));

    assert.fieldEquals("Meeting", "1", "status", "Cancelled");
    assert.fieldEquals("Meeting", "1", "cancelledAt", "1");
    clearStore();
  });
});

describe("handleBallotCast", () => {
  beforeEach(() => {
    handleRulesPublished(createFirstRulesEvent());
    announceMeeting(1, [OTHER, TWO_THIRDS, HALF_OF_ALL]);
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
    assert.fieldEquals("Question", "1-2", "unansweredWeight", "0");
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
    assert.fieldEquals("Ballot", id, "representative", "null");
    assert.fieldEquals("Ballot", id, "form", "Direct");
    assert.fieldEquals("Ballot", id, "weight", "9500");
    assert.fieldEquals("Ballot", id, "ownWeight", "9500");
    assert.fieldEquals("Ballot", id, "jointGroupVotes", "[]");
    assert.fieldEquals("Ballot", id, "choices", (1 + (2 << 2) + (3 << 4)).toString());
    assert.fieldEquals("Ballot", id, "voidMask", "0");
    assert.fieldEquals("Ballot", id, "answers", "[For, Against, Abstain]");
    assert.fieldEquals("Ballot", id, "answeredQuestions", "[0, 1, 2]");
    assert.fieldEquals("Ballot", id, "voidQuestions", "[]");
    assert.fieldEquals("Ballot", id, "unansweredQuestions", "[]");
    assert.fieldEquals("Ballot", id, "paperDecision", "null");
    assert.fieldEquals("Ballot", id, "transactionHash", event.transaction.hash.toHexString());
    assert.fieldEquals("Ballot", id, "logIndex", event.logIndex.toString());
  });

  test("keeps live tallies across ballots, with no result before finalization", () => {
    handleBallotCast(createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, FOR, FOR]));
    handleBallotCast(createBallotCastEvent(1, bob, BigInt.fromI32(4000), [AGAINST, FOR, ABSTAIN], RELAYED));

    assert.fieldEquals("Question", "1-0", "forWeight", "9500");
    assert.fieldEquals("Question", "1-0", "againstWeight", "4000");
    assert.fieldEquals("Question", "1-1", "forWeight", "13500");
    assert.fieldEquals("Question", "1-2", "abstainWeight", "4000");
    assert.fieldEquals("Meeting", "1", "ballotCount", "2");
    assert.fieldEquals("Meeting", "1", "participatingWeight", "13500");
    assert.fieldEquals("Question", "1-0", "passed", "null");
    assert.fieldEquals("Meeting", "1", "quorumReached", "null");
  });

  test("shows both accounts of a representative's ballot: the voter whose weight counts, and who cast it", () => {
    let event = createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, FOR, FOR], RELAYED, carol);
    handleBallotCast(event);

    let id = idOf(event.transaction.hash, event.logIndex.toI32());
    assert.fieldEquals("Ballot", id, "voter", alice.toHexString());
    assert.fieldEquals("Ballot", id, "member", "7-" + alice.toHexString());
    assert.fieldEquals("Ballot", id, "representative", carol.toHexString());
    assert.fieldEquals("Ballot", id, "form", "Relayed");
  });

  test("links a joint owner's ballot to the joint groups counted just before it, and splits its weight", () => {
    let tx = transactionHash(1);
    let vote = createJointGroupVotedEvent(1, group, alice, BigInt.fromI32(6000));
    inTransaction(vote, tx, 40);
    let ballot = createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, AGAINST, FOR]);
    inTransaction(ballot, tx, 41);
    handleJointGroupVoted(vote);
    handleBallotCast(ballot);

    let voteId = idOf(tx, 40);
    let ballotId = idOf(tx, 41);
    assert.fieldEquals("JointGroupVote", voteId, "meeting", "1");
    assert.fieldEquals("JointGroupVote", voteId, "group", groupId);
    assert.fieldEquals("JointGroupVote", voteId, "voter", alice.toHexString());
    assert.fieldEquals("JointGroupVote", voteId, "weight", "6000");
    assert.fieldEquals("Ballot", ballotId, "jointGroupVotes", "[" + voteId + "]");
    assert.fieldEquals("Ballot", ballotId, "weight", "9500");
    assert.fieldEquals("Ballot", ballotId, "ownWeight", "3500");
    assert.fieldEquals("Question", "1-0", "forWeight", "9500");
  });

  test("in a batch, gives each ballot only the joint groups counted for its own voter", () => {
    let tx = transactionHash(2);
    let vote = createJointGroupVotedEvent(1, group, alice, BigInt.fromI32(6000));
    let first = createBallotCastEvent(1, alice, BigInt.fromI32(6000), [FOR, FOR, FOR], RELAYED);
    let second = createBallotCastEvent(1, carol, BigInt.fromI32(2000), [AGAINST, AGAINST, AGAINST], RELAYED);
    inTransaction(vote, tx, 10);
    inTransaction(first, tx, 11);
    inTransaction(second, tx, 12);
    handleJointGroupVoted(vote);
    handleBallotCast(first);
    handleBallotCast(second);

    assert.fieldEquals("Ballot", idOf(tx, 11), "jointGroupVotes", "[" + idOf(tx, 10) + "]");
    assert.fieldEquals("Ballot", idOf(tx, 11), "ownWeight", "0");
    assert.fieldEquals("Ballot", idOf(tx, 12), "jointGroupVotes", "[]");
    assert.fieldEquals("Ballot", idOf(tx, 12), "ownWeight", "2000");
  });

  test("counts a paper ballot's void and unanswered questions for participation and for no answer", () => {
    let tx = transactionHash(3);
    let decision = createPaperDecisionEnteredEvent(1, bob, administrator, 0b10, scan);
    inTransaction(decision, tx, 5);
    let ballot = createBallotCastEvent(1, bob, BigInt.fromI32(4000), [FOR, NONE, NONE], PAPER);
    inTransaction(ballot, tx, 6);
    handlePaperDecisionEntered(decision);
    handleBallotCast(ballot);

    let decisionId = idOf(tx, 5);
    let ballotId = idOf(tx, 6);
    assert.fieldEquals("PaperDecision", decisionId, "meeting", "1");
    assert.fieldEquals("PaperDecision", decisionId, "voter", bob.toHexString());
    assert.fieldEquals("PaperDecision", decisionId, "administrator", administrator.toHexString());
    assert.fieldEquals("PaperDecision", decisionId, "voidMask", "2");
    assert.fieldEquals("PaperDecision", decisionId, "voidQuestions", "[1]");
    assert.fieldEquals("PaperDecision", decisionId, "scanHash", scan.toHexString());
    assert.fieldEquals("Ballot", ballotId, "form", "Paper");
    assert.fieldEquals("Ballot", ballotId, "paperDecision", decisionId);
    assert.fieldEquals("Ballot", ballotId, "voidMask", "2");
    assert.fieldEquals("Ballot", ballotId, "answers", "[For]");
    assert.fieldEquals("Ballot", ballotId, "answeredQuestions", "[0]");
    assert.fieldEquals("Ballot", ballotId, "voidQuestions", "[1]");
    assert.fieldEquals("Ballot", ballotId, "unansweredQuestions", "[2]");
    assert.fieldEquals("Question", "1-0", "forWeight", "4000");
    assert.fieldEquals("Question", "1-1", "voidWeight", "4000");
    assert.fieldEquals("Question", "1-1", "unansweredWeight", "0");
    assert.fieldEquals("Question", "1-1", "forWeight", "0");
    assert.fieldEquals("Question", "1-1", "participatingWeight", "4000");
    assert.fieldEquals("Question", "1-2", "unansweredWeight", "4000");
    assert.fieldEquals("Question", "1-2", "voidWeight", "0");
    assert.fieldEquals("Question", "1-2", "participatingWeight", "4000");
    assert.fieldEquals("Meeting", "1", "participatingWeight", "4000");
  });

  test("finds a paper decision behind the joint groups its ballot counted", () => {
    let tx = transactionHash(4);
    let decision = createPaperDecisionEnteredEvent(1, alice, administrator, 0, scan);
    let vote = createJointGroupVotedEvent(1, group, alice, BigInt.fromI32(6000));
    let ballot = createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, FOR, FOR], PAPER, carol);
    inTransaction(decision, tx, 0);
    inTransaction(vote, tx, 1);
    inTransaction(ballot, tx, 2);
    handlePaperDecisionEntered(decision);
    handleJointGroupVoted(vote);
    handleBallotCast(ballot);

    assert.fieldEquals("Ballot", idOf(tx, 2), "paperDecision", idOf(tx, 0));
    assert.fieldEquals("Ballot", idOf(tx, 2), "jointGroupVotes", "[" + idOf(tx, 1) + "]");
    assert.fieldEquals("Ballot", idOf(tx, 2), "representative", carol.toHexString());
    assert.fieldEquals("Ballot", idOf(tx, 2), "ownWeight", "3500");
  });

  test(
    "fails for a paper ballot that follows no paper decision",
    () => {
      handleBallotCast(createBallotCastEvent(1, bob, BigInt.fromI32(4000), [FOR, NONE, FOR], PAPER));
    },
    true,
  );

  test(
    "fails for a meeting that was never announced",
    () => {
      handleBallotCast(createBallotCastEvent(99, alice, BigInt.fromI32(1), [FOR]));
    },
    true,
  );
});

describe("handleBallotRejected", () => {
  beforeEach(() => {
    handleRulesPublished(createFirstRulesEvent());
    announceMeeting(1, [OTHER]);
  });

  afterEach(() => {
    clearStore();
  });

  test("records the rejection with its reason, the signed ballot's id and its signer, and counts it on the meeting", () => {
    let ballotId = Bytes.fromHexString("0x" + "d1".repeat(32));
    let event = createBallotRejectedEvent(1, bob, 3, NO_ONE, ballotId);
    handleBallotRejected(event);

    let id = event.transaction.hash.concatI32(event.logIndex.toI32()).toHexString();
    assert.fieldEquals("RejectedBallot", id, "reason", "AlreadyVoted");
    assert.fieldEquals("RejectedBallot", id, "voter", bob.toHexString());
    assert.fieldEquals("RejectedBallot", id, "representative", "null");
    assert.fieldEquals("RejectedBallot", id, "signer", bob.toHexString());
    assert.fieldEquals("RejectedBallot", id, "ballotId", ballotId.toHexString());
    assert.fieldEquals("Meeting", "1", "rejectedBallotCount", "1");
    assert.fieldEquals("Meeting", "1", "ballotCount", "0");
  });

  test("names the representative as the signer of a ballot they signed for the voter", () => {
    let event = createBallotRejectedEvent(1, alice, 5, carol);
    handleBallotRejected(event);

    let id = event.transaction.hash.concatI32(event.logIndex.toI32()).toHexString();
    assert.fieldEquals("RejectedBallot", id, "reason", "NoPowerOfAttorney");
    assert.fieldEquals("RejectedBallot", id, "voter", alice.toHexString());
    assert.fieldEquals("RejectedBallot", id, "representative", carol.toHexString());
    assert.fieldEquals("RejectedBallot", id, "signer", carol.toHexString());
  });

  test("names every reason as the contract does", () => {
    let names = ["NotOpen", "Expired", "NotEligible", "AlreadyVoted", "MalformedChoices", "NoPowerOfAttorney"];
    for (let reason = 0; reason < names.length; reason++) {
      let event = createBallotRejectedEvent(1, alice, reason);
      handleBallotRejected(event);
      assert.fieldEquals("RejectedBallot", event.transaction.hash.concatI32(event.logIndex.toI32()).toHexString(), "reason", names[reason]);
    }
    assert.fieldEquals("Meeting", "1", "rejectedBallotCount", names.length.toString());
  });

  test(
    "fails for a reason the contract does not have",
    () => {
      handleBallotRejected(createBallotRejectedEvent(1, alice, 6));
    },
    true,
  );
});

describe("handleBallotDiscarded", () => {
  test("counts discarded ballots per meeting and transaction, with their places in the batch, naming nobody", () => {
    handleRulesPublished(createFirstRulesEvent());
    announceMeeting(1, [OTHER]);
    let first = transactionHash(7);
    let second = transactionHash(8);
    let a = createBallotDiscardedEvent(1, 0);
    let b = createBallotDiscardedEvent(1, 3);
    let c = createBallotDiscardedEvent(1, 1);
    inTransaction(a, first, 0);
    inTransaction(b, first, 2);
    inTransaction(c, second, 0);
    handleBallotDiscarded(a);
    handleBallotDiscarded(b);
    handleBallotDiscarded(c);

    let firstId = "1-" + first.toHexString();
    assert.entityCount("DiscardedBatch", 2);
    assert.fieldEquals("DiscardedBatch", firstId, "meeting", "1");
    assert.fieldEquals("DiscardedBatch", firstId, "count", "2");
    assert.fieldEquals("DiscardedBatch", firstId, "indexes", "[0, 3]");
    assert.fieldEquals("DiscardedBatch", firstId, "transactionHash", first.toHexString());
    assert.fieldEquals("DiscardedBatch", "1-" + second.toHexString(), "count", "1");
    assert.fieldEquals("Meeting", "1", "discardedBallotCount", "3");
    assert.fieldEquals("Meeting", "1", "rejectedBallotCount", "0");
    assert.entityCount("RejectedBallot", 0);
    clearStore();
  });
});

describe("handlePowerOfAttorneyRecorded and handlePowerOfAttorneyRevoked", () => {
  beforeEach(() => {
    handleRulesPublished(createFirstRulesEvent());
    announceMeeting(1, [OTHER]);
  });

  afterEach(() => {
    clearStore();
  });

  test("records a power for one meeting with its validity, document and recorder", () => {
    let document = Bytes.fromHexString("0x" + "d0".repeat(32));
    let event = createPowerOfAttorneyRecordedEvent(1, alice, carol, 7, 1, 1500, 3000, document, administrator);
    handlePowerOfAttorneyRecorded(event);

    assert.fieldEquals("PowerOfAttorney", "1", "powerId", "1");
    assert.fieldEquals("PowerOfAttorney", "1", "building", "7");
    assert.fieldEquals("PowerOfAttorney", "1", "principal", alice.toHexString());
    assert.fieldEquals("PowerOfAttorney", "1", "representative", carol.toHexString());
    assert.fieldEquals("PowerOfAttorney", "1", "meeting", "1");
    assert.fieldEquals("PowerOfAttorney", "1", "allMeetings", "false");
    assert.fieldEquals("PowerOfAttorney", "1", "validFrom", "1500");
    assert.fieldEquals("PowerOfAttorney", "1", "validTo", "3000");
    assert.fieldEquals("PowerOfAttorney", "1", "documentHash", document.toHexString());
    assert.fieldEquals("PowerOfAttorney", "1", "recordedBy", administrator.toHexString());
    assert.fieldEquals("PowerOfAttorney", "1", "recordedInTransaction", event.transaction.hash.toHexString());
    assert.fieldEquals("PowerOfAttorney", "1", "revoked", "false");
    assert.fieldEquals("PowerOfAttorney", "1", "revokedBy", "null");
  });

  test("records a power for every meeting in its period, and its revocation", () => {
    handlePowerOfAttorneyRecorded(createPowerOfAttorneyRecordedEvent(2, bob, carol, 7, 0, 0, 100000, scan, initiator));
    assert.fieldEquals("PowerOfAttorney", "2", "meeting", "null");
    assert.fieldEquals("PowerOfAttorney", "2", "allMeetings", "true");

    let revoked = createPowerOfAttorneyRevokedEvent(2, bob);
    handlePowerOfAttorneyRevoked(revoked);
    assert.fieldEquals("PowerOfAttorney", "2", "revoked", "true");
    assert.fieldEquals("PowerOfAttorney", "2", "revokedBy", bob.toHexString());
    assert.fieldEquals("PowerOfAttorney", "2", "revokedAt", revoked.block.timestamp.toString());
    assert.fieldEquals("PowerOfAttorney", "2", "validTo", "100000");
  });

  test(
    "fails for the revocation of a power that was never recorded",
    () => {
      handlePowerOfAttorneyRevoked(createPowerOfAttorneyRevokedEvent(9, bob));
    },
    true,
  );

  test(
    "fails for a power for a meeting that was never announced",
    () => {
      handlePowerOfAttorneyRecorded(createPowerOfAttorneyRecordedEvent(3, bob, carol, 7, 42, 0, 10, scan, administrator));
    },
    true,
  );
});

describe("handleMeetingFinalized and handleQuestionDecided", () => {
  beforeEach(() => {
    handleRulesPublished(createFirstRulesEvent());
  });

  afterEach(() => {
    clearStore();
  });

  test("sets the final quorum, totals and each question's outcome by its rule", () => {
    announceMeeting(1, [OTHER, TWO_THIRDS]);
    handleBallotCast(createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, FOR]));
    handleQuestionDecided(createQuestionDecidedEvent(1, 0, OTHER, BigInt.fromI32(9500), BigInt.zero(), BigInt.zero(), true));
    handleQuestionDecided(createQuestionDecidedEvent(1, 1, TWO_THIRDS, BigInt.fromI32(9500), BigInt.zero(), BigInt.zero(), false));
    handleMeetingFinalized(createMeetingFinalizedEvent(1, BigInt.fromI32(15000), BigInt.fromI32(9500), 1, true));

    assert.fieldEquals("Meeting", "1", "status", "Finalized");
    assert.fieldEquals("Meeting", "1", "totalWeight", "15000");
    assert.fieldEquals("Meeting", "1", "quorumReached", "true");
    assert.fieldEquals("Question", "1-0", "decided", "true");
    assert.fieldEquals("Question", "1-0", "passed", "true");
    assert.fieldEquals("Question", "1-1", "passed", "false");
    assert.fieldEquals("Question", "1-1", "forWeight", "9500");
    assert.fieldEquals("Question", "1-1", "code", "44.2.1");
  });

  test("a meeting without quorum passes nothing", () => {
    announceMeeting(1, [OTHER]);
    handleBallotCast(createBallotCastEvent(1, bob, BigInt.fromI32(4000), [FOR]));
    handleQuestionDecided(createQuestionDecidedEvent(1, 0, OTHER, BigInt.fromI32(4000), BigInt.zero(), BigInt.zero(), false));
    handleMeetingFinalized(createMeetingFinalizedEvent(1, BigInt.fromI32(15000), BigInt.fromI32(4000), 1, false));

    assert.fieldEquals("Meeting", "1", "quorumReached", "false");
    assert.fieldEquals("Question", "1-0", "passed", "false");
  });

  test("keeps the paper ballots' void and unanswered weight in each question's participation", () => {
    announceMeeting(1, [OTHER, OTHER]);
    let tx = transactionHash(9);
    let decision = createPaperDecisionEnteredEvent(1, bob, administrator, 0b01, scan);
    let ballot = createBallotCastEvent(1, bob, BigInt.fromI32(4000), [NONE, NONE], PAPER);
    inTransaction(decision, tx, 0);
    inTransaction(ballot, tx, 1);
    handlePaperDecisionEntered(decision);
    handleBallotCast(ballot);
    handleBallotCast(createBallotCastEvent(1, alice, BigInt.fromI32(9500), [FOR, AGAINST], DIRECT));
    handleQuestionDecided(createQuestionDecidedEvent(1, 0, OTHER, BigInt.fromI32(9500), BigInt.zero(), BigInt.zero(), true));
    handleQuestionDecided(createQuestionDecidedEvent(1, 1, OTHER, BigInt.zero(), BigInt.fromI32(9500), BigInt.zero(), false));
    handleMeetingFinalized(createMeetingFinalizedEvent(1, BigInt.fromI32(15000), BigInt.fromI32(13500), 2, true));

    assert.fieldEquals("Question", "1-0", "voidWeight", "4000");
    assert.fieldEquals("Question", "1-0", "participatingWeight", "13500");
    assert.fieldEquals("Question", "1-1", "unansweredWeight", "4000");
    assert.fieldEquals("Question", "1-1", "participatingWeight", "13500");
    assert.fieldEquals("Meeting", "1", "participatingWeight", "13500");
  });

  test(
    "fails for a decision under another question type than announced",
    () => {
      announceMeeting(1, [OTHER]);
      handleQuestionDecided(createQuestionDecidedEvent(1, 0, TWO_THIRDS, BigInt.zero(), BigInt.zero(), BigInt.zero(), false));
    },
    true,
  );
});
