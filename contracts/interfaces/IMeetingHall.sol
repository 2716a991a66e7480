// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILegalRules} from "./ILegalRules.sol";

/// @title General meetings of owners and neighbour polls, with their ballots and results
/// @notice A general meeting belongs to one building; owners vote with their weight (area × share) at
/// the meeting's snapshot, which is the moment it is announced (an earlier point would let former
/// owners vote and shut out today's). Each question names its type (the item of the Housing Code's
/// art. 44 part 2 it decides); its threshold, and the quorum, come from the version of the legal rules
/// (`ILegalRules`) current at the announcement, recorded with the meeting. A poll is consultative:
/// every registered resident or owner at the snapshot has one vote.
///
/// A ballot answers every question at once and is final; an owner's first ballot in any form is the
/// one that counts. It arrives as the voter's own transaction, relayed in batches as an EIP-712 signed
/// `Ballot`, cast by a representative under a power of attorney recorded on chain, or entered by the
/// meeting's administrator from a paper decision. A joint owner's ballot also counts the area they hold
/// jointly, unless another joint owner of it has voted first.
///
/// Initiators and administrators may act through a trusted ERC-2771 forwarder (`trustedForwarder`),
/// so that an owner whose key a custodial wallet holds announces, cancels, enters paper decisions and
/// records powers of attorney gas-free: the signed forward request is submitted by anyone.
/// @dev Choices are packed two bits a question, question `i` in bits `2i..2i+1`:
/// 1 = For, 2 = Against, 3 = Abstain. An electronic ballot answers every question; a paper decision
/// may leave a question without an answer (0), unanswered or, if its bit is set in `voidMask`, void
/// because it was marked twice (art. 48 part 6): it then counts for participation and for no answer.
/// Bits past the last question make a ballot malformed.
///
/// ==== Security Considerations
///
/// `castBallotsBySig` may be called by anyone: a relayer cannot forge a ballot (each is checked against
/// its signer's signature, ERC-1271 for contract wallets, with the call's gas and return data bounded)
/// and cannot change its choices (they are signed). It can withhold or delay ballots; voters may then
/// vote directly. A signed ballot is valid for one meeting of one contract on one chain (EIP-712 domain
/// and `meetingId`), until its `deadline`, and only until the voter has voted. Signatures are checked
/// with `ECDSA.tryRecover`: only `v` = 27 or 28 and low `s` are accepted.
///
/// A ballot whose signature is not its signer's names nobody: it is skipped with `BallotDiscarded`
/// (its index in the batch), so that no one can plant a record naming another account. Every
/// `BallotRejected` names a voter who did sign the ballot.
interface IMeetingHall {
    /// @notice General meeting (weighted, legal thresholds) or poll (one person, one vote, consultative).
    enum Kind {
        Meeting,
        Poll
    }

    /// @notice The general meeting's type (art. 45 part 1): the annual one, held in the second quarter,
    /// or any other. A poll is `Extraordinary`.
    enum MeetingType {
        Extraordinary,
        Annual
    }

    /// @notice Life of a meeting. Whether voting is open follows from the clock and the window.
    enum Status {
        None,
        Announced,
        Cancelled,
        Finalized
    }

    /// @notice How a counted ballot arrived.
    enum BallotForm {
        Direct, //  the voter's (or representative's) own transaction
        Relayed, // an EIP-712 signature submitted in a batch
        Paper //    a paper decision entered by the administrator
    }

    /// @notice Why a ballot, signed by its signer, was not counted.
    enum RejectReason {
        NotOpen, //            outside the voting window, cancelled or finalized
        Expired, //            past the ballot's signed deadline
        NotEligible, //        no weight (meeting) or neither owner nor resident (poll) at the snapshot
        AlreadyVoted, //       the voter, and every joint group they hold through, has voted
        MalformedChoices, //   a question unanswered or bits past the last question
        NoPowerOfAttorney //   the representative holds no valid power of attorney for it
    }

    /// @notice An agenda question: the hash / content id of its text and its type in the meeting's rules
    /// version (a poll's questions have type 0, which means nothing: polls are consultative).
    struct Question {
        bytes32 textRef;
        uint16 questionType;
    }

    /// @notice A relayed ballot: whose it is, who signed it, the choices and the signature of
    /// `Ballot(meetingId, voter, choices, representative, deadline)`.
    /// @param voter The owner (or resident, for a poll) whose ballot it is and whose weight counts.
    /// @param representative Zero when the voter signs; else the representative who signs under the
    /// power of attorney `powerOfAttorney`.
    /// @param powerOfAttorney The id of the power of attorney (0 when `representative` is zero); not
    /// signed, since it only points at what the contract checks.
    /// @param deadline The last timestamp at which the ballot may count.
    struct SignedBallot {
        address voter;
        address representative;
        uint256 powerOfAttorney;
        uint128 choices;
        uint64 deadline;
        bytes signature;
    }

    /// @notice A paper decision (решение собственника) handed to the administrator.
    /// @param voter The owner whose decision it is.
    /// @param representative Zero, or the representative who signed it under `powerOfAttorney`.
    /// @param choices 1/2/3 per answered question, 0 where unanswered or void.
    /// @param voidMask Bit `i` set: question `i` was marked more than once (its choice must be 0).
    /// @param scanHash Hash of the scanned document, kept off chain.
    struct PaperDecision {
        address voter;
        address representative;
        uint256 powerOfAttorney;
        uint128 choices;
        uint64 voidMask;
        bytes32 scanHash;
    }

    /// @notice A power of attorney (доверенность) that lets `representative` vote for `principal`.
    /// A ballot counts under it only when it counts within [validFrom, validTo], whatever the scope.
    /// @param meetingId The one meeting it covers, or 0 for every meeting of the building whose ballot is
    /// cast within [validFrom, validTo].
    /// @param documentHash Hash of the document the recorder checked, kept off chain.
    struct PowerOfAttorney {
        address principal;
        address representative;
        uint64 buildingId;
        uint64 meetingId;
        uint48 validFrom;
        uint48 validTo;
        bytes32 documentHash;
    }

    /// @notice A meeting as stored.
    struct MeetingView {
        uint64 buildingId;
        Kind kind;
        MeetingType meetingType;
        Status status;
        uint8 questionCount;
        uint32 rulesVersion; // 0 for a poll, which no rules decide
        address initiator;
        address administrator;
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

    /// @notice The deployment's parameters: the law's minimums, or minutes for a demo.
    /// @param minNotice Seconds from announcement to the start of voting (law: 10 days).
    /// @param minWindow Shortest voting window in seconds (law: 7 days).
    /// @param maxWindow Longest voting window in seconds (law: 60 days).
    /// @param maxOpenPerInitiator Meetings and polls one initiator may have announced and not yet
    /// finalized or cancelled in one building (each sends notices to every owner).
    struct Parameters {
        uint48 minNotice;
        uint48 minWindow;
        uint48 maxWindow;
        uint16 maxOpenPerInitiator;
    }

    // ---------------------------------------------------------------- events

    /// @notice A meeting or poll was announced with its whole agenda; its snapshot is `snapshot`, the
    /// announcement's block time.
    /// @param administrator Who enters paper decisions and records powers of attorney for it.
    /// @param rulesVersion The legal rules version it is counted by (0 for a poll).
    /// @param agendaRef Hash / content id of the notice and its materials.
    event MeetingAnnounced(
        uint256 indexed meetingId,
        uint256 indexed buildingId,
        address indexed initiator,
        Kind kind,
        MeetingType meetingType,
        address administrator,
        uint32 rulesVersion,
        uint48 snapshot,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        Question[] questions
    );

    /// @notice The initiator cancelled the meeting before voting started.
    event MeetingCancelled(uint256 indexed meetingId, address indexed initiator);

    /// @notice A ballot was counted, with the weight it counted (1 for a poll): the voter's own weight
    /// at the snapshot and that of each of their joint groups no other joint owner had voted for.
    /// @param representative Zero, or who cast it for the voter under a power of attorney.
    event BallotCast(
        uint256 indexed meetingId,
        address indexed voter,
        address indexed representative,
        uint256 weight,
        uint128 choices,
        BallotForm form
    );

    /// @notice The administrator entered a paper decision; `BallotCast` with form `Paper` follows.
    event PaperDecisionEntered(
        uint256 indexed meetingId,
        address indexed voter,
        address indexed administrator,
        uint64 voidMask,
        bytes32 scanHash
    );

    /// @notice A joint group's weight was counted within `voter`'s ballot; its other holders' ballots no
    /// longer count it. Emitted before the `BallotCast` of that ballot, whose weight includes it.
    event JointGroupVoted(uint256 indexed meetingId, address indexed group, address indexed voter, uint256 weight);

    /// @notice A relayed ballot, signed by its signer, was skipped; the others of its batch count.
    /// @param ballotId The ballot's EIP-712 digest.
    event BallotRejected(
        uint256 indexed meetingId,
        address indexed voter,
        address indexed representative,
        bytes32 ballotId,
        RejectReason reason
    );

    /// @notice A relayed ballot whose signature is not its signer's was skipped. It names nobody.
    event BallotDiscarded(uint256 indexed meetingId, uint256 index);

    /// @notice A power of attorney was recorded.
    event PowerOfAttorneyRecorded(
        uint256 indexed id,
        address indexed principal,
        address indexed representative,
        uint256 buildingId,
        uint256 meetingId,
        uint48 validFrom,
        uint48 validTo,
        bytes32 documentHash,
        address recordedBy
    );

    /// @notice A power of attorney was revoked; ballots counted under it before stay counted.
    event PowerOfAttorneyRevoked(uint256 indexed id, address indexed revokedBy);

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

    /// @notice A question's result at finalization, by the rule of its type in the meeting's version.
    event QuestionDecided(
        uint256 indexed meetingId,
        uint8 questionIndex,
        uint16 questionType,
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
    /// @notice The initiator already has `max` meetings announced and not finalized or cancelled here.
    error MeetingHallTooManyOpenMeetings(uint256 buildingId, address initiator, uint256 max);
    /// @notice An agenda has 1 to 64 questions.
    error MeetingHallAgendaSize(uint256 count);
    /// @notice A meeting question's type is not in the current rules version (a poll's must be 0).
    error MeetingHallInvalidQuestionType(uint256 questionIndex, uint16 questionType);
    /// @notice No rules version has been published yet.
    error MeetingHallNoRules();
    /// @notice Voting must start at least the minimum notice after announcement.
    error MeetingHallNoticeTooShort(uint48 votingStart, uint48 earliest);
    /// @notice The voting window must last between the deployment's bounds.
    error MeetingHallWindowLength(uint48 length, uint48 min, uint48 max);
    /// @notice Only the initiator may cancel.
    error MeetingHallNotMeetingInitiator(uint256 meetingId, address account);
    /// @notice The meeting can no longer be cancelled (voting started, cancelled or finalized).
    error MeetingHallNotCancellable(uint256 meetingId, Status status, uint48 votingStart);
    /// @notice Only the meeting's administrator may do this.
    error MeetingHallNotAdministrator(uint256 meetingId, address account);
    /// @notice Voting is not open now.
    error MeetingHallVotingClosed(uint256 meetingId, uint48 votingStart, uint48 votingEnd);
    /// @notice The account has no weight (meeting) or is neither owner nor resident (poll) at the snapshot.
    error MeetingHallNotEligible(uint256 meetingId, address voter);
    /// @notice The account, and every joint group it holds through, has already voted in this meeting.
    error MeetingHallAlreadyVoted(uint256 meetingId, address voter);
    /// @notice The choices leave a question unanswered or set bits past the last question.
    error MeetingHallMalformedChoices(uint256 meetingId, uint128 choices);
    /// @notice A paper decision's void mask marks a question it answers, or a question past the last.
    error MeetingHallMalformedVoidMask(uint256 meetingId, uint64 voidMask);
    /// @notice The power of attorney does not let `representative` vote for `voter` in this meeting now.
    error MeetingHallNoPowerOfAttorney(uint256 meetingId, address voter, address representative, uint256 id);
    /// @notice The power of attorney is malformed: zero accounts, principal = representative, an empty
    /// or inverted period (`validTo <= validFrom`), a meeting of another building, or a joint group as
    /// principal (its holders vote for it).
    error MeetingHallInvalidPowerOfAttorney();
    /// @notice No power of attorney has this id.
    error MeetingHallUnknownPowerOfAttorney(uint256 id);
    /// @notice Only the principal, the recorder, the meeting's administrator or a registrar may revoke.
    error MeetingHallNotRevoker(uint256 id, address account);
    /// @notice The power of attorney is revoked already.
    error MeetingHallAlreadyRevoked(uint256 id);
    /// @notice Only the meeting's administrator (for that meeting) or a registrar may record it.
    error MeetingHallNotRecorder(address account);
    /// @notice The meeting cannot be finalized yet (or any more).
    error MeetingHallNotFinalizable(uint256 meetingId, Status status, uint48 votingEnd);
    /// @notice A batch holds at least one ballot.
    error MeetingHallEmptyBatch();
    /// @notice A paper decision of a batch cannot count; `index` is its place in the batch.
    error MeetingHallPaperDecisionRejected(uint256 index, RejectReason reason);
    /// @notice A deployment parameter is out of range.
    error MeetingHallInvalidParameters();
    /// @notice Too little gas is left to give a contract wallet's signature check its full allowance
    /// (`ERC1271_GAS`). Reverting, rather than skipping the ballot, keeps a sender (or a gas estimate)
    /// from discarding a wallet's ballot by withholding gas.
    error MeetingHallInsufficientGas(uint256 gasLeft, uint256 needed);

    // ---------------------------------------------------------------- writes

    /// @notice Announces a general meeting of owners of a building; the snapshot is now.
    /// @dev The sender (`_msgSender`, so also through the trusted forwarder) must own premises in the
    /// building now or be one of its organisers.
    /// @param meetingType The annual meeting (second quarter, art. 45 part 1) or an extraordinary one.
    /// @param administrator Who enters paper decisions and records powers of attorney for the meeting;
    /// zero for the initiator.
    /// @param votingStart No earlier than now plus the minimum notice.
    /// @param votingEnd `votingEnd - votingStart` within the deployment's window bounds.
    /// @param agendaRef Hash / content id of the notice and its materials.
    /// @param questions 1 to 64 questions, each with a type of the current rules version.
    function announceMeeting(
        uint256 buildingId,
        MeetingType meetingType,
        address administrator,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        Question[] calldata questions
    ) external returns (uint256 meetingId);

    /// @notice Announces a consultative poll of the residents and owners of a building; the snapshot is
    /// now. As `announceMeeting`, without the minimum notice and under no rules version (0); the
    /// initiator is its administrator.
    function announcePoll(
        uint256 buildingId,
        uint48 votingStart,
        uint48 votingEnd,
        bytes32 agendaRef,
        bytes32[] calldata questionRefs
    ) external returns (uint256 meetingId);

    /// @notice Cancels a meeting before voting starts. Initiator only.
    function cancel(uint256 meetingId) external;

    /// @notice Casts the sender's own ballot. Reverts if it cannot count.
    function castBallot(uint256 meetingId, uint128 choices) external;

    /// @notice Casts `voter`'s ballot as their representative under power of attorney `powerOfAttorney`.
    function castBallotFor(uint256 meetingId, address voter, uint256 powerOfAttorney, uint128 choices) external;

    /// @notice Counts a batch of signed ballots of one meeting. Invalid ones are skipped with
    /// `BallotRejected` or `BallotDiscarded`; the call reverts only for an unknown meeting, an empty
    /// batch, or too little gas to check a contract wallet's signature (`MeetingHallInsufficientGas`).
    /// @return counted The number of ballots counted.
    function castBallotsBySig(uint256 meetingId, SignedBallot[] calldata ballots) external returns (uint256 counted);

    /// @notice Enters paper decisions during the voting window. Administrator only; reverts with the
    /// first decision that cannot count (`MeetingHallPaperDecisionRejected`, or
    /// `MeetingHallMalformedVoidMask` for its void mask), entering none.
    function enterPaperDecisions(uint256 meetingId, PaperDecision[] calldata decisions) external;

    /// @notice Records a power of attorney after checking its document: by the administrator of
    /// `meetingId` (a one-meeting power, before the meeting is finalized) or by a registrar (either
    /// scope).
    /// @return id The power's id (1, 2, ...).
    function recordPowerOfAttorney(PowerOfAttorney calldata power) external returns (uint256 id);

    /// @notice Revokes a power of attorney: its principal, its recorder, the administrator of its
    /// meeting, or a registrar.
    function revokePowerOfAttorney(uint256 id) external;

    /// @notice Closes a meeting after its window and decides every question. Anyone may call.
    function finalize(uint256 meetingId) external;

    // ---------------------------------------------------------------- reads

    /// @notice The registry the meetings read weights from.
    function registry() external view returns (address);

    /// @notice The legal rules the meetings are counted by.
    function rules() external view returns (ILegalRules);

    /// @notice The deployment's parameters.
    function parameters() external view returns (Parameters memory);

    /// @notice The forwarder whose ERC-2771 requests act for their signer.
    function trustedForwarder() external view returns (address);

    /// @notice The number of meetings and polls announced.
    function meetingCount() external view returns (uint256);

    /// @notice A meeting's data and, once finalized, its quorum.
    function getMeeting(uint256 meetingId) external view returns (MeetingView memory);

    /// @notice A meeting's agenda and its reference.
    function getAgenda(uint256 meetingId) external view returns (bytes32 agendaRef, Question[] memory questions);

    /// @notice Each question's tally so far; `passed` is set once finalized.
    function getResults(uint256 meetingId) external view returns (Tally[] memory);

    /// @notice Meetings one initiator has announced and not yet finalized or cancelled in a building.
    function openMeetingsOf(uint256 buildingId, address initiator) external view returns (uint256);

    /// @notice Whether a voter's (or a joint group's) ballot has been counted in a meeting.
    function hasVoted(uint256 meetingId, address voter) external view returns (bool);

    /// @notice Whether a ballot would be counted now, and if not why, and the weight it would count
    /// (the voter's own weight at the snapshot and that of their joint groups nobody voted for; 0 when
    /// not eligible). Signatures and deadlines are not checked.
    /// @param representative Zero for the voter's own ballot.
    function checkBallot(
        uint256 meetingId,
        address voter,
        address representative,
        uint256 powerOfAttorney,
        uint128 choices
    ) external view returns (bool ok, RejectReason reason, uint256 weight);

    /// @notice A power of attorney, whether it is revoked, and who recorded it.
    function powerOfAttorney(uint256 id)
        external
        view
        returns (PowerOfAttorney memory power, bool revoked, address recordedBy);

    /// @notice The ids of the powers of attorney from `principal` to `representative` in a building.
    function powersOfAttorney(uint256 buildingId, address principal, address representative)
        external
        view
        returns (uint256[] memory ids);

    /// @notice The EIP-712 digest a signer signs for a ballot; also the ballot's id at the relayer.
    function ballotDigest(uint256 meetingId, address voter, uint128 choices, address representative, uint64 deadline)
        external
        view
        returns (bytes32);
}
