import { expect } from "chai";
import { ZeroAddress, ZeroHash, id } from "ethers";
import { SHARE_UNIT } from "#lib/domain.js";
import {
  deployBuilding,
  deployCore,
  ethers,
  networkHelpers,
  premisesInput,
} from "./fixtures.js";

const { loadFixture, time } = networkHelpers;

describe("BuildingRegistry", function () {
  describe("roles", function () {
    it("grants the admin role and the registrar role at deployment", async function () {
      const { registry, admin, registrar } = await loadFixture(deployCore);
      expect(await registry.hasRole(await registry.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await registry.hasRole(await registry.REGISTRAR_ROLE(), registrar.address)).to.equal(true);
      expect(await registry.hasRole(await registry.REGISTRAR_ROLE(), admin.address)).to.equal(false);
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
      await expect(registry.connect(stranger).setOwners(1, [], []))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(registry.connect(stranger).setResidents(1, [], true))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(registry.connect(stranger).setOrganiser(1, stranger.address, 1))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
    });

    it("lets the admin appoint a new registrar", async function () {
      const { registry, admin, accounts } = await loadFixture(deployCore);
      const role = await registry.REGISTRAR_ROLE();
      await registry.connect(admin).grantRole(role, accounts[0].address);
      await expect(registry.connect(accounts[0]).registerBuilding(ZeroHash)).to.emit(registry, "BuildingRegistered");
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
    it("stores premises with owners and shares and emits their events", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      const [a, b] = accounts;
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const third = SHARE_UNIT / 3n;
      const tx = registry.connect(registrar).addPremises(1, [
        premisesInput({ area: 9512, kind: 0, ref: id("flat 1"), owners: [a.address, b.address], shares: [third, 2n * third] }),
        premisesInput({ area: 2000, kind: 2, ref: id("parking 1"), owners: [], shares: [] }),
      ]);
      await expect(tx).to.emit(registry, "PremisesRegistered").withArgs(1, 1, 0, 9512, id("flat 1"));
      await expect(tx).to.emit(registry, "PremisesRegistered").withArgs(1, 2, 2, 2000, id("parking 1"));
      await expect(tx)
        .to.emit(registry, "OwnershipChanged")
        .withArgs(1, 1, [a.address, b.address], [third, 2n * third]);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, a.address, 0, 9512n * third);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, b.address, 0, 9512n * 2n * third);
      await expect(tx).to.emit(registry, "BuildingWeightChanged").withArgs(1, 0, (9512n + 2000n) * SHARE_UNIT);
      await expect(tx).to.emit(registry, "ElectorateChanged").withArgs(1, 0, 2);

      const [buildingId, area, kind, owners, shares] = await registry.premises(1);
      expect([buildingId, area, kind]).to.deep.equal([1n, 9512n, 0n]);
      expect(owners).to.deep.equal([a.address, b.address]);
      expect(shares).to.deep.equal([third, 2n * third]);
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
        premisesInput({ area: 5000, owners: [a.address], shares: [SHARE_UNIT] }),
        premisesInput({ area: 1500, kind: 2, owners: [a.address], shares: [SHARE_UNIT] }),
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
          premisesInput({ area: 10, owners: [], shares: [] }),
          premisesInput({ area: 0, owners: [], shares: [] }),
        ]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidArea")
        .withArgs(1, 0);
      await expect(registry.connect(registrar).addPremises(1, [premisesInput({ area: 2n ** 40n, owners: [], shares: [] })]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidArea")
        .withArgs(0, 2n ** 40n);
    });

    it("rejects owners and shares of different lengths", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      await expect(
        registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, owners: [accounts[0].address], shares: [] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryLengthMismatch")
        .withArgs(1, 0);
    });

    it("rejects shares that do not sum to one", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const [a, b] = accounts;
      await expect(
        registry
          .connect(registrar)
          .addPremises(1, [premisesInput({ area: 10, owners: [a.address, b.address], shares: [SHARE_UNIT / 2n, SHARE_UNIT / 3n] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistrySharesNotWhole")
        .withArgs(SHARE_UNIT / 2n + SHARE_UNIT / 3n, SHARE_UNIT);
    });

    it("rejects the zero address and zero shares as owners", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      await expect(
        registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, owners: [ZeroAddress], shares: [SHARE_UNIT] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidOwner")
        .withArgs(ZeroAddress, SHARE_UNIT);
      await expect(
        registry
          .connect(registrar)
          .addPremises(1, [premisesInput({ area: 10, owners: [accounts[0].address, accounts[1].address], shares: [SHARE_UNIT, 0] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryInvalidOwner")
        .withArgs(accounts[1].address, 0);
    });

    it("rejects an owner listed twice", async function () {
      const { registry, registrar, accounts } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const a = accounts[0].address;
      await expect(
        registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, owners: [a, a], shares: [SHARE_UNIT / 2n, SHARE_UNIT / 2n] })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryDuplicateOwner")
        .withArgs(a);
    });

    it("rejects more than 64 owners of one premises", async function () {
      const { registry, registrar } = await loadFixture(deployCore);
      await registry.connect(registrar).registerBuilding(ZeroHash);
      const owners = Array.from({ length: 65 }, (_, i) => ethers.getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`));
      await expect(
        registry.connect(registrar).addPremises(1, [premisesInput({ area: 10, owners, shares: owners.map(() => 1n) })]),
      )
        .to.be.revertedWithCustomError(registry, "BuildingRegistryTooManyOwners")
        .withArgs(65, 64);
    });
  });

  describe("setOwners", function () {
    it("moves the weight on a sale and keeps the past readable", async function () {
      const { registry, registrar, a, outsider } = await loadFixture(deployBuilding);
      const before = await time.latest();
      await time.increase(100);
      const tx = registry.connect(registrar).setOwners(1, [outsider.address], [SHARE_UNIT]);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, a.address, 5000n * SHARE_UNIT, 0);
      await expect(tx).to.emit(registry, "VoterWeightChanged").withArgs(1, outsider.address, 0, 5000n * SHARE_UNIT);
      await expect(tx).to.emit(registry, "OwnershipChanged").withArgs(1, 1, [outsider.address], [SHARE_UNIT]);
      await expect(tx).not.to.emit(registry, "BuildingWeightChanged");
      const after = await time.latest();
      expect(await registry.weightOf(1, a.address)).to.equal(0n);
      expect(await registry.weightAt(1, a.address, before)).to.equal(5000n * SHARE_UNIT);
      expect(await registry.weightAt(1, a.address, after)).to.equal(0n);
      expect(await registry.weightAt(1, outsider.address, before)).to.equal(0n);
      expect(await registry.weightAt(1, outsider.address, after)).to.equal(5000n * SHARE_UNIT);
      expect(await registry.totalWeightAt(1, before)).to.equal(await registry.totalWeightAt(1, after));
    });

    it("splits an inheritance among heirs in one call", async function () {
      const { registry, registrar, d, accounts } = await loadFixture(deployBuilding);
      const heirs = accounts.slice(8, 11).map((s) => s.address);
      const third = SHARE_UNIT / 3n;
      await registry.connect(registrar).setOwners(3, heirs, [third, third, third]);
      expect(await registry.weightOf(1, d.address)).to.equal(0n);
      for (const heir of heirs) expect(await registry.weightOf(1, heir)).to.equal(3000n * third);
      const [, , , owners] = await registry.premises(3);
      expect(owners).to.deep.equal(heirs);
    });

    it("reads a weight through several changes by binary search of the history", async function () {
      const { registry, registrar, a, outsider } = await loadFixture(deployBuilding);
      const points: Array<[number, bigint]> = [[await time.latest(), 5000n * SHARE_UNIT]];
      for (let i = 0; i < 4; i++) {
        await time.increase(50);
        const toOutsider = i % 2 === 0;
        await registry.connect(registrar).setOwners(1, [toOutsider ? outsider.address : a.address], [SHARE_UNIT]);
        points.push([await time.latest(), toOutsider ? 0n : 5000n * SHARE_UNIT]);
      }
      for (const [t, w] of points) {
        expect(await registry.weightAt(1, a.address, t)).to.equal(w);
        expect(await registry.weightAt(1, a.address, t + 1)).to.equal(w);
      }
    });

    it("validates the new owners as addPremises does", async function () {
      const { registry, registrar, a } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setOwners(1, [a.address], [SHARE_UNIT - 1n]))
        .to.be.revertedWithCustomError(registry, "BuildingRegistrySharesNotWhole")
        .withArgs(SHARE_UNIT - 1n, SHARE_UNIT);
    });

    it("rejects an unknown premises", async function () {
      const { registry, registrar } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setOwners(99, [], []))
        .to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownPremises")
        .withArgs(99);
      await expect(registry.premises(99)).to.be.revertedWithCustomError(registry, "BuildingRegistryUnknownPremises").withArgs(99);
    });

    it("leaves a premises without owners and shrinks the electorate", async function () {
      const { registry, registrar, e } = await loadFixture(deployBuilding);
      await expect(registry.connect(registrar).setOwners(4, [], []))
        .to.emit(registry, "ElectorateChanged")
        .withArgs(1, 6, 5);
      expect(await registry.weightOf(1, e.address)).to.equal(0n);
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
      await registry.connect(registrar).setOwners(1, [outsider.address], [SHARE_UNIT]);
      const voters = [a.address, b.address, r.address, outsider.address, ZeroAddress];
      const weighted = await registry.votersAt(1, voters, t, false);
      const unpack = (p: bigint) => [p & 0xffffffffn, p >> 32n];
      expect(weighted.map(unpack)).to.deep.equal([
        [1n, 5000n * SHARE_UNIT],
        [2n, 3000n * SHARE_UNIT],
        [6n, 0n],
        [7n, 0n],
        [0n, 0n],
      ]);
      const perPerson = await registry.votersAt(1, voters, t, true);
      expect(perPerson.map(unpack)).to.deep.equal([
        [1n, 1n],
        [2n, 1n],
        [6n, 1n],
        [7n, 0n],
        [0n, 0n],
      ]);
    });
  });
});
