import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { address, big, mockEvent, param, uint } from "./event-utils";
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

export function createBuildingRegisteredEvent(buildingId: i32, ref: Bytes, registrar: Address): BuildingRegistered {
  let event = changetype<BuildingRegistered>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("ref", ethereum.Value.fromFixedBytes(ref)));
  event.parameters.push(param("registrar", address(registrar)));
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

/** An IBuildingRegistry.Holding tuple: its holders (one, or joint owners) and its share. */
export function holding(holders: Array<Address>, share: i32): ethereum.Tuple {
  let tuple = new ethereum.Tuple();
  tuple.push(ethereum.Value.fromAddressArray(holders));
  tuple.push(uint(share));
  return tuple;
}

export function createOwnershipChangedEvent(buildingId: i32, premisesId: i32, holdings: Array<ethereum.Tuple>): OwnershipChanged {
  let event = changetype<OwnershipChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("premisesId", uint(premisesId)));
  event.parameters.push(param("holdings", ethereum.Value.fromTupleArray(holdings)));
  return event;
}

export function createJointGroupRegisteredEvent(buildingId: i32, group: Address, holders: Array<Address>): JointGroupRegistered {
  let event = changetype<JointGroupRegistered>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("group", address(group)));
  event.parameters.push(param("holders", ethereum.Value.fromAddressArray(holders)));
  return event;
}

export function createRegisterPublishedEvent(buildingId: i32, registerHash: Bytes): RegisterPublished {
  let event = changetype<RegisterPublished>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("registerHash", ethereum.Value.fromFixedBytes(registerHash)));
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
  event.parameters.push(param("voter", address(voter)));
  event.parameters.push(param("previousWeight", big(previousWeight)));
  event.parameters.push(param("newWeight", big(newWeight)));
  return event;
}

export function createBuildingWeightChangedEvent(
  buildingId: i32,
  previousWeight: BigInt,
  newWeight: BigInt,
): BuildingWeightChanged {
  let event = changetype<BuildingWeightChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("previousWeight", big(previousWeight)));
  event.parameters.push(param("newWeight", big(newWeight)));
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
  event.parameters.push(param("resident", address(resident)));
  event.parameters.push(param("registered", ethereum.Value.fromBoolean(registered)));
  return event;
}

export function createOrganiserChangedEvent(buildingId: i32, account: Address, role: i32): OrganiserChanged {
  let event = changetype<OrganiserChanged>(mockEvent());
  event.parameters.push(param("buildingId", uint(buildingId)));
  event.parameters.push(param("account", address(account)));
  event.parameters.push(param("role", uint(role)));
  return event;
}
