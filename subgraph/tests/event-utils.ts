import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { newMockEvent } from "matchstick-as/assembly/index";

let nextLogIndex = 0;

/** A mock event with its own transaction hash and log index, so that ids of immutable entities differ. */
export function mockEvent(): ethereum.Event {
  let event = newMockEvent();
  nextLogIndex++;
  event.logIndex = BigInt.fromI32(nextLogIndex);
  event.transaction.hash = Bytes.fromHexString("0x" + nextLogIndex.toString().padStart(64, "0"));
  event.parameters = new Array<ethereum.EventParam>();
  return event;
}

/** Puts an event at a given place of a given transaction, as the logs of one contract call follow each other. */
export function inTransaction(event: ethereum.Event, hash: Bytes, logIndex: i32): void {
  event.transaction.hash = hash;
  event.logIndex = BigInt.fromI32(logIndex);
}

/** A transaction hash of its own for the tests that place several events in one transaction. */
export function transactionHash(n: i32): Bytes {
  return Bytes.fromHexString("0x" + "e".repeat(56) + n.toString().padStart(8, "0"));
}

export function uint(value: i32): ethereum.Value {
  return ethereum.Value.fromUnsignedBigInt(BigInt.fromI32(value));
}

export function big(value: BigInt): ethereum.Value {
  return ethereum.Value.fromUnsignedBigInt(value);
}

export function address(value: Address): ethereum.Value {
  return ethereum.Value.fromAddress(value);
}

export function bytes32(hex: string): Bytes {
  return Bytes.fromHexString("0x" + hex.padStart(64, "0"));
}

export function param(name: string, value: ethereum.Value): ethereum.EventParam {
  return new ethereum.EventParam(name, value);
}
