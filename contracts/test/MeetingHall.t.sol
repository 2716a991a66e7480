// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";
import {BuildingRegistry} from "../BuildingRegistry.sol";
import {MeetingHall} from "../MeetingHall.sol";
import {IBuildingRegistry} from "../interfaces/IBuildingRegistry.sol";
import {IMeetingHall} from "../interfaces/IMeetingHall.sol";

/// @notice Property tests: for random ownership layouts and ballots, the contract's tally equals a
/// recount from a plain model of the register; nobody counts twice; a sale during voting changes no
/// counted weight; thresholds agree with a straightforward reference at their exact boundaries.
contract MeetingHallFuzzTest is TestBase {
    uint256 private constant VOTERS = 8;
    uint256 private constant QUESTIONS = 4;
    uint32 private constant U = 216_216_000;

    BuildingRegistry private registry;
    MeetingHall private hall;

    // the reference model of the register
    uint256[VOTERS] private modelWeight;
    uint256 private modelTotal;

    function setUp() public {
        vm.warp(1_700_000_000);
        registry = new BuildingRegistry(address(this), address(this));
        hall = new MeetingHall(registry, 0, 1, 30 days);
        registry.registerBuilding(bytes32("fuzz"));
    }

    function voter(uint256 i) private pure returns (address) {
        return vm.addr(key(i));
    }

    function key(uint256 i) private pure returns (uint256) {
        return 0xB0B0 + i;
    }

    /// @dev Registers 1..12 premises with random areas and 1..3 co-owners each, in the contract and the model.
    function registerRandomBuilding(uint256 seed) private {
        uint256 count = bound(draw(seed, 0), 1, 12);
        IBuildingRegistry.PremisesInput[] memory list = new IBuildingRegistry.PremisesInput[](count);
        for (uint256 p = 0; p < count; ++p) {
            uint256 area = bound(draw(seed, 100 + p), 1, 20_000_00); // up to 20,000 m²
            uint256 ownerCount = bound(draw(seed, 200 + p), 1, 3);
            uint32[] memory shares = splitShares(ownerCount, draw(seed, 300 + p));
            address[] memory owners = new address[](ownerCount);
            uint256 first = draw(seed, 400 + p) % VOTERS;
            for (uint256 k = 0; k < ownerCount; ++k) {
                uint256 v = (first + k) % VOTERS;
                owners[k] = voter(v);
                modelWeight[v] += area * shares[k];
            }
            list[p] = IBuildingRegistry.PremisesInput({
                area: uint64(area),
                kind: IBuildingRegistry.PremisesKind(draw(seed, 500 + p) % 3),
                ref: bytes32(p),
                owners: owners,
                shares: shares
            });
            modelTotal += area * U;
        }
        registry.addPremises(1, list);
    }

    function splitShares(uint256 n, uint256 r) private pure returns (uint32[] memory s) {
        s = new uint32[](n);
        if (n == 1) {
            s[0] = U;
        } else if (n == 2) {
            uint32 part = r % 3 == 0 ? U / 2 : (r % 3 == 1 ? U / 3 : U / 4);
            s[0] = part;
            s[1] = U - part;
        } else {
            if (r % 2 == 0) {
                s[0] = U / 3;
                s[1] = U / 3;
                s[2] = U / 3;
            } else {
                s[0] = U / 2;
                s[1] = U / 4;
                s[2] = U / 4;
            }
        }
    }

    function announce(uint256 seed) private returns (uint256 meetingId, uint48 start, uint48 end) {
        IMeetingHall.Question[] memory qs = new IMeetingHall.Question[](QUESTIONS);
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            qs[q] = IMeetingHall.Question(bytes32(q), IMeetingHall.Threshold(draw(seed, 600 + q) % 4));
        }
        start = uint48(block.timestamp + 10);
        end = start + 1 days;
        vm.prank(firstOwner());
        meetingId = hall.announceMeeting(1, start - 1, start, end, bytes32("agenda"), qs);
    }

    function firstOwner() private view returns (address) {
        for (uint256 v = 0; v < VOTERS; ++v) {
            if (modelWeight[v] != 0) return voter(v);
        }
        revert("no owner");
    }

    function randomChoices(uint256 r) private pure returns (uint128 c) {
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            c |= uint128(1 + ((r >> (8 * q)) % 3)) << uint128(2 * q);
        }
    }

    function signed(uint256 meetingId, uint256 v, uint128 choices) private view returns (IMeetingHall.SignedBallot memory) {
        (uint8 sv, bytes32 r, bytes32 s) = vm.sign(key(v), hall.ballotDigest(meetingId, voter(v), choices));
        return IMeetingHall.SignedBallot(voter(v), choices, abi.encodePacked(r, s, sv));
    }

    /// @dev The reference rule: halves and thirds by integer division and rounding up, where the contract
    /// cross-multiplies.
    function referencePasses(IMeetingHall.Threshold t, uint256 forW, uint256 part, uint256 total, bool quorum)
        private
        pure
        returns (bool)
    {
        if (t == IMeetingHall.Threshold.Consultative) return forW > part / 2;
        if (!quorum) return false;
        if (t == IMeetingHall.Threshold.MajorityOfParticipants) return forW > part / 2;
        if (t == IMeetingHall.Threshold.MajorityOfAll) return forW > total / 2;
        if (t == IMeetingHall.Threshold.TwoThirdsOfAll) return forW >= (2 * total + 2) / 3; // ceil(2/3 · total)
        return forW == total;
    }

    /// @notice The finalized tally equals a recount of the model, for random layouts and ballots.
    function testFuzz_TallyEqualsReferenceRecount(uint256 seed) public {
        registerRandomBuilding(seed);
        (uint256 meetingId, uint48 start, uint48 end) = announce(seed);
        vm.warp(start);

        uint256[3][QUESTIONS] memory expected;
        uint256 participating;
        uint256 ballots;
        IMeetingHall.SignedBallot[] memory batch = new IMeetingHall.SignedBallot[](VOTERS);
        uint256 batched;
        for (uint256 v = 0; v < VOTERS; ++v) {
            uint256 r = draw(seed, 700 + v);
            if (r % 4 == 0) continue; // abstains from the meeting
            uint128 choices = randomChoices(r >> 8);
            if (modelWeight[v] != 0) {
                for (uint256 q = 0; q < QUESTIONS; ++q) {
                    expected[q][((choices >> (2 * q)) & 3) - 1] += modelWeight[v];
                }
                participating += modelWeight[v];
                ++ballots;
            }
            if (r % 4 == 1 && modelWeight[v] != 0) {
                vm.prank(voter(v));
                hall.castBallot(meetingId, choices);
            } else {
                batch[batched++] = signed(meetingId, v, choices);
            }
        }
        if (batched != 0) {
            IMeetingHall.SignedBallot[] memory trimmed = new IMeetingHall.SignedBallot[](batched);
            for (uint256 i = 0; i < batched; ++i) trimmed[i] = batch[i];
            hall.castBallotsBySig(meetingId, trimmed);
        }

        vm.warp(end);
        hall.finalize(meetingId);
        IMeetingHall.MeetingView memory m = hall.getMeeting(meetingId);
        assertEq(m.totalWeight, modelTotal, "total weight");
        assertEq(m.participatingWeight, participating, "participating weight");
        assertEq(m.ballots, ballots, "ballots");
        bool quorum = participating > modelTotal - participating;
        assertTrue(m.quorumReached == quorum, "quorum");
        IMeetingHall.Tally[] memory results = hall.getResults(meetingId);
        (, IMeetingHall.Question[] memory qs) = hall.getAgenda(meetingId);
        uint256 sumFor;
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            assertEq(results[q].forWeight, expected[q][0], "for");
            assertEq(results[q].againstWeight, expected[q][1], "against");
            assertEq(results[q].abstainWeight, expected[q][2], "abstain");
            assertEq(expected[q][0] + expected[q][1] + expected[q][2], participating, "every ballot answers every question");
            bool want = referencePasses(qs[q].threshold, expected[q][0], participating, modelTotal, quorum);
            assertTrue(results[q].passed == want, "passed");
            sumFor += results[q].forWeight;
        }
        assertTrue(sumFor <= participating * QUESTIONS, "tally bounded by participation");
    }

    /// @notice However a voter tries (direct, batch, twice in a batch), only one ballot counts.
    function testFuzz_NobodyCountsTwice(uint256 seed) public {
        registerRandomBuilding(seed);
        (uint256 meetingId, uint48 start,) = announce(seed);
        vm.warp(start);
        uint256 v = draw(seed, 1) % VOTERS;
        vm.assume(modelWeight[v] != 0);
        uint128 first = randomChoices(draw(seed, 2));
        uint128 second = randomChoices(draw(seed, 3));

        IMeetingHall.SignedBallot[] memory batch = new IMeetingHall.SignedBallot[](3);
        batch[0] = signed(meetingId, v, first);
        batch[1] = signed(meetingId, v, second);
        batch[2] = signed(meetingId, v, first);
        uint256 counted = hall.castBallotsBySig(meetingId, batch);
        assertEq(counted, 1, "one of three counted");

        vm.prank(voter(v));
        vm.expectRevert(abi.encodeWithSelector(IMeetingHall.MeetingHallAlreadyVoted.selector, meetingId, voter(v)));
        hall.castBallot(meetingId, second);

        IMeetingHall.MeetingView memory m = hall.getMeeting(meetingId);
        assertEq(m.ballots, 1, "ballots");
        assertEq(m.participatingWeight, modelWeight[v], "weight counted once");
        IMeetingHall.Tally[] memory results = hall.getResults(meetingId);
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            assertEq(results[q].forWeight + results[q].againstWeight + results[q].abstainWeight, modelWeight[v], "sum");
        }
    }

    /// @notice A sale after the snapshot changes no counted weight: seller and buyer count what they held
    /// at the snapshot, so the same area is never voted twice.
    function testFuzz_SaleDuringMeetingChangesNoCountedWeight(uint256 seed) public {
        registerRandomBuilding(seed);
        (uint256 meetingId, uint48 start,) = announce(seed);
        vm.warp(start + bound(draw(seed, 9), 0, 1000));
        uint256 premisesId = bound(draw(seed, 10), 1, registry.premisesCount());
        (, uint64 area,, address[] memory sellers,) = registry.premises(premisesId);
        uint256 buyer = draw(seed, 11) % VOTERS;
        address[] memory newOwners = new address[](1);
        newOwners[0] = voter(buyer);
        uint32[] memory whole = new uint32[](1);
        whole[0] = U;
        registry.setOwners(premisesId, newOwners, whole);

        uint256 participating;
        for (uint256 v = 0; v < VOTERS; ++v) {
            (bool ok,, uint256 weight) = hall.checkBallot(meetingId, voter(v), randomChoices(v));
            assertEq(weight, modelWeight[v], "weight read at the snapshot");
            if (!ok) continue;
            vm.prank(voter(v));
            hall.castBallot(meetingId, randomChoices(v));
            participating += weight;
        }
        assertEq(hall.getMeeting(meetingId).participatingWeight, participating, "participating");
        assertTrue(participating <= modelTotal, "never more than the building");
        assertTrue(sellers.length > 0 && area > 0, "premises had owners");
    }

    /// @notice The contract's thresholds agree with the reference at and around their exact boundaries.
    function testFuzz_ThresholdBoundaries(uint128 totalSeed, uint256 partSeed) public view {
        uint256 total = bound(totalSeed, 3, type(uint128).max);
        uint256 part = bound(partSeed, total / 2 + 1, total); // quorum reached
        uint256[6] memory candidates = [
            part / 2,
            part / 2 + 1,
            total / 2,
            total / 2 + 1,
            (2 * total) / 3,
            (2 * total + 2) / 3
        ];
        for (uint256 t = 0; t < 4; ++t) {
            IMeetingHall.Threshold th = IMeetingHall.Threshold(t);
            for (uint256 i = 0; i < candidates.length; ++i) {
                for (uint256 d = 0; d < 3; ++d) {
                    uint256 forW = candidates[i] + d;
                    if (forW == 0) continue;
                    forW -= 1; // one unit short, exact, one unit over
                    if (forW > part) continue;
                    bool got = hall.decides(th, forW, part, total, true);
                    bool want = referencePasses(th, forW, part, total, true);
                    assertTrue(got == want, "threshold disagrees with reference");
                }
            }
            assertTrue(!hall.decides(th, part, part, total, false), "no quorum, no decision");
        }
        // two thirds exactly passes, one unit short does not
        uint256 third = bound(partSeed, 1, type(uint64).max);
        assertTrue(hall.decides(IMeetingHall.Threshold.TwoThirdsOfAll, 2 * third, 3 * third, 3 * third, true), "2/3 exactly");
        assertTrue(!hall.decides(IMeetingHall.Threshold.TwoThirdsOfAll, 2 * third - 1, 3 * third, 3 * third, true), "2/3 short");
        // 50 % + 1 unit of the participants passes, 50 % does not
        assertTrue(hall.decides(IMeetingHall.Threshold.MajorityOfParticipants, third + 1, 2 * third, 4 * third, true), "50%+1");
        assertTrue(!hall.decides(IMeetingHall.Threshold.MajorityOfParticipants, third, 2 * third, 4 * third, true), "50%");
    }
}
