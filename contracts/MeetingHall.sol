// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IMeetingHall} from "./interfaces/IMeetingHall.sol";
import {IBuildingRegistry} from "./interfaces/IBuildingRegistry.sol";
import {ILegalRules} from "./interfaces/ILegalRules.sol";
import {BallotChoices} from "./libraries/BallotChoices.sol";
import {RuleMath} from "./libraries/RuleMath.sol";

/// @title MeetingHall
/// @notice General meetings of owners and neighbour polls. See {IMeetingHall}.
/// @dev Storage is laid out for counting relayed batches cheaply:
/// - who has voted is a bitmap per meeting indexed by the registry's stable member number (persons and
///   joint groups alike), so 256 voters share one slot and a batch pays for a cold slot once per 256
///   members;
/// - the registry returns the member numbers, snapshot weights and joint groups of a whole batch in one
///   call; a sole owner's ballot reads one registry slot and one bitmap word;
/// - a batch adds its tallies in memory and writes each question's tally once.
///
/// Every account this contract acts for is `_msgSender()`: the caller, or the signer of a request that
/// the trusted ERC-2771 forwarder relays. The contract has no `multicall` (a forwarded multicall would
/// let anyone append an address of their choice to each inner call).
contract MeetingHall is IMeetingHall, EIP712, ERC2771Context {
    using SafeCast for uint256;

    /// @notice EIP-712 type of a signed ballot.
    bytes32 public constant BALLOT_TYPEHASH = keccak256(
        "Ballot(uint256 meetingId,address voter,uint128 choices,address representative,uint64 deadline)"
    );

    /// @notice Most questions on one agenda.
    uint256 public constant MAX_QUESTIONS = BallotChoices.MAX_QUESTIONS;

    /// @notice Gas a contract wallet's `isValidSignature` may use; it may return at most 32 bytes that
    /// are read.
    uint256 public constant ERC1271_GAS = 50_000;

    /// @dev Gas that must be left before calling a wallet so that it gets all of `ERC1271_GAS` (the
    /// caller keeps 1/64, EIP-150) and the call's own cost (a cold account) is paid.
    uint256 private constant ERC1271_GAS_NEEDED = ERC1271_GAS + ERC1271_GAS / 63 + 5_000;

    struct Meeting {
        // slot 0: read by every ballot
        uint64 buildingId;
        Kind kind;
        Status status;
        uint8 questionCount;
        MeetingType meetingType;
        uint48 snapshot;
        uint48 votingStart;
        uint48 votingEnd;
        // slot 1: written by every batch
        uint128 participatingWeight;
        uint64 ballots;
        uint32 rulesVersion;
        // slot 2
        address initiator;
        uint48 announcedAt;
        bool quorumReached;
        // slot 3
        uint128 totalWeight;
        uint64 passedMask;
        // slot 4: read by paper decisions and powers of attorney
        address administrator;
        // slot 5
        bytes32 agendaRef;
    }

    struct StoredPower {
        PowerOfAttorney power;
        address recordedBy;
        bool revoked;
    }

    IBuildingRegistry private immutable _registry;
    ILegalRules private immutable _rules;
    uint48 private immutable _minNotice;
    uint48 private immutable _minWindow;
    uint48 private immutable _maxWindow;
    uint16 private immutable _maxOpenPerInitiator;

    uint256 private _meetingCount;
    mapping(uint256 meetingId => Meeting) private _meetings;
    mapping(uint256 meetingId => mapping(uint256 index => Question)) private _questions;
    /// @dev Per question two slots: `2q` holds For (low 128 bits) and Against (high), `2q+1` Abstain.
    mapping(uint256 meetingId => mapping(uint256 slot => uint256)) private _tallies;
    /// @dev Bit `index % 256` of word `index / 256` is set once member `index` has voted.
    mapping(uint256 meetingId => mapping(uint256 word => uint256)) private _voted;
    mapping(uint256 buildingId => mapping(address initiator => uint256)) private _openMeetings;

    uint256 private _powerCount;
    mapping(uint256 id => StoredPower) private _powers;
    mapping(uint256 buildingId => mapping(address principal => mapping(address representative => uint256[])))
        private _powerIds;

    /// @param registry_ The building register.
    /// @param rules_ The legal rules meetings are counted by.
    /// @param forwarder The ERC-2771 forwarder trusted to relay signed requests (zero: none).
    /// @param params The deployment's parameters.
    constructor(IBuildingRegistry registry_, ILegalRules rules_, address forwarder, Parameters memory params)
        EIP712("Digital Home", "1")
        ERC2771Context(forwarder)
    {
        if (
            address(registry_) == address(0) || address(rules_) == address(0) || params.minWindow == 0
                || params.minWindow > params.maxWindow || params.maxOpenPerInitiator == 0
        ) revert MeetingHallInvalidParameters();
        _registry = registry_;
        _rules = rules_;
        _minNotice = params.minNotice;
        _minWindow = params.minWindow;
        _maxWindow = params.maxWindow;
        _maxOpenPerInitiator = params.maxOpenPerInitiator;
    }

    // ------------------------------------------------------------------------------------------ announce

    /// @inheritdoc IMeetingHall
    function announceMeeting(
        uint256 buildingId,
        MeetingType meetingType,
        address administrator,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        Question[] calldata questions
    ) external returns (uint256 meetingId) {
        address initiator = _msgSender();
        uint48 earliest = uint48(block.timestamp) + _minNotice;
        if (votingStart < earliest) revert MeetingHallNoticeTooShort(votingStart, earliest);
        uint32 version = _rules.currentVersion();
        if (version == 0) revert MeetingHallNoRules();
        uint16 typeCount = _rules.questionTypeCount(version);
        for (uint256 i = 0; i < questions.length; ++i) {
            if (questions[i].questionType >= typeCount) {
                revert MeetingHallInvalidQuestionType(i, questions[i].questionType);
            }
        }
        meetingId = _announce(
            Announcement({
                buildingId: buildingId,
                kind: Kind.Meeting,
                meetingType: meetingType,
                initiator: initiator,
                administrator: administrator == address(0) ? initiator : administrator,
                rulesVersion: version,
                votingStart: votingStart,
                votingEnd: votingEnd,
                agendaRef: agendaRef
            }),
            questions
        );
    }

    /// @inheritdoc IMeetingHall
    function announcePoll(
        uint256 buildingId,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        bytes32[] calldata questionRefs
    ) external returns (uint256 meetingId) {
        address initiator = _msgSender();
        if (votingStart < block.timestamp) revert MeetingHallNoticeTooShort(votingStart, uint48(block.timestamp));
        Question[] memory questions = new Question[](questionRefs.length);
        for (uint256 i = 0; i < questionRefs.length; ++i) {
            questions[i] = Question({textRef: questionRefs[i], questionType: 0});
        }
        meetingId = _announce(
            Announcement({
                buildingId: buildingId,
                kind: Kind.Poll,
                meetingType: MeetingType.Extraordinary,
                initiator: initiator,
                administrator: initiator,
                rulesVersion: 0,
                votingStart: votingStart,
                votingEnd: votingEnd,
                agendaRef: agendaRef
            }),
            questions
        );
    }

    /// @dev What `_announce` records besides the agenda.
    struct Announcement {
        uint256 buildingId;
        Kind kind;
        MeetingType meetingType;
        address initiator;
        address administrator;
        uint32 rulesVersion;
        uint48 votingStart;
        uint48 votingEnd;
        bytes32 agendaRef;
    }

    function _announce(Announcement memory a, Question[] memory questions) private returns (uint256 meetingId) {
        if (!_registry.buildingExists(a.buildingId)) revert MeetingHallUnknownBuilding(a.buildingId);
        if (!_registry.canAnnounce(a.buildingId, a.initiator)) revert MeetingHallNotInitiator(a.buildingId, a.initiator);
        uint256 count = questions.length;
        if (count == 0 || count > MAX_QUESTIONS) revert MeetingHallAgendaSize(count);
        uint48 start = a.votingStart;
        uint48 end = a.votingEnd;
        if (end <= start || end - start < _minWindow || end - start > _maxWindow) {
            revert MeetingHallWindowLength(end > start ? end - start : 0, _minWindow, _maxWindow);
        }
        uint256 open = _openMeetings[a.buildingId][a.initiator];
        if (open >= _maxOpenPerInitiator) {
            revert MeetingHallTooManyOpenMeetings(a.buildingId, a.initiator, _maxOpenPerInitiator);
        }
        _openMeetings[a.buildingId][a.initiator] = open + 1;

        uint48 now_ = uint48(block.timestamp);
        meetingId = ++_meetingCount;
        Meeting storage m = _meetings[meetingId];
        m.buildingId = uint64(a.buildingId);
        m.kind = a.kind;
        m.status = Status.Announced;
        m.questionCount = uint8(count);
        m.meetingType = a.meetingType;
        m.snapshot = now_;
        m.votingStart = start;
        m.votingEnd = end;
        m.rulesVersion = a.rulesVersion;
        m.initiator = a.initiator;
        m.announcedAt = now_;
        m.administrator = a.administrator;
        m.agendaRef = a.agendaRef;
        for (uint256 i = 0; i < count; ++i) {
            _questions[meetingId][i] = questions[i];
        }
        emit MeetingAnnounced(
            meetingId,
            a.buildingId,
            a.initiator,
            a.kind,
            a.meetingType,
            a.administrator,
            a.rulesVersion,
            now_,
            start,
            end,
            a.agendaRef,
            questions
        );
    }

    /// @inheritdoc IMeetingHall
    function cancel(uint256 meetingId) external {
        Meeting storage m = _meeting(meetingId);
        address sender = _msgSender();
        if (m.initiator != sender) revert MeetingHallNotMeetingInitiator(meetingId, sender);
        if (m.status != Status.Announced || block.timestamp >= m.votingStart) {
            revert MeetingHallNotCancellable(meetingId, m.status, m.votingStart);
        }
        m.status = Status.Cancelled;
        --_openMeetings[m.buildingId][sender];
        emit MeetingCancelled(meetingId, sender);
    }

    // ------------------------------------------------------------------------------------------ vote

    /// @inheritdoc IMeetingHall
    function castBallot(uint256 meetingId, uint128 choices) external {
        _castBallot(meetingId, _msgSender(), address(0), 0, choices);
    }

    /// @inheritdoc IMeetingHall
    function castBallotFor(uint256 meetingId, address voter, uint256 powerOfAttorney_, uint128 choices) external {
        _castBallot(meetingId, voter, _msgSender(), powerOfAttorney_, choices);
    }

    function _castBallot(uint256 meetingId, address voter, address representative, uint256 powerId, uint128 choices)
        private
    {
        Meeting storage m = _meeting(meetingId);
        if (!_isOpen(m)) revert MeetingHallVotingClosed(meetingId, m.votingStart, m.votingEnd);
        uint256 questionCount = m.questionCount;
        if (!BallotChoices.isWellFormed(choices, questionCount)) revert MeetingHallMalformedChoices(meetingId, choices);
        if (representative != address(0) && !_powerValid(meetingId, m.buildingId, voter, representative, powerId)) {
            revert MeetingHallNoPowerOfAttorney(meetingId, voter, representative, powerId);
        }
        uint256[] memory info = _voterInfo(m, voter);
        (uint256 weight, RejectReason reason) = _mark(meetingId, voter, info, 0, 1);
        if (weight == 0) {
            if (reason == RejectReason.NotEligible) revert MeetingHallNotEligible(meetingId, voter);
            revert MeetingHallAlreadyVoted(meetingId, voter);
        }
        uint256[] memory acc = new uint256[](questionCount * 3);
        BallotChoices.accumulate(acc, choices, questionCount, weight);
        _addTallies(meetingId, acc, questionCount);
        m.participatingWeight += weight.toUint128();
        m.ballots += 1;
        emit BallotCast(meetingId, voter, representative, weight, choices, BallotForm.Direct);
    }

    /// @inheritdoc IMeetingHall
    function castBallotsBySig(uint256 meetingId, SignedBallot[] calldata ballots) external returns (uint256 counted) {
        uint256 n = ballots.length;
        if (n == 0) revert MeetingHallEmptyBatch();
        Meeting storage m = _meeting(meetingId);
        if (!_isOpen(m)) {
            _skipAll(meetingId, ballots);
            return 0;
        }
        uint256 questionCount = m.questionCount;
        uint256 buildingId = m.buildingId;

        address[] memory voters = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            voters[i] = ballots[i].voter;
        }
        uint256[] memory info = _registry.votersAt(buildingId, voters, m.snapshot, m.kind == Kind.Poll);

        uint256[] memory acc = new uint256[](questionCount * 3);
        uint256 addedWeight;
        uint256 groupWords = n; // where the next voter's joint groups start in `info`
        for (uint256 i = 0; i < n; ++i) {
            // each field read from calldata once (a few hundred gas a ballot)
            SignedBallot calldata b = ballots[i];
            address voter = b.voter;
            address representative = b.representative;
            uint128 choices = b.choices;
            uint64 deadline = b.deadline;
            uint256 groupStart = groupWords;
            groupWords += 2 * uint8(info[i] >> 32);
            bytes32 digest = _ballotDigest(meetingId, voter, choices, representative, deadline);
            if (!_isValidSignature(representative == address(0) ? voter : representative, digest, b.signature)) {
                emit BallotDiscarded(meetingId, i);
                continue;
            }
            // signed by its signer: its deadline, then the checks of `checkBallot` in their order
            uint256 weight;
            RejectReason reason;
            if (block.timestamp > deadline) {
                reason = RejectReason.Expired;
            } else if (!BallotChoices.isWellFormed(choices, questionCount)) {
                reason = RejectReason.MalformedChoices;
            } else if (
                representative != address(0) && !_powerValid(meetingId, buildingId, voter, representative, b.powerOfAttorney)
            ) {
                reason = RejectReason.NoPowerOfAttorney;
            } else {
                (weight, reason) = _mark(meetingId, voter, info, i, groupStart);
            }
            if (weight == 0) {
                emit BallotRejected(meetingId, voter, representative, digest, reason);
                continue;
            }
            BallotChoices.accumulate(acc, choices, questionCount, weight);
            addedWeight += weight;
            ++counted;
            emit BallotCast(meetingId, voter, representative, weight, choices, BallotForm.Relayed);
        }
        if (counted != 0) {
            _addTallies(meetingId, acc, questionCount);
            m.participatingWeight += addedWeight.toUint128();
            m.ballots += uint64(counted);
        }
    }

    /// @dev A batch for a meeting that is not open: each ballot signed by its signer is rejected as
    /// `NotOpen`, any other discarded.
    function _skipAll(uint256 meetingId, SignedBallot[] calldata ballots) private {
        for (uint256 i = 0; i < ballots.length; ++i) {
            SignedBallot calldata b = ballots[i];
            bytes32 digest = _ballotDigest(meetingId, b.voter, b.choices, b.representative, b.deadline);
            if (_isValidSignature(b.representative == address(0) ? b.voter : b.representative, digest, b.signature)) {
                emit BallotRejected(meetingId, b.voter, b.representative, digest, RejectReason.NotOpen);
            } else {
                emit BallotDiscarded(meetingId, i);
            }
        }
    }

    /// @inheritdoc IMeetingHall
    function enterPaperDecisions(uint256 meetingId, PaperDecision[] calldata decisions) external {
        Meeting storage m = _meeting(meetingId);
        address administrator = _msgSender();
        if (administrator != m.administrator) revert MeetingHallNotAdministrator(meetingId, administrator);
        if (!_isOpen(m)) revert MeetingHallVotingClosed(meetingId, m.votingStart, m.votingEnd);
        uint256 n = decisions.length;
        if (n == 0) revert MeetingHallEmptyBatch();
        uint256 questionCount = m.questionCount;
        uint256 buildingId = m.buildingId;

        address[] memory voters = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            voters[i] = decisions[i].voter;
        }
        uint256[] memory info = _registry.votersAt(buildingId, voters, m.snapshot, m.kind == Kind.Poll);

        uint256[] memory acc = new uint256[](questionCount * 3);
        uint256 addedWeight;
        uint256 groupWords = n;
        for (uint256 i = 0; i < n; ++i) {
            PaperDecision calldata d = decisions[i];
            uint256 groupStart = groupWords;
            groupWords += 2 * uint8(info[i] >> 32);
            if (!BallotChoices.isWellFormedPaper(d.choices, questionCount)) {
                revert MeetingHallPaperDecisionRejected(i, RejectReason.MalformedChoices);
            }
            if (!BallotChoices.isValidVoidMask(d.choices, d.voidMask, questionCount)) {
                revert MeetingHallMalformedVoidMask(meetingId, d.voidMask);
            }
            if (
                d.representative != address(0)
                    && !_powerValid(meetingId, buildingId, d.voter, d.representative, d.powerOfAttorney)
            ) revert MeetingHallPaperDecisionRejected(i, RejectReason.NoPowerOfAttorney);
            emit PaperDecisionEntered(meetingId, d.voter, administrator, d.voidMask, d.scanHash);
            (uint256 weight, RejectReason reason) = _mark(meetingId, d.voter, info, i, groupStart);
            if (weight == 0) revert MeetingHallPaperDecisionRejected(i, reason);
            BallotChoices.accumulateAnswered(acc, d.choices, questionCount, weight);
            addedWeight += weight;
            emit BallotCast(meetingId, d.voter, d.representative, weight, d.choices, BallotForm.Paper);
        }
        _addTallies(meetingId, acc, questionCount);
        m.participatingWeight += addedWeight.toUint128();
        m.ballots += uint64(n);
    }

    // ------------------------------------------------------------------------------------------ powers

    /// @inheritdoc IMeetingHall
    function recordPowerOfAttorney(PowerOfAttorney calldata power) external returns (uint256 id) {
        address sender = _msgSender();
        if (
            power.principal == address(0) || power.representative == address(0)
                || power.principal == power.representative || power.validTo <= power.validFrom
        ) revert MeetingHallInvalidPowerOfAttorney();
        bool registrar = _registry.isRegistrar(sender);
        if (power.meetingId != 0) {
            Meeting storage m = _meeting(power.meetingId);
            if (m.buildingId != power.buildingId) revert MeetingHallInvalidPowerOfAttorney();
            if (!registrar && (sender != m.administrator || m.status != Status.Announced)) {
                revert MeetingHallNotRecorder(sender);
            }
        } else {
            if (!_registry.buildingExists(power.buildingId)) revert MeetingHallUnknownBuilding(power.buildingId);
            if (!registrar) revert MeetingHallNotRecorder(sender);
        }
        if (_registry.jointHolders(power.buildingId, power.principal).length != 0) {
            revert MeetingHallInvalidPowerOfAttorney();
        }
        id = ++_powerCount;
        StoredPower storage stored = _powers[id];
        stored.power = power;
        stored.recordedBy = sender;
        _powerIds[power.buildingId][power.principal][power.representative].push(id);
        emit PowerOfAttorneyRecorded(
            id,
            power.principal,
            power.representative,
            power.buildingId,
            power.meetingId,
            power.validFrom,
            power.validTo,
            power.documentHash,
            sender
        );
    }

    /// @inheritdoc IMeetingHall
    function revokePowerOfAttorney(uint256 id) external {
        StoredPower storage stored = _storedPower(id);
        address sender = _msgSender();
        uint256 meetingId = stored.power.meetingId;
        bool allowed = sender == stored.power.principal || sender == stored.recordedBy
            || (meetingId != 0 && sender == _meetings[meetingId].administrator) || _registry.isRegistrar(sender);
        if (!allowed) revert MeetingHallNotRevoker(id, sender);
        if (stored.revoked) revert MeetingHallAlreadyRevoked(id);
        stored.revoked = true;
        emit PowerOfAttorneyRevoked(id, sender);
    }

    // ------------------------------------------------------------------------------------------ finalize

    /// @inheritdoc IMeetingHall
    function finalize(uint256 meetingId) external {
        Meeting storage m = _meeting(meetingId);
        if (m.status != Status.Announced || block.timestamp < m.votingEnd) {
            revert MeetingHallNotFinalizable(meetingId, m.status, m.votingEnd);
        }
        uint256 questionCount = m.questionCount;
        uint256 participating = m.participatingWeight;
        bool poll = m.kind == Kind.Poll;
        uint256 total =
            poll ? _registry.electorateAt(m.buildingId, m.snapshot) : _registry.totalWeightAt(m.buildingId, m.snapshot);

        uint256[] memory forWeights = new uint256[](questionCount);
        uint16[] memory types = new uint16[](questionCount);
        for (uint256 q = 0; q < questionCount; ++q) {
            (forWeights[q],,) = _tally(meetingId, q);
            types[q] = _questions[meetingId][q].questionType;
        }
        bool quorum;
        uint64 passedMask;
        if (poll) {
            // consultative: the turnout is reported, and each question is decided by the answers given
            quorum = participating * 2 > total;
            for (uint256 q = 0; q < questionCount; ++q) {
                if (forWeights[q] * 2 > participating) passedMask |= uint64(1) << uint64(q);
            }
        } else {
            (ILegalRules.Rule memory quorumRule, ILegalRules.Rule[] memory rules_) =
                _rules.rulesFor(m.rulesVersion, types);
            quorum = participating != 0 && RuleMath.meets(quorumRule, participating, participating, total);
            for (uint256 q = 0; quorum && q < questionCount; ++q) {
                if (RuleMath.meets(rules_[q], forWeights[q], participating, total)) passedMask |= uint64(1) << uint64(q);
            }
        }
        m.status = Status.Finalized;
        m.totalWeight = total.toUint128();
        m.quorumReached = quorum;
        m.passedMask = passedMask;
        --_openMeetings[m.buildingId][m.initiator];
        for (uint256 q = 0; q < questionCount; ++q) {
            (uint256 forW, uint256 againstW, uint256 abstainW) = _tally(meetingId, q);
            emit QuestionDecided(meetingId, uint8(q), types[q], forW, againstW, abstainW, (passedMask >> q) & 1 == 1);
        }
        emit MeetingFinalized(meetingId, total, participating, m.ballots, quorum);
    }

    // ------------------------------------------------------------------------------------------ reads

    /// @inheritdoc IMeetingHall
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IMeetingHall
    function rules() external view returns (ILegalRules) {
        return _rules;
    }

    /// @inheritdoc IMeetingHall
    function parameters() external view returns (Parameters memory) {
        return Parameters({
            minNotice: _minNotice,
            minWindow: _minWindow,
            maxWindow: _maxWindow,
            maxOpenPerInitiator: _maxOpenPerInitiator
        });
    }

    /// @inheritdoc IMeetingHall
    function trustedForwarder() public view override(ERC2771Context, IMeetingHall) returns (address) {
        return super.trustedForwarder();
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
            meetingType: m.meetingType,
            status: m.status,
            questionCount: m.questionCount,
            rulesVersion: m.rulesVersion,
            initiator: m.initiator,
            administrator: m.administrator,
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
    function openMeetingsOf(uint256 buildingId, address initiator) external view returns (uint256) {
        return _openMeetings[buildingId][initiator];
    }

    /// @inheritdoc IMeetingHall
    function hasVoted(uint256 meetingId, address voter) public view returns (bool) {
        Meeting storage m = _meeting(meetingId);
        return _isVoted(meetingId, _registry.memberIndex(m.buildingId, voter));
    }

    /// @inheritdoc IMeetingHall
    function checkBallot(
        uint256 meetingId,
        address voter,
        address representative,
        uint256 powerOfAttorney_,
        uint128 choices
    ) external view returns (bool ok, RejectReason reason, uint256 weight) {
        Meeting storage m = _meeting(meetingId);
        uint256[] memory info = _voterInfo(m, voter);
        uint256 word = info[0];
        uint256 groups = uint8(word >> 32);
        bool eligible = word >> 40 != 0 || groups != 0;
        weight = word >> 40;
        for (uint256 j = 0; j < groups; ++j) {
            uint256 groupWord = info[1 + 2 * j];
            if (!_isVoted(meetingId, uint32(groupWord))) weight += groupWord >> 32;
        }
        if (!_isOpen(m)) return (false, RejectReason.NotOpen, weight);
        if (!BallotChoices.isWellFormed(choices, m.questionCount)) return (false, RejectReason.MalformedChoices, weight);
        if (
            representative != address(0)
                && !_powerValid(meetingId, m.buildingId, voter, representative, powerOfAttorney_)
        ) return (false, RejectReason.NoPowerOfAttorney, weight);
        if (!eligible) return (false, RejectReason.NotEligible, 0);
        if (_isVoted(meetingId, uint32(word)) || weight == 0) return (false, RejectReason.AlreadyVoted, weight);
        return (true, RejectReason.NotOpen, weight);
    }

    /// @inheritdoc IMeetingHall
    function powerOfAttorney(uint256 id)
        external
        view
        returns (PowerOfAttorney memory power, bool revoked, address recordedBy)
    {
        StoredPower storage stored = _storedPower(id);
        return (stored.power, stored.revoked, stored.recordedBy);
    }

    /// @inheritdoc IMeetingHall
    function powersOfAttorney(uint256 buildingId, address principal, address representative)
        external
        view
        returns (uint256[] memory ids)
    {
        return _powerIds[buildingId][principal][representative];
    }

    /// @inheritdoc IMeetingHall
    function ballotDigest(uint256 meetingId, address voter, uint128 choices, address representative, uint64 deadline)
        external
        view
        returns (bytes32)
    {
        return _ballotDigest(meetingId, voter, choices, representative, deadline);
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

    function _storedPower(uint256 id) private view returns (StoredPower storage) {
        if (id == 0 || id > _powerCount) revert MeetingHallUnknownPowerOfAttorney(id);
        return _powers[id];
    }

    function _isOpen(Meeting storage m) private view returns (bool) {
        return m.status == Status.Announced && block.timestamp >= m.votingStart && block.timestamp < m.votingEnd;
    }

    /// @dev The registry's words for one voter: their own word, then two words per joint group.
    function _voterInfo(Meeting storage m, address voter) private view returns (uint256[] memory) {
        address[] memory voters = new address[](1);
        voters[0] = voter;
        return _registry.votersAt(m.buildingId, voters, m.snapshot, m.kind == Kind.Poll);
    }

    /// @dev Whether power of attorney `id` lets `representative` vote for `voter` in this meeting now.
    function _powerValid(uint256 meetingId, uint256 buildingId, address voter, address representative, uint256 id)
        private
        view
        returns (bool)
    {
        if (id == 0 || id > _powerCount) return false;
        StoredPower storage stored = _powers[id];
        PowerOfAttorney storage p = stored.power;
        return !stored.revoked && p.principal == voter && p.representative == representative
            && p.buildingId == buildingId && (p.meetingId == 0 || p.meetingId == meetingId)
            && block.timestamp >= p.validFrom && block.timestamp <= p.validTo;
    }

    /// @dev Marks voter `i` of `info` voted, with each of their joint groups that no one has voted for.
    /// The voter's own bit decides: once set, by their ballot in any form or by a representative's, no
    /// other ballot for them counts.
    /// @param groupStart Where the voter's joint group words start in `info`.
    /// @return weight The weight counted, 0 if none (then `reason` is `NotEligible` or `AlreadyVoted`).
    function _mark(uint256 meetingId, address voter, uint256[] memory info, uint256 i, uint256 groupStart)
        private
        returns (uint256 weight, RejectReason reason)
    {
        uint256 word = info[i];
        uint256 groups = uint8(word >> 32);
        weight = word >> 40;
        if (weight == 0 && groups == 0) return (0, RejectReason.NotEligible);
        uint256 index = uint32(word);
        if (groups == 0) {
            // the sole owner's path: one bitmap word
            if (!_markVoted(meetingId, index)) return (0, RejectReason.AlreadyVoted);
            return (weight, reason);
        }
        if (_isVoted(meetingId, index)) return (0, RejectReason.AlreadyVoted);
        for (uint256 j = 0; j < groups; ++j) {
            uint256 groupWord = info[groupStart + 2 * j];
            if (!_isVoted(meetingId, uint32(groupWord))) weight += groupWord >> 32;
        }
        if (weight == 0) return (0, RejectReason.AlreadyVoted);
        _markVoted(meetingId, index);
        for (uint256 j = 0; j < groups; ++j) {
            uint256 groupWord = info[groupStart + 2 * j];
            if (_markVoted(meetingId, uint32(groupWord))) {
                emit JointGroupVoted(meetingId, address(uint160(info[groupStart + 2 * j + 1])), voter, groupWord >> 32);
            }
        }
    }

    function _isVoted(uint256 meetingId, uint256 index) private view returns (bool) {
        return index != 0 && (_voted[meetingId][index >> 8] >> (index & 0xff)) & 1 == 1;
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

    function _ballotDigest(uint256 meetingId, address voter, uint128 choices, address representative, uint64 deadline)
        private
        view
        returns (bytes32)
    {
        bytes32 structHash;
        bytes32 typehash = BALLOT_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            mstore(add(ptr, 0x20), meetingId)
            mstore(add(ptr, 0x40), and(voter, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x60), and(choices, 0xffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x80), and(representative, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0xa0), and(deadline, 0xffffffffffffffff))
            structHash := keccak256(ptr, 0xc0)
        }
        return _hashTypedDataV4(structHash);
    }

    /// @dev A 65-byte signature with `v` = 27 or 28 and a low `s` is recovered first, without touching
    /// the signer's account; a signer with code is then asked through ERC-1271 with bounded gas, so
    /// contract wallets and EIP-7702 accounts both work and none can make the batch run out of gas.
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (signature.length == 65) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                r := calldataload(signature.offset)
                s := calldataload(add(signature.offset, 0x20))
                v := byte(0, calldataload(add(signature.offset, 0x40)))
            }
            if (v == 27 || v == 28) {
                (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
                if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
            }
        }
        if (signer.code.length == 0) return false;
        return _isValidERC1271Signature(signer, digest, signature);
    }

    /// @dev `isValidSignature` with at most `ERC1271_GAS` and only the first 32 bytes of its answer read,
    /// so a wallet can neither burn the batch's gas nor make it pay for copying a huge return value.
    /// Asked here rather than through OpenZeppelin's `SignatureChecker`, which bounds neither and, since
    /// 5.4, imports `Bytes`, whose `mcopy` cannot be compiled for `paris`, the EVM of the networks this
    /// contract runs on.
    function _isValidERC1271Signature(address signer, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool valid)
    {
        bytes memory data = abi.encodeCall(IERC1271.isValidSignature, (digest, signature));
        uint256 gasLeft = gasleft();
        if (gasLeft < ERC1271_GAS_NEEDED) revert MeetingHallInsufficientGas(gasLeft, ERC1271_GAS_NEEDED);
        bytes4 magic = IERC1271.isValidSignature.selector;
        assembly ("memory-safe") {
            mstore(0x00, 0)
            let ok := staticcall(ERC1271_GAS, signer, add(data, 0x20), mload(data), 0x00, 0x20)
            valid := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0x00), magic)))
        }
    }
}
