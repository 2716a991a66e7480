// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Register of apartment buildings, their premises, owners, residents and organisers
/// @notice The register mirrors the state property register for the buildings that vote online.
/// A voter's weight in a building is the sum, over the premises they own, of the premises' area
/// times their share of it. Weights, each building's total and residency are checkpointed by
/// timestamp, so that a meeting can read them at its snapshot point however the register changes
/// afterwards.
/// @dev Areas are in 0.01 m² units. Shares are parts of `SHARE_UNIT`; the shares of one premises sum
/// to exactly `SHARE_UNIT`, so a weight is `area * share` and a building's total weight is
/// `SHARE_UNIT * Σ area`. `SHARE_UNIT` = 2^6·3^3·5^3·7·11·13 is divisible by every denominator up
/// to 16 and by 25, 27, 64, 100 and 1000, so the usual register fractions are exact.
interface IBuildingRegistry {
    /// @notice The use of a premises, as the register records it.
    enum PremisesKind {
        Residential,
        NonResidential,
        ParkingSpace
    }

    /// @notice The kinds of organisation that may announce meetings in a building besides its owners.
    enum OrganiserRole {
        None,
        ManagementOrganisation,
        HomeownersAssociation,
        CapitalRepairFund
    }

    /// @notice A premises to register, with its owners.
    /// @param area Area in 0.01 m² units, greater than zero and at most 2^40 - 1.
    /// @param kind Use of the premises.
    /// @param ref Reference to the register entry (e.g. hash of the cadastral number).
    /// @param owners Owners, without repetition; may be empty for a premises with no registered owner.
    /// @param shares Share of each owner in parts of `SHARE_UNIT`; they sum to `SHARE_UNIT` when owners exist.
    struct PremisesInput {
        uint64 area;
        PremisesKind kind;
        bytes32 ref;
        address[] owners;
        uint32[] shares;
    }

    // ---------------------------------------------------------------- events

    /// @notice A building was added to the register.
    event BuildingRegistered(uint256 indexed buildingId, bytes32 ref, address registrar);

    /// @notice A premises was added to a building.
    event PremisesRegistered(
        uint256 indexed buildingId,
        uint256 indexed premisesId,
        PremisesKind kind,
        uint64 area,
        bytes32 ref
    );

    /// @notice The owners of a premises were set (registration, sale, inheritance, ...).
    /// @param owners The owners after the change; empty when the premises has no registered owner.
    /// @param shares Their shares in parts of `SHARE_UNIT`.
    event OwnershipChanged(
        uint256 indexed buildingId,
        uint256 indexed premisesId,
        address[] owners,
        uint32[] shares
    );

    /// @notice A voter's weight in a building changed at the block's timestamp.
    event VoterWeightChanged(
        uint256 indexed buildingId,
        address indexed voter,
        uint256 previousWeight,
        uint256 newWeight
    );

    /// @notice A building's total weight (SHARE_UNIT × Σ area) changed at the block's timestamp.
    event BuildingWeightChanged(uint256 indexed buildingId, uint256 previousWeight, uint256 newWeight);

    /// @notice A building's poll electorate (registered residents and owners) changed in size.
    event ElectorateChanged(uint256 indexed buildingId, uint256 previousSize, uint256 newSize);

    /// @notice An account was registered as, or ceased to be, a resident of a building.
    event ResidentChanged(uint256 indexed buildingId, address indexed resident, bool registered);

    /// @notice An account's organiser role in a building was set (`OrganiserRole.None` revokes it).
    event OrganiserChanged(uint256 indexed buildingId, address indexed account, OrganiserRole role);

    // ---------------------------------------------------------------- errors

    /// @notice No building has this id.
    error BuildingRegistryUnknownBuilding(uint256 buildingId);
    /// @notice No premises has this id.
    error BuildingRegistryUnknownPremises(uint256 premisesId);
    /// @notice A premises' area must be greater than zero and at most `MAX_AREA`.
    error BuildingRegistryInvalidArea(uint256 index, uint64 area);
    /// @notice Building ids are limited to 32 bits.
    error BuildingRegistryTooManyBuildings();
    /// @notice The owners and shares arrays differ in length.
    error BuildingRegistryLengthMismatch(uint256 owners, uint256 shares);
    /// @notice An owner is the zero address or has a share of zero.
    error BuildingRegistryInvalidOwner(address owner, uint32 share);
    /// @notice The same owner is listed twice for one premises.
    error BuildingRegistryDuplicateOwner(address owner);
    /// @notice The shares of a premises do not sum to `SHARE_UNIT`.
    error BuildingRegistrySharesNotWhole(uint256 sum, uint256 expected);
    /// @notice A premises may have at most `MAX_OWNERS_PER_PREMISES` owners.
    error BuildingRegistryTooManyOwners(uint256 count, uint256 max);
    /// @notice The zero address cannot be a resident or organiser.
    error BuildingRegistryZeroAddress();
    /// @notice A building cannot have more than 2^32 - 1 members.
    error BuildingRegistryTooManyMembers(uint256 buildingId);

    // ---------------------------------------------------------------- writes (registrar)

    /// @notice Adds a building to the register.
    /// @param ref Reference to the register entry (e.g. hash of the cadastral number).
    /// @return buildingId The new building's id (1, 2, ...).
    function registerBuilding(bytes32 ref) external returns (uint256 buildingId);

    /// @notice Adds premises with their owners to a building in one call.
    /// @dev Several calls register a large building (about 60k gas a premises with one owner).
    /// @return firstPremisesId The id of the first premises added; the rest follow consecutively.
    function addPremises(uint256 buildingId, PremisesInput[] calldata premises)
        external
        returns (uint256 firstPremisesId);

    /// @notice Replaces the owners of a premises in one call: a sale, a gift, an inheritance split.
    /// @param owners The new owners (empty: no registered owner).
    /// @param shares Their shares in parts of `SHARE_UNIT`.
    function setOwners(uint256 premisesId, address[] calldata owners, uint32[] calldata shares) external;

    /// @notice Registers or deregisters residents of a building (they answer polls).
    function setResidents(uint256 buildingId, address[] calldata residents, bool registered) external;

    /// @notice Grants or revokes (`OrganiserRole.None`) the right to announce meetings in a building.
    function setOrganiser(uint256 buildingId, address account, OrganiserRole role) external;

    // ---------------------------------------------------------------- reads

    /// @notice The denominator of ownership shares.
    function SHARE_UNIT() external view returns (uint32);

    /// @notice The number of buildings registered.
    function buildingCount() external view returns (uint256);

    /// @notice The number of premises registered across all buildings.
    function premisesCount() external view returns (uint256);

    /// @notice Whether a building exists.
    function buildingExists(uint256 buildingId) external view returns (bool);

    /// @notice A premises' building, area, kind and owners with their shares.
    function premises(uint256 premisesId)
        external
        view
        returns (uint256 buildingId, uint64 area, PremisesKind kind, address[] memory owners, uint32[] memory shares);

    /// @notice A voter's current weight in a building.
    function weightOf(uint256 buildingId, address voter) external view returns (uint256);

    /// @notice A voter's weight in a building at a past or present timestamp.
    function weightAt(uint256 buildingId, address voter, uint48 timepoint) external view returns (uint256);

    /// @notice A building's current total weight.
    function totalWeight(uint256 buildingId) external view returns (uint256);

    /// @notice A building's total weight at a timestamp.
    function totalWeightAt(uint256 buildingId, uint48 timepoint) external view returns (uint256);

    /// @notice Whether an account is a registered resident of a building now.
    function isResident(uint256 buildingId, address account) external view returns (bool);

    /// @notice Whether an account was a registered resident of a building at a timestamp.
    function isResidentAt(uint256 buildingId, address account, uint48 timepoint) external view returns (bool);

    /// @notice Number of accounts who may answer a poll (residents or owners) at a timestamp.
    function electorateAt(uint256 buildingId, uint48 timepoint) external view returns (uint256);

    /// @notice An account's organiser role in a building.
    function organiserRole(uint256 buildingId, address account) external view returns (OrganiserRole);

    /// @notice Whether an account may announce meetings in a building now: an owner or an organiser.
    function canAnnounce(uint256 buildingId, address account) external view returns (bool);

    /// @notice The stable member number of an account in a building (0: not a member).
    function memberIndex(uint256 buildingId, address account) external view returns (uint32);

    /// @notice Member numbers and weights of many voters at one timepoint, for counting a batch.
    /// @param perPerson For a poll: the weight is 1 for an owner or resident at the timepoint, else 0.
    /// @return packed For each voter `weight << 32 | index`, where index is the stable 1-based member
    /// number (0: never a member, and then the weight is 0).
    function votersAt(uint256 buildingId, address[] calldata voters, uint48 timepoint, bool perPerson)
        external
        view
        returns (uint256[] memory packed);
}
