import { Address, BigInt, Bytes } from "@graphprotocol/graph-ts";
import {
  BallotCast,
  BallotDiscarded,
  BallotRejected,
  JointGroupVoted,
  MeetingAnnounced,
  MeetingCancelled,
  MeetingFinalized,
  PaperDecisionEntered,
  PowerOfAttorneyRecorded,
  PowerOfAttorneyRevoked,
  QuestionDecided,
} from "../generated/MeetingHall/MeetingHall";
import {
  Ballot,
  DiscardedBatch,
  JointGroupVote,
  Meeting,
  PaperDecision,
  PowerOfAttorney,
  Question,
  QuestionType,
  RejectedBallot,
  RulesVersion,
} from "../generated/schema";
import {
  ballotFormName,
  CHOICE_ABSTAIN,
  CHOICE_AGAINST,
  CHOICE_FOR,
  choiceName,
  FORM_PAPER,
  KIND_MEETING,
  meetingKindName,
  meetingTypeName,
  rejectReasonName,
} from "./enums";
import {
  addressOrNull,
  bitIndexes,
  eventId,
  jointGroupId,
  loadMeeting,
  loadQuestion,
  memberId,
  questionId,
  questionTypeId,
  ZERO,
} from "./helpers";

/**
 * A meeting or poll with its agenda. A general meeting's questions take their code and rule from the
 * rules version the meeting recorded, which LegalRules published before; a poll has no version.
 */
export function handleMeetingAnnounced(event: MeetingAnnounced): void {
  let meetingId = event.params.meetingId;
  let meeting = new Meeting(meetingId.toString());
  meeting.meetingId = meetingId;
  meeting.building = event.params.buildingId.toString();
  meeting.kind = meetingKindName(event.params.kind);
  meeting.meetingType = meetingTypeName(event.params.meetingType);
  meeting.status = "Announced";
  meeting.initiator = event.params.initiator;
  meeting.administrator = event.params.administrator;
  let version = event.params.rulesVersion;
  let decidedByRules = event.params.kind == KIND_MEETING;
  meeting.rulesVersion = version.toI32();
  if (decidedByRules) {
    if (RulesVersion.load(version.toString()) == null) {
      throw new Error("meeting " + meetingId.toString() + ": rules version " + version.toString() + " was never published");
    }
    meeting.rules = version.toString();
  }
  meeting.snapshot = event.params.snapshot;
  meeting.votingStart = event.params.votingStart;
  meeting.votingEnd = event.params.votingEnd;
  meeting.agendaRef = event.params.agendaRef;
  meeting.ballotCount = 0;
  meeting.rejectedBallotCount = 0;
  meeting.discardedBallotCount = 0;
  meeting.participatingWeight = ZERO;
  meeting.announcedAt = event.block.timestamp;
  meeting.announcedAtBlock = event.block.number;
  meeting.announcedInTransaction = event.transaction.hash;
  meeting.announcedBy = event.transaction.from;

  let questions = event.params.questions;
  meeting.questionCount = questions.length;
  meeting.save();

  for (let i = 0; i < questions.length; i++) {
    let question = new Question(questionId(meetingId, i));
    question.meeting = meeting.id;
    question.index = i;
    question.textRef = questions[i].textRef;
    question.questionType = questions[i].questionType;
    if (decidedByRules) {
      let typeId = questionTypeId(version, questions[i].questionType);
      let type = QuestionType.load(typeId);
      if (type == null) {
        throw new Error("question " + i.toString() + " of meeting " + meetingId.toString() + ": question type " + typeId + " was never published");
      }
      question.type = typeId;
      question.code = type.code;
      question.ruleBase = type.base;
      question.ruleNumerator = type.numerator;
      question.ruleDenominator = type.denominator;
      question.ruleStrict = type.strict;
    }
    question.forWeight = ZERO;
    question.againstWeight = ZERO;
    question.abstainWeight = ZERO;
    question.voidWeight = ZERO;
    question.unansweredWeight = ZERO;
    question.participatingWeight = ZERO;
    question.decided = false;
    question.save();
  }
}

export function handleMeetingCancelled(event: MeetingCancelled): void {
  let meeting = loadMeeting(event.params.meetingId);
  meeting.status = "Cancelled";
  meeting.cancelledAt = event.block.timestamp;
  meeting.save();
}

export function handlePaperDecisionEntered(event: PaperDecisionEntered): void {
  let meeting = loadMeeting(event.params.meetingId);
  let decision = new PaperDecision(eventId(event));
  decision.meeting = meeting.id;
  decision.voter = event.params.voter;
  decision.administrator = event.params.administrator;
  decision.voidMask = event.params.voidMask;
  decision.voidQuestions = bitIndexes(event.params.voidMask, meeting.questionCount);
  decision.scanHash = event.params.scanHash;
  decision.transactionHash = event.transaction.hash;
  decision.blockNumber = event.block.number;
  decision.blockTimestamp = event.block.timestamp;
  decision.logIndex = event.logIndex;
  decision.save();
}

export function handleJointGroupVoted(event: JointGroupVoted): void {
  let meeting = loadMeeting(event.params.meetingId);
  let vote = new JointGroupVote(eventId(event));
  vote.meeting = meeting.id;
  vote.group = jointGroupId(BigInt.fromString(meeting.building), event.params.group);
  vote.voter = event.params.voter;
  vote.weight = event.params.weight;
  vote.transactionHash = event.transaction.hash;
  vote.blockNumber = event.block.number;
  vote.blockTimestamp = event.block.timestamp;
  vote.logIndex = event.logIndex;
  vote.save();
}

/** What a ballot's contract call emitted just before its BallotCast, in the same transaction. */
class Preceding {
  /** The JointGroupVoted records of the joint groups counted within the ballot, in log order. */
  jointGroupVotes: Array<Bytes> = new Array<Bytes>();
  /** The sum of their weights. */
  jointWeight: BigInt = ZERO;
  /** The PaperDecisionEntered record of a paper ballot. */
  decision: PaperDecision | null = null;
}

/**
 * Walks back from a ballot's log through its transaction: MeetingHall emits the JointGroupVoted of each
 * joint group a ballot counts right before its BallotCast, and a paper decision's PaperDecisionEntered
 * right before those; the walk stops at the first log that is neither for this voter.
 */
function precedingEvents(event: BallotCast, meetingId: string, paper: boolean): Preceding {
  let found = new Preceding();
  let voter = event.params.voter;
  let hash = event.transaction.hash;
  let logIndex = event.logIndex.toI32();
  for (let k = 1; logIndex - k >= 0; k++) {
    let id = hash.concatI32(logIndex - k);
    let vote = JointGroupVote.load(id);
    if (vote != null && vote.meeting == meetingId && vote.voter.equals(voter)) {
      found.jointGroupVotes.unshift(id);
      found.jointWeight = found.jointWeight.plus(vote.weight);
      continue;
    }
    if (paper) {
      let entered = PaperDecision.load(id);
      if (entered != null && entered.meeting == meetingId && entered.voter.equals(voter)) found.decision = entered;
    }
    break;
  }
  return found;
}

/**
 * Counts a ballot into its meeting and each question's tally, and records it with the joint groups
 * counted within it and, for a paper ballot, the paper decision it counts, whose void mask tells a
 * void question (marked more than once) from an unanswered one.
 */
export function handleBallotCast(event: BallotCast): void {
  let meeting = loadMeeting(event.params.meetingId);
  let voter = event.params.voter;
  let weight = event.params.weight;
  let choices = event.params.choices;
  let paper = event.params.form == FORM_PAPER;
  let preceding = precedingEvents(event, meeting.id, paper);
  let decision = preceding.decision;
  if (paper && decision === null) {
    throw new Error("paper ballot of " + voter.toHexString() + " in meeting " + meeting.id + " follows no paper decision");
  }
  let voidMask = ZERO;
  if (decision !== null) voidMask = decision.voidMask;

  let answers = new Array<string>();
  let answered = new Array<i32>();
  let voided = new Array<i32>();
  let unanswered = new Array<i32>();
  let one = BigInt.fromI32(1);
  let three = BigInt.fromI32(3);
  for (let i = 0; i < meeting.questionCount; i++) {
    let choice = choices.rightShift(u8(2 * i)).bitAnd(three).toI32();
    let question = loadQuestion(meeting.meetingId, i);
    if (choice == CHOICE_FOR) question.forWeight = question.forWeight.plus(weight);
    else if (choice == CHOICE_AGAINST) question.againstWeight = question.againstWeight.plus(weight);
    else if (choice == CHOICE_ABSTAIN) question.abstainWeight = question.abstainWeight.plus(weight);
    if (choice != 0) {
      answers.push(choiceName(choice));
      answered.push(i);
    } else if (voidMask.rightShift(u8(i)).bitAnd(one).equals(one)) {
      question.voidWeight = question.voidWeight.plus(weight);
      voided.push(i);
    } else {
      question.unansweredWeight = question.unansweredWeight.plus(weight);
      unanswered.push(i);
    }
    question.participatingWeight = question.participatingWeight.plus(weight);
    question.save();
  }

  meeting.ballotCount = meeting.ballotCount + 1;
  meeting.participatingWeight = meeting.participatingWeight.plus(weight);
  meeting.save();

  let ballot = new Ballot(eventId(event));
  ballot.meeting = meeting.id;
  ballot.member = memberId(BigInt.fromString(meeting.building), voter);
  ballot.voter = voter;
  ballot.representative = addressOrNull(event.params.representative);
  ballot.form = ballotFormName(event.params.form);
  ballot.weight = weight;
  ballot.ownWeight = weight.minus(preceding.jointWeight);
  ballot.jointGroupVotes = preceding.jointGroupVotes;
  ballot.choices = choices;
  ballot.voidMask = voidMask;
  ballot.answers = answers;
  ballot.answeredQuestions = answered;
  ballot.voidQuestions = voided;
  ballot.unansweredQuestions = unanswered;
  if (decision !== null) ballot.paperDecision = decision.id;
  ballot.transactionHash = event.transaction.hash;
  ballot.transactionFrom = event.transaction.from;
  ballot.blockNumber = event.block.number;
  ballot.blockTimestamp = event.block.timestamp;
  ballot.logIndex = event.logIndex;
  ballot.save();
}

/** A relayed ballot its signer did sign, not counted: the record proves who signed what, and why it did not count. */
export function handleBallotRejected(event: BallotRejected): void {
  let meeting = loadMeeting(event.params.meetingId);
  meeting.rejectedBallotCount = meeting.rejectedBallotCount + 1;
  meeting.save();

  let representative = event.params.representative;
  let byRepresentative = !representative.equals(Address.zero());
  let rejected = new RejectedBallot(eventId(event));
  rejected.meeting = meeting.id;
  rejected.voter = event.params.voter;
  rejected.representative = addressOrNull(representative);
  rejected.signer = byRepresentative ? representative : event.params.voter;
  rejected.ballotId = event.params.ballotId;
  rejected.reason = rejectReasonName(event.params.reason);
  rejected.transactionHash = event.transaction.hash;
  rejected.blockNumber = event.block.number;
  rejected.blockTimestamp = event.block.timestamp;
  rejected.logIndex = event.logIndex;
  rejected.save();
}

/** A relayed ballot whose signature was not its signer's: counted per meeting and transaction, naming nobody. */
export function handleBallotDiscarded(event: BallotDiscarded): void {
  let meeting = loadMeeting(event.params.meetingId);
  meeting.discardedBallotCount = meeting.discardedBallotCount + 1;
  meeting.save();

  let id = meeting.id + "-" + event.transaction.hash.toHexString();
  let batch = DiscardedBatch.load(id);
  if (batch == null) {
    batch = new DiscardedBatch(id);
    batch.meeting = meeting.id;
    batch.count = 0;
    batch.indexes = [];
    batch.transactionHash = event.transaction.hash;
    batch.transactionFrom = event.transaction.from;
    batch.blockNumber = event.block.number;
    batch.blockTimestamp = event.block.timestamp;
  }
  batch.count = batch.count + 1;
  let indexes = batch.indexes;
  indexes.push(event.params.index);
  batch.indexes = indexes;
  batch.save();
}

export function handlePowerOfAttorneyRecorded(event: PowerOfAttorneyRecorded): void {
  let power = new PowerOfAttorney(event.params.id.toString());
  power.powerId = event.params.id;
  power.building = event.params.buildingId.toString();
  power.principal = event.params.principal;
  power.representative = event.params.representative;
  let oneMeeting = !event.params.meetingId.isZero();
  if (oneMeeting) power.meeting = loadMeeting(event.params.meetingId).id;
  power.allMeetings = !oneMeeting;
  power.validFrom = event.params.validFrom;
  power.validTo = event.params.validTo;
  power.documentHash = event.params.documentHash;
  power.recordedBy = event.params.recordedBy;
  power.recordedAt = event.block.timestamp;
  power.recordedAtBlock = event.block.number;
  power.recordedInTransaction = event.transaction.hash;
  power.revoked = false;
  power.save();
}

export function handlePowerOfAttorneyRevoked(event: PowerOfAttorneyRevoked): void {
  let power = PowerOfAttorney.load(event.params.id.toString());
  if (power == null) throw new Error("power of attorney " + event.params.id.toString() + " was never recorded");
  power.revoked = true;
  power.revokedBy = event.params.revokedBy;
  power.revokedAt = event.block.timestamp;
  power.revokedAtBlock = event.block.number;
  power.save();
}

/** A question's final tally and whether it passed by the rule of its type in the meeting's version. */
export function handleQuestionDecided(event: QuestionDecided): void {
  let question = loadQuestion(event.params.meetingId, event.params.questionIndex);
  if (question.questionType != event.params.questionType) {
    throw new Error(
      "question " + question.id + " decided as type " + event.params.questionType.toString() + " but announced as type " + question.questionType.toString(),
    );
  }
  question.forWeight = event.params.forWeight;
  question.againstWeight = event.params.againstWeight;
  question.abstainWeight = event.params.abstainWeight;
  question.participatingWeight = event.params.forWeight
    .plus(event.params.againstWeight)
    .plus(event.params.abstainWeight)
    .plus(question.voidWeight)
    .plus(question.unansweredWeight);
  question.decided = true;
  question.passed = event.params.passed;
  question.save();
}

export function handleMeetingFinalized(event: MeetingFinalized): void {
  let meeting = loadMeeting(event.params.meetingId);
  meeting.status = "Finalized";
  meeting.totalWeight = event.params.totalWeight;
  meeting.participatingWeight = event.params.participatingWeight;
  meeting.ballotCount = event.params.ballots.toI32();
  meeting.quorumReached = event.params.quorumReached;
  meeting.finalizedAt = event.block.timestamp;
  meeting.finalizedAtBlock = event.block.number;
  meeting.save();
}
