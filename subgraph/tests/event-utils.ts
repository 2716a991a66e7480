import { BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
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

export function uint(value: i32): ethereum.Value {
  return ethereum.Value.fromUnsignedBigInt(BigInt.fromI32(value));
}

export function param(name: string, value: ethereum.Value): ethereum.EventParam {
  return new ethereum.EventParam(name, value);
}
