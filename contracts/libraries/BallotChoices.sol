// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BallotChoices
/// @notice Packed answers of a ballot: two bits a question, question `i` in bits `2i..2i+1`,
/// 1 = For, 2 = Against, 3 = Abstain. A ballot is well formed when every question of the agenda has an
/// answer and no bit past the last question is set. A paper decision may leave a question at 0,
/// unanswered or, with its bit set in a void mask, void (marked more than once).
library BallotChoices {
    /// @notice Most questions a ballot can answer (128 bits, two a question).
    uint256 internal constant MAX_QUESTIONS = 64;

    uint8 internal constant FOR = 1;
    uint8 internal constant AGAINST = 2;
    uint8 internal constant ABSTAIN = 3;

    /// @dev 0b0101...01: the low bit of every two-bit answer.
    uint256 private constant LOW_BITS = 0x55555555555555555555555555555555;

    /// @notice Whether `choices` answers exactly questions `0 .. questionCount-1`.
    function isWellFormed(uint128 choices, uint256 questionCount) internal pure returns (bool) {
        if (questionCount == 0 || questionCount > MAX_QUESTIONS) return false;
        uint256 c = choices;
        uint256 width = questionCount * 2;
        if (width < 256 && (c >> width) != 0) return false;
        uint256 lows = LOW_BITS >> (128 - width);
        // every pair has at least one bit set
        return ((c | (c >> 1)) & lows) == lows;
    }

    /// @notice Whether a paper decision's `choices` set no bit past the last question (a question may be 0).
    function isWellFormedPaper(uint128 choices, uint256 questionCount) internal pure returns (bool) {
        if (questionCount == 0 || questionCount > MAX_QUESTIONS) return false;
        uint256 width = questionCount * 2;
        return width >= 128 || (uint256(choices) >> width) == 0;
    }

    /// @notice Whether a paper decision's `voidMask` marks only questions of the agenda that it leaves
    /// without an answer.
    function isValidVoidMask(uint128 choices, uint64 voidMask, uint256 questionCount) internal pure returns (bool) {
        if (questionCount < 64 && (uint256(voidMask) >> questionCount) != 0) return false;
        uint256 mask = voidMask;
        for (uint256 q = 0; mask != 0; ++q) {
            if (mask & 1 == 1 && at(choices, q) != 0) return false;
            mask >>= 1;
        }
        return true;
    }

    /// @notice The answer to question `q` (0 when unanswered).
    function at(uint128 choices, uint256 q) internal pure returns (uint8) {
        return uint8((choices >> (2 * q)) & 3);
    }

    /// @notice Adds `weight` to `acc[3q + answer - 1]` for every question `q` of a well-formed ballot.
    function accumulate(uint256[] memory acc, uint128 choices, uint256 questionCount, uint256 weight) internal pure {
        uint256 c = choices;
        for (uint256 q = 0; q < questionCount; ++q) {
            uint256 answer = c & 3;
            c >>= 2;
            unchecked {
                acc[3 * q + answer - 1] += weight;
            }
        }
    }

    /// @notice As `accumulate`, skipping the questions a paper decision leaves at 0 (unanswered or void).
    function accumulateAnswered(uint256[] memory acc, uint128 choices, uint256 questionCount, uint256 weight)
        internal
        pure
    {
        uint256 c = choices;
        for (uint256 q = 0; q < questionCount; ++q) {
            uint256 answer = c & 3;
            c >>= 2;
            if (answer == 0) continue;
            unchecked {
                acc[3 * q + answer - 1] += weight;
            }
        }
    }
}
