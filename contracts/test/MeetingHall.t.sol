// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";
import {BuildingRegistry} from "../BuildingRegistry.sol";
import {LegalRules} from "../LegalRules.sol";
import {MeetingHall} from "../MeetingHall.sol";
import {IBuildingRegistry} from "../interfaces/IBuildingRegistry.sol";
import {ILegalRules} from "../interfaces/ILegalRules.sol";
import {IMeetingHall} from "../interfaces/IMeetingHall.sol";

/// @notice Property tests: for random layouts of sole, shared and joint holdings and random ballots in
/// every form (direct, relayed, by a representative directly or signed, paper decisions with void and
/// unanswered questions), the contract's tally equals a recount from a plain model of the register;
/// no area is counted twice; a sale during voting changes no counted weight; the rules agree with a
/// straightforward reference at their exact boundaries.
contract MeetingHallFuzzTest is TestBase {
    uint256 private constant VOTERS = 8;
    uint256 private constant QUESTIONS = 4;
    uint32 private constant U = 216_216_000;

    BuildingRegistry private registry;
    LegalRules private rules;
    MeetingHall private hall;

    // the reference model of the register: each person's own weight, each pair's joint weight
    uint256[VOTERS] private modelWeight;
    uint256[VOTERS * VOTERS] private groupWeight; // pair (i, j), i < j, at i * VOTERS + j
    uint256 private modelTotal;

    // the model's recount
    bool[VOTERS] private votedPerson;
    bool[VOTERS * VOTERS] private votedGroup;
    uint256[3][QUESTIONS] private expected;
    uint256[QUESTIONS] private unanswered;
    uint256 private participating;
    uint256 private ballots;

    enum Form {
        Absent,
        Direct,
        Relayed,
        RepresentativeDirect,
        RepresentativeSigned,
        Paper
    }

    function setUp() public {
        vm.warp(1_700_000_000);
        registry = new BuildingRegistry(address(this), address(this));
        rules = new LegalRules(address(this));
        ILegalRules.QuestionType[] memory types = new ILegalRules.QuestionType[](4);
        types[0] = ILegalRules.QuestionType("other", ILegalRules.Rule(ILegalRules.Base.Participants, 1, 2, true));
        types[1] = ILegalRules.QuestionType("44.2.4", ILegalRules.Rule(ILegalRules.Base.All, 1, 2, true));
        types[2] = ILegalRules.QuestionType("44.2.1", ILegalRules.Rule(ILegalRules.Base.All, 2, 3, false));
        types[3] = ILegalRules.QuestionType("unanimous", ILegalRules.Rule(ILegalRules.Base.All, 1, 1, false));
        rules.publish(bytes32("fuzz"), ILegalRules.Rule(ILegalRules.Base.All, 1, 2, true), types);
        hall = new MeetingHall(registry, rules, address(0), IMeetingHall.Parameters(0, 1, 30 days, 10));
        registry.registerBuilding(bytes32("fuzz"));
        registry.setOrganiser(1, address(this), IBuildingRegistry.OrganiserRole.ManagementOrganisation);
        // every voter has a representative for all meetings of the building (power of attorney v + 1)
        for (uint256 v = 0; v < VOTERS; ++v) {
            hall.recordPowerOfAttorney(
                IMeetingHall.PowerOfAttorney({
                    principal: voter(v),
                    representative: representative(v),
                    buildingId: 1,
                    meetingId: 0,
                    validFrom: uint48(block.timestamp),
                    validTo: uint48(block.timestamp + 365 days),
                    documentHash: bytes32(v)
                })
            );
        }
    }

    function key(uint256 i) private pure returns (uint256) {
        return 0xB0B0 + i;
    }

    function voter(uint256 i) private pure returns (address) {
        return vm.addr(key(i));
    }

    function representativeKey(uint256 i) private pure returns (uint256) {
        return 0xBEEF + i;
    }

    function representative(uint256 i) private pure returns (address) {
        return vm.addr(representativeKey(i));
    }

    function pair(uint256 i, uint256 j) private pure returns (uint256) {
        return i < j ? i * VOTERS + j : j * VOTERS + i;
    }

    // ------------------------------------------------------------------------------------------ layout

    function holdingOf(address who, uint32 share) private pure returns (IBuildingRegistry.Holding memory h) {
        h.holders = new address[](1);
        h.holders[0] = who;
        h.share = share;
    }

    function jointHoldingOf(uint256 i, uint256 j, uint32 share) private pure returns (IBuildingRegistry.Holding memory h) {
        h.holders = new address[](2);
        h.holders[0] = voter(i);
        h.holders[1] = voter(j);
        h.share = share;
    }

    /// @dev Registers 1..10 premises with random areas, each held alone, shared by 2-3 co-owners, jointly
    /// by two people, or half jointly and half by a third person, in the contract and the model.
    function registerRandomBuilding(uint256 seed) private {
        uint256 count = bound(draw(seed, 0), 1, 10);
        IBuildingRegistry.PremisesInput[] memory list = new IBuildingRegistry.PremisesInput[](count);
        for (uint256 p = 0; p < count; ++p) {
            uint256 area = bound(draw(seed, 100 + p), 1, 20_000_00); // up to 20,000 m²
            uint256 first = draw(seed, 400 + p) % VOTERS;
            uint256 second = (first + 1 + draw(seed, 450 + p) % (VOTERS - 1)) % VOTERS;
            uint256 third = (first + 1) % VOTERS == second ? (first + 2) % VOTERS : (first + 1) % VOTERS;
            uint256 layout = draw(seed, 200 + p) % 4;
            IBuildingRegistry.Holding[] memory holdings;
            if (layout == 0) {
                holdings = new IBuildingRegistry.Holding[](1);
                holdings[0] = holdingOf(voter(first), U);
                modelWeight[first] += area * U;
            } else if (layout == 1) {
                uint256 owners = bound(draw(seed, 250 + p), 2, 3);
                uint32[] memory shares = splitShares(owners, draw(seed, 300 + p));
                uint256[3] memory who = [first, second, third];
                holdings = new IBuildingRegistry.Holding[](owners);
                for (uint256 k = 0; k < owners; ++k) {
                    holdings[k] = holdingOf(voter(who[k]), shares[k]);
                    modelWeight[who[k]] += area * shares[k];
                }
            } else if (layout == 2) {
                holdings = new IBuildingRegistry.Holding[](1);
                holdings[0] = jointHoldingOf(first, second, U);
                groupWeight[pair(first, second)] += area * U;
            } else {
                holdings = new IBuildingRegistry.Holding[](2);
                holdings[0] = jointHoldingOf(second, first, U / 2);
                holdings[1] = holdingOf(voter(third), U / 2);
                groupWeight[pair(first, second)] += area * (U / 2);
                modelWeight[third] += area * (U / 2);
            }
            list[p] = IBuildingRegistry.PremisesInput({
                area: uint64(area),
                kind: IBuildingRegistry.PremisesKind(draw(seed, 500 + p) % 3),
                ref: bytes32(p),
                holdings: holdings
            });
            modelTotal += area * U;
        }
        registry.addPremises(1, list);
    }

    function splitShares(uint256 n, uint256 r) private pure returns (uint32[] memory s) {
        s = new uint32[](n);
        if (n == 2) {
            uint32 part = r % 3 == 0 ? U / 2 : (r % 3 == 1 ? U / 3 : U / 4);
            s[0] = part;
            s[1] = U - part;
        } else if (r % 2 == 0) {
            s[0] = U / 3;
            s[1] = U / 3;
            s[2] = U / 3;
        } else {
            s[0] = U / 2;
            s[1] = U / 4;
            s[2] = U / 4;
        }
    }

    function announce(uint256 seed) private returns (uint256 meetingId, uint48 start, uint48 end) {
        IMeetingHall.Question[] memory qs = new IMeetingHall.Question[](QUESTIONS);
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            qs[q] = IMeetingHall.Question(bytes32(q), uint16(draw(seed, 600 + q) % 4));
        }
        start = uint48(block.timestamp + 10);
        end = start + 1 days;
        meetingId =
            hall.announceMeeting(1, IMeetingHall.MeetingType.Extraordinary, address(0), start, end, bytes32("agenda"), qs);
    }

    // ------------------------------------------------------------------------------------------ ballots

    function randomChoices(uint256 r) private pure returns (uint128 c) {
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            c |= uint128(1 + ((r >> (8 * q)) % 3)) << uint128(2 * q);
        }
    }

    /// @dev A paper decision's answers: For / Against / Abstain, unanswered, or void.
    function randomPaper(uint256 r) private pure returns (uint128 c, uint64 voidMask) {
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            uint256 pick = (r >> (8 * q)) % 5;
            if (pick < 3) c |= uint128(1 + pick) << uint128(2 * q);
            else if (pick == 4) voidMask |= uint64(1) << uint64(q);
        }
    }

    function signed(uint256 meetingId, uint256 v, uint128 choices, bool byRepresentative)
        private
        view
        returns (IMeetingHall.SignedBallot memory b)
    {
        b.voter = voter(v);
        b.choices = choices;
        b.deadline = type(uint64).max;
        uint256 signerKey = key(v);
        if (byRepresentative) {
            b.representative = representative(v);
            b.powerOfAttorney = v + 1;
            signerKey = representativeKey(v);
        }
        (uint8 sv, bytes32 r, bytes32 s) =
            vm.sign(signerKey, hall.ballotDigest(meetingId, b.voter, choices, b.representative, b.deadline));
        b.signature = abi.encodePacked(r, s, sv);
    }

    /// @dev The model's count of one ballot of voter `v`: it counts if `v` has not voted and it carries
    /// weight, their own plus that of each joint group nobody has voted for.
    function modelBallot(uint256 v, uint128 choices) private returns (bool counted) {
        if (votedPerson[v]) return false;
        uint256 weight = modelWeight[v];
        for (uint256 u = 0; u < VOTERS; ++u) {
            if (u != v && groupWeight[pair(u, v)] != 0 && !votedGroup[pair(u, v)]) weight += groupWeight[pair(u, v)];
        }
        if (weight == 0) return false;
        votedPerson[v] = true;
        for (uint256 u = 0; u < VOTERS; ++u) {
            if (u != v && groupWeight[pair(u, v)] != 0) votedGroup[pair(u, v)] = true;
        }
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            uint256 answer = (choices >> (2 * q)) & 3;
            if (answer == 0) unanswered[q] += weight;
            else expected[q][answer - 1] += weight;
        }
        participating += weight;
        ++ballots;
        return true;
    }

    /// @dev Casts one ballot of voter `v` in `form` outside a batch and checks it counted iff the model says so.
    function castSingle(uint256 meetingId, uint256 v, Form form, uint256 r) private {
        bool ok;
        bool want;
        if (form == Form.Direct) {
            uint128 choices = randomChoices(r);
            want = modelBallot(v, choices);
            vm.prank(voter(v));
            (ok,) = address(hall).call(abi.encodeCall(hall.castBallot, (meetingId, choices)));
        } else if (form == Form.RepresentativeDirect) {
            uint128 choices = randomChoices(r);
            want = modelBallot(v, choices);
            vm.prank(representative(v));
            (ok,) = address(hall).call(abi.encodeCall(hall.castBallotFor, (meetingId, voter(v), v + 1, choices)));
        } else {
            (uint128 choices, uint64 voidMask) = randomPaper(r);
            want = modelBallot(v, choices);
            IMeetingHall.PaperDecision[] memory decisions = new IMeetingHall.PaperDecision[](1);
            decisions[0] = IMeetingHall.PaperDecision(voter(v), address(0), 0, choices, voidMask, bytes32(r));
            (ok,) = address(hall).call(abi.encodeCall(hall.enterPaperDecisions, (meetingId, decisions)));
        }
        assertTrue(ok == want, "a single ballot counts exactly when the model counts it");
    }

    // ------------------------------------------------------------------------------------------ properties

    /// @notice The finalized tally equals a recount of the model, for random layouts and ballots in every
    /// form, and no area is counted twice.
    function testFuzz_TallyEqualsReferenceRecount(uint256 seed) public {
        registerRandomBuilding(seed);
        (uint256 meetingId, uint48 start, uint48 end) = announce(seed);
        vm.warp(start);

        // single ballots first, then one batch of relayed ones, some of them repeated
        IMeetingHall.SignedBallot[] memory batch = new IMeetingHall.SignedBallot[](2 * VOTERS);
        uint256 batched;
        uint256 wantCounted;
        for (uint256 i = 0; i < 2 * VOTERS; ++i) {
            uint256 v = i % VOTERS;
            uint256 r = draw(seed, 700 + i);
            Form form = Form(r % 6);
            if (i >= VOTERS && r % 3 != 0) continue; // a second attempt for about a third of the voters
            if (form == Form.Absent) continue;
            if (form == Form.Relayed || form == Form.RepresentativeSigned) {
                uint128 choices = randomChoices(r >> 8);
                batch[batched++] = signed(meetingId, v, choices, form == Form.RepresentativeSigned);
                // the batch is counted after the single ballots; the model counts it then
            } else {
                castSingle(meetingId, v, form, r >> 8);
            }
        }
        for (uint256 i = 0; i < batched; ++i) {
            uint256 v;
            while (voter(v) != batch[i].voter) ++v;
            if (modelBallot(v, batch[i].choices)) ++wantCounted;
        }
        if (batched != 0) {
            IMeetingHall.SignedBallot[] memory trimmed = new IMeetingHall.SignedBallot[](batched);
            for (uint256 i = 0; i < batched; ++i) trimmed[i] = batch[i];
            assertEq(hall.castBallotsBySig(meetingId, trimmed), wantCounted, "counted in the batch");
        }

        // no area counted twice: what took part is exactly the own weight of each person marked voted
        // plus the weight of each joint group marked voted, and never more than the building
        uint256 marked;
        for (uint256 v = 0; v < VOTERS; ++v) {
            if (hall.hasVoted(meetingId, voter(v))) marked += modelWeight[v];
            for (uint256 u = v + 1; u < VOTERS; ++u) {
                if (groupWeight[pair(u, v)] == 0) continue;
                address[] memory holders = new address[](2);
                holders[0] = voter(u);
                holders[1] = voter(v);
                if (hall.hasVoted(meetingId, registry.jointGroupOf(1, holders))) marked += groupWeight[pair(u, v)];
            }
        }
        IMeetingHall.MeetingView memory m = hall.getMeeting(meetingId);
        assertEq(m.participatingWeight, marked, "participation is the marked persons' and groups' weight");
        assertTrue(m.participatingWeight <= modelTotal, "never more than the building");

        vm.warp(end);
        hall.finalize(meetingId);
        m = hall.getMeeting(meetingId);
        assertEq(m.totalWeight, modelTotal, "total weight");
        assertEq(m.participatingWeight, participating, "participating weight");
        assertEq(m.ballots, ballots, "ballots");
        bool quorum = participating > modelTotal - participating;
        assertTrue(m.quorumReached == quorum, "quorum");
        IMeetingHall.Tally[] memory results = hall.getResults(meetingId);
        (, IMeetingHall.Question[] memory qs) = hall.getAgenda(meetingId);
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            assertEq(results[q].forWeight, expected[q][0], "for");
            assertEq(results[q].againstWeight, expected[q][1], "against");
            assertEq(results[q].abstainWeight, expected[q][2], "abstain");
            assertEq(
                expected[q][0] + expected[q][1] + expected[q][2] + unanswered[q],
                participating,
                "every ballot takes part in every question, answered or not"
            );
            bool want = referencePasses(qs[q].questionType, expected[q][0], participating, modelTotal, quorum);
            assertTrue(results[q].passed == want, "passed");
        }
    }

    /// @notice However a voter tries (direct, relayed twice, by their representative directly or signed,
    /// on paper), only one ballot counts, with their weight once.
    function testFuzz_NobodyCountsTwice(uint256 seed) public {
        registerRandomBuilding(seed);
        (uint256 meetingId, uint48 start,) = announce(seed);
        vm.warp(start);
        uint256 v = draw(seed, 1) % VOTERS;
        vm.assume(modelWeight[v] != 0);
        uint128 first = randomChoices(draw(seed, 2));
        uint128 second = randomChoices(draw(seed, 3));

        uint256 order = draw(seed, 4) % 3;
        if (order == 1) {
            vm.prank(representative(v));
            hall.castBallotFor(meetingId, voter(v), v + 1, first);
        } else if (order == 2) {
            IMeetingHall.PaperDecision[] memory decisions = new IMeetingHall.PaperDecision[](1);
            decisions[0] = IMeetingHall.PaperDecision(voter(v), address(0), 0, first, 0, bytes32(0));
            hall.enterPaperDecisions(meetingId, decisions);
        }
        IMeetingHall.SignedBallot[] memory batch = new IMeetingHall.SignedBallot[](4);
        batch[0] = signed(meetingId, v, first, false);
        batch[1] = signed(meetingId, v, second, true);
        batch[2] = signed(meetingId, v, second, false);
        batch[3] = signed(meetingId, v, first, true);
        uint256 counted = hall.castBallotsBySig(meetingId, batch);
        assertEq(counted, order == 0 ? 1 : 0, "one ballot in all");

        vm.prank(voter(v));
        vm.expectRevert(abi.encodeWithSelector(IMeetingHall.MeetingHallAlreadyVoted.selector, meetingId, voter(v)));
        hall.castBallot(meetingId, second);

        IMeetingHall.MeetingView memory m = hall.getMeeting(meetingId);
        assertEq(m.ballots, 1, "ballots");
        uint256 weight = modelWeight[v];
        for (uint256 u = 0; u < VOTERS; ++u) {
            if (u != v) weight += groupWeight[pair(u, v)];
        }
        assertEq(m.participatingWeight, weight, "weight counted once");
        IMeetingHall.Tally[] memory results = hall.getResults(meetingId);
        for (uint256 q = 0; q < QUESTIONS; ++q) {
            assertEq(results[q].forWeight + results[q].againstWeight + results[q].abstainWeight, weight, "sum");
        }
    }

    /// @notice A sale after the snapshot changes no counted weight: seller and buyer count what they held
    /// at the snapshot, so the same area is never voted twice.
    function testFuzz_SaleDuringMeetingChangesNoCountedWeight(uint256 seed) public {
        registerRandomBuilding(seed);
        (uint256 meetingId, uint48 start,) = announce(seed);
        vm.warp(start + bound(draw(seed, 9), 0, 1000));
        uint256 premisesId = bound(draw(seed, 10), 1, registry.premisesCount());
        (, uint64 area,, IBuildingRegistry.Holding[] memory sellers) = registry.premises(premisesId);
        uint256 buyer = draw(seed, 11) % VOTERS;
        IBuildingRegistry.Holding[] memory newOwners = new IBuildingRegistry.Holding[](1);
        newOwners[0] = holdingOf(voter(buyer), U);
        registry.setOwners(premisesId, newOwners);

        uint256 counted;
        for (uint256 v = 0; v < VOTERS; ++v) {
            (bool ok,, uint256 weight) = hall.checkBallot(meetingId, voter(v), address(0), 0, randomChoices(v));
            if (!ok) {
                assertTrue(!modelBallot(v, randomChoices(v)), "the model refuses it too");
                continue;
            }
            uint256 expectedWeight = modelWeight[v];
            for (uint256 u = 0; u < VOTERS; ++u) {
                if (u != v && !votedGroup[pair(u, v)]) expectedWeight += groupWeight[pair(u, v)];
            }
            assertEq(weight, expectedWeight, "weight read at the snapshot");
            assertTrue(modelBallot(v, randomChoices(v)), "the model counts it too");
            vm.prank(voter(v));
            hall.castBallot(meetingId, randomChoices(v));
            counted += weight;
        }
        assertEq(hall.getMeeting(meetingId).participatingWeight, counted, "participating");
        assertEq(counted, participating, "as the model");
        assertTrue(counted <= modelTotal, "never more than the building");
        assertTrue(sellers.length > 0 && area > 0, "premises had owners");
    }

    /// @dev The reference rule: halves and thirds by integer division and rounding up, where the contract
    /// cross-multiplies.
    function referencePasses(uint16 questionType, uint256 forW, uint256 part, uint256 total, bool quorum)
        private
        pure
        returns (bool)
    {
        if (!quorum) return false;
        if (questionType == 0) return forW > part / 2;
        if (questionType == 1) return forW > total / 2;
        if (questionType == 2) return forW >= (2 * total + 2) / 3; // ceil(2/3 · total)
        return forW == total;
    }

    /// @notice The rules agree with the reference at and around their exact boundaries.
    function testFuzz_ThresholdBoundaries(uint128 totalSeed, uint256 partSeed) public view {
        uint256 total = bound(totalSeed, 3, type(uint128).max);
        uint256 part = bound(partSeed, total / 2 + 1, total); // quorum reached
        uint256[6] memory candidates =
            [part / 2, part / 2 + 1, total / 2, total / 2 + 1, (2 * total) / 3, (2 * total + 2) / 3];
        for (uint16 t = 0; t < 4; ++t) {
            ILegalRules.Rule memory rule = rules.questionType(1, t).rule;
            for (uint256 i = 0; i < candidates.length; ++i) {
                for (uint256 d = 0; d < 3; ++d) {
                    uint256 forW = candidates[i] + d;
                    if (forW == 0) continue;
                    forW -= 1; // one unit short, exact, one unit over
                    if (forW > part) continue;
                    bool got = rules.meets(rule, forW, part, total);
                    assertTrue(got == referencePasses(t, forW, part, total, true), "rule disagrees with reference");
                }
            }
        }
        ILegalRules.Rule memory twoThirds = rules.questionType(1, 2).rule;
        ILegalRules.Rule memory majority = rules.questionType(1, 0).rule;
        // two thirds exactly passes, one unit short does not
        uint256 third = bound(partSeed, 1, type(uint64).max);
        assertTrue(rules.meets(twoThirds, 2 * third, 3 * third, 3 * third), "2/3 exactly");
        assertTrue(!rules.meets(twoThirds, 2 * third - 1, 3 * third, 3 * third), "2/3 short");
        // 50 % + 1 unit of the participants passes, 50 % does not
        assertTrue(rules.meets(majority, third + 1, 2 * third, 4 * third), "50%+1");
        assertTrue(!rules.meets(majority, third, 2 * third, 4 * third), "50%");
    }
}
