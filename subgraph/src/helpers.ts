/** Ids of the entities, and loading or creating the mutable aggregates. */
import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { Building, Meeting, Member, Question } from "../generated/schema";

export const ZERO = BigInt.zero();

/** The id of an immutable event entity: the transaction hash followed by the log index (4 bytes). */
export function eventId(event: ethereum.Event): Bytes {
  return event.transaction.hash.concatI32(event.logIndex.toI32());
}

export function memberId(buildingId: BigInt, account: Address): string {
  return buildingId.toString() + "-" + account.toHexString();
}

/** A joint group is named by its building and its address, as a member is. */
export function jointGroupId(buildingId: BigInt, group: Address): string {
  return memberId(buildingId, group);
}

export function holdingId(premisesId: BigInt, index: i32): string {
  return premisesId.toString() + "-" + index.toString();
}

export function questionId(meetingId: BigInt, index: i32): string {
  return meetingId.toString() + "-" + index.toString();
}

export function questionTypeId(version: BigInt, index: i32): string {
  return version.toString() + "-" + index.toString();
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
    member.jointWeight = ZERO;
    member.isOwner = false;
    member.isJointGroup = false;
    member.jointGroups = [];
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

/** The account, or null for the zero address (an own ballot has no representative). */
export function addressOrNull(account: Address): Bytes | null {
  return account.equals(Address.zero()) ? null : changetype<Bytes>(account);
}

/** The indexes of the bits set in `mask` below `count`. */
export function bitIndexes(mask: BigInt, count: i32): Array<i32> {
  let out = new Array<i32>();
  let one = BigInt.fromI32(1);
  for (let i = 0; i < count; i++) {
    if (mask.rightShift(u8(i)).bitAnd(one).equals(one)) out.push(i);
  }
  return out;
}
