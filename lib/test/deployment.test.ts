import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { deployDigitalHome } from "../../dev/deploy.js";
import { LAW_PARAMETERS, contractSources, deploymentPath, readDeployment, writeDeployment } from "../deployment.js";
import { RULES_VERSIONS, sourceRef } from "../legal-rules.js";
import { LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";
import { ethers } from "../../test/contracts/fixtures.js";

describe("deployment record", function () {
  it("deploys the four contracts, wired together, publishes the newest rules and records them", async function () {
    const [deployer, registrar] = await ethers.getSigners();
    const deployment = await deployDigitalHome(deployer, { network: "unit", registrar: registrar.address });
    expect(deployment.chainId).to.equal(31337);
    expect(deployment.parameters).to.deep.equal(LAW_PARAMETERS);
    expect(deployment.registrar).to.equal(registrar.address);
    const blocks = Object.values(deployment.contracts).map((c) => c.deploymentBlock);
    expect(deployment.startBlock).to.equal(Math.min(...blocks));
    const { BuildingRegistry, MeetingHall, LegalRules, Forwarder } = deployment.contracts;
    const hall = MeetingHall__factory.connect(MeetingHall.address, ethers.provider);
    expect(await hall.registry()).to.equal(BuildingRegistry.address);
    expect(await hall.rules()).to.equal(LegalRules.address);
    expect(await hall.trustedForwarder()).to.equal(Forwarder.address);
    const p = await hall.parameters();
    expect([p.minNotice, p.minWindow, p.maxWindow, p.maxOpenPerInitiator].map(Number)).to.deep.equal([
      LAW_PARAMETERS.minNotice,
      LAW_PARAMETERS.minWindow,
      LAW_PARAMETERS.maxWindow,
      LAW_PARAMETERS.maxOpenPerInitiator,
    ]);
    const rules = LegalRules__factory.connect(LegalRules.address, ethers.provider);
    const newest = RULES_VERSIONS.at(-1)!;
    expect(await rules.currentVersion()).to.equal(1n);
    expect(await rules.sourceRefOf(1)).to.equal(sourceRef(newest));
    expect(await rules.questionTypeCount(1)).to.equal(BigInt(newest.questionTypes.length));
    expect(contractSources(deployment)).to.deep.equal({
      BuildingRegistry: { address: BuildingRegistry.address, startBlock: BuildingRegistry.deploymentBlock },
      MeetingHall: { address: MeetingHall.address, startBlock: MeetingHall.deploymentBlock },
      LegalRules: { address: LegalRules.address, startBlock: LegalRules.deploymentBlock },
    });

    const dir = await mkdtemp(path.join(tmpdir(), "dh-deployment-"));
    const file = path.join(dir, "unit.json");
    await writeDeployment(deployment, file);
    expect(await readDeployment(file)).to.deep.equal(deployment);
  });

  it("refuses a record with a wrong field, naming the field", async function () {
    const dir = await mkdtemp(path.join(tmpdir(), "dh-deployment-"));
    const file = path.join(dir, "bad.json");
    const [deployer] = await ethers.getSigners();
    const good = await deployDigitalHome(deployer, { network: "unit" });
    await writeFile(file, JSON.stringify({ ...good, contracts: { ...good.contracts, MeetingHall: { ...good.contracts.MeetingHall, address: "0x1234" } } }));
    let message = "";
    await readDeployment(file).catch((err: Error) => (message = err.message));
    expect(message).to.contain("contracts.MeetingHall.address");
    await writeFile(file, "{ not json");
    await readDeployment(file).catch((err: Error) => (message = err.message));
    expect(message).to.contain("not valid JSON");
    await readDeployment(path.join(dir, "missing.json")).catch((err: Error) => (message = err.message));
    expect(message).to.contain("cannot be read");
  });

  it("hands the rules' roles to an admin other than the deployer", async function () {
    const [deployer, admin] = await ethers.getSigners();
    const deployment = await deployDigitalHome(deployer, { network: "unit", admin: admin.address });
    const rules = LegalRules__factory.connect(deployment.contracts.LegalRules.address, ethers.provider);
    for (const role of [await rules.RULES_ADMIN_ROLE(), await rules.DEFAULT_ADMIN_ROLE()]) {
      expect(await rules.hasRole(role, admin.address)).to.equal(true);
      expect(await rules.hasRole(role, deployer.address)).to.equal(false);
    }
  });

  it("refuses a network name that is not a plain file name", function () {
    expect(() => deploymentPath("../etc/passwd")).to.throw("expected letters, digits");
  });
});
