import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { mockEvent, param, uint } from "./event-utils";
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


export function createBuildingRegisteredEvent(buildingId: i32, ref: Bytes, registrar: Address): BuildingRegistered {
  let event = changetype<BuildingRegistered>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("ref", ethereum.Value.fromFixedBytes(ref)));
  event.parameters.push(param("registrar", ethereum.Value.fromAddress(registrar)));
  return event;
}

export function createPremisesRegisteredEvent(
  buildingId: i32,
  premisesId: i32,
  kind: i32,
  area: i32,
  ref: Bytes,
): PremisesRegistered {
  let event = changetype<PremisesRegistered>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("premisesId", uint(premisesId)));
  event.parameters.push(param("kind", uint(kind)));
  event.parameters.push(param("area", uint(area)));
  event.parameters.push(param("ref", ethereum.Value.fromFixedBytes(ref)));
  return event;
}

export function createOwnershipChangedEvent(
  buildingId: i32,
  premisesId: i32,
  owners: Address[],
  shares: i32[],
): OwnershipChanged {
  let event = changetype<OwnershipChanged>(mockEvent());
  let shareValues = new Array<BigInt>();
  for (let i = 0; i < shares.length; i++) shareValues.push(BigInt.fromI32(shares[i]));
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("premisesId", uint(premisesId)));
  event.parameters.push(param("owners", ethereum.Value.fromAddressArray(owners)));
  event.parameters.push(param("shares", ethereum.Value.fromUnsignedBigIntArray(shareValues)));
  return event;
}

export function createVoterWeightChangedEvent(
  buildingId: i32,
  voter: Address,
  previousWeight: BigInt,
  newWeight: BigInt,
): VoterWeightChanged {
  let event = changetype<VoterWeightChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("voter", ethereum.Value.fromAddress(voter)));
  event.parameters.push(param("previousWeight", ethereum.Value.fromUnsignedBigInt(previousWeight)));
  event.parameters.push(param("newWeight", ethereum.Value.fromUnsignedBigInt(newWeight)));
  return event;
}

export function createBuildingWeightChangedEvent(
  buildingId: i32,
  previousWeight: BigInt,
  newWeight: BigInt,
): BuildingWeightChanged {
  let event = changetype<BuildingWeightChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("previousWeight", ethereum.Value.fromUnsignedBigInt(previousWeight)));
  event.parameters.push(param("newWeight", ethereum.Value.fromUnsignedBigInt(newWeight)));
  return event;
}

export function createElectorateChangedEvent(buildingId: i32, previousSize: i32, newSize: i32): ElectorateChanged {
  let event = changetype<ElectorateChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("previousSize", uint(previousSize)));
  event.parameters.push(param("newSize", uint(newSize)));
  return event;
}

export function createResidentChangedEvent(buildingId: i32, resident: Address, registered: boolean): ResidentChanged {
  let event = changetype<ResidentChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("resident", ethereum.Value.fromAddress(resident)));
  event.parameters.push(param("registered", ethereum.Value.fromBoolean(registered)));
  return event;
}

export function createOrganiserChangedEvent(buildingId: i32, account: Address, role: i32): OrganiserChanged {
  let event = changetype<OrganiserChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("account", ethereum.Value.fromAddress(account)));
  event.parameters.push(param("role", uint(role)));
  return event;
}
