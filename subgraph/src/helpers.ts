/** Loading or creating the mutable aggregates. */
import { Address, BigInt } from "@graphprotocol/graph-ts";
import { Building, Meeting, Member, Question } from "../generated/schema";

export const ZERO = BigInt.zero();

export function memberId(buildingId: BigInt, account: Address): string {
  return buildingId.toString() + "-" + account.toHexString();
}

export function questionId(meetingId: BigInt, index: i32): string {
  return meetingId.toString() + "-" + index.toString();
}

/** A building created on first sight: registry events always follow BuildingRegistered. */
export function getOrCreateBuilding(buildingId: BigInt): Building {
  let id = buildingId.toString();
  let building = Building.load(id);
  if (building == null) {
    building = new Building(id);
    building.buildingId = buildingId;
    building.ref = Address.zero();
    building.registrar = Address.zero();
    building.totalWeight = ZERO;
    building.electorateSize = ZERO;
    building.premisesCount = 0;
    building.registeredAt = ZERO;
    building.registeredAtBlock = ZERO;
  }
  return building;
}

export function getOrCreateMember(buildingId: BigInt, account: Address, block: BigInt): Member {
  let id = memberId(buildingId, account);
  let member = Member.load(id);
  if (member == null) {
    member = new Member(id);
    member.building = buildingId.toString();
    member.account = account;
    member.weight = ZERO;
    member.isOwner = false;
    member.isResident = false;
    member.organiserRole = "None";
  }
  member.updatedAtBlock = block;
  return member;
}

/** The meeting a MeetingHall event names; MeetingAnnounced always comes first. */
export function loadMeeting(meetingId: BigInt): Meeting {
  let meeting = Meeting.load(meetingId.toString());
  if (meeting == null) throw new Error("meeting " + meetingId.toString() + " was never announced");
  return meeting;
}

export function loadQuestion(meetingId: BigInt, index: i32): Question {
  let question = Question.load(questionId(meetingId, index));
  if (question == null) {
    throw new Error("question " + index.toString() + " of meeting " + meetingId.toString() + " was never announced");
  }
  return question;
}
