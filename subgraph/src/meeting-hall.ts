import { BigInt, Bytes } from "@graphprotocol/graph-ts";
import {
  BallotCast,
  BallotRejected,
  MeetingAnnounced,
  MeetingCancelled,
  MeetingFinalized,
  QuestionDecided,
} from "../generated/MeetingHall/MeetingHall";
import { Ballot, Meeting, Question, RejectedBallot } from "../generated/schema";
import {
  CHOICE_ABSTAIN,
  CHOICE_AGAINST,
  CHOICE_FOR,
  choiceName,
  meetingKindName,
  rejectReasonName,
  thresholdName,
} from "./enums";
import { loadMeeting, loadQuestion, memberId, questionId, ZERO } from "./helpers";

export function handleMeetingAnnounced(event: MeetingAnnounced): void {
  let meetingId = event.params.meetingId;
  let meeting = new Meeting(meetingId.toString());
  meeting.meetingId = meetingId;
  meeting.building = event.params.buildingId.toString();
  meeting.kind = meetingKindName(event.params.kind);
  meeting.status = "Announced";
  meeting.initiator = event.params.initiator;
  meeting.snapshot = event.params.snapshot;
  meeting.votingStart = event.params.votingStart;
  meeting.votingEnd = event.params.votingEnd;
  meeting.agendaRef = event.params.agendaRef;
  meeting.ballotCount = 0;
  meeting.rejectedBallotCount = 0;
  meeting.participatingWeight = ZERO;
  meeting.announcedAt = event.block.timestamp;
  meeting.announcedAtBlock = event.block.number;
  meeting.announcedInTransaction = event.transaction.hash;

  let questions = event.params.questions;
  meeting.questionCount = questions.length;
  meeting.save();

  for (let i = 0; i < questions.length; i++) {
    let question = new Question(questionId(meetingId, i));
    question.meeting = meeting.id;
    question.index = i;
    question.textRef = questions[i].textRef;
    question.threshold = thresholdName(questions[i].threshold);
    question.forWeight = ZERO;
    question.againstWeight = ZERO;
    question.abstainWeight = ZERO;
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

/** Counts a ballot into its meeting and each question's tally, and records it. */
export function handleBallotCast(event: BallotCast): void {
  let meeting = loadMeeting(event.params.meetingId);
  let weight = event.params.weight;
  let choices = event.params.choices;

  let answers = new Array<string>(meeting.questionCount);
  for (let i = 0; i < meeting.questionCount; i++) {
    let choice = choices.rightShift(u8(2 * i)).bitAnd(BigInt.fromI32(3)).toI32();
    answers[i] = choiceName(choice);
    let question = loadQuestion(meeting.meetingId, i);
    if (choice == CHOICE_FOR) question.forWeight = question.forWeight.plus(weight);
    else if (choice == CHOICE_AGAINST) question.againstWeight = question.againstWeight.plus(weight);
    else if (choice == CHOICE_ABSTAIN) question.abstainWeight = question.abstainWeight.plus(weight);
    question.participatingWeight = question.participatingWeight.plus(weight);
    question.save();
  }

  meeting.ballotCount = meeting.ballotCount + 1;
  meeting.participatingWeight = meeting.participatingWeight.plus(weight);
  meeting.save();

  let ballot = new Ballot(event.transaction.hash.concatI32(event.logIndex.toI32()));
  ballot.meeting = meeting.id;
  ballot.member = memberId(BigInt.fromString(meeting.building), event.params.voter);
  ballot.voter = event.params.voter;
  ballot.weight = weight;
  ballot.choices = choices;
  ballot.answers = answers;
  ballot.transactionHash = event.transaction.hash;
  ballot.transactionFrom = event.transaction.from;
  ballot.blockNumber = event.block.number;
  ballot.blockTimestamp = event.block.timestamp;
  ballot.logIndex = event.logIndex;
  ballot.save();
}

export function handleBallotRejected(event: BallotRejected): void {
  let meeting = loadMeeting(event.params.meetingId);
  meeting.rejectedBallotCount = meeting.rejectedBallotCount + 1;
  meeting.save();

  let rejected = new RejectedBallot(event.transaction.hash.concatI32(event.logIndex.toI32()));
  rejected.meeting = meeting.id;
  rejected.voter = event.params.voter;
  rejected.reason = rejectReasonName(event.params.reason);
  rejected.transactionHash = event.transaction.hash;
  rejected.blockNumber = event.block.number;
  rejected.blockTimestamp = event.block.timestamp;
  rejected.logIndex = event.logIndex;
  rejected.save();
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

export function handleQuestionDecided(event: QuestionDecided): void {
  let question = loadQuestion(event.params.meetingId, event.params.questionIndex);
  question.forWeight = event.params.forWeight;
  question.againstWeight = event.params.againstWeight;
  question.abstainWeight = event.params.abstainWeight;
  question.participatingWeight = event.params.forWeight.plus(event.params.againstWeight).plus(event.params.abstainWeight);
  question.decided = true;
  question.passed = event.params.passed;
  question.save();
}
