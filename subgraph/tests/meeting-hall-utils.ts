import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { mockEvent, param, uint } from "./event-utils";
import {
  BallotCast,
  BallotRejected,
  MeetingAnnounced,
  MeetingCancelled,
  MeetingFinalized,
  QuestionDecided,
} from "../generated/MeetingHall/MeetingHall";


export function createMeetingAnnouncedEvent(
  meetingId: i32,
  buildingId: i32,
  initiator: Address,
  kind: i32,
  thresholds: i32[],
): MeetingAnnounced {
  let event = changetype<MeetingAnnounced>(mockEvent());
  let questions = new Array<ethereum.Tuple>();
  for (let i = 0; i < thresholds.length; i++) {
    let question = new ethereum.Tuple();
    question.push(ethereum.Value.fromFixedBytes(Bytes.fromHexString("0x" + (i + 1).toString().padStart(64, "0"))));
    question.push(uint(thresholds[i]));
    questions.push(question);
  }
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("initiator", ethereum.Value.fromAddress(initiator)));
  event.parameters.push(param("kind", uint(kind)));
  event.parameters.push(param("snapshot", uint(1000)));
  event.parameters.push(param("votingStart", uint(2000)));
  event.parameters.push(param("votingEnd", uint(3000)));
  event.parameters.push(param("agendaRef", ethereum.Value.fromFixedBytes(Bytes.fromHexString("0x" + "ab".repeat(32)))));
  event.parameters.push(param("questions", ethereum.Value.fromTupleArray(questions)));
  return event;
}

export function createMeetingCancelledEvent(meetingId: i32, initiator: Address): MeetingCancelled {
  let event = changetype<MeetingCancelled>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("initiator", ethereum.Value.fromAddress(initiator)));
  return event;
}

/** Packs answers (1 For, 2 Against, 3 Abstain) two bits a question. */
export function packChoices(answers: i32[]): BigInt {
  let packed = BigInt.zero();
  for (let i = 0; i < answers.length; i++) {
    packed = packed.bitOr(BigInt.fromI32(answers[i]).leftShift(u8(2 * i)));
  }
  return packed;
}

export function createBallotCastEvent(meetingId: i32, voter: Address, weight: BigInt, answers: i32[]): BallotCast {
  let event = changetype<BallotCast>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("voter", ethereum.Value.fromAddress(voter)));
  event.parameters.push(param("weight", ethereum.Value.fromUnsignedBigInt(weight)));
  event.parameters.push(param("choices", ethereum.Value.fromUnsignedBigInt(packChoices(answers))));
  return event;
}

export function createBallotRejectedEvent(meetingId: i32, voter: Address, reason: i32): BallotRejected {
  let event = changetype<BallotRejected>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("voter", ethereum.Value.fromAddress(voter)));
  event.parameters.push(param("reason", uint(reason)));
  return event;
}

export function createMeetingFinalizedEvent(
  meetingId: i32,
  totalWeight: BigInt,
  participatingWeight: BigInt,
  ballots: i32,
  quorumReached: boolean,
): MeetingFinalized {
  let event = changetype<MeetingFinalized>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("totalWeight", ethereum.Value.fromUnsignedBigInt(totalWeight)));
  event.parameters.push(param("participatingWeight", ethereum.Value.fromUnsignedBigInt(participatingWeight)));
  event.parameters.push(param("ballots", uint(ballots)));
  event.parameters.push(param("quorumReached", ethereum.Value.fromBoolean(quorumReached)));
  return event;
}

export function createQuestionDecidedEvent(
  meetingId: i32,
  questionIndex: i32,
  threshold: i32,
  forWeight: BigInt,
  againstWeight: BigInt,
  abstainWeight: BigInt,
  passed: boolean,
): QuestionDecided {
  let event = changetype<QuestionDecided>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("questionIndex", uint(questionIndex)));
  event.parameters.push(param("threshold", uint(threshold)));
  event.parameters.push(param("forWeight", ethereum.Value.fromUnsignedBigInt(forWeight)));
  event.parameters.push(param("againstWeight", ethereum.Value.fromUnsignedBigInt(againstWeight)));
  event.parameters.push(param("abstainWeight", ethereum.Value.fromUnsignedBigInt(abstainWeight)));
  event.parameters.push(param("passed", ethereum.Value.fromBoolean(passed)));
  return event;
}
