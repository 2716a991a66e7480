import { Address, BigInt, Bytes } from "@graphprotocol/graph-ts";
import { afterEach, assert, describe, test } from "matchstick-as/assembly/index";
import { clearStore } from "matchstick-as/assembly/store";
import {
  handleBuildingRegistered,
  handleBuildingWeightChanged,
  handleElectorateChanged,
  handleJointGroupRegistered,
  handleOrganiserChanged,
  handleOwnershipChanged,
  handlePremisesRegistered,
  handleRegisterPublished,
  handleResidentChanged,
  handleVoterWeightChanged,
} from "../src/building-registry";
import { jointGroupAddress, sortedHolders } from "../src/joint-groups";
import {
  createBuildingRegisteredEvent,
  createBuildingWeightChangedEvent,
  createElectorateChangedEvent,
  createJointGroupRegisteredEvent,
  createOrganiserChangedEvent,
  createOwnershipChangedEvent,
  createPremisesRegisteredEvent,
  createRegisterPublishedEvent,
  createResidentChangedEvent,
  createVoterWeightChangedEvent,
  holding,
} from "./building-registry-utils";

const registrar = Address.fromString("0x00000000000000000000000000000000000000b1");
const alice = Address.fromString("0x00000000000000000000000000000000000000a2");
const bob = Address.fromString("0x00000000000000000000000000000000000000a3");
const carol = Address.fromString("0xb000000000000000000000000000000000000001");
/** jointGroupOf(7, [alice, bob]) and jointGroupOf(7, [alice, bob, carol]), as BuildingRegistry derives them. */
const aliceAndBob = Address.fromString("0x99f7bc14743da960697d21833e81a66ce5d3d33f");
const aliceBobAndCarol = Address.fromString("0x945a374d709b7698d1690df2396324f156087876");
const ref = Bytes.fromHexString("0x" + "cd".repeat(32));
const SHARE_UNIT = 1000;

function list(items: string[]): string {
  return "[" + items.join(", ") + "]";
}

function registerFlat(premisesId: i32, area: i32): void {
  handlePremisesRegistered(createPremisesRegisteredEvent(7, premisesId, 0, area, ref));
}

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
    assert.fieldEquals("Building", "7", "registerHash", "null");
  });

  test("adds premises to the building and counts them, with no holdings yet", () => {
    handleBuildingRegistered(createBuildingRegisteredEvent(7, ref, registrar));
    registerFlat(1, 9500);
    handlePremisesRegistered(createPremisesRegisteredEvent(7, 2, 2, 1500, ref));

    assert.fieldEquals("Building", "7", "premisesCount", "2");
    assert.fieldEquals("Premises", "1", "kind", "Residential");
    assert.fieldEquals("Premises", "2", "kind", "ParkingSpace");
    assert.fieldEquals("Premises", "1", "area", "9500");
    assert.fieldEquals("Premises", "1", "building", "7");
    assert.fieldEquals("Premises", "1", "holdings", "[]");
    assert.fieldEquals("Premises", "1", "holdingCount", "0");
  });

  test("records shared ownership as one holding per co-owner, with its share and weight", () => {
    registerFlat(1, 9500);
    handleOwnershipChanged(createOwnershipChangedEvent(7, 1, [holding([alice], 600), holding([bob], 400)]));

    assert.fieldEquals("Premises", "1", "holdings", list(["1-0", "1-1"]));
    assert.fieldEquals("Premises", "1", "holdingCount", "2");
    assert.fieldEquals("Holding", "1-0", "holders", list([alice.toHexString()]));
    assert.fieldEquals("Holding", "1-0", "share", "600");
    assert.fieldEquals("Holding", "1-1", "holders", list([bob.toHexString()]));
    assert.fieldEquals("Holding", "1-1", "share", "400");
    assert.fieldEquals("Holding", "1-0", "weight", (9500 * 600).toString());
    assert.fieldEquals("Holding", "1-0", "shared", "true");
    assert.fieldEquals("Holding", "1-0", "joint", "false");
    assert.fieldEquals("Holding", "1-0", "group", "null");
    assert.fieldEquals("Holding", "1-0", "holder", "7-" + alice.toHexString());
    assert.fieldEquals("Holding", "1-1", "premises", "1");
    assert.fieldEquals("Holding", "1-1", "building", "7");
  });

  test("replaces the holdings of a sale and removes those that no longer exist", () => {
    registerFlat(1, 9500);
    handleOwnershipChanged(createOwnershipChangedEvent(7, 1, [holding([alice], 600), holding([bob], 400)]));
    handleOwnershipChanged(createOwnershipChangedEvent(7, 1, [holding([carol], SHARE_UNIT)]));

    assert.fieldEquals("Premises", "1", "holdings", list(["1-0"]));
    assert.fieldEquals("Premises", "1", "holdingCount", "1");
    assert.fieldEquals("Holding", "1-0", "holders", list([carol.toHexString()]));
    assert.fieldEquals("Holding", "1-0", "shared", "false");
    assert.notInStore("Holding", "1-1");

    handleOwnershipChanged(createOwnershipChangedEvent(7, 1, []));
    assert.fieldEquals("Premises", "1", "holdings", "[]");
    assert.notInStore("Holding", "1-0");
  });

  test("derives a joint group's address as the registry does, whatever the holders' order", () => {
    assert.addressEquals(aliceAndBob, jointGroupAddress(BigInt.fromI32(7), sortedHolders([bob, alice])));
    assert.addressEquals(aliceBobAndCarol, jointGroupAddress(BigInt.fromI32(7), sortedHolders([carol, bob, alice])));
    assert.assertTrue(!jointGroupAddress(BigInt.fromI32(8), sortedHolders([alice, bob])).equals(aliceAndBob));
  });

  test("records a joint holding with its holders sorted and the joint group that holds its weight", () => {
    registerFlat(1, 9500);
    handleJointGroupRegistered(createJointGroupRegisteredEvent(7, aliceAndBob, [alice, bob]));
    handleOwnershipChanged(createOwnershipChangedEvent(7, 1, [holding([bob, alice], SHARE_UNIT)]));

    let groupId = "7-" + aliceAndBob.toHexString();
    assert.fieldEquals("Holding", "1-0", "holders", list([alice.toHexString(), bob.toHexString()]));
    assert.fieldEquals("Holding", "1-0", "joint", "true");
    assert.fieldEquals("Holding", "1-0", "shared", "false");
    assert.fieldEquals("Holding", "1-0", "group", groupId);
    assert.fieldEquals("Holding", "1-0", "holder", groupId);
  });

  test("names an earlier registered group for a later joint holding of the same people", () => {
    registerFlat(1, 9500);
    registerFlat(2, 4000);
    handleJointGroupRegistered(createJointGroupRegisteredEvent(7, aliceAndBob, [alice, bob]));
    handleOwnershipChanged(createOwnershipChangedEvent(7, 1, [holding([alice, bob], SHARE_UNIT)]));
    handleOwnershipChanged(createOwnershipChangedEvent(7, 2, [holding([carol], 500), holding([bob, alice], 500)]));

    assert.fieldEquals("Holding", "2-1", "group", "7-" + aliceAndBob.toHexString());
    assert.fieldEquals("Holding", "2-1", "shared", "true");
    assert.fieldEquals("Holding", "2-1", "joint", "true");
    assert.fieldEquals("Holding", "2-0", "joint", "false");
    assert.entityCount("JointGroup", 1);
  });

  test(
    "fails for a joint holding whose group was never registered",
    () => {
      registerFlat(1, 9500);
      handleOwnershipChanged(createOwnershipChangedEvent(7, 1, [holding([alice, bob], SHARE_UNIT)]));
    },
    true,
  );

  test(
    "fails when the owners of an unknown premises change",
    () => {
      handleOwnershipChanged(createOwnershipChangedEvent(7, 42, [holding([alice], SHARE_UNIT)]));
    },
    true,
  );

  test("registers a joint group: its own member, and a link from each holder", () => {
    handleJointGroupRegistered(createJointGroupRegisteredEvent(7, aliceAndBob, [alice, bob]));

    let groupId = "7-" + aliceAndBob.toHexString();
    assert.fieldEquals("JointGroup", groupId, "building", "7");
    assert.fieldEquals("JointGroup", groupId, "address", aliceAndBob.toHexString());
    assert.fieldEquals("JointGroup", groupId, "holders", list([alice.toHexString(), bob.toHexString()]));
    assert.fieldEquals("JointGroup", groupId, "holderMembers", list(["7-" + alice.toHexString(), "7-" + bob.toHexString()]));
    assert.fieldEquals("JointGroup", groupId, "member", groupId);
    assert.fieldEquals("Member", groupId, "isJointGroup", "true");
    assert.fieldEquals("Member", groupId, "jointGroup", groupId);
    assert.fieldEquals("Member", groupId, "isOwner", "false");
    assert.fieldEquals("Member", "7-" + alice.toHexString(), "jointGroups", list([groupId]));
    assert.fieldEquals("Member", "7-" + alice.toHexString(), "isJointGroup", "false");
    assert.fieldEquals("Member", "7-" + bob.toHexString(), "jointGroups", list([groupId]));
  });

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

  test("moves a joint group's weight into each holder's joint weight; a person with both kinds owns through either", () => {
    let groupId = "7-" + aliceAndBob.toHexString();
    let aliceId = "7-" + alice.toHexString();
    let bobId = "7-" + bob.toHexString();
    handleVoterWeightChanged(createVoterWeightChangedEvent(7, alice, BigInt.zero(), BigInt.fromI32(100)));
    handleJointGroupRegistered(createJointGroupRegisteredEvent(7, aliceAndBob, [alice, bob]));
    handleVoterWeightChanged(createVoterWeightChangedEvent(7, aliceAndBob, BigInt.zero(), BigInt.fromI32(9500)));

    assert.fieldEquals("Member", groupId, "weight", "9500");
    assert.fieldEquals("Member", groupId, "isOwner", "false");
    assert.fieldEquals("Member", groupId, "jointWeight", "0");
    assert.fieldEquals("Member", aliceId, "weight", "100");
    assert.fieldEquals("Member", aliceId, "jointWeight", "9500");
    assert.fieldEquals("Member", bobId, "weight", "0");
    assert.fieldEquals("Member", bobId, "jointWeight", "9500");
    assert.fieldEquals("Member", bobId, "isOwner", "true");

    handleVoterWeightChanged(createVoterWeightChangedEvent(7, aliceAndBob, BigInt.fromI32(9500), BigInt.fromI32(13500)));
    assert.fieldEquals("Member", bobId, "jointWeight", "13500");

    handleVoterWeightChanged(createVoterWeightChangedEvent(7, alice, BigInt.fromI32(100), BigInt.zero()));
    assert.fieldEquals("Member", aliceId, "isOwner", "true");

    handleVoterWeightChanged(createVoterWeightChangedEvent(7, aliceAndBob, BigInt.fromI32(13500), BigInt.zero()));
    assert.fieldEquals("Member", aliceId, "jointWeight", "0");
    assert.fieldEquals("Member", aliceId, "isOwner", "false");
    assert.fieldEquals("Member", bobId, "isOwner", "false");
    assert.fieldEquals("Member", groupId, "isOwner", "false");
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

  test("keeps the latest register hash on the building and every publication as a record", () => {
    handleBuildingRegistered(createBuildingRegisteredEvent(7, ref, registrar));
    let first = createRegisterPublishedEvent(7, Bytes.fromHexString("0x" + "01".repeat(32)));
    let second = createRegisterPublishedEvent(7, Bytes.fromHexString("0x" + "02".repeat(32)));
    handleRegisterPublished(first);
    handleRegisterPublished(second);

    assert.fieldEquals("Building", "7", "registerHash", "0x" + "02".repeat(32));
    assert.fieldEquals("Building", "7", "registerPublishedAt", second.block.timestamp.toString());
    assert.entityCount("RegisterPublication", 2);
    let id = first.transaction.hash.concatI32(first.logIndex.toI32()).toHexString();
    assert.fieldEquals("RegisterPublication", id, "registerHash", "0x" + "01".repeat(32));
    assert.fieldEquals("RegisterPublication", id, "building", "7");
  });
});

