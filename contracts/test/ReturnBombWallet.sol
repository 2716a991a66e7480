// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ReturnBombWallet
/// @notice A hostile ERC-1271 wallet for tests: `isValidSignature` answers with as many bytes as the gas
/// it gets pays for, starting with the magic value, to show that a batch never pays to copy them.
contract ReturnBombWallet {
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        // memory of n words costs 3n + n²/512 gas: spend about 90 % of what is left on it
        uint256 budget = (gasleft() * 9) / 10;
        uint256 words = 1;
        while (3 * (words * 2) + (words * 2) * (words * 2) / 512 < budget) words *= 2;
        assembly ("memory-safe") {
            mstore(0, shl(224, 0x1626ba7e))
            return(0, mul(words, 32))
        }
    }
}
