// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title Forwarder
/// @notice The ERC-2771 forwarder that MeetingHall trusts: anyone may submit a request that an account
/// signed (EIP-712 `ForwardRequest`, domain "Digital Home Forwarder", version "1"), and the hall then
/// acts for that account. This is how an owner whose key the custodial wallet holds announces or cancels
/// a meeting, and an administrator enters paper decisions or records powers of attorney, without
/// holding ether: the relayer pays the gas.
/// @dev OpenZeppelin's `ERC2771Forwarder` unchanged: per-signer nonces, a deadline per request, and a
/// check that the target trusts this forwarder. See its Security Considerations.
contract Forwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("Digital Home Forwarder") {}
}
