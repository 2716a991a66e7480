// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ILegalRules} from "./interfaces/ILegalRules.sol";
import {RuleMath} from "./libraries/RuleMath.sol";

/// @title LegalRules
/// @notice The versioned tables of quorum and thresholds that meetings are counted by. See {ILegalRules}.
/// @dev Roles: `DEFAULT_ADMIN_ROLE` grants and revokes `RULES_ADMIN_ROLE`; only rules administrators
/// publish. Versions are append-only: nothing can change or remove a published version, so a meeting's
/// recorded version decides it forever.
contract LegalRules is ILegalRules, AccessControl {
    /// @notice Role of those who publish new versions when the law changes.
    bytes32 public constant RULES_ADMIN_ROLE = keccak256("RULES_ADMIN_ROLE");

    /// @notice Most question types one version may have.
    uint256 public constant MAX_QUESTION_TYPES = 1024;

    /// @dev `Rule` takes one slot, so reading a version's quorum or a type's rule is one storage read.
    struct Version {
        bytes32 sourceRef;
        Rule quorum;
        uint16 questionTypeCount;
    }

    uint32 private _currentVersion;
    mapping(uint32 version => Version) private _versions;
    mapping(uint32 version => mapping(uint256 index => QuestionType)) private _questionTypes;

    /// @param admin Holds `DEFAULT_ADMIN_ROLE` and the first `RULES_ADMIN_ROLE`.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RULES_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------------------------------ writes

    /// @inheritdoc ILegalRules
    function publish(bytes32 sourceRef, Rule calldata quorum, QuestionType[] calldata questionTypes)
        external
        returns (uint32 version)
    {
        if (!hasRole(RULES_ADMIN_ROLE, msg.sender)) revert LegalRulesUnauthorized(msg.sender);
        uint256 count = questionTypes.length;
        if (count == 0 || count > MAX_QUESTION_TYPES) revert LegalRulesQuestionTypeCount(count);
        if (quorum.base != Base.All) revert LegalRulesInvalidRule(type(uint256).max, quorum.numerator, quorum.denominator);
        _validateRule(type(uint256).max, quorum);
        _validateQuestionTypes(questionTypes);

        version = ++_currentVersion;
        Version storage v = _versions[version];
        v.sourceRef = sourceRef;
        v.quorum = quorum;
        v.questionTypeCount = uint16(count);
        mapping(uint256 => QuestionType) storage types = _questionTypes[version];
        for (uint256 i = 0; i < count; ++i) {
            types[i] = questionTypes[i];
        }
        emit RulesPublished(version, sourceRef, quorum, questionTypes);
    }

    // ------------------------------------------------------------------------------------------ reads

    /// @inheritdoc ILegalRules
    function currentVersion() external view returns (uint32) {
        return _currentVersion;
    }

    /// @inheritdoc ILegalRules
    function sourceRefOf(uint32 version) external view returns (bytes32) {
        return _version(version).sourceRef;
    }

    /// @inheritdoc ILegalRules
    function quorumRule(uint32 version) external view returns (Rule memory) {
        return _version(version).quorum;
    }

    /// @inheritdoc ILegalRules
    function questionTypeCount(uint32 version) external view returns (uint16) {
        return _version(version).questionTypeCount;
    }

    /// @inheritdoc ILegalRules
    function questionType(uint32 version, uint16 index) external view returns (QuestionType memory) {
        if (index >= _version(version).questionTypeCount) revert LegalRulesUnknownQuestionType(version, index);
        return _questionTypes[version][index];
    }

    /// @inheritdoc ILegalRules
    function rulesFor(uint32 version, uint16[] calldata questionTypes)
        external
        view
        returns (Rule memory quorum, Rule[] memory rules)
    {
        Version storage v = _version(version);
        quorum = v.quorum;
        uint256 count = v.questionTypeCount;
        rules = new Rule[](questionTypes.length);
        mapping(uint256 => QuestionType) storage types = _questionTypes[version];
        for (uint256 i = 0; i < questionTypes.length; ++i) {
            uint16 t = questionTypes[i];
            if (t >= count) revert LegalRulesUnknownQuestionType(version, t);
            rules[i] = types[t].rule;
        }
    }

    /// @inheritdoc ILegalRules
    function meets(Rule calldata rule, uint256 value, uint256 participating, uint256 total) external pure returns (bool) {
        return RuleMath.meets(rule, value, participating, total);
    }

    // ------------------------------------------------------------------------------------------ internal

    function _version(uint32 version) private view returns (Version storage v) {
        v = _versions[version];
        if (version == 0 || version > _currentVersion) revert LegalRulesUnknownVersion(version);
    }

    /// @dev A fraction in (0, 1]: a non-zero numerator no greater than a non-zero denominator.
    function _validateRule(uint256 index, Rule calldata rule) private pure {
        if (rule.denominator == 0 || rule.numerator == 0 || rule.numerator > rule.denominator) {
            revert LegalRulesInvalidRule(index, rule.numerator, rule.denominator);
        }
    }

    /// @dev Every type has a valid rule and a non-empty code no other type of the version has. The codes
    /// are compared pairwise in memory: a version has a few dozen types at most in practice, and the
    /// cap bounds the worst case well below what storing the types costs.
    function _validateQuestionTypes(QuestionType[] calldata questionTypes) private pure {
        uint256 count = questionTypes.length;
        bytes32[] memory codes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 code = questionTypes[i].code;
            if (code == bytes32(0)) revert LegalRulesEmptyCode(i);
            _validateRule(i, questionTypes[i].rule);
            for (uint256 j = 0; j < i; ++j) {
                if (codes[j] == code) revert LegalRulesDuplicateCode(code);
            }
            codes[i] = code;
        }
    }
}
