import { expect } from "chai";
import { encodeBytes32String, id } from "ethers";
import { packChoices } from "#lib/ballot.js";
import { Choice, MAJORITY_OF_PARTICIPANTS, RULE_BASES, SHARE_UNIT, type Rule } from "#lib/domain.js";
import {
  FIVE_QUESTIONS,
  TYPE,
  announce,
  deployCore,
  deployBuilding,
  holding,
  networkHelpers,
  premisesInput,
  question,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;
const { For, Against } = Choice;
const onChain = (r: Rule) => ({ base: RULE_BASES.indexOf(r.base), numerator: r.numerator, denominator: r.denominator, strict: r.strict });
const U = SHARE_UNIT;

/**
 * A building whose total weight is 3U (flat 1 of 0.02 m², flat 2 of 0.01 m²) split so that two thirds
 * of it can be reached exactly or missed by one unit: P holds U-1 of flat 1 (2U-2), P2 the last unit
 * share of it (2), Q holds U-1 of flat 2 (U-1), R its last unit share (1).
 */
async function unitBuilding() {
  const f = await deployCore();
  const [p, p2, q, r] = f.accounts;
  await f.registry.connect(f.registrar).registerBuilding(id("small"));
  await f.registry.connect(f.registrar).addPremises(1, [
    premisesInput({ area: 2, holdings: [holding([p.address], U - 1n), holding([p2.address], 1n)] }),
    premisesInput({ area: 1, holdings: [holding([q.address], U - 1n), holding([r.address], 1n)] }),
  ]);
  return { ...f, p, p2, q, r };
}

describe("MeetingHall rules of decision", function () {
  it("passes a two-thirds question at exactly two thirds of all votes and not one unit short", async function () {
    const { hall, p, p2, q, r } = await loadFixture(unitBuilding);
    const gates = [question("Install driveway gates", TYPE.landPlot)];
    const exact = await announce(hall, p, 1n, gates);
    const short = await announce(hall, p, 1n, gates);
    await time.increaseTo(short.votingStart);
    const vote = async (meetingId: bigint, forVoters: typeof p[], againstVoters: typeof p[]) => {
      for (const v of forVoters) await hall.connect(v).castBallot(meetingId, packChoices([For]));
      for (const v of againstVoters) await hall.connect(v).castBallot(meetingId, packChoices([Against]));
    };
    await vote(exact.meetingId, [p, p2], [q, r]); // For 2U - 2 + 2 = 2U
    await vote(short.meetingId, [p, r], [p2, q]); // For 2U - 2 + 1 = 2U - 1
    await time.increaseTo(short.votingEnd);
    await expect(hall.finalize(exact.meetingId))
      .to.emit(hall, "QuestionDecided")
      .withArgs(exact.meetingId, 0, TYPE.landPlot, 2n * U, U, 0, true);
    await expect(hall.finalize(short.meetingId))
      .to.emit(hall, "QuestionDecided")
      .withArgs(short.meetingId, 0, TYPE.landPlot, 2n * U - 1n, U + 1n, 0, false);
  });

  it("keeps counting a meeting by the rules it was announced under when a new version is published, and a new meeting by the new one", async function () {
    const { hall, rules, admin, a, b, c, e } = await loadFixture(deployBuilding);
    const gates = [question("Install driveway gates", TYPE.landPlot), question("Hire a doorkeeper", TYPE.other)];
    const before = await announce(hall, a, 1n, gates);
    // the law changes: driveway gates by a majority of participants, the quorum a quarter of all votes
    const v2Types = [
      { code: encodeBytes32String("other"), rule: onChain(MAJORITY_OF_PARTICIPANTS) },
      { code: encodeBytes32String("44.2.2"), rule: onChain(MAJORITY_OF_PARTICIPANTS) },
    ];
    await rules.connect(admin).publish(id("rules v2"), { base: 1, numerator: 1, denominator: 4, strict: false }, v2Types);
    const after = await announce(hall, b, 1n, [question("Install driveway gates", 1), question("Hire a doorkeeper", 0)]);
    expect((await hall.getMeeting(before.meetingId)).rulesVersion).to.equal(1n);
    expect((await hall.getMeeting(after.meetingId)).rulesVersion).to.equal(2n);
    // a type of version 1 that version 2 lacks is refused now
    await expect(announce(hall, c, 1n, [question("Reduce the common property", TYPE.unanimous)]))
      .to.be.revertedWithCustomError(hall, "MeetingHallInvalidQuestionType")
      .withArgs(0, TYPE.unanimous);

    // the same ballots in both: A 50 For, E 60 Against, B 30 For of 200 m²; 140 took part
    await time.increaseTo(after.votingStart);
    for (const meetingId of [before.meetingId, after.meetingId]) {
      await hall.connect(a).castBallot(meetingId, packChoices([For, For]));
      await hall.connect(e).castBallot(meetingId, packChoices([Against, For]));
      await hall.connect(b).castBallot(meetingId, packChoices([For, For]));
    }
    await time.increaseTo(after.votingEnd);
    const w = (m2: number) => BigInt(m2) * 100n * U;
    // version 1: quorum more than half (140 > 100), gates two thirds of all (80 < 133.3): not passed
    const tx1 = hall.finalize(before.meetingId);
    await expect(tx1).to.emit(hall, "MeetingFinalized").withArgs(before.meetingId, w(200), w(140), 3, true);
    await expect(tx1).to.emit(hall, "QuestionDecided").withArgs(before.meetingId, 0, TYPE.landPlot, w(80), w(60), 0, false);
    // version 2: gates by a majority of participants (80 of 140): passed
    const tx2 = hall.finalize(after.meetingId);
    await expect(tx2).to.emit(hall, "QuestionDecided").withArgs(after.meetingId, 0, 1, w(80), w(60), 0, true);
  });

  it("takes the quorum from the meeting's version: a quarter of all votes suffices under a version that says so", async function () {
    const { hall, rules, admin, a } = await loadFixture(deployBuilding);
    await rules.connect(admin).publish(id("rules v2"), { base: 1, numerator: 1, denominator: 4, strict: false }, [
      { code: encodeBytes32String("other"), rule: onChain(MAJORITY_OF_PARTICIPANTS) },
    ]);
    const { meetingId, votingStart, votingEnd } = await announce(hall, a, 1n, [question("Hire a doorkeeper", 0)]);
    await time.increaseTo(votingStart);
    await hall.connect(a).castBallot(meetingId, packChoices([For])); // 50 of 200: exactly a quarter
    await time.increaseTo(votingEnd);
    await expect(hall.finalize(meetingId)).to.emit(hall, "MeetingFinalized").withArgs(meetingId, 20000n * U, 5000n * U, 1, true);
  });

  it("decides every question of the first version's table by its rule", async function () {
    const { hall, a, b, c, d, e } = await loadFixture(deployBuilding);
    const { meetingId, votingStart, votingEnd } = await announce(hall, a, 1n, FIVE_QUESTIONS);
    await time.increaseTo(votingStart);
    // For: A 50 + B 30 + C 30 + D 30 = 140 of 200 (70 %), E 60 Against on everything
    for (const v of [a, b, c, d]) await hall.connect(v).castBallot(meetingId, packChoices([For, For, For, For, For]));
    await hall.connect(e).castBallot(meetingId, packChoices([Against, Against, Against, Against, Against]));
    await time.increaseTo(votingEnd);
    await hall.finalize(meetingId);
    // two thirds of all: passed; majority of participants: passed; majority of all: passed; unanimous: not
    expect((await hall.getResults(meetingId)).map((t) => t.passed)).to.deep.equal([true, true, true, true, false]);
  });
});
