/**
 * Carries out an import's plan, in this order: onboards the new people in custody (their accounts
 * and addresses), writes their and every changed person's entry in the notifier's directory, then
 * for each building: registers it if new, adds its new premises in batches sized to the block gas
 * limit, sets the owners of each premises whose holdings changed, registers and deregisters
 * residents, sets or revokes organisers, and last publishes the hash of its canonical register
 * when it changed. Every step is recorded as it succeeds (store.ts), so that a run stopped at any
 * point and started again does only what is left: onboarding asks custody again only for people
 * without an address, and every transaction goes through the journal (chain-writer.ts).
 */
import type { BuildingRegistry } from "#typechain/index.js";
import type { Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import type { Logger } from "#lib/log.js";
import { canonicalJson, canonicalRegister, registerHash } from "./canonical.js";
import type { ChainWriter, OpKind, OpRequest } from "./chain-writer.js";
import { cadastralRef, type AddPremisesArgs, type PublishRegisterArgs, type SetOrganiserArgs, type SetOwnersArgs, type SetResidentsArgs } from "./effects.js";
import type { Onboarding } from "./onboarding.js";
import { buildingDiff, chainHoldings, contactOf, kindIndex, type BuildingDiff, type Plan } from "./plan.js";
import type { ProgressTracker } from "./progress.js";
import type { FilePremises, RegisterFile } from "./register-file.js";
import type { ChainHolding, ChainOp, RegisterStore } from "./store.js";

export interface ApplyDeps {
  store: RegisterStore;
  writer: ChainWriter;
  onboarding: Onboarding;
  registry: BuildingRegistry;
  deployment: Deployment;
  log: Logger;
  /** Gas one batch may use at most; 0: three quarters of the block gas limit. */
  batchGas: bigint;
  /** Transactions in flight at once for the one-premises calls (setOwners, setOrganiser). */
  window: number;
  /** Whether the process is stopping: the import then stops before its next step, to go on at the next run. */
  stopping: () => boolean;
}

/** Batches of a list whose estimated gas stays within `budget`, learning each item's gas as it goes. */
async function* gasBatches<T>(items: T[], budget: bigint, encode: (slice: T[]) => string, estimate: (data: string) => Promise<bigint>): AsyncGenerator<{ slice: T[]; data: string; gas: bigint }> {
  let perItem: bigint | undefined;
  let i = 0;
  while (i < items.length) {
    const left = items.length - i;
    let n = perItem === undefined ? Math.min(left, 25) : Math.max(1, Math.min(left, 1000, Number((budget * 95n) / 100n / perItem)));
    for (;;) {
      const slice = items.slice(i, i + n);
      const data = encode(slice);
      const gas = await estimate(data);
      if (gas <= budget) {
        yield { slice, data, gas };
        perItem = (gas + BigInt(n) - 1n) / BigInt(n);
        i += n;
        break;
      }
      if (n === 1) throw new AppError("batch_exceeds_gas", `one item needs ${gas} gas, more than a batch may use (${budget})`, { details: { gas: gas.toString(), budget: budget.toString() } });
      n = Math.max(1, Math.floor((n * Number((budget * 100n) / gas)) / 100 * 0.95));
    }
  }
}

export async function applyImport(deps: ApplyDeps, file: RegisterFile, plan: Plan, importId: string, tracker: ProgressTracker): Promise<void> {
  const { store, log, onboarding, registry } = deps;
  /** Stops before the next step when the process is stopping; everything done so far is recorded. */
  const go = () => {
    if (deps.stopping()) throw new AppError("import_stopped", `import ${importId} stopped with the process; it goes on where it stopped at the next run`);
  };
  const writer = {
    estimate: (data: string, what: string) => deps.writer.estimate(data, what),
    blockGasLimit: () => deps.writer.blockGasLimit(),
    settle: (op: ChainOp) => deps.writer.settle(op),
    send: (id: string, r: OpRequest) => {
      go();
      return deps.writer.send(id, r);
    },
  };
  const registryAddress = deps.deployment.contracts.BuildingRegistry.address;
  const iface = registry.interface;
  const addressOf = (personId: string) => {
    const p = store.person(personId);
    if (!p) throw new AppError("person_not_onboarded", `person ${personId} has no address yet`);
    return p.address;
  };
  const onChain = (holdings: ChainHolding[]) => holdings.map((h) => ({ holders: h.holders.map(addressOf), share: BigInt(h.units) }));
  const blockGasLimit = await writer.blockGasLimit();
  const budget = deps.batchGas > 0n && deps.batchGas < blockGasLimit ? deps.batchGas : (blockGasLimit * 3n) / 4n;
  const gasLimitFor = (estimate: bigint) => {
    const padded = (estimate * 6n) / 5n + 10_000n;
    return padded < blockGasLimit ? padded : blockGasLimit;
  };
  const request = async (kind: OpKind, buildingKey: string, args: unknown, data: string, what: string): Promise<OpRequest> => ({
    kind,
    buildingKey,
    args,
    data,
    gasLimit: gasLimitFor(await writer.estimate(data, what)),
  });

  /** Sends one call after another, up to `window` in flight, and settles them all; rethrows the first failure. */
  const pipelined = async <T>(items: T[], make: (item: T) => Promise<OpRequest>, settled: (item: T) => void) => {
    const inFlight: Array<{ op: ChainOp; item: T }> = [];
    let failure: unknown;
    const settleOldest = async () => {
      const { op, item } = inFlight.shift()!;
      try {
        await writer.settle(op);
        settled(item);
      } catch (err) {
        failure ??= err;
      }
    };
    for (const item of items) {
      if (failure !== undefined) break;
      try {
        inFlight.push({ op: await writer.send(importId, await make(item)), item });
      } catch (err) {
        failure = err;
        break;
      }
      if (inFlight.length >= deps.window) await settleOldest();
    }
    while (inFlight.length > 0) await settleOldest();
    if (failure !== undefined) throw failure;
  };

  // people: accounts first (their addresses go on chain), then the directory
  tracker.start("onboarding");
  for (const person of plan.onboard) {
    go();
    const p = file.persons.get(person.personId)!;
    const address = await onboarding.account(p.personId);
    store.addPerson(p.personId, address, p.name, p.identity);
    log.info("person onboarded", { personId: p.personId, address });
    tracker.advance("onboarding");
  }
  tracker.start("directory");
  for (const c of plan.contacts) {
    go();
    const p = file.persons.get(c.personId)!;
    await onboarding.directory(p.personId, { address: addressOf(p.personId), language: p.language, email: p.email, phone: p.phone });
    store.setContact(p.personId, contactOf(p));
    tracker.advance("directory");
  }

  const diffs: BuildingDiff[] = file.buildings.map((b) => buildingDiff(b, store));
  for (const d of diffs) {
    const key = d.file.key;
    if (!d.stored) {
      tracker.start("buildings");
      const ref = cadastralRef(key);
      const op = await writer.send(importId, await request("registerBuilding", key, { ref }, iface.encodeFunctionData("registerBuilding", [ref]), `registering building ${key}`));
      await writer.settle(op);
      log.info("building registered", { building: key, buildingId: store.building(key)!.buildingId, txHash: op.txHash });
      tracker.advance("buildings");
    }
    const buildingId = store.building(key)!.buildingId;

    if (d.newPremises.length > 0) tracker.start("premises");
    const item = (p: FilePremises) => ({ number: p.number, area: p.area.toString(), kind: kindIndex(p.kind), cadastral: p.cadastral, holdings: chainHoldings(p) });
    const encodePremises = (slice: FilePremises[]) =>
      iface.encodeFunctionData("addPremises", [buildingId, slice.map((p) => ({ area: p.area, kind: kindIndex(p.kind), ref: cadastralRef(p.cadastral), holdings: onChain(chainHoldings(p)) }))]);
    for await (const batch of gasBatches(d.newPremises, budget, encodePremises, (data) => writer.estimate(data, `adding premises to building ${key}`))) {
      const args: AddPremisesArgs = { buildingId: buildingId.toString(), items: batch.slice.map(item) };
      const op = await writer.send(importId, { kind: "addPremises", buildingKey: key, args, data: batch.data, gasLimit: gasLimitFor(batch.gas) });
      await writer.settle(op);
      log.info("premises added", { building: key, count: batch.slice.length, gas: batch.gas, txHash: op.txHash });
      tracker.advance("premises", batch.slice.length);
    }

    if (d.changedOwners.length > 0) tracker.start("owners");
    await pipelined(
      d.changedOwners,
      (c) => {
        const args: SetOwnersArgs = { number: c.premises.number, premisesId: c.stored.premisesId.toString(), holdings: c.holdings };
        return request("setOwners", key, args, iface.encodeFunctionData("setOwners", [c.stored.premisesId, onChain(c.holdings)]), `setting the owners of premises ${c.premises.number}`);
      },
      (c) => {
        log.info("owners changed", { building: key, premises: c.premises.number });
        tracker.advance("owners");
      },
    );

    for (const [personIds, registered] of [
      [d.residentsToAdd, true],
      [d.residentsToRemove, false],
    ] as const) {
      if (personIds.length === 0) continue;
      tracker.start("residents");
      const encode = (slice: string[]) => iface.encodeFunctionData("setResidents", [buildingId, slice.map(addressOf), registered]);
      for await (const batch of gasBatches(personIds, budget, encode, (data) => writer.estimate(data, `setting residents of building ${key}`))) {
        const args: SetResidentsArgs = { personIds: batch.slice, registered };
        const op = await writer.send(importId, { kind: "setResidents", buildingKey: key, args, data: batch.data, gasLimit: gasLimitFor(batch.gas) });
        await writer.settle(op);
        tracker.advance("residents", batch.slice.length);
      }
    }

    if (d.organisers.length > 0) tracker.start("organisers");
    await pipelined(
      d.organisers,
      (o) => {
        const args: SetOrganiserArgs = { personId: o.personId, role: o.role };
        return request("setOrganiser", key, args, iface.encodeFunctionData("setOrganiser", [buildingId, addressOf(o.personId), o.role]), `setting organiser ${o.personId}`);
      },
      () => tracker.advance("organisers"),
    );

    const premisesIds = store.premisesOf(key);
    const register = canonicalRegister({
      building: d.file,
      persons: file.persons,
      addressOf,
      premisesIdOf: (number) => premisesIds.get(number)!.premisesId,
      chainId: deps.deployment.chainId,
      registry: registryAddress,
      buildingId,
    });
    const canonical = canonicalJson(register);
    const hash = registerHash(canonical);
    if (hash !== store.building(key)!.registerHash) {
      tracker.start("publishing");
      const args: PublishRegisterArgs = { registerHash: hash, canonical };
      const op = await writer.send(importId, await request("publishRegister", key, args, iface.encodeFunctionData("publishRegister", [buildingId, hash]), `publishing the register of building ${key}`));
      await writer.settle(op);
      log.info("register published", { building: key, buildingId, registerHash: hash, txHash: op.txHash });
      tracker.advance("publishing");
    }
  }
  tracker.finish();
}

/** The units of each phase an import will go through, from its plan and the chain diff of each building. */
export function phaseTotals(file: RegisterFile, plan: Plan, store: RegisterStore): Partial<Record<"onboarding" | "directory" | "buildings" | "premises" | "owners" | "residents" | "organisers" | "publishing", number>> {
  const diffs = file.buildings.map((b) => buildingDiff(b, store));
  return {
    onboarding: plan.onboard.length,
    directory: plan.contacts.length,
    buildings: diffs.filter((d) => !d.stored).length,
    premises: diffs.reduce((n, d) => n + d.newPremises.length, 0),
    owners: diffs.reduce((n, d) => n + d.changedOwners.length, 0),
    residents: diffs.reduce((n, d) => n + d.residentsToAdd.length + d.residentsToRemove.length, 0),
    organisers: diffs.reduce((n, d) => n + d.organisers.length, 0),
    publishing: plan.buildings.filter((b) => b.registerChanged).length,
  };
}
