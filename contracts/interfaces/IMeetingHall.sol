// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title General meetings of owners and neighbour polls, with their ballots and results
/// @notice A general meeting belongs to one building; owners vote with their weight (area × share) at
/// the meeting's snapshot point, and each question passes by its own threshold once the meeting has a
/// quorum. A poll is consultative: every registered resident or owner at the snapshot has one vote.
/// A ballot answers every question at once and is final. Ballots are cast by the voter or relayed in
/// batches as EIP-712 signed `Ballot` messages.
/// @dev Choices are packed two bits a question, question `i` in bits `2i..2i+1`:
/// 1 = For, 2 = Against, 3 = Abstain; 0 and bits past the last question make a ballot malformed.
///
/// ==== Security Considerations
///
/// `castBallotsBySig` may be called by anyone: a relayer cannot forge a ballot (each is checked against
/// its voter's signature, ERC-1271 for contract wallets) and cannot change its choices (they are signed).
/// It can withhold or delay ballots; voters may then vote directly. A signed ballot carries no deadline
/// and no nonce: it is valid for one meeting of one contract on one chain (EIP-712 domain and
/// `meetingId`), and only until the voter has voted, since a voter votes once. Signatures are checked
/// with `ECDSA.tryRecover`, which rejects malleable (high-s) signatures.
interface IMeetingHall {
    /// @notice General meeting (weighted, legal thresholds) or poll (one person, one vote, consultative).
    enum Kind {
        Meeting,
        Poll
    }

    /// @notice What decides a question (Housing Code art. 46 §1). Polls use `Consultative`.
    enum Threshold {
        MajorityOfParticipants, // For > 50 % of the weight that took part
        MajorityOfAll, //          For > 50 % of the building's weight
        TwoThirdsOfAll, //         For ≥ 2/3 of the building's weight
        Unanimous, //              For = 100 % of the building's weight
        Consultative //            poll: For > 50 % of the answers, not binding
    }

    /// @notice Life of a meeting. Whether voting is open follows from the clock and the window.
    enum Status {
        None,
        Announced,
        Cancelled,
        Finalized
    }

    /// @notice Why a relayed ballot was skipped.
    enum RejectReason {
        NotOpen, //          outside the voting window, cancelled or finalized
        BadSignature, //     not signed by the voter (nor accepted by its ERC-1271 wallet)
        NotEligible, //      no weight (meeting) or neither owner nor resident (poll) at the snapshot
        AlreadyVoted, //     the voter has a counted ballot in this meeting
        MalformedChoices //  a question unanswered or bits past the last question
    }

    /// @notice An agenda question: the hash / content id of its text and its threshold.
    struct Question {
        bytes32 textRef;
        Threshold threshold;
    }

    /// @notice A relayed ballot: the voter, their choices and their EIP-712 signature of
    /// `Ballot(meetingId, voter, choices)`.
    struct SignedBallot {
        address voter;
        uint128 choices;
        bytes signature;
    }

    /// @notice A meeting as stored.
    struct MeetingView {
        uint64 buildingId;
        Kind kind;
        Status status;
        uint8 questionCount;
        address initiator;
        uint48 announcedAt;
        uint48 snapshot;
        uint48 votingStart;
        uint48 votingEnd;
        uint64 ballots;
        uint256 participatingWeight;
        uint256 totalWeight;
        bool quorumReached;
    }

    /// @notice A question's tally: weights (meeting) or answers (poll) For / Against / Abstain.
    struct Tally {
        uint256 forWeight;
        uint256 againstWeight;
        uint256 abstainWeight;
        bool passed;
    }

    // ---------------------------------------------------------------- events

    /// @notice A meeting or poll was announced with its whole agenda.
    /// @param agendaRef Hash / content id of the notice and its materials.
    event MeetingAnnounced(
        uint256 indexed meetingId,
        uint256 indexed buildingId,
        address indexed initiator,
        Kind kind,
        uint48 snapshot,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        Question[] questions
    );

    /// @notice The initiator cancelled the meeting before voting started.
    event MeetingCancelled(uint256 indexed meetingId, address indexed initiator);

    /// @notice A ballot was counted, with the weight it counted (1 for a poll).
    event BallotCast(uint256 indexed meetingId, address indexed voter, uint256 weight, uint128 choices);

    /// @notice A relayed ballot was skipped; the others of its batch count.
    event BallotRejected(uint256 indexed meetingId, address indexed voter, RejectReason reason);

    /// @notice The meeting was closed and counted.
    /// @param totalWeight The building's weight at the snapshot (a poll: its electorate).
    /// @param participatingWeight The weight that took part (a poll: the number of ballots).
    event MeetingFinalized(
        uint256 indexed meetingId,
        uint256 totalWeight,
        uint256 participatingWeight,
        uint64 ballots,
        bool quorumReached
    );

    /// @notice A question's result at finalization.
    event QuestionDecided(
        uint256 indexed meetingId,
        uint8 questionIndex,
        Threshold threshold,
        uint256 forWeight,
        uint256 againstWeight,
        uint256 abstainWeight,
        bool passed
    );

    // ---------------------------------------------------------------- errors

    /// @notice No meeting has this id.
    error MeetingHallUnknownMeeting(uint256 meetingId);
    /// @notice The building is not registered.
    error MeetingHallUnknownBuilding(uint256 buildingId);
    /// @notice Only an owner or organiser of the building may announce.
    error MeetingHallNotInitiator(uint256 buildingId, address account);
    /// @notice An agenda has 1 to 64 questions.
    error MeetingHallAgendaSize(uint256 count);
    /// @notice A meeting question needs a legal threshold; a poll question must be `Consultative`.
    error MeetingHallInvalidThreshold(uint256 questionIndex, Threshold threshold);
    /// @notice Voting must start at least the minimum notice after announcement.
    error MeetingHallNoticeTooShort(uint48 votingStart, uint48 earliest);
    /// @notice The voting window must last between the deployment's bounds.
    error MeetingHallWindowLength(uint48 length, uint48 min, uint48 max);
    /// @notice The snapshot must be before voting starts.
    error MeetingHallSnapshotNotBeforeStart(uint48 snapshot, uint48 votingStart);
    /// @notice Only the initiator may cancel.
    error MeetingHallNotMeetingInitiator(uint256 meetingId, address account);
    /// @notice The meeting can no longer be cancelled (voting started, cancelled or finalized).
    error MeetingHallNotCancellable(uint256 meetingId, Status status, uint48 votingStart);
    /// @notice Voting is not open now.
    error MeetingHallVotingClosed(uint256 meetingId, uint48 votingStart, uint48 votingEnd);
    /// @notice The account has no weight (meeting) or is neither owner nor resident (poll) at the snapshot.
    error MeetingHallNotEligible(uint256 meetingId, address voter);
    /// @notice The account has already voted in this meeting.
    error MeetingHallAlreadyVoted(uint256 meetingId, address voter);
    /// @notice The choices leave a question unanswered or set bits past the last question.
    error MeetingHallMalformedChoices(uint256 meetingId, uint128 choices);
    /// @notice The meeting cannot be finalized yet (or any more).
    error MeetingHallNotFinalizable(uint256 meetingId, Status status, uint48 votingEnd);
    /// @notice A batch holds at least one ballot.
    error MeetingHallEmptyBatch();
    /// @notice A deployment parameter is out of range.
    error MeetingHallInvalidParameters(uint48 minNotice, uint48 minWindow, uint48 maxWindow);

    // ---------------------------------------------------------------- writes

    /// @notice Announces a general meeting of owners of a building.
    /// @dev The caller must own premises in the building or be one of its organisers.
    /// @param snapshot Timestamp at which the weights are read; before `votingStart`.
    /// @param votingStart No earlier than now plus the minimum notice.
    /// @param votingEnd `votingEnd - votingStart` within the deployment's window bounds.
    /// @param agendaRef Hash / content id of the notice and its materials.
    /// @param questions 1 to 64 questions, each with a legal threshold (not `Consultative`).
    function announceMeeting(
        uint256 buildingId,
        uint48 snapshot,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        Question[] calldata questions
    ) external returns (uint256 meetingId);

    /// @notice Announces a consultative poll of the residents and owners of a building.
    /// @dev As `announceMeeting`, without the minimum notice; every question is `Consultative`.
    function announcePoll(
        uint256 buildingId,
        uint48 snapshot,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        bytes32[] calldata questionRefs
    ) external returns (uint256 meetingId);

    /// @notice Cancels a meeting before voting starts. Initiator only.
    function cancel(uint256 meetingId) external;

    /// @notice Casts the caller's ballot. Reverts if it cannot count.
    function castBallot(uint256 meetingId, uint128 choices) external;

    /// @notice Counts a batch of signed ballots of one meeting. Invalid ones are skipped with
    /// `BallotRejected`; the call reverts only for an unknown meeting or an empty batch.
    /// @return counted The number of ballots counted.
    function castBallotsBySig(uint256 meetingId, SignedBallot[] calldata ballots) external returns (uint256 counted);

    /// @notice Closes a meeting after its window and decides every question. Anyone may call.
    function finalize(uint256 meetingId) external;

    // ---------------------------------------------------------------- reads

    /// @notice The registry the meetings read weights from.
    function registry() external view returns (address);

    /// @notice Minimum time between announcement and the start of voting, in seconds.
    function minNotice() external view returns (uint48);

    /// @notice Shortest voting window, in seconds.
    function minWindow() external view returns (uint48);

    /// @notice Longest voting window, in seconds.
    function maxWindow() external view returns (uint48);

    /// @notice The number of meetings and polls announced.
    function meetingCount() external view returns (uint256);

    /// @notice A meeting's data and, once finalized, its quorum.
    function getMeeting(uint256 meetingId) external view returns (MeetingView memory);

    /// @notice A meeting's agenda and its reference.
    function getAgenda(uint256 meetingId) external view returns (bytes32 agendaRef, Question[] memory questions);

    /// @notice Each question's tally so far; `passed` is set once finalized.
    function getResults(uint256 meetingId) external view returns (Tally[] memory);

    /// @notice Whether a voter's ballot has been counted in a meeting.
    function hasVoted(uint256 meetingId, address voter) external view returns (bool);

    /// @notice Whether a ballot with these choices would be counted now for this voter, and if not why.
    function checkBallot(uint256 meetingId, address voter, uint128 choices)
        external
        view
        returns (bool ok, RejectReason reason, uint256 weight);

    /// @notice The EIP-712 digest a voter signs for a ballot; also the ballot's id at the relayer.
    function ballotDigest(uint256 meetingId, address voter, uint128 choices) external view returns (bytes32);
}
