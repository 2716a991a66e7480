import { expect } from "chai";
import { ZeroAddress, ZeroHash, id } from "ethers";
import { SHARE_UNIT } from "#lib/domain.js";
import {
  deployBuilding,
  deployCore,
  ethers,
  holding,
  jointBuilding,
  networkHelpers,
  premisesInput,
  sole,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;

const sorted = (addresses: string[]) => [...addresses].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
/** Decodes a voter's word of `votersAt`: [member number, group count, weight]. */
const voterWord = (p: bigint) => [p & 0xffffffffn, (p >> 32n) & 0xffn, p >> 40n];
/** Decodes a joint group's first word of `votersAt`: [member number, weight]. */
const groupWord = (p: bigint) => [p & 0xffffffffn, p >> 32n];

describe("BuildingRegistry", function () {
  describe("roles", function () {
    it("grants the admin role and the registrar role at deployment", async function () {
      const { registry, admin, registrar } = await loadFixture(deployCore);
      expect(await registry.hasRole(await registry.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await registry.hasRole(await registry.REGISTRAR_ROLE(), registrar.address)).to.equal(true);
      expect(await registry.hasRole(await registry.REGISTRAR_ROLE(), admin.address)).to.equal(false);
      expect(await registry.isRegistrar(registrar.address)).to.equal(true);
      expect(await registry.isRegistrar(admin.address)).to.equal(false);
    });

    it("lets only registrars write the register", async function () {
      const { registry, accounts } = await loadFixture(deployCore);
      const role = await registry.REGISTRAR_ROLE();
      const stranger = accounts[0];
      await expect(registry.connect(stranger).registerBuilding(ZeroHash))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(registry.connect(stranger).addPremises(1, []))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(registry.connect(stranger).setOwners(1, []))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(registry.connect(stranger).setResidents(1, [], true))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(registry.connect(stranger).setOrganiser(1, stranger.address, 1))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(registry.connect(stranger).publishRegister(1, id("register")))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
    });

    it("lets the admin appoint a new registrar", async function () {
      const { registry, admin, accounts } = await loadFixture(deployCore);
      const role = await registry.REGISTRAR_ROLE();
      await registry.connect(admin).grantRole(role, accounts[0].address);
      await expect(registry.connect(accounts[0]).registerBuilding(ZeroHash)).to.emit(registry, "BuildingRegistered");
      expect(await registry.isRegistrar(accounts[0].address)).to.equal(true);
    });
  });

  describe("registerBuilding", function () {
    it("numbers buildings from 1 and emits BuildingRegistered", async function () {
      const { registry, registrar } = await loadFixture(deployCore);
      const ref = id("cadastral:1");
      await expect(registry.connect(registrar).registerBuilding(ref))
        .to.emit(registry, "BuildingRegistered")
        .withArgs(1, ref, registrar.address);
      await registry.connect(registrar).registerBuilding(id("cadastral:2"));
      expect(await registry.buildingCount()).to.equal(2n);
      expect(await registry.buildingExists(2)).to.equal(true);
      expect(await registry.buildingExists(0)).to.equal(false);
      expect(await registry.buildingExists(3)).to.equal(false);
    });
  });

  describe("addPremises", function () {
    it("stores premises with their shared holdings and emits their events", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      const [a, b] = accounts;
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const third = SHARE_UNIT / 3n;
      const tx = registry.connect(registrar).addPremises(1, [
        premisesInput({ area: 9512, kind: 0, ref: id("flat 1"), holdings: [holding([a.address], third), holding([b.address], 2n * third)] }),
        premisesInput({ area: 2000, kind: 2, ref: id("parking 1"), holdings: [] }),
      ]);
      await expect(tx).to.emit(registry, "PremisesRegistered").withArgs(1, 1, 0, 9512, id("flat 1"));
      await expect(tx).to.emit(registry, "PremisesRegistered").withArgs(1, 2, 2, 2000, id("parking 1"));
      await expect(tx)
        .to.emit(registry, "OwnershipChanged")
        .withArgs(1, 1, [
          [[a.address], third],
          [[b.address], 2n * third],
        ]);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, a.address, 0, 9512n * third);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, b.address, 0, 9512n * 2n * third);
      await expect(tx).to.emit(registry, "BuildingWeightChanged").withArgs(1, 0, (9512n + 2000n) * SHARE_UNIT);
      await expect(tx).to.emit(registry, "ElectorateChanged").withArgs(1, 0, 2);
      await expect(tx).not.to.emit(registry, "JointGroupRegistered");

      const [buildingId, area, kind, holdings] = await registry.premises(1);
      expect([buildingId, area, kind]).to.deep.equal([1n, 9512n, 0n]);
      expect(holdings.map((h) => [[...h.holders], h.share])).to.deep.equal([
        [[a.address], third],
        [[b.address], 2n * third],
      ]);
      expect((await registry.premises(2))[3]).to.deep.equal([]);
      expect(await registry.premisesCount()).to.equal(2n);
      expect(await registry.weightOf(1, a.address)).to.equal(9512n * third);
      expect(await registry.totalWeight(1)).to.equal(11512n * SHARE_UNIT);
      expect(await registry.memberIndex(1, a.address)).to.equal(1n);
      expect(await registry.memberIndex(1, b.address)).to.equal(2n);
    });

    it("adds up the weight of an owner of several premises", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      const [a] = accounts;
      await registry.connect(registrar).registerBuilding(ZeroHash);
      await registry.connect(registrar).addPremises(1, [
        premisesInput({ area: 5000, holdings: sole(a.address) }),
        premisesInput({ area: 1500, kind: 2, holdings: sole(a.address) }),
      ]);
      expect(await registry.weightOf(1, a.address)).to.equal(6500n * SHARE_UNIT);
      expect(await registry.electorateAt(1, await time.latest())).to.equal(1n);
    });

    it("rejects an unknown building", async function () {
      const { registry, registrar } = await loadFixture(deployCore);
      await expect(registry.connect(registrar).addPremises(7, []))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownBuilding")
        .withArgs(7);
    });

    it("rejects a premises with no area or an impossible one", async function () {
      const { registry, registrar } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      await expect(
        registry.connect(registrar).addPremises(1, [
          premisesInput({ area: 10, holdings: [] }),
          premisesInput({ area: 0, holdings: [] }),
        ]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidArea")
        .withArgs(1, 0);
      await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 2n ** 40n, holdings: [] })]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidArea")
        .withArgs(0, 2n ** 40n);
    });

    it("rejects a holding with no holder or more than eight joint holders", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const half = SHARE_UNIT / 2n;
      await expect(
        registry
          .connect(registrar)
          .addPremises(1, [premisesInput({ area: 10, holdings: [holding([accounts[0].address], half), holding([], half)] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidHolding")
        .withArgs(1, 0);
      const nine = accounts.slice(0, 9).map((s) => s.address);
      await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, holdings: [holding(nine)] })]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidHolding")
        .withArgs(0, 9);
      await registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, holdings: [holding(nine.slice(0, 8))] })]);
    });

    it("rejects shares that do not sum to one", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const [a, b] = accounts;
      await expect(
        registry
          .connect(registrar)
          .addPremises(1, [premisesInput({ area: 10, holdings: [holding([a.address], SHARE_UNIT / 2n), holding([b.address], SHARE_UNIT / 3n)] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistrySharesNotWhole")
        .withArgs(SHARE_UNIT / 2n + SHARE_UNIT / 3n, SHARE_UNIT);
    });

    it("rejects the zero address and zero shares as owners", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, holdings: sole(ZeroAddress) })]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidOwner")
        .withArgs(ZeroAddress, SHARE_UNIT);
      await expect(
        registry
          .connect(registrar)
          .addPremises(1, [premisesInput({ area: 10, holdings: [holding([accounts[0].address]), holding([accounts[1].address], 0n)] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidOwner")
        .withArgs(accounts[1].address, 0);
      await expect(
        registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, holdings: [holding([accounts[0].address, ZeroAddress])] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidOwner")
        .withArgs(ZeroAddress, SHARE_UNIT);
    });

    it("rejects an owner listed twice, in two holdings or twice in one joint holding", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const [a, b] = accounts.map((s) => s.address);
      const half = SHARE_UNIT / 2n;
      const cases: Array<[ReturnType<typeof holding>[], string]> = [
        [[holding([a], half), holding([a], half)], a],
        [[holding([a, b], half), holding([b], half)], b],
        [[holding([a, b, a])], a],
      ];
      for (const [holdings, duplicate] of cases) {
        await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, holdings })]))
          .to.be.revertedWithCustomError(registry, "BuildingRegistryDuplicateOwner")
          .withArgs(duplicate);
      }
    });

    it("rejects more than 64 holdings of one premises", async function () {
      const { registry, registrar } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const owners = Array.from({ length: 65 }, (_, i) => ethers.getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`));
      await expect(
        registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, holdings: owners.map((o) => holding([o], 1n)) })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryTooManyOwners")
        .withArgs(65, 64);
    });
  });

  describe("joint holdings", function () {
    it("registers the joint group on first use and keeps the jointly held weight on it", async function () {
      const { registry, j, k, l, group, tx } = await loadFixture(jointBuilding);
      const holders = sorted([j.address, k.address]);
      await expect(tx).to.emit(registry, "JointGroupRegistered").withArgs(1, group, holders);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, group, 0, 4000n * SHARE_UNIT);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, group, 4000n * SHARE_UNIT, 5000n * SHARE_UNIT);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, j.address, 0, 1000n * SHARE_UNIT);
      // J, K and L are new persons in the electorate; the group is not a person
      await expect(tx).to.emit(registry, "ElectorateChanged").withArgs(1, 6, 9);
      expect(await registry.weightOf(1, group)).to.equal(5000n * SHARE_UNIT);
      expect(await registry.weightOf(1, j.address)).to.equal(1000n * SHARE_UNIT);
      expect(await registry.weightOf(1, k.address)).to.equal(0n);
      expect(await registry.weightOf(1, l.address)).to.equal(1000n * SHARE_UNIT);
      expect(await registry.totalWeight(1)).to.equal(27000n * SHARE_UNIT);
      expect(await registry.jointHolders(1, group)).to.deep.equal(holders);
      expect(await registry.jointGroupsOf(1, j.address)).to.deep.equal([group]);
      expect(await registry.jointGroupsOf(1, k.address)).to.deep.equal([group]);
      expect(await registry.jointGroupsOf(1, l.address)).to.deep.equal([]);
      expect(await registry.memberIndex(1, group)).to.not.equal(0n);
      expect(await registry.memberIndex(1, k.address)).to.not.equal(0n);
    });

    it("lists a joint holding's holders sorted, however the registrar ordered them", async function () {
      const { registry, j, k, l } = await loadFixture(jointBuilding);
      const [, , , flat5] = await registry.premises(5);
      expect(flat5.map((h) => [[...h.holders], h.share])).to.deep.equal([[sorted([j.address, k.address]), SHARE_UNIT]]);
      const [, , , parking] = await registry.premises(7);
      expect(parking.map((h) => [[...h.holders], h.share])).to.deep.equal([
        [sorted([j.address, k.address]), SHARE_UNIT / 2n],
        [[l.address], SHARE_UNIT / 2n],
      ]);
    });

    it("names a group by the building and its holders in any order", async function () {
      const { registry, j, k, l, group } = await loadFixture(jointBuilding);
      expect(await registry.jointGroupOf(1, [k.address, j.address])).to.equal(group);
      expect(await registry.jointGroupOf(2, [j.address, k.address])).to.not.equal(group);
      expect(await registry.jointGroupOf(1, [j.address, k.address, l.address])).to.not.equal(group);
      await expect(registry.jointGroupOf(1, [j.address]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidHolding")
        .withArgs(0, 1);
      await expect(registry.jointGroupOf(1, [j.address, j.address]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryDuplicateOwner")
        .withArgs(j.address);
      expect(await registry.jointHolders(1, j.address)).to.deep.equal([]);
    });

    it("counts a joint owner as an owner who may announce, and the group as nobody", async function () {
      const { registry, k, group } = await loadFixture(jointBuilding);
      const now = await time.latest();
      expect(await registry.isOwnerAt(1, k.address, now)).to.equal(true);
      expect(await registry.canAnnounce(1, k.address)).to.equal(true);
      expect(await registry.isOwnerAt(1, group, now)).to.equal(false);
      expect(await registry.canAnnounce(1, group)).to.equal(false);
      expect(await registry.isOwnerAt(1, k.address, now - 100)).to.equal(false);
    });

    it("moves a sold joint flat's weight off the group and out of the electorate when the group holds nothing", async function () {
      const { registry, registrar, j, k, group, outsider } = await loadFixture(jointBuilding);
      const before = await time.latest();
      await time.increase(10);
      await registry.connect(registrar).setOwners(5, sole(outsider.address));
      await registry.connect(registrar).setOwners(7, sole(outsider.address));
      const after = await time.latest();
      expect(await registry.weightOf(1, group)).to.equal(0n);
      expect(await registry.weightAt(1, group, before)).to.equal(5000n * SHARE_UNIT);
      // K held only jointly: no longer an owner; J still owns flat 6
      expect(await registry.isOwnerAt(1, k.address, after)).to.equal(false);
      expect(await registry.isOwnerAt(1, k.address, before)).to.equal(true);
      expect(await registry.canAnnounce(1, k.address)).to.equal(false);
      expect(await registry.canAnnounce(1, j.address)).to.equal(true);
      // electorate: 9 + outsider - K - L (L sold their half of the parking space)
      expect(await registry.electorateAt(1, after)).to.equal(8n);
      // the group stays listed: its history is what a meeting announced before reads
      expect(await registry.jointGroupsOf(1, k.address)).to.deep.equal([group]);
    });

    it("uses one group for every joint holding of the same people and registers it once", async function () {
      const { registry, registrar, j, k, group } = await loadFixture(jointBuilding);
      await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 500, holdings: [holding([k.address, j.address])] })]))
        .to.emit(registry, "VoterWeightChanged")
        .withArgs(1, group, 5000n * SHARE_UNIT, 5500n * SHARE_UNIT)
        .and.not.to.emit(registry, "JointGroupRegistered");
      expect(await registry.jointGroupsOf(1, j.address)).to.deep.equal([group]);
    });

    it("refuses a ninth joint group for one person in a building", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const [p, ...partners] = accounts.map((s) => s.address);
      const flats = partners.slice(0, 8).map((partner) => premisesInput({ area: 100, holdings: [holding([p, partner])] }));
      await registry.connect(registrar).addPremises(1, flats);
      expect(await registry.jointGroupsOf(1, p)).to.have.length(8);
      await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 100, holdings: [holding([p, partners[8]])] })]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryTooManyJointGroups")
        .withArgs(1, p);
    });

    it("refuses a joint group's address as a sole holder, a holder of another group, a resident or an organiser", async function () {
      const { registry, registrar, j, group } = await loadFixture(jointBuilding);
      await expect(registry.connect(registrar).setOwners(1, sole(group)))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryJointGroupAccount")
        .withArgs(group);
      await expect(registry.connect(registrar).setOwners(1, [holding([group, j.address])]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryJointGroupAccount")
        .withArgs(group);
      await expect(registry.connect(registrar).setResidents(1, [group], true))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryJointGroupAccount")
        .withArgs(group);
      await expect(registry.connect(registrar).setOrganiser(1, group, 1))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryJointGroupAccount")
        .withArgs(group);
    });

    it("refuses to make a group of people whose group address is already a person's", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const [x, y] = accounts.map((s) => s.address);
      const address = await registry.jointGroupOf(1, [x, y]);
      await registry.connect(registrar).setResidents(1, [address], true);
      await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 100, holdings: [holding([x, y])] })]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryJointGroupAccount")
        .withArgs(address);
    });
  });

  describe("setOwners", function () {
    it("moves the weight on a sale and keeps the past readable", async function () {
      const { registry, registrar, a, outsider } = await loadFixture(deployBuilding);
      const before = await time.latest();
      await time.increase(100);
      const tx = registry.connect(registrar).setOwners(1, sole(outsider.address));
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, a.address, 5000n * SHARE_UNIT, 0);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, outsider.address, 0, 5000n * SHARE_UNIT);
      await expect(tx).to.emit(registry, "OwnershipChanged").withArgs(1, 1, [[[outsider.address], SHARE_UNIT]]);
      await expect(tx).not.to.emit(registry, "BuildingWeightChanged");
      const after = await time.latest();
      expect(await registry.weightOf(1, a.address)).to.equal(0n);
      expect(await registry.weightAt(1, a.address, before)).to.equal(5000n * SHARE_UNIT);
      expect(await registry.weightAt(1, a.address, after)).to.equal(0n);
      expect(await registry.weightAt(1, outsider.address, before)).to.equal(0n);
      expect(await registry.weightAt(1, outsider.address, after)).to.equal(5000n * SHARE_UNIT);
      expect(await registry.totalWeightAt(1, before)).to.equal(await registry.totalWeightAt(1, after));
      expect(await registry.isOwnerAt(1, a.address, before)).to.equal(true);
      expect(await registry.isOwnerAt(1, a.address, after)).to.equal(false);
    });

    it("splits an inheritance among heirs in one call", async function () {
      const { registry, registrar, d, accounts } = await loadFixture(deployBuilding);
      const heirs = accounts.slice(8, 11).map((s) => s.address);
      const third = SHARE_UNIT / 3n;
      await registry.connect(registrar).setOwners(3, heirs.map((h) => holding([h], third)));
      expect(await registry.weightOf(1, d.address)).to.equal(0n);
      for (const heir of heirs) expect(await registry.weightOf(1, heir)).to.equal(3000n * third);
      const [, , , holdings] = await registry.premises(3);
      expect(holdings.map((h) => h.holders[0])).to.deep.equal(heirs);
    });

    it("turns a shared flat into a joint one and back", async function () {
      const { registry, registrar, b, c } = await loadFixture(deployBuilding);
      const group = await registry.jointGroupOf(1, [b.address, c.address]);
      await expect(registry.connect(registrar).setOwners(2, [holding([b.address, c.address])]))
        .to.emit(registry, "JointGroupRegistered")
        .withArgs(1, group, sorted([b.address, c.address]))
        .and.not.to.emit(registry, "ElectorateChanged");
      expect(await registry.weightOf(1, b.address)).to.equal(0n);
      expect(await registry.weightOf(1, group)).to.equal(6000n * SHARE_UNIT);
      expect(await registry.canAnnounce(1, c.address)).to.equal(true);
      const half = SHARE_UNIT / 2n;
      await registry.connect(registrar).setOwners(2, [holding([b.address], half), holding([c.address], half)]);
      expect(await registry.weightOf(1, group)).to.equal(0n);
      expect(await registry.weightOf(1, c.address)).to.equal(3000n * SHARE_UNIT);
      expect(await registry.electorateAt(1, await time.latest())).to.equal(6n);
    });

    it("reads a weight through several changes by binary search of the history", async function () {
      const { registry, registrar, a, outsider } = await loadFixture(deployBuilding);
      const points: Array<[number, bigint]> = [[await time.latest(), 5000n * SHARE_UNIT]];
      for (let i = 0; i < 4; i++) {
        await time.increase(50);
        const toOutsider = i % 2 === 0;
        await registry.connect(registrar).setOwners(1, sole(toOutsider ? outsider.address : a.address));
        points.push([await time.latest(), toOutsider ? 0n : 5000n * SHARE_UNIT]);
      }
      for (const [t, w] of points) {
        expect(await registry.weightAt(1, a.address, t)).to.equal(w);
        expect(await registry.weightAt(1, a.address, t + 1)).to.equal(w);
      }
    });

    it("validates the new owners as addPremises does", async function () {
      const { registry, registrar, a } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setOwners(1, [holding([a.address], SHARE_UNIT - 1n)]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistrySharesNotWhole")
        .withArgs(SHARE_UNIT - 1n, SHARE_UNIT);
    });

    it("rejects an unknown premises", async function () {
      const { registry, registrar } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setOwners(99, []))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownPremises")
        .withArgs(99);
      await expect(registry.premises(99)).to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownPremises").withArgs(99);
    });

    it("leaves a premises without owners and shrinks the electorate", async function () {
      const { registry, registrar, e } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setOwners(4, []))
        .to.emit(registry, "ElectorateChanged")
        .withArgs(1, 6, 5);
      expect(await registry.weightOf(1, e.address)).to.equal(0n);
    });
  });

  describe("publishRegister", function () {
    it("records the hash of the building's off-chain register, the latest one winning", async function () {
      const { registry, registrar } = await loadFixture(deployBuilding);
      expect(await registry.registerHash(1)).to.equal(ZeroHash);
      await expect(registry.connect(registrar).publishRegister(1, id("register v1")))
        .to.emit(registry, "RegisterPublished")
        .withArgs(1, id("register v1"));
      await registry.connect(registrar).publishRegister(1, id("register v2"));
      expect(await registry.registerHash(1)).to.equal(id("register v2"));
      expect(await registry.registerHash(2)).to.equal(ZeroHash);
    });

    it("rejects an unknown building", async function () {
      const { registry, registrar } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).publishRegister(2, id("x")))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownBuilding")
        .withArgs(2);
    });
  });

  describe("setResidents", function () {
    it("registers and deregisters residents with history", async function () {
      const { registry, registrar, r, outsider } = await loadFixture(deployBuilding);
      const t0 = await time.latest();
      await expect(registry.connect(registrar).setResidents(1, [outsider.address], true))
        .to.emit(registry, "ResidentChanged")
        .withArgs(1, outsider.address, true)
        .and.to.emit(registry, "ElectorateChanged")
        .withArgs(1, 6, 7);
      const t1 = await time.latest();
      await registry.connect(registrar).setResidents(1, [r.address], false);
      const t2 = await time.latest();
      expect(await registry.isResident(1, outsider.address)).to.equal(true);
      expect(await registry.isResidentAt(1, outsider.address, t0)).to.equal(false);
      expect(await registry.isResidentAt(1, outsider.address, t1)).to.equal(true);
      expect(await registry.isResidentAt(1, r.address, t1)).to.equal(true);
      expect(await registry.isResidentAt(1, r.address, t2)).to.equal(false);
      expect(await registry.electorateAt(1, t2)).to.equal(6n);
    });

    it("does not count an owner who also becomes a resident twice in the electorate", async function () {
      const { registry, registrar, a } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setResidents(1, [a.address], true)).not.to.emit(registry, "ElectorateChanged");
      expect(await registry.electorateAt(1, await time.latest())).to.equal(6n);
    });

    it("does not count a joint owner who also becomes a resident twice in the electorate", async function () {
      const { registry, registrar, k } = await loadFixture(jointBuilding);
      await expect(registry.connect(registrar).setResidents(1, [k.address], true)).not.to.emit(registry, "ElectorateChanged");
    });

    it("ignores a resident already in that state", async function () {
      const { registry, registrar, r } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setResidents(1, [r.address], true)).not.to.emit(registry, "ResidentChanged");
    });

    it("rejects the zero address and an unknown building", async function () {
      const { registry, registrar } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setResidents(1, [ZeroAddress], true)).to.be.revertedWithCustomError(
        registry,
        "BuildingRegistryZeroAddress",
      );
      await expect(registry.connect(registrar).setResidents(5, [], true))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownBuilding")
        .withArgs(5);
    });
  });

  describe("setOrganiser", function () {
    it("grants and revokes the right to announce", async function () {
      const { registry, registrar, outsider } = await loadFixture(deployBuilding);
      expect(await registry.canAnnounce(1, outsider.address)).to.equal(false);
      await expect(registry.connect(registrar).setOrganiser(1, outsider.address, 3))
        .to.emit(registry, "OrganiserChanged")
        .withArgs(1, outsider.address, 3);
      expect(await registry.organiserRole(1, outsider.address)).to.equal(3n);
      expect(await registry.canAnnounce(1, outsider.address)).to.equal(true);
      await registry.connect(registrar).setOrganiser(1, outsider.address, 0);
      expect(await registry.canAnnounce(1, outsider.address)).to.equal(false);
    });

    it("rejects the zero address and an unknown building", async function () {
      const { registry, registrar, outsider } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setOrganiser(1, ZeroAddress, 1)).to.be.revertedWithCustomError(
        registry,
        "BuildingRegistryZeroAddress",
      );
      await expect(registry.connect(registrar).setOrganiser(2, outsider.address, 1))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownBuilding")
        .withArgs(2);
    });
  });

  describe("votersAt", function () {
    it("returns member numbers and weights at a timepoint, and one vote per person for polls", async function () {
      const { registry, registrar, a, b, r, outsider } = await loadFixture(deployBuilding);
      const t = await time.latest();
      await time.increase(10);
      await registry.connect(registrar).setOwners(1, sole(outsider.address));
      const voters = [a.address, b.address, r.address, outsider.address, ZeroAddress];
      const weighted = await registry.votersAt(1, voters, t, false);
      expect(weighted.map(voterWord)).to.deep.equal([
        [1n, 0n, 5000n * SHARE_UNIT],
        [2n, 0n, 3000n * SHARE_UNIT],
        [6n, 0n, 0n],
        [7n, 0n, 0n],
        [0n, 0n, 0n],
      ]);
      const perPerson = await registry.votersAt(1, voters, t, true);
      expect(perPerson.map(voterWord)).to.deep.equal([
        [1n, 0n, 1n],
        [2n, 0n, 1n],
        [6n, 0n, 1n],
        [7n, 0n, 0n],
        [0n, 0n, 0n],
      ]);
    });

    it("lists each joint owner's groups holding weight after the voters, two words each", async function () {
      const { registry, registrar, j, k, l, a, group, outsider } = await loadFixture(jointBuilding);
      const t = await time.latest();
      const gi = await registry.memberIndex(1, group);
      const [ji, ki, li] = await Promise.all([j, k, l].map((s) => registry.memberIndex(1, s.address)));
      const words = await registry.votersAt(1, [j.address, a.address, k.address, l.address, group], t, false);
      expect(words).to.have.length(5 + 4);
      expect(words.slice(0, 5).map(voterWord)).to.deep.equal([
        [ji, 1n, 1000n * SHARE_UNIT],
        [1n, 0n, 5000n * SHARE_UNIT],
        [ki, 1n, 0n],
        [li, 0n, 1000n * SHARE_UNIT],
        [gi, 0n, 0n], // the group as a voter: no weight of its own to vote
      ]);
      expect(groupWord(words[5])).to.deep.equal([gi, 5000n * SHARE_UNIT]);
      expect(ethers.getAddress(ethers.toBeHex(words[6], 20))).to.equal(group);
      expect(groupWord(words[7])).to.deep.equal([gi, 5000n * SHARE_UNIT]);
      expect(ethers.getAddress(ethers.toBeHex(words[8], 20))).to.equal(group);

      // once the group holds nothing, it is not listed for a later timepoint
      await time.increase(10);
      await registry.connect(registrar).setOwners(5, sole(outsider.address));
      await registry.connect(registrar).setOwners(7, sole(outsider.address));
      const later = await registry.votersAt(1, [k.address], await time.latest(), false);
      expect(later.map(voterWord)).to.deep.equal([[ki, 0n, 0n]]);
      expect((await registry.votersAt(1, [k.address], t, false)).length).to.equal(3);
    });

    it("gives each joint owner one vote in a poll and lists no groups", async function () {
      const { registry, j, k, group } = await loadFixture(jointBuilding);
      const t = await time.latest();
      const words = await registry.votersAt(1, [j.address, k.address, group], t, true);
      expect(words).to.have.length(3);
      expect(words.map((w) => voterWord(w)[2])).to.deep.equal([1n, 1n, 0n]);
    });
  });
});
