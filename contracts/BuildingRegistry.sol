// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IBuildingRegistry} from "./interfaces/IBuildingRegistry.sol";

/// @title BuildingRegistry
/// @notice The register of buildings, premises, owners, residents and organisers. See {IBuildingRegistry}.
/// @dev Roles: `DEFAULT_ADMIN_ROLE` grants and revokes `REGISTRAR_ROLE`; only registrars write.
///
/// Weights are checkpointed by timestamp as OpenZeppelin's `Checkpoints` does for `ERC20Votes`, with one
/// difference for gas: a member's latest checkpoint lives in the same storage slot as its member number
/// (`Member.headKey`, `Member.headWeight`), and the `Trace208` history holds only the checkpoints before
/// it. Counting a ballot therefore reads one slot when the latest change precedes the snapshot, the
/// usual case; older snapshots fall back to a binary search of the history. The same slot says whether
/// the member belongs to any joint group (`groupCount`), so a sole owner's ballot reads nothing else.
///
/// A joint holding's weight is kept on its joint group, a member of its own with a weight history like a
/// person's. Each person counts how many of their groups hold weight now (`activeGroups`), so that
/// whether they own anything, which decides the poll electorate and the right to announce, is read
/// from their own slot.
contract BuildingRegistry is IBuildingRegistry, AccessControl {
    using Checkpoints for Checkpoints.Trace208;
    using SafeCast for uint256;

    /// @notice Role of the city registrars who write the register.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @inheritdoc IBuildingRegistry
    uint32 public constant SHARE_UNIT = 216_216_000;

    /// @notice Most holdings one premises may have.
    uint256 public constant MAX_OWNERS_PER_PREMISES = 64;

    /// @notice Most joint owners of one holding.
    uint256 public constant MAX_JOINT_HOLDERS = 8;

    /// @notice Most joint groups one person may belong to in one building (a ballot reads them all).
    uint256 public constant MAX_JOINT_GROUPS = 8;

    /// @notice Largest area of one premises, in 0.01 m² units (about 11 million m²).
    uint256 public constant MAX_AREA = type(uint40).max;

    /// @dev Domain of the joint group addresses (`jointGroupOf`).
    bytes32 private constant JOINT_GROUP_TAG = keccak256("DigitalHome.JointGroup");

    /// @dev One slot. A premises with one holding keeps its member (a person or a joint group) here
    /// (its share is the whole); several holdings live in `_holdings`.
    struct Premises {
        uint32 buildingId;
        uint40 area;
        PremisesKind kind;
        uint8 holdingCount;
        address soleMember;
    }

    /// @dev A holding as stored: the person who holds it alone, or the joint group of its holders.
    struct StoredHolding {
        address member;
        uint32 share;
    }

    /// @dev One slot, read by every ballot.
    struct Member {
        uint32 index; // stable 1-based member number in the building, 0 = not a member
        uint48 headKey; // timestamp of the latest weight checkpoint
        uint128 headWeight; // weight since headKey (never above the building's total, a uint128)
        bool resident; // registered resident now
        bool jointGroup; // the pseudo-member of a joint group, not a person
        uint8 groupCount; // a person's joint groups in the building (`_jointGroups` length)
        uint8 activeGroups; // how many of them hold weight now
    }

    uint256 private _buildingCount;
    uint256 private _premisesCount;

    mapping(uint256 premisesId => Premises) private _premises;
    mapping(uint256 premisesId => mapping(uint256 slot => StoredHolding)) private _holdings;

    mapping(uint256 buildingId => uint32) private _memberCount;
    mapping(uint256 buildingId => mapping(address account => Member)) private _members;
    mapping(uint256 buildingId => mapping(address account => Checkpoints.Trace208)) private _weightHistory;
    mapping(uint256 buildingId => mapping(address account => Checkpoints.Trace208)) private _residentHistory;
    mapping(uint256 buildingId => Checkpoints.Trace208) private _totals;
    mapping(uint256 buildingId => Checkpoints.Trace208) private _electorate;
    mapping(uint256 buildingId => mapping(address account => OrganiserRole)) private _organisers;
    mapping(uint256 buildingId => mapping(address group => address[])) private _jointHolders;
    mapping(uint256 buildingId => mapping(address account => address[])) private _jointGroups;
    mapping(uint256 buildingId => bytes32) private _registerHashes;

    constructor(address admin, address registrar) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (registrar != address(0)) _grantRole(REGISTRAR_ROLE, registrar);
    }

    // ------------------------------------------------------------------------------------------ writes

    /// @inheritdoc IBuildingRegistry
    function registerBuilding(bytes32 ref) external onlyRole(REGISTRAR_ROLE) returns (uint256 buildingId) {
        buildingId = ++_buildingCount;
        if (buildingId > type(uint32).max) revert BuildingRegistryTooManyBuildings();
        emit BuildingRegistered(buildingId, ref, msg.sender);
    }

    /// @inheritdoc IBuildingRegistry
    function addPremises(uint256 buildingId, PremisesInput[] calldata premisesList)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 firstPremisesId)
    {
        _requireBuilding(buildingId);
        firstPremisesId = _premisesCount + 1;
        uint256 premisesId = _premisesCount;
        uint256 addedArea;
        int256 electorateDelta;
        for (uint256 i = 0; i < premisesList.length; ++i) {
            PremisesInput calldata p = premisesList[i];
            if (p.area == 0 || p.area > MAX_AREA) revert BuildingRegistryInvalidArea(i, p.area);
            ++premisesId;
            Premises storage stored = _premises[premisesId];
            stored.buildingId = uint32(buildingId);
            stored.area = uint40(p.area);
            stored.kind = p.kind;
            emit PremisesRegistered(buildingId, premisesId, p.kind, p.area, p.ref);
            electorateDelta += _addHoldings(buildingId, premisesId, p.area, p.holdings);
            addedArea += p.area;
        }
        _premisesCount = premisesId;
        _moveElectorate(buildingId, electorateDelta);
        if (addedArea != 0) {
            uint256 previous = _totals[buildingId].latest();
            uint256 next = previous + addedArea * SHARE_UNIT;
            _totals[buildingId].push(_clock(), next.toUint128());
            emit BuildingWeightChanged(buildingId, previous, next);
        }
    }

    /// @inheritdoc IBuildingRegistry
    function setOwners(uint256 premisesId, Holding[] calldata holdings) external onlyRole(REGISTRAR_ROLE) {
        Premises storage p = _premises[premisesId];
        uint256 buildingId = p.buildingId;
        if (buildingId == 0) revert BuildingRegistryUnknownPremises(premisesId);
        uint256 area = p.area;
        uint256 count = p.holdingCount;
        mapping(address => Member) storage members = _members[buildingId];
        int256 electorateDelta;
        if (count == 1) {
            address member = p.soleMember;
            Member storage m = members[member];
            electorateDelta += _setWeight(buildingId, member, m, uint256(m.headWeight) - area * SHARE_UNIT);
        } else {
            for (uint256 i = 0; i < count; ++i) {
                StoredHolding memory h = _holdings[premisesId][i];
                delete _holdings[premisesId][i];
                Member storage m = members[h.member];
                electorateDelta += _setWeight(buildingId, h.member, m, uint256(m.headWeight) - area * h.share);
            }
        }
        electorateDelta += _addHoldings(buildingId, premisesId, area, holdings);
        _moveElectorate(buildingId, electorateDelta);
    }

    /// @inheritdoc IBuildingRegistry
    function publishRegister(uint256 buildingId, bytes32 registerHash_) external onlyRole(REGISTRAR_ROLE) {
        _requireBuilding(buildingId);
        _registerHashes[buildingId] = registerHash_;
        emit RegisterPublished(buildingId, registerHash_);
    }

    /// @inheritdoc IBuildingRegistry
    function setResidents(uint256 buildingId, address[] calldata residents, bool registered)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        _requireBuilding(buildingId);
        uint48 now_ = _clock();
        int256 electorateDelta;
        for (uint256 i = 0; i < residents.length; ++i) {
            address account = residents[i];
            if (account == address(0)) revert BuildingRegistryZeroAddress();
            Member storage m = _members[buildingId][account];
            if (m.jointGroup) revert BuildingRegistryJointGroupAccount(account);
            if (m.resident == registered) continue;
            if (m.index == 0) _enrol(buildingId, m);
            bool wasEligible = _eligible(m);
            m.resident = registered;
            _residentHistory[buildingId][account].push(now_, registered ? 1 : 0);
            emit ResidentChanged(buildingId, account, registered);
            electorateDelta += _eligibilityDelta(wasEligible, _eligible(m));
        }
        _moveElectorate(buildingId, electorateDelta);
    }

    /// @inheritdoc IBuildingRegistry
    function setOrganiser(uint256 buildingId, address account, OrganiserRole role)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        _requireBuilding(buildingId);
        if (account == address(0)) revert BuildingRegistryZeroAddress();
        if (_members[buildingId][account].jointGroup) revert BuildingRegistryJointGroupAccount(account);
        _organisers[buildingId][account] = role;
        emit OrganiserChanged(buildingId, account, role);
    }

    // ------------------------------------------------------------------------------------------ reads

    /// @inheritdoc IBuildingRegistry
    function buildingCount() external view returns (uint256) {
        return _buildingCount;
    }

    /// @inheritdoc IBuildingRegistry
    function premisesCount() external view returns (uint256) {
        return _premisesCount;
    }

    /// @inheritdoc IBuildingRegistry
    function buildingExists(uint256 buildingId) public view returns (bool) {
        return buildingId != 0 && buildingId <= _buildingCount;
    }

    /// @inheritdoc IBuildingRegistry
    function premises(uint256 premisesId)
        external
        view
        returns (uint256 buildingId, uint64 area, PremisesKind kind, Holding[] memory holdings)
    {
        Premises memory p = _premises[premisesId];
        if (p.buildingId == 0) revert BuildingRegistryUnknownPremises(premisesId);
        holdings = new Holding[](p.holdingCount);
        for (uint256 i = 0; i < holdings.length; ++i) {
            StoredHolding memory h =
                p.holdingCount == 1 ? StoredHolding(p.soleMember, SHARE_UNIT) : _holdings[premisesId][i];
            address[] memory holders;
            if (_members[p.buildingId][h.member].jointGroup) {
                holders = _jointHolders[p.buildingId][h.member];
            } else {
                holders = new address[](1);
                holders[0] = h.member;
            }
            holdings[i] = Holding({holders: holders, share: h.share});
        }
        return (p.buildingId, p.area, p.kind, holdings);
    }

    /// @inheritdoc IBuildingRegistry
    function jointGroupOf(uint256 buildingId, address[] calldata holders) external pure returns (address) {
        if (holders.length < 2 || holders.length > MAX_JOINT_HOLDERS) {
            revert BuildingRegistryInvalidHolding(0, holders.length);
        }
        return _groupAddress(buildingId, _sorted(holders));
    }

    /// @inheritdoc IBuildingRegistry
    function jointGroupsOf(uint256 buildingId, address account) external view returns (address[] memory) {
        return _jointGroups[buildingId][account];
    }

    /// @inheritdoc IBuildingRegistry
    function jointHolders(uint256 buildingId, address group) external view returns (address[] memory) {
        return _jointHolders[buildingId][group];
    }

    /// @inheritdoc IBuildingRegistry
    function registerHash(uint256 buildingId) external view returns (bytes32) {
        return _registerHashes[buildingId];
    }

    /// @inheritdoc IBuildingRegistry
    function weightOf(uint256 buildingId, address voter) external view returns (uint256) {
        return _members[buildingId][voter].headWeight;
    }

    /// @inheritdoc IBuildingRegistry
    function weightAt(uint256 buildingId, address voter, uint48 timepoint) public view returns (uint256) {
        Member storage m = _members[buildingId][voter];
        return _weightAt(buildingId, voter, m.headKey, m.headWeight, timepoint);
    }

    /// @inheritdoc IBuildingRegistry
    function isOwnerAt(uint256 buildingId, address account, uint48 timepoint) public view returns (bool) {
        Member storage m = _members[buildingId][account];
        if (m.jointGroup) return false;
        if (_weightAt(buildingId, account, m.headKey, m.headWeight, timepoint) != 0) return true;
        return m.groupCount != 0 && _holdsJointlyAt(buildingId, account, timepoint);
    }

    /// @inheritdoc IBuildingRegistry
    function totalWeight(uint256 buildingId) external view returns (uint256) {
        return _totals[buildingId].latest();
    }

    /// @inheritdoc IBuildingRegistry
    function totalWeightAt(uint256 buildingId, uint48 timepoint) external view returns (uint256) {
        return _totals[buildingId].upperLookupRecent(timepoint);
    }

    /// @inheritdoc IBuildingRegistry
    function isResident(uint256 buildingId, address account) external view returns (bool) {
        return _members[buildingId][account].resident;
    }

    /// @inheritdoc IBuildingRegistry
    function isResidentAt(uint256 buildingId, address account, uint48 timepoint) public view returns (bool) {
        return _residentHistory[buildingId][account].upperLookupRecent(timepoint) != 0;
    }

    /// @inheritdoc IBuildingRegistry
    function electorateAt(uint256 buildingId, uint48 timepoint) external view returns (uint256) {
        return _electorate[buildingId].upperLookupRecent(timepoint);
    }

    /// @inheritdoc IBuildingRegistry
    function organiserRole(uint256 buildingId, address account) external view returns (OrganiserRole) {
        return _organisers[buildingId][account];
    }

    /// @inheritdoc IBuildingRegistry
    function canAnnounce(uint256 buildingId, address account) external view returns (bool) {
        Member storage m = _members[buildingId][account];
        bool owns = !m.jointGroup && (m.headWeight != 0 || m.activeGroups != 0);
        return owns || _organisers[buildingId][account] != OrganiserRole.None;
    }

    /// @inheritdoc IBuildingRegistry
    function isRegistrar(address account) external view returns (bool) {
        return hasRole(REGISTRAR_ROLE, account);
    }

    /// @inheritdoc IBuildingRegistry
    function memberIndex(uint256 buildingId, address account) external view returns (uint32) {
        return _members[buildingId][account].index;
    }

    /// @inheritdoc IBuildingRegistry
    function votersAt(uint256 buildingId, address[] calldata voters, uint48 timepoint, bool perPerson)
        external
        view
        returns (uint256[] memory packed)
    {
        uint256 n = voters.length;
        packed = new uint256[](n);
        GroupWords memory groups;
        mapping(address => Member) storage members = _members[buildingId];
        for (uint256 i = 0; i < n; ++i) {
            address voter = voters[i];
            Member storage m = members[voter];
            uint256 slot;
            assembly ("memory-safe") {
                slot := sload(m.slot)
            }
            // a sole owner's path: a person in no joint group, read from this one slot (`Member`: index
            // bits 0-31, headKey 32-79, headWeight 80-207, resident 208-215, jointGroup 216-223,
            // groupCount 224-231); reading it whole saves the separate reads of its fields
            if (!perPerson && (slot >> 216) & 0xffff == 0) {
                uint256 headKey = uint48(slot >> 32);
                uint256 weight = headKey <= timepoint
                    ? uint128(slot >> 80)
                    : _weightHistory[buildingId][voter].upperLookupRecent(timepoint);
                packed[i] = (weight << 40) | uint32(slot);
                continue;
            }
            packed[i] = _voterWord(buildingId, voter, timepoint, perPerson, groups, n - i);
        }
        if (groups.count != 0) {
            uint256[] memory all = new uint256[](n + groups.count);
            for (uint256 i = 0; i < n; ++i) {
                all[i] = packed[i];
            }
            for (uint256 j = 0; j < groups.count; ++j) {
                all[n + j] = groups.words[j];
            }
            packed = all;
        }
    }

    // ------------------------------------------------------------------------------------------ internal

    function _clock() private view returns (uint48) {
        return uint48(block.timestamp);
    }

    function _requireBuilding(uint256 buildingId) private view {
        if (!buildingExists(buildingId)) revert BuildingRegistryUnknownBuilding(buildingId);
    }

    function _weightAt(uint256 buildingId, address voter, uint48 headKey, uint256 headWeight, uint48 timepoint)
        private
        view
        returns (uint256)
    {
        if (headKey <= timepoint) return headWeight;
        return _weightHistory[buildingId][voter].upperLookupRecent(timepoint);
    }

    /// @dev The joint group words of a `votersAt` answer, allocated once a voter has a group.
    struct GroupWords {
        uint256[] words;
        uint256 count;
    }

    /// @dev A voter's own word of `votersAt`; their joint groups' words go to `groups`.
    /// @param remaining The voters left including this one (bounds the words still to come).
    function _voterWord(
        uint256 buildingId,
        address voter,
        uint48 timepoint,
        bool perPerson,
        GroupWords memory groups,
        uint256 remaining
    ) private view returns (uint256) {
        Member storage m = _members[buildingId][voter];
        uint256 index = m.index;
        if (index == 0) return 0;
        // a joint group votes only through the ballot of one of its holders
        if (m.jointGroup) return index;
        uint256 weight = _weightAt(buildingId, voter, m.headKey, m.headWeight, timepoint);
        if (perPerson) {
            bool owns = weight != 0 || (m.groupCount != 0 && _holdsJointlyAt(buildingId, voter, timepoint));
            bool eligible = owns || isResidentAt(buildingId, voter, timepoint);
            return (eligible ? uint256(1) << 40 : 0) | index;
        }
        if (m.groupCount == 0) return (weight << 40) | index;
        if (groups.words.length == 0) groups.words = new uint256[](remaining * MAX_JOINT_GROUPS * 2);
        uint256 groupCount = _appendGroupWords(buildingId, voter, timepoint, groups);
        return (weight << 40) | (groupCount << 32) | index;
    }

    /// @dev Appends two words for each of a person's joint groups holding weight at `timepoint`.
    /// @return added How many groups were appended.
    function _appendGroupWords(uint256 buildingId, address voter, uint48 timepoint, GroupWords memory groups)
        private
        view
        returns (uint256 added)
    {
        address[] storage list = _jointGroups[buildingId][voter];
        uint256 count = groups.count;
        for (uint256 g = 0; g < list.length; ++g) {
            address group = list[g];
            Member storage gm = _members[buildingId][group];
            uint256 groupWeight = _weightAt(buildingId, group, gm.headKey, gm.headWeight, timepoint);
            if (groupWeight == 0) continue;
            groups.words[count++] = (groupWeight << 32) | gm.index;
            groups.words[count++] = uint256(uint160(group));
            ++added;
        }
        groups.count = count;
    }

    /// @dev Whether any of a person's joint groups held weight at `timepoint`.
    function _holdsJointlyAt(uint256 buildingId, address account, uint48 timepoint) private view returns (bool) {
        address[] storage groups = _jointGroups[buildingId][account];
        for (uint256 g = 0; g < groups.length; ++g) {
            address group = groups[g];
            Member storage gm = _members[buildingId][group];
            if (_weightAt(buildingId, group, gm.headKey, gm.headWeight, timepoint) != 0) return true;
        }
        return false;
    }

    /// @dev Validates and stores the new holdings of a premises whose old holdings' weights were removed,
    /// registers the joint groups first used, and adds the weights.
    /// @return electorateDelta How many persons became (or, negative, ceased to be) poll-eligible.
    function _addHoldings(uint256 buildingId, uint256 premisesId, uint256 area, Holding[] calldata holdings)
        private
        returns (int256 electorateDelta)
    {
        _validateHoldings(holdings);
        Premises storage p = _premises[premisesId];
        uint256 count = holdings.length;
        p.holdingCount = uint8(count);
        p.soleMember = address(0);
        mapping(address => Member) storage members = _members[buildingId];
        for (uint256 i = 0; i < count; ++i) {
            Holding calldata h = holdings[i];
            address member;
            if (h.holders.length == 1) {
                member = h.holders[0];
                if (members[member].jointGroup) revert BuildingRegistryJointGroupAccount(member);
            } else {
                member = _jointGroup(buildingId, h.holders);
            }
            if (count == 1) {
                p.soleMember = member;
            } else {
                _holdings[premisesId][i] = StoredHolding({member: member, share: h.share});
            }
            Member storage m = members[member];
            electorateDelta += _setWeight(buildingId, member, m, uint256(m.headWeight) + area * h.share);
        }
        emit OwnershipChanged(buildingId, premisesId, holdings);
    }

    /// @dev Holdings have 1 to `MAX_JOINT_HOLDERS` non-zero holders and a non-zero share; no person is
    /// listed twice for the premises; the shares sum to `SHARE_UNIT` unless there are none.
    function _validateHoldings(Holding[] calldata holdings) private pure {
        uint256 count = holdings.length;
        if (count > MAX_OWNERS_PER_PREMISES) revert BuildingRegistryTooManyOwners(count, MAX_OWNERS_PER_PREMISES);
        uint256 sum;
        for (uint256 i = 0; i < count; ++i) {
            Holding calldata h = holdings[i];
            uint256 holderCount = h.holders.length;
            if (holderCount == 0 || holderCount > MAX_JOINT_HOLDERS) {
                revert BuildingRegistryInvalidHolding(i, holderCount);
            }
            for (uint256 k = 0; k < holderCount; ++k) {
                address holder = h.holders[k];
                if (holder == address(0) || h.share == 0) revert BuildingRegistryInvalidOwner(holder, h.share);
                if (_listedBefore(holdings, i, k, holder)) revert BuildingRegistryDuplicateOwner(holder);
            }
            sum += h.share;
        }
        if (count != 0 && sum != SHARE_UNIT) revert BuildingRegistrySharesNotWhole(sum, SHARE_UNIT);
    }

    /// @dev Whether `holder` appears before holder `k` of holding `i`.
    function _listedBefore(Holding[] calldata holdings, uint256 i, uint256 k, address holder)
        private
        pure
        returns (bool)
    {
        for (uint256 j = 0; j <= i; ++j) {
            address[] calldata holders = holdings[j].holders;
            uint256 end = j == i ? k : holders.length;
            for (uint256 l = 0; l < end; ++l) {
                if (holders[l] == holder) return true;
            }
        }
        return false;
    }

    /// @dev The joint group of these holders, registered (enrolled, linked to each holder) on first use.
    function _jointGroup(uint256 buildingId, address[] calldata holders) private returns (address group) {
        address[] memory sorted = _sorted(holders);
        group = _groupAddress(buildingId, sorted);
        Member storage g = _members[buildingId][group];
        if (g.jointGroup) return group;
        if (g.index != 0) revert BuildingRegistryJointGroupAccount(group);
        _enrol(buildingId, g);
        g.jointGroup = true;
        _jointHolders[buildingId][group] = sorted;
        for (uint256 k = 0; k < sorted.length; ++k) {
            address holder = sorted[k];
            Member storage hm = _members[buildingId][holder];
            if (hm.jointGroup) revert BuildingRegistryJointGroupAccount(holder);
            if (hm.index == 0) _enrol(buildingId, hm);
            if (hm.groupCount == MAX_JOINT_GROUPS) revert BuildingRegistryTooManyJointGroups(buildingId, holder);
            ++hm.groupCount;
            _jointGroups[buildingId][holder].push(group);
        }
        emit JointGroupRegistered(buildingId, group, sorted);
    }

    function _groupAddress(uint256 buildingId, address[] memory sorted) private pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(JOINT_GROUP_TAG, buildingId, sorted)))));
    }

    /// @dev The holders in ascending order (insertion sort: at most `MAX_JOINT_HOLDERS`); a holder listed
    /// twice is refused.
    function _sorted(address[] calldata holders) private pure returns (address[] memory sorted) {
        uint256 n = holders.length;
        sorted = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            address holder = holders[i];
            uint256 j = i;
            while (j != 0 && sorted[j - 1] > holder) {
                sorted[j] = sorted[j - 1];
                --j;
            }
            if (j != 0 && sorted[j - 1] == holder) revert BuildingRegistryDuplicateOwner(holder);
            sorted[j] = holder;
        }
    }

    /// @dev A person who may answer polls: a resident, or an owner alone or through a joint group.
    function _eligible(Member storage m) private view returns (bool) {
        return !m.jointGroup && (m.resident || m.headWeight != 0 || m.activeGroups != 0);
    }

    function _eligibilityDelta(bool was, bool is_) private pure returns (int256) {
        if (was == is_) return 0;
        return is_ ? int256(1) : int256(-1);
    }

    /// @dev Moves a member's weight to `next` at the current timestamp, keeping the old head in the
    /// history. A joint group that starts or stops holding weight updates its holders' `activeGroups`.
    /// @return electorateDelta How many persons became (or, negative, ceased to be) poll-eligible.
    function _setWeight(uint256 buildingId, address account, Member storage m, uint256 next)
        private
        returns (int256 electorateDelta)
    {
        if (m.index == 0) _enrol(buildingId, m);
        uint256 previous = m.headWeight;
        if (previous == next) return 0;
        bool wasEligible = _eligible(m);
        uint48 now_ = _clock();
        uint48 headKey = m.headKey;
        if (headKey != now_ && headKey != 0) {
            _weightHistory[buildingId][account].push(headKey, uint208(previous));
        }
        m.headKey = now_;
        m.headWeight = next.toUint128();
        emit VoterWeightChanged(buildingId, account, previous, next);
        if (!m.jointGroup) return _eligibilityDelta(wasEligible, _eligible(m));
        if ((previous == 0) == (next == 0)) return 0;
        address[] storage holders = _jointHolders[buildingId][account];
        for (uint256 k = 0; k < holders.length; ++k) {
            Member storage hm = _members[buildingId][holders[k]];
            bool holderWasEligible = _eligible(hm);
            if (next == 0) --hm.activeGroups;
            else ++hm.activeGroups;
            electorateDelta += _eligibilityDelta(holderWasEligible, _eligible(hm));
        }
    }

    function _enrol(uint256 buildingId, Member storage m) private {
        uint32 count = _memberCount[buildingId];
        if (count == type(uint32).max) revert BuildingRegistryTooManyMembers(buildingId);
        m.index = ++count;
        _memberCount[buildingId] = count;
    }

    function _moveElectorate(uint256 buildingId, int256 delta) private {
        if (delta == 0) return;
        uint256 previous = _electorate[buildingId].latest();
        uint256 next = delta > 0 ? previous + uint256(delta) : previous - uint256(-delta);
        _electorate[buildingId].push(_clock(), uint208(next));
        emit ElectorateChanged(buildingId, previous, next);
    }
}
