/**
 * The start-up check every service that reads the chain runs: the node's chain id and the contracts'
 * code against the deployment record.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { deployDigitalHome } from "../../dev/deploy.js";
import { ethers } from "../../test/contracts/fixtures.js";
import { checkDeployedChain, type RpcSender } from "../chain-check.js";
import type { Deployment } from "../deployment.js";
import { AppError } from "../errors.js";

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new AppError("test_failed", "expected the check to refuse");
}

describe("checkDeployedChain", function () {
  let deployment: Deployment;
  const node: RpcSender = { send: (method, params) => ethers.provider.send(method, params) };

  before(async function () {
    const [deployer] = await ethers.getSigners();
    deployment = await deployDigitalHome(deployer, { network: "unit" });
  });

  it("passes a node that serves the record's chain and contracts", async function () {
    await checkDeployedChain(node, deployment, { rpcUrl: "http://127.0.0.1:8545" });
  });

  it("refuses a node of another chain, naming both chain ids", async function () {
    const err = await refusal(checkDeployedChain(node, { ...deployment, chainId: 1337 }, { rpcUrl: "http://127.0.0.1:8545", attempts: 5 }));
    expect(err.code).to.equal("wrong_chain");
    expect(err.message).to.equal("JSON-RPC endpoint http://127.0.0.1:8545 serves chain 31337, the deployment record is for chain 1337");
    expect(err.retryable).to.equal(false);
  });

  it("refuses a record whose contract has no code on the node, naming which", async function () {
    const nowhere = Wallet.createRandom().address;
    for (const name of ["BuildingRegistry", "MeetingHall"] as const) {
      const record = { ...deployment, contracts: { ...deployment.contracts, [name]: { ...deployment.contracts[name], address: nowhere } } };
      const err = await refusal(checkDeployedChain(node, record, { rpcUrl: "http://127.0.0.1:8545" }));
      expect(err.code).to.equal("no_contract");
      expect(err.message).to.equal(`no ${name} at ${nowhere} on http://127.0.0.1:8545`);
      expect(err.details).to.deep.equal({ contract: name, address: nowhere });
    }
  });

  it("retries a node that cannot answer, then reports it unavailable without its password", async function () {
    let calls = 0;
    const down: RpcSender = {
      send: async () => {
        calls++;
        throw new AppError("rpc_unreachable", "connect ECONNREFUSED");
      },
    };
    const started = Date.now();
    const err = await refusal(checkDeployedChain(down, deployment, { rpcUrl: "http://user:secret@127.0.0.1:1", attempts: 3, retryDelayMs: 50 }));
    expect(calls).to.equal(3);
    expect(Date.now() - started).to.be.at.least(100);
    expect([err.code, err.retryable]).to.deep.equal(["chain_unavailable", true]);
    expect(err.message).to.equal("JSON-RPC endpoint http://user:***@127.0.0.1:1 is unreachable: connect ECONNREFUSED");
    expect((err.cause as AppError).code).to.equal("rpc_unreachable");
  });

  it("waits for a node that is starting", async function () {
    let calls = 0;
    const starting: RpcSender = {
      send: (method, params) => (++calls <= 2 ? Promise.reject(new AppError("rpc_unreachable", "not yet")) : ethers.provider.send(method, params)),
    };
    await checkDeployedChain(starting, deployment, { rpcUrl: "http://127.0.0.1:8545", attempts: 5, retryDelayMs: 10 });
    expect(calls).to.be.greaterThan(2);
  });
});
