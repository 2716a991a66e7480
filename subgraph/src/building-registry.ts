import { Address, Bytes, store } from "@graphprotocol/graph-ts";
import {
  BuildingRegistered,
  BuildingWeightChanged,
  ElectorateChanged,
  JointGroupRegistered,
  OrganiserChanged,
  OwnershipChanged,
  PremisesRegistered,
  RegisterPublished,
  ResidentChanged,
  VoterWeightChanged,
} from "../generated/BuildingRegistry/BuildingRegistry";
import { Holding, JointGroup, Member, Premises, RegisterPublication } from "../generated/schema";
import { organiserRoleName, premisesKindName } from "./enums";
import { eventId, getOrCreateBuilding, getOrCreateMember, holdingId, jointGroupId, memberId, ZERO } from "./helpers";
import { jointGroupAddress, sortedHolders } from "./joint-groups";

export function handleBuildingRegistered(event: BuildingRegistered): void {
  let building = getOrCreateBuilding(event.params.buildingId);
  building.ref = event.params.ref;
  building.registrar = event.params.registrar;
  building.registeredAt = event.block.timestamp;
  building.registeredAtBlock = event.block.number;
  building.save();
}

export function handlePremisesRegistered(event: PremisesRegistered): void {
  let premises = new Premises(event.params.premisesId.toString());
  premises.premisesId = event.params.premisesId;
  premises.building = event.params.buildingId.toString();
  premises.kind = premisesKindName(event.params.kind);
  premises.area = event.params.area;
  premises.ref = event.params.ref;
  premises.holdings = [];
  premises.holdingCount = 0;
  premises.updatedAtBlock = event.block.number;
  premises.save();

  let building = getOrCreateBuilding(event.params.buildingId);
  building.premisesCount = building.premisesCount + 1;
  building.save();
}

/**
 * Replaces a premises' holdings. A joint holding names its group by the address the registry derives
 * from the building and the sorted holders; the group was registered (JointGroupRegistered) when first
 * used, in this ownership change or an earlier one.
 */
export function handleOwnershipChanged(event: OwnershipChanged): void {
  let premisesId = event.params.premisesId;
  let buildingId = event.params.buildingId;
  let premises = Premises.load(premisesId.toString());
  if (premises == null) throw new Error("premises " + premisesId.toString() + " was never registered");
  let holdings = event.params.holdings;
  for (let i = holdings.length; i < premises.holdingCount; i++) store.remove("Holding", holdingId(premisesId, i));

  let ids = new Array<string>();
  for (let i = 0; i < holdings.length; i++) {
    let holding = new Holding(holdingId(premisesId, i));
    holding.premises = premises.id;
    holding.building = premises.building;
    holding.index = i;
    holding.share = holdings[i].share;
    holding.weight = premises.area.times(holdings[i].share);
    holding.shared = holdings.length > 1;
    let holders = holdings[i].holders;
    if (holders.length > 1) {
      let sorted = sortedHolders(holders);
      let groupId = jointGroupId(buildingId, jointGroupAddress(buildingId, sorted));
      if (JointGroup.load(groupId) == null) {
        throw new Error("holding " + i.toString() + " of premises " + premisesId.toString() + ": joint group " + groupId + " was never registered");
      }
      holding.holders = changetype<Array<Bytes>>(sorted);
      holding.joint = true;
      holding.group = groupId;
      holding.holder = groupId;
    } else {
      holding.holders = changetype<Array<Bytes>>(holders);
      holding.joint = false;
      holding.holder = memberId(buildingId, holders[0]);
    }
    holding.updatedAtBlock = event.block.number;
    holding.save();
    ids.push(holding.id);
  }
  premises.holdings = ids;
  premises.holdingCount = holdings.length;
  premises.updatedAtBlock = event.block.number;
  premises.save();
}

/** A joint group's first use: the group, its own member (which holds its weight) and its holders' links to it. */
export function handleJointGroupRegistered(event: JointGroupRegistered): void {
  let buildingId = event.params.buildingId;
  let id = jointGroupId(buildingId, event.params.group);
  let holders = event.params.holders;
  let holderMembers = new Array<string>();
  for (let i = 0; i < holders.length; i++) {
    let member = getOrCreateMember(buildingId, holders[i], event.block.number);
    let groups = member.jointGroups;
    groups.push(id);
    member.jointGroups = groups;
    member.save();
    holderMembers.push(member.id);
  }

  let groupMember = getOrCreateMember(buildingId, event.params.group, event.block.number);
  groupMember.isJointGroup = true;
  groupMember.jointGroup = id;
  groupMember.save();

  let group = new JointGroup(id);
  group.building = buildingId.toString();
  group.address = event.params.group;
  group.holders = changetype<Array<Bytes>>(holders);
  group.holderMembers = holderMembers;
  group.member = groupMember.id;
  group.registeredInTransaction = event.transaction.hash;
  group.registeredAtBlock = event.block.number;
  group.save();
}

export function handleRegisterPublished(event: RegisterPublished): void {
  let building = getOrCreateBuilding(event.params.buildingId);
  building.registerHash = event.params.registerHash;
  building.registerPublishedAt = event.block.timestamp;
  building.save();

  let publication = new RegisterPublication(eventId(event));
  publication.building = building.id;
  publication.registerHash = event.params.registerHash;
  publication.transactionHash = event.transaction.hash;
  publication.blockNumber = event.block.number;
  publication.blockTimestamp = event.block.timestamp;
  publication.save();
}

/** As `isOwnerAt` answers: a person owns alone, as a co-owner or jointly; a joint group is no owner itself. */
function ownsAnything(member: Member): boolean {
  return !member.isJointGroup && (member.weight.gt(ZERO) || member.jointWeight.gt(ZERO));
}

/**
 * A person's weight held alone, or a joint group's weight; a group's change moves the joint weight of
 * each of its holders by the same amount.
 */
export function handleVoterWeightChanged(event: VoterWeightChanged): void {
  let buildingId = event.params.buildingId;
  let member = getOrCreateMember(buildingId, event.params.voter, event.block.number);
  member.weight = event.params.newWeight;
  member.isOwner = ownsAnything(member);
  member.save();
  if (!member.isJointGroup) return;

  let group = JointGroup.load(member.jointGroup!);
  if (group == null) throw new Error("joint group " + member.id + " was never registered");
  let delta = event.params.newWeight.minus(event.params.previousWeight);
  let holders = group.holders;
  for (let i = 0; i < holders.length; i++) {
    let holder = getOrCreateMember(buildingId, Address.fromBytes(holders[i]), event.block.number);
    holder.jointWeight = holder.jointWeight.plus(delta);
    holder.isOwner = ownsAnything(holder);
    holder.save();
  }
}

export function handleBuildingWeightChanged(event: BuildingWeightChanged): void {
  let building = getOrCreateBuilding(event.params.buildingId);
  building.totalWeight = event.params.newWeight;
  building.save();
}

export function handleElectorateChanged(event: ElectorateChanged): void {
  let building = getOrCreateBuilding(event.params.buildingId);
  building.electorateSize = event.params.newSize;
  building.save();
}

export function handleResidentChanged(event: ResidentChanged): void {
  let member = getOrCreateMember(event.params.buildingId, event.params.resident, event.block.number);
  member.isResident = event.params.registered;
  member.save();
}

export function handleOrganiserChanged(event: OrganiserChanged): void {
  let member = getOrCreateMember(event.params.buildingId, event.params.account, event.block.number);
  member.organiserRole = organiserRoleName(event.params.role);
  member.save();
}
