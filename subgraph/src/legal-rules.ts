import { RulesPublished } from "../generated/LegalRules/LegalRules";
import { QuestionType, RulesVersion } from "../generated/schema";
import { ruleBaseName } from "./enums";
import { questionTypeId } from "./helpers";

/** A published version of the rules, with its quorum rule and its question types; a version never changes. */
export function handleRulesPublished(event: RulesPublished): void {
  let version = event.params.version;
  let quorum = event.params.quorum;
  let types = event.params.questionTypes;

  let rules = new RulesVersion(version.toString());
  rules.version = version.toI32();
  rules.sourceRef = event.params.sourceRef;
  rules.quorumBase = ruleBaseName(quorum.base);
  rules.quorumNumerator = quorum.numerator;
  rules.quorumDenominator = quorum.denominator;
  rules.quorumStrict = quorum.strict;
  rules.questionTypeCount = types.length;
  rules.transactionHash = event.transaction.hash;
  rules.blockNumber = event.block.number;
  rules.blockTimestamp = event.block.timestamp;
  rules.save();

  for (let i = 0; i < types.length; i++) {
    let rule = types[i].rule;
    let type = new QuestionType(questionTypeId(version, i));
    type.rulesVersion = rules.id;
    type.index = i;
    type.code = types[i].code.toString();
    type.codeBytes = types[i].code;
    type.base = ruleBaseName(rule.base);
    type.numerator = rule.numerator;
    type.denominator = rule.denominator;
    type.strict = rule.strict;
    type.save();
  }
}
