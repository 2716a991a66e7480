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
/// usual case; older snapshots fall back to a binary search of the history.
contract BuildingRegistry is IBuildingRegistry, AccessControl {
    using Checkpoints for Checkpoints.Trace208;
    using SafeCast for uint256;

    /// @notice Role of the city registrars who write the register.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @inheritdoc IBuildingRegistry
    uint32 public constant SHARE_UNIT = 216_216_000;

    /// @notice Most owners one premises may have.
    uint256 public constant MAX_OWNERS_PER_PREMISES = 64;

    /// @notice Largest area of one premises, in 0.01 m² units (about 11 million m²).
    uint256 public constant MAX_AREA = type(uint40).max;

    /// @dev One slot. A premises with one owner keeps them here (their share is the whole); co-owners
    /// live in `_holdings`.
    struct Premises {
        uint32 buildingId;
        uint40 area;
        PremisesKind kind;
        uint8 ownerCount;
        address soleOwner;
    }

    struct Holding {
        address owner;
        uint32 share;
    }

    struct Member {
        uint32 index; // stable 1-based member number in the building, 0 = not a member
        uint48 headKey; // timestamp of the latest weight checkpoint
        uint160 headWeight; // weight since headKey
        bool resident; // registered resident now
    }

    uint256 private _buildingCount;
    uint256 private _premisesCount;

    mapping(uint256 premisesId => Premises) private _premises;
    mapping(uint256 premisesId => mapping(uint256 slot => Holding)) private _holdings;

    mapping(uint256 buildingId => uint32) private _memberCount;
    mapping(uint256 buildingId => mapping(address account => Member)) private _members;
    mapping(uint256 buildingId => mapping(address account => Checkpoints.Trace208)) private _weightHistory;
    mapping(uint256 buildingId => mapping(address account => Checkpoints.Trace208)) private _residentHistory;
    mapping(uint256 buildingId => Checkpoints.Trace208) private _totals;
    mapping(uint256 buildingId => Checkpoints.Trace208) private _electorate;
    mapping(uint256 buildingId => mapping(address account => OrganiserRole)) private _organisers;

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
            electorateDelta += _addOwners(buildingId, premisesId, p.area, p.owners, p.shares);
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
    function setOwners(uint256 premisesId, address[] calldata owners, uint32[] calldata shares)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        Premises storage p = _premises[premisesId];
        uint256 buildingId = p.buildingId;
        if (buildingId == 0) revert BuildingRegistryUnknownPremises(premisesId);
        uint256 area = p.area;
        uint256 count = p.ownerCount;
        int256 electorateDelta;
        if (count == 1) {
            address owner = p.soleOwner;
            Member storage m = _members[buildingId][owner];
            electorateDelta += _setWeight(buildingId, owner, m, uint256(m.headWeight) - area * SHARE_UNIT);
        } else {
            for (uint256 i = 0; i < count; ++i) {
                Holding memory h = _holdings[premisesId][i];
                delete _holdings[premisesId][i];
                Member storage m = _members[buildingId][h.owner];
                electorateDelta += _setWeight(buildingId, h.owner, m, uint256(m.headWeight) - area * h.share);
            }
        }
        electorateDelta += _addOwners(buildingId, premisesId, area, owners, shares);
        _moveElectorate(buildingId, electorateDelta);
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
            if (m.resident == registered) continue;
            if (m.index == 0) _enrol(buildingId, m);
            bool wasEligible = m.resident || m.headWeight != 0;
            m.resident = registered;
            _residentHistory[buildingId][account].push(now_, registered ? 1 : 0);
            emit ResidentChanged(buildingId, account, registered);
            bool isEligible = registered || m.headWeight != 0;
            if (wasEligible != isEligible) electorateDelta += isEligible ? int256(1) : int256(-1);
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
        returns (uint256 buildingId, uint64 area, PremisesKind kind, address[] memory owners, uint32[] memory shares)
    {
        Premises memory p = _premises[premisesId];
        if (p.buildingId == 0) revert BuildingRegistryUnknownPremises(premisesId);
        owners = new address[](p.ownerCount);
        shares = new uint32[](p.ownerCount);
        if (p.ownerCount == 1) {
            owners[0] = p.soleOwner;
            shares[0] = SHARE_UNIT;
        } else {
            for (uint256 i = 0; i < p.ownerCount; ++i) {
                Holding memory h = _holdings[premisesId][i];
                owners[i] = h.owner;
                shares[i] = h.share;
            }
        }
        return (p.buildingId, p.area, p.kind, owners, shares);
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
        return _members[buildingId][account].headWeight != 0 || _organisers[buildingId][account] != OrganiserRole.None;
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
        packed = new uint256[](voters.length);
        mapping(address => Member) storage members = _members[buildingId];
        for (uint256 i = 0; i < voters.length; ++i) {
            address voter = voters[i];
            Member storage m = members[voter];
            uint256 index = m.index;
            if (index == 0) continue;
            uint256 weight = _weightAt(buildingId, voter, m.headKey, m.headWeight, timepoint);
            if (perPerson) weight = (weight != 0 || isResidentAt(buildingId, voter, timepoint)) ? 1 : 0;
            packed[i] = (weight << 32) | index;
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

    /// @dev Validates and stores the new owners of a premises whose old owners' weights were removed,
    /// and adds their weights.
    /// @return electorateDelta How many accounts became (or, negative, ceased to be) poll-eligible.
    function _addOwners(
        uint256 buildingId,
        uint256 premisesId,
        uint256 area,
        address[] calldata owners,
        uint32[] calldata shares
    ) private returns (int256 electorateDelta) {
        _validateOwners(owners, shares);
        _storeOwners(premisesId, owners, shares);
        for (uint256 i = 0; i < owners.length; ++i) {
            electorateDelta += _addWeight(buildingId, owners[i], area * shares[i]);
        }
        emit OwnershipChanged(buildingId, premisesId, owners, shares);
    }

    function _storeOwners(uint256 premisesId, address[] calldata owners, uint32[] calldata shares) private {
        Premises storage p = _premises[premisesId];
        uint256 count = owners.length;
        p.ownerCount = uint8(count);
        if (count == 1) {
            p.soleOwner = owners[0];
            return;
        }
        p.soleOwner = address(0);
        mapping(uint256 => Holding) storage holdings = _holdings[premisesId];
        for (uint256 i = 0; i < count; ++i) {
            holdings[i] = Holding({owner: owners[i], share: shares[i]});
        }
    }

    /// @dev Owners are distinct non-zero addresses with non-zero shares summing to `SHARE_UNIT`.
    function _validateOwners(address[] calldata owners, uint32[] calldata shares) private pure {
        uint256 count = owners.length;
        if (count != shares.length) revert BuildingRegistryLengthMismatch(count, shares.length);
        if (count > MAX_OWNERS_PER_PREMISES) revert BuildingRegistryTooManyOwners(count, MAX_OWNERS_PER_PREMISES);
        uint256 sum;
        for (uint256 i = 0; i < count; ++i) {
            address owner = owners[i];
            if (owner == address(0) || shares[i] == 0) revert BuildingRegistryInvalidOwner(owner, shares[i]);
            for (uint256 j = 0; j < i; ++j) {
                if (owners[j] == owner) revert BuildingRegistryDuplicateOwner(owner);
            }
            sum += shares[i];
        }
        if (count != 0 && sum != SHARE_UNIT) revert BuildingRegistrySharesNotWhole(sum, SHARE_UNIT);
    }

    function _addWeight(uint256 buildingId, address voter, uint256 amount) private returns (int256) {
        Member storage m = _members[buildingId][voter];
        return _setWeight(buildingId, voter, m, uint256(m.headWeight) + amount);
    }

    /// @dev Moves a member's weight to `next` at the current timestamp, keeping the old head in the history.
    /// @return electorateDelta +1 / -1 when the member becomes / ceases to be poll-eligible, else 0.
    function _setWeight(uint256 buildingId, address voter, Member storage m, uint256 next)
        private
        returns (int256 electorateDelta)
    {
        if (m.index == 0) _enrol(buildingId, m);
        uint256 previous = m.headWeight;
        if (previous == next) return 0;
        uint48 now_ = _clock();
        uint48 headKey = m.headKey;
        if (headKey != now_ && headKey != 0) {
            _weightHistory[buildingId][voter].push(headKey, uint208(previous));
        }
        m.headKey = now_;
        m.headWeight = next.toUint160();
        emit VoterWeightChanged(buildingId, voter, previous, next);
        if (!m.resident && (previous == 0) != (next == 0)) electorateDelta = next == 0 ? int256(-1) : int256(1);
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
