// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILegalRules} from "../interfaces/ILegalRules.sol";

/// @title RuleMath
/// @notice Whether a count of votes meets a rule of the legal rules: "more than" or "not less than"
/// `numerator / denominator` of the participating or of all votes, decided by cross-multiplication in
/// 512-bit integers, so that no input overflows and no fraction is ever rounded.
library RuleMath {
    /// @notice Whether `value * denominator` is greater than (strict) or at least `numerator * base`,
    /// where `base` is `participating` or `total` as the rule says.
    function meets(ILegalRules.Rule memory rule, uint256 value, uint256 participating, uint256 total)
        internal
        pure
        returns (bool)
    {
        uint256 base = rule.base == ILegalRules.Base.All ? total : participating;
        (uint256 lhsHigh, uint256 lhsLow) = Math.mul512(value, rule.denominator);
        (uint256 rhsHigh, uint256 rhsLow) = Math.mul512(rule.numerator, base);
        if (lhsHigh != rhsHigh) return lhsHigh > rhsHigh;
        return rule.strict ? lhsLow > rhsLow : lhsLow >= rhsLow;
    }
}
