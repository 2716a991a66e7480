import { afterEach, assert, describe, test } from "matchstick-as/assembly/index";
import { clearStore } from "matchstick-as/assembly/store";
import { handleRulesPublished } from "../src/legal-rules";
import { createFirstRulesEvent, createRulesPublishedEvent, questionType, rule } from "./legal-rules-utils";

describe("handleRulesPublished", () => {
  afterEach(() => {
    clearStore();
  });

  test("records a version with its source, its quorum rule and the count of its question types", () => {
    let event = createFirstRulesEvent();
    handleRulesPublished(event);

    assert.entityCount("RulesVersion", 1);
    assert.fieldEquals("RulesVersion", "1", "version", "1");
    assert.fieldEquals("RulesVersion", "1", "sourceRef", "0x" + "5e".padStart(64, "0"));
    assert.fieldEquals("RulesVersion", "1", "quorumBase", "All");
    assert.fieldEquals("RulesVersion", "1", "quorumNumerator", "1");
    assert.fieldEquals("RulesVersion", "1", "quorumDenominator", "2");
    assert.fieldEquals("RulesVersion", "1", "quorumStrict", "true");
    assert.fieldEquals("RulesVersion", "1", "questionTypeCount", "3");
    assert.fieldEquals("RulesVersion", "1", "transactionHash", event.transaction.hash.toHexString());
  });

  test("records each question type with its code, as text and as published, and its rule", () => {
    handleRulesPublished(createFirstRulesEvent());

    assert.entityCount("QuestionType", 3);
    assert.fieldEquals("QuestionType", "1-0", "rulesVersion", "1");
    assert.fieldEquals("QuestionType", "1-0", "index", "0");
    assert.fieldEquals("QuestionType", "1-0", "code", "other");
    assert.fieldEquals("QuestionType", "1-0", "codeBytes", "0x6f74686572" + "00".repeat(27));
    assert.fieldEquals("QuestionType", "1-0", "base", "Participants");
    assert.fieldEquals("QuestionType", "1-0", "strict", "true");
    assert.fieldEquals("QuestionType", "1-1", "code", "44.2.1");
    assert.fieldEquals("QuestionType", "1-1", "base", "All");
    assert.fieldEquals("QuestionType", "1-1", "numerator", "2");
    assert.fieldEquals("QuestionType", "1-1", "denominator", "3");
    assert.fieldEquals("QuestionType", "1-1", "strict", "false");
  });

  test("keeps every version apart: a new one replaces nothing", () => {
    handleRulesPublished(createFirstRulesEvent());
    handleRulesPublished(
      createRulesPublishedEvent(2, "5f", rule(1, 1, 4, true), [questionType("other", rule(0, 1, 2, true)), questionType("44.2.1", rule(1, 1, 2, true))]),
    );

    assert.entityCount("RulesVersion", 2);
    assert.entityCount("QuestionType", 5);
    assert.fieldEquals("RulesVersion", "2", "quorumDenominator", "4");
    assert.fieldEquals("QuestionType", "2-1", "numerator", "1");
    assert.fieldEquals("QuestionType", "1-1", "numerator", "2");
    assert.fieldEquals("RulesVersion", "1", "quorumDenominator", "2");
  });
});
