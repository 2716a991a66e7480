/**
 * The journal of the registrar's transactions across a crash, each case left as a process killed
 * at that instant would leave it: a transaction journalled but never sent is sent from its
 * journalled bytes and recorded; one sent whose receipt was never recorded is recorded, not sent
 * again; one whose nonce another transaction took is marked dropped and its work planned again.
 * A reverted transaction is refused with the registry's own error, decoded.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Transaction, Wallet } from "ethers";
import { BuildingRegistry__factory } from "#typechain/index.js";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { OrganiserRole } from "#lib/domain.js";
import { createLogger } from "#lib/log.js";
import { HttpJsonRpcProvider } from "#lib/rpc.js";
import { ChainWriter } from "../src/chain-writer.js";
import { loadConfig } from "../src/config.js";
import { registryEffects } from "../src/effects.js";
import { openRegistrar, type Registrar } from "../src/service.js";
import { startSystem, type TestSystem } from "./helpers/system.js";

const EXAMPLE = readFileSync(path.join(PROJECT_ROOT, "registrar/examples/building.csv"));
const KEY = "77:06:0004003:1056";

describe("the journal of the registrar's transactions", () => {
  let system: TestSystem;
  let registrar: Registrar;
  let provider: HttpJsonRpcProvider;
  let writer: ChainWriter;
  let wallet: Wallet;

  before(async () => {
    system = await startSystem();
    registrar = await openRegistrar(loadConfig(system.env), { deployment: system.deployment, logger: createLogger("silent") });
    assert.equal((await registrar.importer.start(new Uint8Array(EXAMPLE), "test").done).status, "done");
    provider = new HttpJsonRpcProvider(system.chain.url, system.deployment.chainId, { staticNetwork: true, cacheTimeout: -1 });
    wallet = new Wallet(system.registrarWallet.privateKey);
    const address = system.deployment.contracts.BuildingRegistry.address;
    const registry = BuildingRegistry__factory.connect(address, provider);
    writer = new ChainWriter(provider, wallet, registry, address, BigInt(system.deployment.chainId), registrar.store, registryEffects(registrar.store, registry, address), { txTimeoutMs: 20_000, pollMs: 50 }, createLogger("silent"));
  });

  after(async () => {
    provider?.destroy();
    await registrar?.close();
    await system?.close();
  });

  /** A signed setOrganiser for `personId`, journalled as `send` journals it, and not sent. */
  async function journalled(personId: string, role: number, nonce?: number) {
    const buildingId = registrar.store.building(KEY)!.buildingId;
    const address = registrar.store.person(personId)!.address;
    const data = registrar.registry.interface.encodeFunctionData("setOrganiser", [buildingId, address, role]);
    const fees = await provider.getFeeData();
    const raw = await wallet.signTransaction({
      type: 2,
      chainId: system.deployment.chainId,
      nonce: nonce ?? (await provider.getTransactionCount(wallet.address, "pending")),
      to: system.deployment.contracts.BuildingRegistry.address,
      data,
      gasLimit: 200_000n,
      maxFeePerGas: fees.maxFeePerGas!,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas!,
    });
    const tx = Transaction.from(raw);
    const opId = registrar.store.addOp({ importId: "journal-test", kind: "setOrganiser", buildingKey: KEY, args: { personId, role }, nonce: tx.nonce, txHash: tx.hash!, raw });
    return { opId, raw, hash: tx.hash!, address, buildingId };
  }

  const statusOf = (opId: number) => (registrar.store.db.prepare("SELECT status FROM chain_ops WHERE op_id = ?").get(opId) as { status: string }).status;

  it("sends a transaction journalled but never sent, from its journalled bytes, and records what it did", async () => {
    const op = await journalled("petrova.nina", OrganiserRole.HomeownersAssociation);
    assert.equal(await provider.getTransaction(op.hash), null);
    assert.deepEqual(await writer.recover(), { confirmed: 1, dropped: 0 });
    assert.equal(statusOf(op.opId), "confirmed");
    assert.equal((await provider.getTransactionReceipt(op.hash))!.status, 1);
    assert.equal(await system.registry.organiserRole(op.buildingId, op.address), BigInt(OrganiserRole.HomeownersAssociation));
    assert.equal(registrar.store.organisersOf(KEY).get("petrova.nina"), OrganiserRole.HomeownersAssociation);
  });

  it("records a transaction sent whose receipt was never recorded, without sending it again", async () => {
    const op = await journalled("petrova.nina", OrganiserRole.CapitalRepairFund);
    await provider.broadcastTransaction(op.raw);
    const nonce = await provider.getTransactionCount(wallet.address, "latest");
    assert.deepEqual(await writer.recover(), { confirmed: 1, dropped: 0 });
    assert.equal(await provider.getTransactionCount(wallet.address, "latest"), nonce);
    assert.equal(statusOf(op.opId), "confirmed");
    assert.equal(registrar.store.organisersOf(KEY).get("petrova.nina"), OrganiserRole.CapitalRepairFund);
  });

  it("marks dropped a transaction whose nonce another took, leaving the store as the chain is", async () => {
    const nonce = await provider.getTransactionCount(wallet.address, "pending");
    const op = await journalled("petrova.nina", OrganiserRole.None, nonce);
    // another transaction of the same key takes the nonce (the operator by hand, say)
    await (await system.registrarWallet.sendTransaction({ to: system.registrarWallet.address, value: 0n, nonce })).wait();
    assert.deepEqual(await writer.recover(), { confirmed: 0, dropped: 1 });
    assert.equal(statusOf(op.opId), "dropped");
    assert.equal(registrar.store.organisersOf(KEY).get("petrova.nina"), OrganiserRole.CapitalRepairFund);
    assert.equal(await system.registry.organiserRole(op.buildingId, op.address), BigInt(OrganiserRole.CapitalRepairFund));
    // the next import plans the revocation again: the file names no such organiser
    const { plan } = registrar.importer.dryRun(new Uint8Array(EXAMPLE));
    assert.deepEqual(plan.buildings[0]!.organisers.map((o) => [o.personId, o.before, o.role]), [["petrova.nina", "capital-repair-fund", "none"]]);
    assert.equal((await registrar.importer.start(new Uint8Array(EXAMPLE), "test").done).status, "done");
    assert.equal(await system.registry.organiserRole(op.buildingId, op.address), 0n);
  });

  it("refuses with the registry's error a call it would revert", async () => {
    const data = registrar.registry.interface.encodeFunctionData("setOwners", [999n, []]);
    await assert.rejects(writer.estimate(data, "setting the owners of premises 999"), (err: { code?: string; details?: { revert?: { name: string; args: string[] } } }) => {
      assert.equal(err.code, "chain_refused");
      assert.deepEqual(err.details?.revert, { name: "BuildingRegistryUnknownPremises", args: ["999"] });
      return true;
    });
    const stranger = new ChainWriter(provider, new Wallet(Wallet.createRandom().privateKey), registrar.registry, system.deployment.contracts.BuildingRegistry.address, 1n, registrar.store, () => undefined, { txTimeoutMs: 1000, pollMs: 50 }, createLogger("silent"));
    await assert.rejects(stranger.estimate(registrar.registry.interface.encodeFunctionData("registerBuilding", [`0x${"00".repeat(32)}`]), "registering"), { code: "not_registrar" });
  });
});
