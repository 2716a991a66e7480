import { Bytes, ethereum } from "@graphprotocol/graph-ts";
import { bytes32, mockEvent, param, uint } from "./event-utils";
import { RulesPublished } from "../generated/LegalRules/LegalRules";

/** An ILegalRules.Rule tuple: base (0 Participants, 1 All), numerator, denominator, strict. */
export function rule(base: i32, numerator: i32, denominator: i32, strict: boolean): ethereum.Tuple {
  let tuple = new ethereum.Tuple();
  tuple.push(uint(base));
  tuple.push(uint(numerator));
  tuple.push(uint(denominator));
  tuple.push(ethereum.Value.fromBoolean(strict));
  return tuple;
}

/** An ILegalRules.QuestionType tuple: its code as bytes32 (ASCII, zero-padded on the right) and its rule. */
export function questionType(code: string, typeRule: ethereum.Tuple): ethereum.Tuple {
  let codeBytes = Bytes.fromUTF8(code);
  let padded = new Bytes(32);
  for (let i = 0; i < codeBytes.length; i++) padded[i] = codeBytes[i];
  let tuple = new ethereum.Tuple();
  tuple.push(ethereum.Value.fromFixedBytes(padded));
  tuple.push(ethereum.Value.fromTuple(typeRule));
  return tuple;
}

export function createRulesPublishedEvent(
  version: i32,
  sourceRef: string,
  quorum: ethereum.Tuple,
  questionTypes: Array<ethereum.Tuple>,
): RulesPublished {
  let event = changetype<RulesPublished>(mockEvent());
  event.parameters.push(param("version", uint(version)));
  event.parameters.push(param("sourceRef", ethereum.Value.fromFixedBytes(bytes32(sourceRef))));
  event.parameters.push(param("quorum", ethereum.Value.fromTuple(quorum)));
  event.parameters.push(param("questionTypes", ethereum.Value.fromTupleArray(questionTypes)));
  return event;
}

/** Version 1 as the tests use it: type 0 "other" (majority of participants), 1 "44.2.1" (two thirds of all), 2 "44.2.4" (more than half of all). */
export function createFirstRulesEvent(): RulesPublished {
  return createRulesPublishedEvent(1, "5e", rule(1, 1, 2, true), [
    questionType("other", rule(0, 1, 2, true)),
    questionType("44.2.1", rule(1, 2, 3, false)),
    questionType("44.2.4", rule(1, 1, 2, true)),
  ]);
}
