// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @title ReferenceGovernor
/// @notice A plain OpenZeppelin Governor (counting simple, votes, quorum fraction of 50 %), used only by
/// the gas benchmark: one proposal per agenda question, one `castVoteBySig` per voter per question.
/// @dev Compiled for `cancun` (hardhat.config.ts), unlike the voting core: OpenZeppelin 5.4's Governor
/// verifies signatures with `SignatureChecker`, which imports `Bytes`, whose `mcopy` needs Cancun. It is
/// never deployed to a network; the benchmark measures it on a simulator at that hardfork.
contract ReferenceGovernor is Governor, GovernorCountingSimple, GovernorVotes, GovernorVotesQuorumFraction {
    constructor(IVotes token)
        Governor("Reference Governor")
        GovernorVotes(token)
        GovernorVotesQuorumFraction(50)
    {}

    function votingDelay() public pure override returns (uint256) {
        return 1;
    }

    function votingPeriod() public pure override returns (uint256) {
        return 50_400;
    }

    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        return super.quorum(timepoint);
    }
}
