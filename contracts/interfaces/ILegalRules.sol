// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The legal rules of general meetings, as versioned data
/// @notice Which share of votes decides a question depends on the item of the Housing Code's art. 44
/// part 2 that the question is about (art. 46 part 1), and a meeting is valid only with a quorum
/// (art. 45 part 3). The law changes (2018, 2022, twice in 2024; a draft of 2025 lowers the quorum of a
/// repeated meeting), so the table is data: the deployment publishes a version, later publishes a new
/// one, and every meeting records the version it was announced under and is counted by it forever.
/// A published version never changes.
/// @dev A question type is an index into its version's list (0, 1, 2, ...); each carries a short code
/// naming the item it decides (e.g. "44.2.1" for art. 44 part 2 item 1, "other" for everything else)
/// and the rule that decides it. The human-readable names, articles and whether an entry is confirmed
/// against the official text live off chain beside the code (lib/legal-rules.ts), proven by `sourceRef`.
interface ILegalRules {
    /// @notice What a rule compares the For votes (or, for the quorum, the participating votes) with.
    enum Base {
        Participants, // the votes of the owners who took part in the meeting
        All //           all votes of the building's owners at the snapshot
    }

    /// @notice "More than" (`strict`) or "not less than" `numerator / denominator` of the `base`.
    /// @dev Decided in integers: `value * denominator > numerator * base` (strict) or `>=`.
    /// Majority of participants = {Participants, 1, 2, strict}; more than 50 % of all = {All, 1, 2,
    /// strict}; two thirds of all = {All, 2, 3, not strict}; unanimous = {All, 1, 1, not strict}.
    struct Rule {
        Base base;
        uint32 numerator;
        uint32 denominator;
        bool strict;
    }

    /// @notice A question type of a version: its code and the rule that decides it.
    struct QuestionType {
        bytes32 code;
        Rule rule;
    }

    /// @notice A new version of the rules was published.
    /// @param sourceRef Hash of the off-chain description of the version (names, articles, notes).
    event RulesPublished(uint32 indexed version, bytes32 sourceRef, Rule quorum, QuestionType[] questionTypes);

    /// @notice The caller may not publish rules.
    error LegalRulesUnauthorized(address account);
    /// @notice No version with this number was published.
    error LegalRulesUnknownVersion(uint32 version);
    /// @notice The version has no question type with this index.
    error LegalRulesUnknownQuestionType(uint32 version, uint16 questionType);
    /// @notice A rule's fraction must lie in (0, 1] with a non-zero denominator, and the quorum's base
    /// must be `All`.
    /// @param index The question type's index, or 2^256 - 1 for the quorum rule.
    error LegalRulesInvalidRule(uint256 index, uint32 numerator, uint32 denominator);
    /// @notice A question type's code is empty.
    error LegalRulesEmptyCode(uint256 index);
    /// @notice A version has 1 to 1024 question types.
    error LegalRulesQuestionTypeCount(uint256 count);
    /// @notice Two question types of a version share a code.
    error LegalRulesDuplicateCode(bytes32 code);

    /// @notice Publishes a new version and makes it the current one. Rules administrator only.
    /// @param sourceRef Hash of the off-chain description of the version.
    /// @param quorum The quorum rule, on base `All`: participating votes against all votes.
    /// @param questionTypes 1 to 1024 types, each with a non-empty code of its own and a valid rule.
    /// @return version The new version's number (1, 2, ...).
    function publish(bytes32 sourceRef, Rule calldata quorum, QuestionType[] calldata questionTypes)
        external
        returns (uint32 version);

    /// @notice The version new meetings are announced under (0 before the first is published).
    function currentVersion() external view returns (uint32);

    /// @notice The hash of a version's off-chain description, as published.
    function sourceRefOf(uint32 version) external view returns (bytes32);

    /// @notice A version's quorum rule.
    function quorumRule(uint32 version) external view returns (Rule memory);

    /// @notice The number of question types of a version.
    function questionTypeCount(uint32 version) external view returns (uint16);

    /// @notice One question type of a version.
    function questionType(uint32 version, uint16 index) external view returns (QuestionType memory);

    /// @notice A version's quorum rule and the rules of the given question types, in one call.
    function rulesFor(uint32 version, uint16[] calldata questionTypes)
        external
        view
        returns (Rule memory quorum, Rule[] memory rules);

    /// @notice Whether `value` meets `rule` given the participating and the total votes.
    function meets(Rule calldata rule, uint256 value, uint256 participating, uint256 total) external pure returns (bool);
}
