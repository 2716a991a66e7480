import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { address, big, bytes32, mockEvent, param, uint } from "./event-utils";
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

export const MEETING: i32 = 0;
export const POLL: i32 = 1;
export const EXTRAORDINARY: i32 = 0;
export const ANNUAL: i32 = 1;
export const DIRECT: i32 = 0;
export const RELAYED: i32 = 1;
export const PAPER: i32 = 2;
export const NO_ONE = Address.zero();

/** A meeting (or poll, with rules version 0) of building `buildingId` whose questions have these types. */
export function createMeetingAnnouncedEvent(
  meetingId: i32,
  buildingId: i32,
  initiator: Address,
  kind: i32,
  meetingType: i32,
  administrator: Address,
  rulesVersion: i32,
  questionTypes: i32[],
): MeetingAnnounced {
  let event = changetype<MeetingAnnounced>(mockEvent());
  let questions = new Array<ethereum.Tuple>();
  for (let i = 0; i < questionTypes.length; i++) {
    let question = new ethereum.Tuple();
    question.push(ethereum.Value.fromFixedBytes(bytes32((i + 1).toString())));
    question.push(uint(questionTypes[i]));
    questions.push(question);
  }
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("initiator", address(initiator)));
  event.parameters.push(param("kind", uint(kind)));
  event.parameters.push(param("meetingType", uint(meetingType)));
  event.parameters.push(param("administrator", address(administrator)));
  event.parameters.push(param("rulesVersion", uint(rulesVersion)));
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
  event.parameters.push(param("initiator", address(initiator)));
  return event;
}

/** Packs answers (1 For, 2 Against, 3 Abstain, 0 none on paper) two bits a question. */
export function packChoices(answers: i32[]): BigInt {
  let packed = BigInt.zero();
  for (let i = 0; i < answers.length; i++) {
    packed = packed.bitOr(BigInt.fromI32(answers[i]).leftShift(u8(2 * i)));
  }
  return packed;
}

export function createBallotCastEvent(
  meetingId: i32,
  voter: Address,
  weight: BigInt,
  answers: i32[],
  form: i32 = DIRECT,
  representative: Address = NO_ONE,
): BallotCast {
  let event = changetype<BallotCast>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("voter", address(voter)));
  event.parameters.push(param("representative", address(representative)));
  event.parameters.push(param("weight", big(weight)));
  event.parameters.push(param("choices", big(packChoices(answers))));
  event.parameters.push(param("form", uint(form)));
  return event;
}

export function createPaperDecisionEnteredEvent(
  meetingId: i32,
  voter: Address,
  administrator: Address,
  voidMask: i32,
  scanHash: Bytes,
): PaperDecisionEntered {
  let event = changetype<PaperDecisionEntered>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("voter", address(voter)));
  event.parameters.push(param("administrator", address(administrator)));
  event.parameters.push(param("voidMask", uint(voidMask)));
  event.parameters.push(param("scanHash", ethereum.Value.fromFixedBytes(scanHash)));
  return event;
}

export function createJointGroupVotedEvent(meetingId: i32, group: Address, voter: Address, weight: BigInt): JointGroupVoted {
  let event = changetype<JointGroupVoted>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("group", address(group)));
  event.parameters.push(param("voter", address(voter)));
  event.parameters.push(param("weight", big(weight)));
  return event;
}

export function createBallotRejectedEvent(
  meetingId: i32,
  voter: Address,
  reason: i32,
  representative: Address = NO_ONE,
  ballotId: Bytes = bytes32("d1"),
): BallotRejected {
  let event = changetype<BallotRejected>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("voter", address(voter)));
  event.parameters.push(param("representative", address(representative)));
  event.parameters.push(param("ballotId", ethereum.Value.fromFixedBytes(ballotId)));
  event.parameters.push(param("reason", uint(reason)));
  return event;
}

export function createBallotDiscardedEvent(meetingId: i32, index: i32): BallotDiscarded {
  let event = changetype<BallotDiscarded>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("index", uint(index)));
  return event;
}

export function createPowerOfAttorneyRecordedEvent(
  id: i32,
  principal: Address,
  representative: Address,
  buildingId: i32,
  meetingId: i32,
  validFrom: i32,
  validTo: i32,
  documentHash: Bytes,
  recordedBy: Address,
): PowerOfAttorneyRecorded {
  let event = changetype<PowerOfAttorneyRecorded>(mockEvent());
  event.parameters.push(param("id", uint(id)));
  event.parameters.push(param("principal", address(principal)));
  event.parameters.push(param("representative", address(representative)));
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("validFrom", uint(validFrom)));
  event.parameters.push(param("validTo", uint(validTo)));
  event.parameters.push(param("documentHash", ethereum.Value.fromFixedBytes(documentHash)));
  event.parameters.push(param("recordedBy", address(recordedBy)));
  return event;
}

export function createPowerOfAttorneyRevokedEvent(id: i32, revokedBy: Address): PowerOfAttorneyRevoked {
  let event = changetype<PowerOfAttorneyRevoked>(mockEvent());
  event.parameters.push(param("id", uint(id)));
  event.parameters.push(param("revokedBy", address(revokedBy)));
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
  event.parameters.push(param("totalWeight", big(totalWeight)));
  event.parameters.push(param("participatingWeight", big(participatingWeight)));
  event.parameters.push(param("ballots", uint(ballots)));
  event.parameters.push(param("quorumReached", ethereum.Value.fromBoolean(quorumReached)));
  return event;
}

export function createQuestionDecidedEvent(
  meetingId: i32,
  questionIndex: i32,
  questionType: i32,
  forWeight: BigInt,
  againstWeight: BigInt,
  abstainWeight: BigInt,
  passed: boolean,
): QuestionDecided {
  let event = changetype<QuestionDecided>(mockEvent());
  event.parameters.push(param("meetingId", uint(meetingId)));
  event.parameters.push(param("questionIndex", uint(questionIndex)));
  event.parameters.push(param("questionType", uint(questionType)));
  event.parameters.push(param("forWeight", big(forWeight)));
  event.parameters.push(param("againstWeight", big(againstWeight)));
  event.parameters.push(param("abstainWeight", big(abstainWeight)));
  event.parameters.push(param("passed", ethereum.Value.fromBoolean(passed)));
  return event;
}
