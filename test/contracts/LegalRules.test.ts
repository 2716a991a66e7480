import { expect } from "chai";
import { ZeroHash, encodeBytes32String, id } from "ethers";
import {
  MAJORITY_OF_ALL,
  MAJORITY_OF_PARTICIPANTS,
  RULE_BASES,
  TWO_THIRDS_OF_ALL,
  UNANIMOUS,
  meets,
  type Rule,
} from "#lib/domain.js";
import { RULES_2024_09_01, publishArgs, sourceRef } from "#lib/legal-rules.js";
import type { LegalRules } from "#typechain/index.js";
import { ethers, networkHelpers } from "./fixtures.js";

const { loadFixture } = networkHelpers;
const ALL = 1;
const PARTICIPANTS = 0;
const onChain = (r: Rule) => ({ base: RULE_BASES.indexOf(r.base), numerator: r.numerator, denominator: r.denominator, strict: r.strict });
const asArray = (r: Rule) => [BigInt(RULE_BASES.indexOf(r.base)), BigInt(r.numerator), BigInt(r.denominator), r.strict];

async function deployRules() {
  const [admin, other, stranger] = await ethers.getSigners();
  const rules = (await ethers.deployContract("LegalRules", [admin.address])) as unknown as LegalRules;
  return { rules, admin, other, stranger };
}

async function publishedRules() {
  const f = await deployRules();
  const args = publishArgs(RULES_2024_09_01);
  const tx = await f.rules.publish(args.sourceRef, args.quorum, args.questionTypes);
  return { ...f, args, tx };
}

describe("LegalRules", function () {
  describe("constructor", function () {
    it("grants the admin both roles and publishes nothing", async function () {
      const { rules, admin, other } = await loadFixture(deployRules);
      expect(await rules.hasRole(await rules.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await rules.hasRole(await rules.RULES_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await rules.hasRole(await rules.RULES_ADMIN_ROLE(), other.address)).to.equal(false);
      expect(await rules.currentVersion()).to.equal(0n);
      for (const call of [rules.quorumRule(0), rules.quorumRule(1), rules.questionTypeCount(1), rules.sourceRefOf(1)]) {
        await expect(call).to.be.revertedWithCustomError(rules, "LegalRulesUnknownVersion");
      }
    });
  });

  describe("publish", function () {
    it("publishes the rules in force since 1 September 2024 as version 1, with all of them in the event", async function () {
      const { rules, args, tx } = await loadFixture(publishedRules);
      await expect(tx)
        .to.emit(rules, "RulesPublished")
        .withArgs(
          1,
          args.sourceRef,
          asArray(MAJORITY_OF_ALL),
          RULES_2024_09_01.questionTypes.map((t) => [encodeBytes32String(t.code), asArray(t.rule)]),
        );
      expect(await rules.currentVersion()).to.equal(1n);
      expect(await rules.sourceRefOf(1)).to.equal(sourceRef(RULES_2024_09_01));
      expect(await rules.quorumRule(1)).to.deep.equal(asArray(MAJORITY_OF_ALL));
      expect(await rules.questionTypeCount(1)).to.equal(BigInt(RULES_2024_09_01.questionTypes.length));
      for (const [i, t] of RULES_2024_09_01.questionTypes.entries()) {
        const stored = await rules.questionType(1, i);
        expect([stored.code, [...stored.rule]]).to.deep.equal([encodeBytes32String(t.code), asArray(t.rule)]);
      }
    });

    it("returns a version's quorum and the rules of the asked types in one call", async function () {
      const { rules } = await loadFixture(publishedRules);
      const [quorum, list] = await rules.rulesFor(1, [1, 0, 1, 16]);
      expect([...quorum]).to.deep.equal(asArray(MAJORITY_OF_ALL));
      expect(list.map((r) => [...r])).to.deep.equal([TWO_THIRDS_OF_ALL, MAJORITY_OF_PARTICIPANTS, TWO_THIRDS_OF_ALL, UNANIMOUS].map(asArray));
    });

    it("refuses an unknown version or question type", async function () {
      const { rules } = await loadFixture(publishedRules);
      const count = RULES_2024_09_01.questionTypes.length;
      await expect(rules.rulesFor(2, [0])).to.be.revertedWithCustomError(rules, "LegalRulesUnknownVersion").withArgs(2);
      await expect(rules.rulesFor(0, [0])).to.be.revertedWithCustomError(rules, "LegalRulesUnknownVersion").withArgs(0);
      await expect(rules.rulesFor(1, [0, count]))
        .to.be.revertedWithCustomError(rules, "LegalRulesUnknownQuestionType")
        .withArgs(1, count);
      await expect(rules.questionType(1, count))
        .to.be.revertedWithCustomError(rules, "LegalRulesUnknownQuestionType")
        .withArgs(1, count);
    });

    it("lets only a rules administrator publish, and the admin appoint one", async function () {
      const { rules, admin, other } = await loadFixture(deployRules);
      const args = publishArgs(RULES_2024_09_01);
      await expect(rules.connect(other).publish(args.sourceRef, args.quorum, args.questionTypes))
        .to.be.revertedWithCustomError(rules, "LegalRulesUnauthorized")
        .withArgs(other.address);
      await rules.connect(admin).grantRole(await rules.RULES_ADMIN_ROLE(), other.address);
      await expect(rules.connect(other).publish(args.sourceRef, args.quorum, args.questionTypes)).to.emit(rules, "RulesPublished");
    });

    it("keeps every published version unchanged when a new one becomes current", async function () {
      const { rules } = await loadFixture(publishedRules);
      // a repeated meeting's quorum of 25 % (a draft of 2025), not less than a quarter of all votes
      const quarter = { base: ALL, numerator: 1, denominator: 4, strict: false };
      const types = [{ code: encodeBytes32String("other"), rule: onChain(MAJORITY_OF_PARTICIPANTS) }];
      await expect(rules.publish(id("v2"), quarter, types)).to.emit(rules, "RulesPublished");
      expect(await rules.currentVersion()).to.equal(2n);
      expect([...(await rules.quorumRule(2))]).to.deep.equal([1n, 1n, 4n, false]);
      expect(await rules.questionTypeCount(2)).to.equal(1n);
      expect([...(await rules.quorumRule(1))]).to.deep.equal(asArray(MAJORITY_OF_ALL));
      expect(await rules.questionTypeCount(1)).to.equal(BigInt(RULES_2024_09_01.questionTypes.length));
      expect(await rules.sourceRefOf(1)).to.equal(sourceRef(RULES_2024_09_01));
    });

    it("refuses no question types and more than 1024", async function () {
      const { rules } = await loadFixture(deployRules);
      const quorum = onChain(MAJORITY_OF_ALL);
      await expect(rules.publish(ZeroHash, quorum, [])).to.be.revertedWithCustomError(rules, "LegalRulesQuestionTypeCount").withArgs(0);
      const many = Array.from({ length: 1025 }, (_, i) => ({ code: encodeBytes32String(`t${i}`), rule: quorum }));
      await expect(rules.publish(ZeroHash, quorum, many)).to.be.revertedWithCustomError(rules, "LegalRulesQuestionTypeCount").withArgs(1025);
    });

    it("refuses a fraction outside (0, 1], naming the type, and a quorum not on all votes", async function () {
      const { rules } = await loadFixture(deployRules);
      const good = { code: encodeBytes32String("other"), rule: onChain(MAJORITY_OF_PARTICIPANTS) };
      const quorum = onChain(MAJORITY_OF_ALL);
      const QUORUM = 2n ** 256n - 1n;
      for (const [numerator, denominator] of [
        [0, 2],
        [1, 0],
        [3, 2],
      ]) {
        const bad = { code: encodeBytes32String("bad"), rule: { base: ALL, numerator, denominator, strict: false } };
        await expect(rules.publish(ZeroHash, quorum, [good, bad]))
          .to.be.revertedWithCustomError(rules, "LegalRulesInvalidRule")
          .withArgs(1, numerator, denominator);
        await expect(rules.publish(ZeroHash, bad.rule, [good]))
          .to.be.revertedWithCustomError(rules, "LegalRulesInvalidRule")
          .withArgs(QUORUM, numerator, denominator);
      }
      await expect(rules.publish(ZeroHash, { ...quorum, base: PARTICIPANTS }, [good]))
        .to.be.revertedWithCustomError(rules, "LegalRulesInvalidRule")
        .withArgs(QUORUM, 1, 2);
    });

    it("refuses an empty code and a code used twice", async function () {
      const { rules } = await loadFixture(deployRules);
      const quorum = onChain(MAJORITY_OF_ALL);
      const type = (code: string) => ({ code: code === "" ? ZeroHash : encodeBytes32String(code), rule: quorum });
      await expect(rules.publish(ZeroHash, quorum, [type("a"), type("")]))
        .to.be.revertedWithCustomError(rules, "LegalRulesEmptyCode")
        .withArgs(1);
      await expect(rules.publish(ZeroHash, quorum, [type("a"), type("b"), type("a")]))
        .to.be.revertedWithCustomError(rules, "LegalRulesDuplicateCode")
        .withArgs(encodeBytes32String("a"));
      expect(await rules.currentVersion()).to.equal(0n);
    });
  });

  describe("meets", function () {
    it("applies the thresholds at their exact boundaries", async function () {
      const { rules } = await loadFixture(deployRules);
      const check = (r: Rule, value: number, participating: number, total: number) =>
        rules.meets(onChain(r), value, participating, total);
      // majority of participants: strictly more than half
      expect(await check(MAJORITY_OF_PARTICIPANTS, 50, 100, 300)).to.equal(false);
      expect(await check(MAJORITY_OF_PARTICIPANTS, 51, 100, 300)).to.equal(true);
      // majority of all
      expect(await check(MAJORITY_OF_ALL, 150, 200, 300)).to.equal(false);
      expect(await check(MAJORITY_OF_ALL, 151, 200, 300)).to.equal(true);
      // two thirds of all: not less than 2/3
      expect(await check(TWO_THIRDS_OF_ALL, 200, 300, 300)).to.equal(true);
      expect(await check(TWO_THIRDS_OF_ALL, 199, 300, 300)).to.equal(false);
      expect(await check(TWO_THIRDS_OF_ALL, 667, 1000, 1001)).to.equal(false); // 667/1001 < 2/3
      expect(await check(TWO_THIRDS_OF_ALL, 668, 1000, 1001)).to.equal(true);
      // unanimous
      expect(await check(UNANIMOUS, 299, 300, 300)).to.equal(false);
      expect(await check(UNANIMOUS, 300, 300, 300)).to.equal(true);
    });

    it("decides without overflow at the largest values", async function () {
      const { rules } = await loadFixture(deployRules);
      const max = 2n ** 256n - 1n;
      const twoThirds = onChain(TWO_THIRDS_OF_ALL);
      expect(await rules.meets(twoThirds, max, max, max)).to.equal(true);
      expect(await rules.meets(twoThirds, max - 1n, max, max)).to.equal(true);
      expect(await rules.meets(twoThirds, (max / 3n) * 2n, max, max)).to.equal(true); // max is divisible by 3
      expect(await rules.meets(twoThirds, (max / 3n) * 2n - 1n, max, max)).to.equal(false);
      expect(await rules.meets(onChain(MAJORITY_OF_ALL), max / 2n, max, max)).to.equal(false);
      expect(await rules.meets(onChain(MAJORITY_OF_ALL), max / 2n + 1n, max, max)).to.equal(true);
    });

    it("agrees with the TypeScript rule that the audit tools use", async function () {
      const { rules } = await loadFixture(deployRules);
      const candidates: Rule[] = [MAJORITY_OF_PARTICIPANTS, MAJORITY_OF_ALL, TWO_THIRDS_OF_ALL, UNANIMOUS, { base: "All", numerator: 1, denominator: 4, strict: false }];
      let seed = 12345n;
      const next = (bound: bigint) => (seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n) % bound;
      for (let i = 0; i < 40; i++) {
        const total = next(10_000n) + 1n;
        const participating = next(total + 1n);
        const value = next(participating + 1n);
        for (const r of candidates) {
          expect(await rules.meets(onChain(r), value, participating, total)).to.equal(meets(r, value, participating, total));
        }
      }
    });
  });
});
