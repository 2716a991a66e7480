import { Bytes } from "@graphprotocol/graph-ts";
import {
  BuildingRegistered,
  BuildingWeightChanged,
  ElectorateChanged,
  OrganiserChanged,
  OwnershipChanged,
  PremisesRegistered,
  ResidentChanged,
  VoterWeightChanged,
} from "../generated/BuildingRegistry/BuildingRegistry";
import { Premises } from "../generated/schema";
import { premisesKindName, organiserRoleName } from "./enums";
import { getOrCreateBuilding, getOrCreateMember, ZERO } from "./helpers";

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
  premises.owners = [];
  premises.shares = [];
  premises.updatedAtBlock = event.block.number;
  premises.save();

  let building = getOrCreateBuilding(event.params.buildingId);
  building.premisesCount = building.premisesCount + 1;
  building.save();
}

export function handleOwnershipChanged(event: OwnershipChanged): void {
  let premises = Premises.load(event.params.premisesId.toString());
  if (premises == null) throw new Error("premises " + event.params.premisesId.toString() + " was never registered");
  premises.owners = changetype<Array<Bytes>>(event.params.owners);
  premises.shares = event.params.shares;
  premises.updatedAtBlock = event.block.number;
  premises.save();
}

export function handleVoterWeightChanged(event: VoterWeightChanged): void {
  let member = getOrCreateMember(event.params.buildingId, event.params.voter, event.block.number);
  member.weight = event.params.newWeight;
  member.isOwner = event.params.newWeight.gt(ZERO);
  member.save();
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
