// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The cheatcodes of Hardhat 3's Solidity test runner (Foundry-compatible) that these tests use.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function prank(address sender) external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function assume(bool condition) external pure;
    function expectRevert(bytes calldata revertData) external;
}

/// @dev Assertions and helpers for the fuzz tests (forge-std's are not available offline).
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    error AssertionFailed(string what, uint256 actual, uint256 expected);

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailed(what, actual, expected);
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what, 0, 1);
    }

    /// @dev Maps `x` into [lo, hi].
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }

    /// @dev A deterministic stream of pseudo-random words from one fuzzed seed.
    function draw(uint256 seed, uint256 n) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, n)));
    }
}
