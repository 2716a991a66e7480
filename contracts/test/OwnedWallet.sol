// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title OwnedWallet
/// @notice A minimal ERC-1271 contract wallet for tests: one EOA owner signs for it and may make it call
/// other contracts (e.g. cast a ballot directly).
contract OwnedWallet is IERC1271 {
    address public immutable owner;

    error OwnedWalletNotOwner(address caller);
    error OwnedWalletCallFailed(bytes reason);

    constructor(address owner_) {
        owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? this.isValidSignature.selector : bytes4(0);
    }

    /// @notice Calls `target` with `data` on the owner's behalf.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != owner) revert OwnedWalletNotOwner(msg.sender);
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) revert OwnedWalletCallFailed(result);
        return result;
    }
}
