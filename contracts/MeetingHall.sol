// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IMeetingHall} from "./interfaces/IMeetingHall.sol";
import {IBuildingRegistry} from "./interfaces/IBuildingRegistry.sol";
import {BallotChoices} from "./libraries/BallotChoices.sol";

/// @title MeetingHall
/// @notice General meetings of owners and neighbour polls. See {IMeetingHall}.
/// @dev Storage is laid out for counting relayed batches cheaply:
/// - who has voted is a bitmap per meeting indexed by the registry's stable member number, so 256
///   voters share one slot and a batch pays for a cold slot once per 256 members;
/// - the registry returns the member numbers and snapshot weights of a whole batch in one call;
/// - a batch adds its tallies in memory and writes each question's tally once.
contract MeetingHall is IMeetingHall, EIP712 {
    using SafeCast for uint256;

    /// @notice EIP-712 type of a signed ballot.
    bytes32 public constant BALLOT_TYPEHASH = keccak256("Ballot(uint256 meetingId,address voter,uint128 choices)");

    /// @notice Most questions on one agenda.
    uint256 public constant MAX_QUESTIONS = BallotChoices.MAX_QUESTIONS;

    struct Meeting {
        // slot 0: read by every ballot
        uint64 buildingId;
        Kind kind;
        Status status;
        uint8 questionCount;
        uint48 snapshot;
        uint48 votingStart;
        uint48 votingEnd;
        // slot 1: written by every batch
        uint128 participatingWeight;
        uint64 ballots;
        // slot 2
        address initiator;
        uint48 announcedAt;
        bool quorumReached;
        // slot 3
        uint128 totalWeight;
        uint64 passedMask;
        // slot 4
        bytes32 agendaRef;
    }

    IBuildingRegistry private immutable _registry;
    uint48 private immutable _minNotice;
    uint48 private immutable _minWindow;
    uint48 private immutable _maxWindow;

    uint256 private _meetingCount;
    mapping(uint256 meetingId => Meeting) private _meetings;
    mapping(uint256 meetingId => mapping(uint256 index => Question)) private _questions;
    /// @dev Per question two slots: `2q` holds For (low 128 bits) and Against (high), `2q+1` Abstain.
    mapping(uint256 meetingId => mapping(uint256 slot => uint256)) private _tallies;
    /// @dev Bit `index % 256` of word `index / 256` is set once member `index` has voted.
    mapping(uint256 meetingId => mapping(uint256 word => uint256)) private _voted;

    /// @param registry_ The building register.
    /// @param minNotice_ Minimum seconds between announcement and voting (law: 10 days).
    /// @param minWindow_ Shortest voting window in seconds (law: 7 days).
    /// @param maxWindow_ Longest voting window in seconds (law: 60 days).
    constructor(IBuildingRegistry registry_, uint48 minNotice_, uint48 minWindow_, uint48 maxWindow_)
        EIP712("Digital Home", "1")
    {
        if (minWindow_ == 0 || minWindow_ > maxWindow_) {
            revert MeetingHallInvalidParameters(minNotice_, minWindow_, maxWindow_);
        }
        _registry = registry_;
        _minNotice = minNotice_;
        _minWindow = minWindow_;
        _maxWindow = maxWindow_;
    }

    // ------------------------------------------------------------------------------------------ announce

    /// @inheritdoc IMeetingHall
    function announceMeeting(
        uint256 buildingId,
        uint48 snapshot,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        Question[] calldata questions
    ) external returns (uint256 meetingId) {
        uint48 earliest = uint48(block.timestamp) + _minNotice;
        if (votingStart < earliest) revert MeetingHallNoticeTooShort(votingStart, earliest);
        for (uint256 i = 0; i < questions.length; ++i) {
            if (questions[i].threshold == Threshold.Consultative) {
                revert MeetingHallInvalidThreshold(i, questions[i].threshold);
            }
        }
        meetingId = _announce(buildingId, Kind.Meeting, snapshot, votingStart, votingEnd, agendaRef, questions);
    }

    /// @inheritdoc IMeetingHall
    function announcePoll(
        uint256 buildingId,
        uint48 snapshot,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        bytes32[] calldata questionRefs
    ) external returns (uint256 meetingId) {
        if (votingStart < block.timestamp) revert MeetingHallNoticeTooShort(votingStart, uint48(block.timestamp));
        Question[] memory questions = new Question[](questionRefs.length);
        for (uint256 i = 0; i < questionRefs.length; ++i) {
            questions[i] = Question({textRef: questionRefs[i], threshold: Threshold.Consultative});
        }
        meetingId = _announce(buildingId, Kind.Poll, snapshot, votingStart, votingEnd, agendaRef, questions);
    }

    function _announce(
        uint256 buildingId,
        Kind kind,
        uint48 snapshot,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        Question[] memory questions
    ) private returns (uint256 meetingId) {
        if (!_registry.buildingExists(buildingId)) revert MeetingHallUnknownBuilding(buildingId);
        if (!_registry.canAnnounce(buildingId, msg.sender)) revert MeetingHallNotInitiator(buildingId, msg.sender);
        uint256 count = questions.length;
        if (count == 0 || count > MAX_QUESTIONS) revert MeetingHallAgendaSize(count);
        if (votingEnd <= votingStart || votingEnd - votingStart < _minWindow || votingEnd - votingStart > _maxWindow) {
            uint48 length = votingEnd > votingStart ? votingEnd - votingStart : 0;
            revert MeetingHallWindowLength(length, _minWindow, _maxWindow);
        }
        if (snapshot >= votingStart) revert MeetingHallSnapshotNotBeforeStart(snapshot, votingStart);

        meetingId = ++_meetingCount;
        Meeting storage m = _meetings[meetingId];
        m.buildingId = uint64(buildingId);
        m.kind = kind;
        m.status = Status.Announced;
        m.questionCount = uint8(count);
        m.snapshot = snapshot;
        m.votingStart = votingStart;
        m.votingEnd = votingEnd;
        m.initiator = msg.sender;
        m.announcedAt = uint48(block.timestamp);
        m.agendaRef = agendaRef;
        for (uint256 i = 0; i < count; ++i) {
            _questions[meetingId][i] = questions[i];
        }
        emit MeetingAnnounced(
            meetingId, buildingId, msg.sender, kind, snapshot, votingStart, votingEnd, agendaRef, questions
        );
    }

    /// @inheritdoc IMeetingHall
    function cancel(uint256 meetingId) external {
        Meeting storage m = _meeting(meetingId);
        if (m.initiator != msg.sender) revert MeetingHallNotMeetingInitiator(meetingId, msg.sender);
        if (m.status != Status.Announced || block.timestamp >= m.votingStart) {
            revert MeetingHallNotCancellable(meetingId, m.status, m.votingStart);
        }
        m.status = Status.Cancelled;
        emit MeetingCancelled(meetingId, msg.sender);
    }

    // ------------------------------------------------------------------------------------------ vote

    /// @inheritdoc IMeetingHall
    function castBallot(uint256 meetingId, uint128 choices) external {
        _castBallot(meetingId, msg.sender, choices);
    }

    function _castBallot(uint256 meetingId, address voter, uint128 choices) private {
        Meeting storage m = _meeting(meetingId);
        if (!_isOpen(m)) revert MeetingHallVotingClosed(meetingId, m.votingStart, m.votingEnd);
        uint256 questionCount = m.questionCount;
        if (!BallotChoices.isWellFormed(choices, questionCount)) revert MeetingHallMalformedChoices(meetingId, choices);
        (uint256 index, uint256 weight) = _voterAt(m, voter);
        if (weight == 0) revert MeetingHallNotEligible(meetingId, voter);
        if (!_markVoted(meetingId, index)) revert MeetingHallAlreadyVoted(meetingId, voter);

        uint256[] memory acc = new uint256[](questionCount * 3);
        BallotChoices.accumulate(acc, choices, questionCount, weight);
        _addTallies(meetingId, acc, questionCount);
        m.participatingWeight += weight.toUint128();
        m.ballots += 1;
        emit BallotCast(meetingId, voter, weight, choices);
    }

    /// @inheritdoc IMeetingHall
    function castBallotsBySig(uint256 meetingId, SignedBallot[] calldata ballots) external returns (uint256 counted) {
        uint256 n = ballots.length;
        if (n == 0) revert MeetingHallEmptyBatch();
        Meeting storage m = _meeting(meetingId);
        if (!_isOpen(m)) {
            for (uint256 i = 0; i < n; ++i) {
                emit BallotRejected(meetingId, ballots[i].voter, RejectReason.NotOpen);
            }
            return 0;
        }
        uint256 questionCount = m.questionCount;

        address[] memory voters = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            voters[i] = ballots[i].voter;
        }
        uint256[] memory info = _registry.votersAt(m.buildingId, voters, m.snapshot, m.kind == Kind.Poll);

        uint256[] memory acc = new uint256[](questionCount * 3);
        uint256 addedWeight;
        for (uint256 i = 0; i < n; ++i) {
            SignedBallot calldata b = ballots[i];
            address voter = b.voter;
            uint128 choices = b.choices;
            uint256 weight = info[i] >> 32;
            RejectReason reason;
            bool ok;
            if (!BallotChoices.isWellFormed(choices, questionCount)) {
                reason = RejectReason.MalformedChoices;
            } else if (weight == 0) {
                reason = RejectReason.NotEligible;
            } else if (!_isValidSignature(voter, _ballotDigest(meetingId, voter, choices), b.signature)) {
                reason = RejectReason.BadSignature;
            } else if (!_markVoted(meetingId, uint32(info[i]))) {
                reason = RejectReason.AlreadyVoted;
            } else {
                ok = true;
            }
            if (!ok) {
                emit BallotRejected(meetingId, voter, reason);
                continue;
            }
            BallotChoices.accumulate(acc, choices, questionCount, weight);
            addedWeight += weight;
            ++counted;
            emit BallotCast(meetingId, voter, weight, choices);
        }
        if (counted != 0) {
            _addTallies(meetingId, acc, questionCount);
            m.participatingWeight += addedWeight.toUint128();
            m.ballots += uint64(counted);
        }
    }

    // ------------------------------------------------------------------------------------------ finalize

    /// @inheritdoc IMeetingHall
    function finalize(uint256 meetingId) external {
        Meeting storage m = _meeting(meetingId);
        if (m.status != Status.Announced || block.timestamp < m.votingEnd) {
            revert MeetingHallNotFinalizable(meetingId, m.status, m.votingEnd);
        }
        uint256 total = m.kind == Kind.Poll
            ? _registry.electorateAt(m.buildingId, m.snapshot)
            : _registry.totalWeightAt(m.buildingId, m.snapshot);
        uint256 participating = m.participatingWeight;
        bool quorum = participating * 2 > total;
        uint256 questionCount = m.questionCount;
        uint64 passedMask;
        for (uint256 q = 0; q < questionCount; ++q) {
            (uint256 forW, uint256 againstW, uint256 abstainW) = _tally(meetingId, q);
            Threshold threshold = _questions[meetingId][q].threshold;
            bool passed = decides(threshold, forW, participating, total, quorum);
            if (passed) passedMask |= uint64(1) << uint64(q);
            emit QuestionDecided(meetingId, uint8(q), threshold, forW, againstW, abstainW, passed);
        }
        m.status = Status.Finalized;
        m.totalWeight = total.toUint128();
        m.quorumReached = quorum;
        m.passedMask = passedMask;
        emit MeetingFinalized(meetingId, total, participating, m.ballots, quorum);
    }

    /// @notice Whether a question passes: the Housing Code's thresholds in integer arithmetic.
    /// @dev Without a quorum no binding question passes; a consultative (poll) question is decided by
    /// the answers given whatever the turnout.
    function decides(Threshold threshold, uint256 forW, uint256 participating, uint256 total, bool quorum)
        public
        pure
        returns (bool)
    {
        if (threshold == Threshold.Consultative) return forW * 2 > participating;
        if (!quorum) return false;
        if (threshold == Threshold.MajorityOfParticipants) return forW * 2 > participating;
        if (threshold == Threshold.MajorityOfAll) return forW * 2 > total;
        if (threshold == Threshold.TwoThirdsOfAll) return forW * 3 >= total * 2;
        return forW == total; // Unanimous
    }

    // ------------------------------------------------------------------------------------------ reads

    /// @inheritdoc IMeetingHall
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IMeetingHall
    function minNotice() external view returns (uint48) {
        return _minNotice;
    }

    /// @inheritdoc IMeetingHall
    function minWindow() external view returns (uint48) {
        return _minWindow;
    }

    /// @inheritdoc IMeetingHall
    function maxWindow() external view returns (uint48) {
        return _maxWindow;
    }

    /// @inheritdoc IMeetingHall
    function meetingCount() external view returns (uint256) {
        return _meetingCount;
    }

    /// @inheritdoc IMeetingHall
    function getMeeting(uint256 meetingId) external view returns (MeetingView memory) {
        Meeting storage m = _meeting(meetingId);
        return MeetingView({
            buildingId: m.buildingId,
            kind: m.kind,
            status: m.status,
            questionCount: m.questionCount,
            initiator: m.initiator,
            announcedAt: m.announcedAt,
            snapshot: m.snapshot,
            votingStart: m.votingStart,
            votingEnd: m.votingEnd,
            ballots: m.ballots,
            participatingWeight: m.participatingWeight,
            totalWeight: m.totalWeight,
            quorumReached: m.quorumReached
        });
    }

    /// @inheritdoc IMeetingHall
    function getAgenda(uint256 meetingId) external view returns (bytes32 agendaRef, Question[] memory questions) {
        Meeting storage m = _meeting(meetingId);
        questions = new Question[](m.questionCount);
        for (uint256 i = 0; i < questions.length; ++i) {
            questions[i] = _questions[meetingId][i];
        }
        return (m.agendaRef, questions);
    }

    /// @inheritdoc IMeetingHall
    function getResults(uint256 meetingId) external view returns (Tally[] memory results) {
        Meeting storage m = _meeting(meetingId);
        results = new Tally[](m.questionCount);
        uint64 passedMask = m.passedMask;
        for (uint256 q = 0; q < results.length; ++q) {
            (uint256 forW, uint256 againstW, uint256 abstainW) = _tally(meetingId, q);
            results[q] = Tally(forW, againstW, abstainW, (passedMask >> q) & 1 == 1);
        }
    }

    /// @inheritdoc IMeetingHall
    function hasVoted(uint256 meetingId, address voter) public view returns (bool) {
        Meeting storage m = _meeting(meetingId);
        uint256 index = _registry.memberIndex(m.buildingId, voter);
        return index != 0 && (_voted[meetingId][index >> 8] >> (index & 0xff)) & 1 == 1;
    }

    /// @inheritdoc IMeetingHall
    function checkBallot(uint256 meetingId, address voter, uint128 choices)
        external
        view
        returns (bool ok, RejectReason reason, uint256 weight)
    {
        Meeting storage m = _meeting(meetingId);
        (, weight) = _voterAt(m, voter);
        if (!_isOpen(m)) return (false, RejectReason.NotOpen, weight);
        if (!BallotChoices.isWellFormed(choices, m.questionCount)) return (false, RejectReason.MalformedChoices, weight);
        if (weight == 0) return (false, RejectReason.NotEligible, 0);
        if (hasVoted(meetingId, voter)) return (false, RejectReason.AlreadyVoted, weight);
        return (true, RejectReason.NotOpen, weight);
    }

    /// @inheritdoc IMeetingHall
    function ballotDigest(uint256 meetingId, address voter, uint128 choices) external view returns (bytes32) {
        return _ballotDigest(meetingId, voter, choices);
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------------------------------ internal

    function _meeting(uint256 meetingId) private view returns (Meeting storage m) {
        m = _meetings[meetingId];
        if (m.status == Status.None) revert MeetingHallUnknownMeeting(meetingId);
    }

    function _isOpen(Meeting storage m) private view returns (bool) {
        return m.status == Status.Announced && block.timestamp >= m.votingStart && block.timestamp < m.votingEnd;
    }

    function _voterAt(Meeting storage m, address voter) private view returns (uint256 index, uint256 weight) {
        address[] memory voters = new address[](1);
        voters[0] = voter;
        uint256 packed = _registry.votersAt(m.buildingId, voters, m.snapshot, m.kind == Kind.Poll)[0];
        return (uint32(packed), packed >> 32);
    }

    /// @dev Sets the member's bit; false if it was already set.
    function _markVoted(uint256 meetingId, uint256 index) private returns (bool) {
        mapping(uint256 => uint256) storage bitmap = _voted[meetingId];
        uint256 word = bitmap[index >> 8];
        uint256 bit = uint256(1) << (index & 0xff);
        if (word & bit != 0) return false;
        bitmap[index >> 8] = word | bit;
        return true;
    }

    function _addTallies(uint256 meetingId, uint256[] memory acc, uint256 questionCount) private {
        mapping(uint256 => uint256) storage tallies = _tallies[meetingId];
        for (uint256 q = 0; q < questionCount; ++q) {
            uint256 forW = acc[3 * q];
            uint256 againstW = acc[3 * q + 1];
            uint256 abstainW = acc[3 * q + 2];
            if (forW != 0 || againstW != 0) {
                uint256 packed = tallies[2 * q];
                uint256 newFor = (packed & type(uint128).max) + forW;
                uint256 newAgainst = (packed >> 128) + againstW;
                tallies[2 * q] = newFor.toUint128() | (uint256(newAgainst.toUint128()) << 128);
            }
            if (abstainW != 0) tallies[2 * q + 1] += abstainW;
        }
    }

    function _tally(uint256 meetingId, uint256 q) private view returns (uint256 forW, uint256 againstW, uint256 abstainW) {
        uint256 packed = _tallies[meetingId][2 * q];
        return (packed & type(uint128).max, packed >> 128, _tallies[meetingId][2 * q + 1]);
    }

    function _ballotDigest(uint256 meetingId, address voter, uint128 choices) private view returns (bytes32 digest) {
        bytes32 structHash;
        bytes32 typehash = BALLOT_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            mstore(add(ptr, 0x20), meetingId)
            mstore(add(ptr, 0x40), and(voter, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x60), and(choices, 0xffffffffffffffffffffffffffffffff))
            structHash := keccak256(ptr, 0x80)
        }
        return _hashTypedDataV4(structHash);
    }

    /// @dev An EOA's 65-byte signature is recovered first, without touching the voter's account; a voter
    /// with code is then asked through ERC-1271, so contract wallets and EIP-7702 accounts both work.
    /// The ERC-1271 question is asked here rather than through OpenZeppelin's `SignatureChecker`: since
    /// 5.4 that library imports `Bytes`, whose `mcopy` cannot be compiled for `paris`, the EVM of the
    /// networks this contract runs on.
    function _isValidSignature(address voter, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (signature.length == 65) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                r := calldataload(signature.offset)
                s := calldataload(add(signature.offset, 0x20))
                v := byte(0, calldataload(add(signature.offset, 0x40)))
            }
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            if (err == ECDSA.RecoverError.NoError && recovered == voter) return true;
        }
        return voter.code.length != 0 && _isValidERC1271Signature(voter, digest, signature);
    }

    /// @dev Whether the contract at `voter` accepts `signature` of `digest`: a successful static call of
    /// `isValidSignature` that returns at least a word, whose first word is the ERC-1271 magic value. A
    /// revert, a short answer or any other value is a refusal, never a failure of the batch.
    function _isValidERC1271Signature(address voter, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (bool success, bytes memory result) = voter.staticcall(abi.encodeCall(IERC1271.isValidSignature, (digest, signature)));
        return success && result.length >= 32 && abi.decode(result, (bytes32)) == bytes32(IERC1271.isValidSignature.selector);
    }
}
