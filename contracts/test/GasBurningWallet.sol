// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title GasBurningWallet
/// @notice A hostile ERC-1271 wallet for tests: `isValidSignature` loops until it runs out of gas, to
/// show that a batch of ballots survives it.
contract GasBurningWallet {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4 magic) {
        assembly ("memory-safe") {
            for {} 1 {} { magic := add(magic, 1) }
        }
    }
}
