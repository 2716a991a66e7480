// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Register of apartment buildings, their premises, owners, residents and organisers
/// @notice The register mirrors the state property register for the buildings that vote online.
/// A voter's weight in a building is the sum, over the premises they own, of the premises' area
/// times their share of it. Weights, each building's total and residency are checkpointed by
/// timestamp, so that a meeting can read them at its snapshot point however the register changes
/// afterwards.
///
/// Ownership of a premises is a list of holdings, each a share held by one person (sole or shared
/// ownership, долевая: each co-owner votes area × their share) or jointly by two or more people
/// (joint ownership, совместная, e.g. spouses: any one of them votes the whole jointly held area,
/// and only one ballot counts for it, Civil Code art. 253). The weight of a joint holding belongs to
/// its *joint group*, a pseudo-member of the building named by an address derived from the building
/// and the sorted holders (`jointGroupOf`); the same people hold all their joint holdings in one group.
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

    /// @notice A share of a premises and who holds it.
    /// @param holders One owner (sole or shared ownership), or two or more joint owners of the share,
    /// without repetition.
    /// @param share The share in parts of `SHARE_UNIT`.
    struct Holding {
        address[] holders;
        uint32 share;
    }

    /// @notice A premises to register, with its owners.
    /// @param area Area in 0.01 m² units, greater than zero and at most 2^40 - 1.
    /// @param kind Use of the premises.
    /// @param ref Reference to the register entry (e.g. hash of the cadastral number).
    /// @param holdings Its holdings; the shares sum to `SHARE_UNIT`, or the list is empty for a premises
    /// with no registered owner. A person appears in at most one holding of a premises.
    struct PremisesInput {
        uint64 area;
        PremisesKind kind;
        bytes32 ref;
        Holding[] holdings;
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
    /// @param holdings The holdings after the change; empty when the premises has no registered owner.
    event OwnershipChanged(uint256 indexed buildingId, uint256 indexed premisesId, Holding[] holdings);

    /// @notice A joint group was first used in a building: the pseudo-member that holds the weight of
    /// the joint holdings of exactly these people (sorted ascending).
    event JointGroupRegistered(uint256 indexed buildingId, address indexed group, address[] holders);

    /// @notice The registrar published the hash of a building's off-chain register (owners' names,
    /// title documents, premises), so that a protocol's annexes can be checked against it.
    event RegisterPublished(uint256 indexed buildingId, bytes32 registerHash);

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
    /// @notice A holding has no holder, or more than `MAX_JOINT_HOLDERS`.
    error BuildingRegistryInvalidHolding(uint256 holdingIndex, uint256 holders);
    /// @notice An owner is the zero address or a holding has a share of zero.
    error BuildingRegistryInvalidOwner(address owner, uint32 share);
    /// @notice The same person is listed twice for one premises.
    error BuildingRegistryDuplicateOwner(address owner);
    /// @notice A person may belong to at most `MAX_JOINT_GROUPS` joint groups in a building.
    error BuildingRegistryTooManyJointGroups(uint256 buildingId, address holder);
    /// @notice The shares of a premises do not sum to `SHARE_UNIT`.
    error BuildingRegistrySharesNotWhole(uint256 sum, uint256 expected);
    /// @notice A premises may have at most `MAX_OWNERS_PER_PREMISES` holdings.
    error BuildingRegistryTooManyOwners(uint256 count, uint256 max);
    /// @notice The zero address cannot be a resident or organiser.
    error BuildingRegistryZeroAddress();
    /// @notice A joint group's address cannot act as a person (hold alone, reside, organise), and a
    /// person's address cannot become a joint group.
    error BuildingRegistryJointGroupAccount(address account);
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
    /// @param holdings The new holdings (empty: no registered owner).
    function setOwners(uint256 premisesId, Holding[] calldata holdings) external;

    /// @notice Publishes the hash of a building's off-chain register. Registrar only.
    function publishRegister(uint256 buildingId, bytes32 registerHash) external;

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

    /// @notice A premises' building, area, kind and holdings (a joint holding's holders sorted ascending).
    function premises(uint256 premisesId)
        external
        view
        returns (uint256 buildingId, uint64 area, PremisesKind kind, Holding[] memory holdings);

    /// @notice The address of the joint group of these holders in a building (whether or not used yet):
    /// the low 160 bits of `keccak256(abi.encode(keccak256("DigitalHome.JointGroup"), buildingId,
    /// sortedHolders))`.
    /// @param holders Two to `MAX_JOINT_HOLDERS` distinct holders, in any order.
    function jointGroupOf(uint256 buildingId, address[] calldata holders) external view returns (address);

    /// @notice The joint groups an account has ever belonged to in a building (their weights say which
    /// hold anything at a given time).
    function jointGroupsOf(uint256 buildingId, address account) external view returns (address[] memory);

    /// @notice The members of a joint group, sorted ascending (empty if `group` is not one).
    function jointHolders(uint256 buildingId, address group) external view returns (address[] memory);

    /// @notice The latest published hash of a building's off-chain register (zero before the first).
    function registerHash(uint256 buildingId) external view returns (bytes32);

    /// @notice A voter's current weight in a building from what they hold alone (a joint group's weight
    /// is the group's, see `weightOf(buildingId, group)`).
    function weightOf(uint256 buildingId, address voter) external view returns (uint256);

    /// @notice A voter's (or a joint group's) weight in a building at a past or present timestamp.
    function weightAt(uint256 buildingId, address voter, uint48 timepoint) external view returns (uint256);

    /// @notice Whether an account owned anything (alone, as a co-owner or as a joint owner) in a
    /// building at a timestamp.
    function isOwnerAt(uint256 buildingId, address account, uint48 timepoint) external view returns (bool);

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

    /// @notice Whether an account may announce meetings in a building now: an owner (alone, as a
    /// co-owner or as a joint owner) or an organiser.
    function canAnnounce(uint256 buildingId, address account) external view returns (bool);

    /// @notice Whether an account holds the registrar role.
    function isRegistrar(address account) external view returns (bool);

    /// @notice The stable member number of an account in a building (0: not a member).
    function memberIndex(uint256 buildingId, address account) external view returns (uint32);

    /// @notice Member numbers and weights of many voters at one timepoint, for counting a batch.
    /// @param perPerson For a poll: the weight is 1 for an owner or resident at the timepoint, else 0,
    /// and no joint groups are returned.
    /// @return packed The first `voters.length` words describe the voters in order, each
    /// `weight << 40 | groupCount << 32 | index`: the weight the voter holds alone at the timepoint,
    /// the number of their joint groups that hold weight then, and the stable 1-based member number
    /// (0: never a member, and then the rest is 0). The words after them list those joint groups in the
    /// voters' order, two words each: `weight << 32 | index` with the group's weight and member number,
    /// then the group's address. A joint
    /// group named as a voter has weight 0 and no groups: its weight is voted by one of its holders.
    function votersAt(uint256 buildingId, address[] calldata voters, uint48 timepoint, bool perPerson)
        external
        view
        returns (uint256[] memory packed);
}
