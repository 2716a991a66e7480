import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { deployDigitalHome } from "../../dev/deploy.js";
import { LAW_PARAMETERS, deploymentPath, readDeployment, writeDeployment } from "../deployment.js";
import { MeetingHall__factory } from "#typechain/index.js";
import { ethers } from "../../test/contracts/fixtures.js";

describe("deployment record", function () {
  it("deploys both contracts, wired together, and records them", async function () {
    const [deployer, registrar] = await ethers.getSigners();
    const deployment = await deployDigitalHome(deployer, { network: "unit", registrar: registrar.address });
    expect(deployment.chainId).to.equal(31337);
    expect(deployment.parameters).to.deep.equal(LAW_PARAMETERS);
    expect(deployment.registrar).to.equal(registrar.address);
    expect(deployment.startBlock).to.equal(deployment.contracts.BuildingRegistry.deploymentBlock);
    const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, ethers.provider);
    expect(await hall.registry()).to.equal(deployment.contracts.BuildingRegistry.address);
    expect(await hall.minNotice()).to.equal(BigInt(LAW_PARAMETERS.minNotice));

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

  it("refuses a network name that is not a plain file name", function () {
    expect(() => deploymentPath("../etc/passwd")).to.throw("expected letters, digits");
  });
});
