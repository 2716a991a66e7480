import { Address, BigInt, Bytes } from "@graphprotocol/graph-ts";
import { afterEach, assert, describe, test } from "matchstick-as/assembly/index";
import { clearStore } from "matchstick-as/assembly/store";
import {
  handleBuildingRegistered,
  handleBuildingWeightChanged,
  handleElectorateChanged,
  handleOrganiserChanged,
  handleOwnershipChanged,
  handlePremisesRegistered,
  handleResidentChanged,
  handleVoterWeightChanged,
} from "../src/building-registry";
import {
  createBuildingRegisteredEvent,
  createBuildingWeightChangedEvent,
  createElectorateChangedEvent,
  createOrganiserChangedEvent,
  createOwnershipChangedEvent,
  createPremisesRegisteredEvent,
  createResidentChangedEvent,
  createVoterWeightChangedEvent,
} from "./building-registry-utils";

const registrar = Address.fromString("0x00000000000000000000000000000000000000b1");
const alice = Address.fromString("0x00000000000000000000000000000000000000a2");
const bob = Address.fromString("0x00000000000000000000000000000000000000a3");
const ref = Bytes.fromHexString("0x" + "cd".repeat(32));

describe("building registry handlers", () => {
  afterEach(() => {
    clearStore();
  });

  test("registers a building with its reference and registrar", () => {
    handleBuildingRegistered(createBuildingRegisteredEvent(7, ref, registrar));

    assert.fieldEquals("Building", "7", "buildingId", "7");
    assert.fieldEquals("Building", "7", "ref", ref.toHexString());
    assert.fieldEquals("Building", "7", "registrar", registrar.toHexString());
    assert.fieldEquals("Building", "7", "premisesCount", "0");
    assert.fieldEquals("Building", "7", "totalWeight", "0");
  });

  test("adds premises to the building and counts them", () => {
    handleBuildingRegistered(createBuildingRegisteredEvent(7, ref, registrar));
    handlePremisesRegistered(createPremisesRegisteredEvent(7, 1, 0, 9500, ref));
    handlePremisesRegistered(createPremisesRegisteredEvent(7, 2, 2, 1500, ref));

    assert.fieldEquals("Building", "7", "premisesCount", "2");
    assert.fieldEquals("Premises", "1", "kind", "Residential");
    assert.fieldEquals("Premises", "2", "kind", "ParkingSpace");
    assert.fieldEquals("Premises", "1", "area", "9500");
    assert.fieldEquals("Premises", "1", "building", "7");
  });

  test("replaces the owners and shares of a premises", () => {
    handleBuildingRegistered(createBuildingRegisteredEvent(7, ref, registrar));
    handlePremisesRegistered(createPremisesRegisteredEvent(7, 1, 0, 9500, ref));
    handleOwnershipChanged(createOwnershipChangedEvent(7, 1, [alice, bob], [600, 400]));

    assert.fieldEquals("Premises", "1", "owners", "[" + alice.toHexString() + ", " + bob.toHexString() + "]");
    assert.fieldEquals("Premises", "1", "shares", "[600, 400]");
  });

  test(
    "fails when the owners of an unknown premises change",
    () => {
      handleOwnershipChanged(createOwnershipChangedEvent(7, 42, [alice], [1000]));
    },
    true,
  );

  test("keeps each member's current weight and owner flag", () => {
    let id = "7-" + alice.toHexString();
    handleVoterWeightChanged(createVoterWeightChangedEvent(7, alice, BigInt.zero(), BigInt.fromI32(9500)));
    assert.fieldEquals("Member", id, "weight", "9500");
    assert.fieldEquals("Member", id, "isOwner", "true");
    assert.fieldEquals("Member", id, "building", "7");

    handleVoterWeightChanged(createVoterWeightChangedEvent(7, alice, BigInt.fromI32(9500), BigInt.zero()));
    assert.fieldEquals("Member", id, "weight", "0");
    assert.fieldEquals("Member", id, "isOwner", "false");
  });

  test("records residency and organiser roles", () => {
    let id = "7-" + bob.toHexString();
    handleResidentChanged(createResidentChangedEvent(7, bob, true));
    handleOrganiserChanged(createOrganiserChangedEvent(7, bob, 2));

    assert.fieldEquals("Member", id, "isResident", "true");
    assert.fieldEquals("Member", id, "organiserRole", "HomeownersAssociation");
    assert.fieldEquals("Member", id, "weight", "0");

    handleResidentChanged(createResidentChangedEvent(7, bob, false));
    assert.fieldEquals("Member", id, "isResident", "false");
  });

  test("tracks the building's total weight and poll electorate", () => {
    handleBuildingRegistered(createBuildingRegisteredEvent(7, ref, registrar));
    handleBuildingWeightChanged(createBuildingWeightChangedEvent(7, BigInt.zero(), BigInt.fromI32(11000)));
    handleElectorateChanged(createElectorateChangedEvent(7, 0, 3));

    assert.fieldEquals("Building", "7", "totalWeight", "11000");
    assert.fieldEquals("Building", "7", "electorateSize", "3");
  });
});
