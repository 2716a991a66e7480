/**
 * What each confirmed transaction did, recorded in the store's mirror of the chain: the building's
 * id from `BuildingRegistered`, each premises' id from the `PremisesRegistered` events of its batch
 * (in the batch's order, their refs checked), new holdings, residents, organisers, and the register
 * version a `publishRegister` put in force at its block's time. It runs inside the database
 * transaction that marks the journal entry confirmed (chain-writer.ts), so the two never part.
 */
import { getAddress, keccak256, toUtf8Bytes, type TransactionReceipt } from "ethers";
import type { BuildingRegistry } from "#typechain/index.js";
import { AppError } from "#lib/errors.js";
import type { CanonicalRegister } from "./canonical.js";
import type { BlockRef, Effects } from "./chain-writer.js";
import type { ChainHolding, ChainOp, RegisterStore } from "./store.js";

export interface RegisterBuildingArgs {
  ref: string;
}

export interface AddPremisesArgs {
  buildingId: string;
  items: Array<{ number: string; area: string; kind: number; cadastral: string; holdings: ChainHolding[] }>;
}

export interface SetOwnersArgs {
  number: string;
  premisesId: string;
  holdings: ChainHolding[];
}

export interface SetResidentsArgs {
  personIds: string[];
  registered: boolean;
}

export interface SetOrganiserArgs {
  personId: string;
  role: number;
}

export interface PublishRegisterArgs {
  registerHash: string;
  canonical: string;
}

/** The ref the chain keeps for a building or premises: keccak256 of its cadastral number. */
export function cadastralRef(cadastral: string): string {
  return keccak256(toUtf8Bytes(cadastral));
}

export function registryEffects(store: RegisterStore, registry: BuildingRegistry, registryAddress: string): Effects {
  const address = getAddress(registryAddress);
  const events = (receipt: TransactionReceipt, name: string) =>
    receipt.logs
      .filter((l) => getAddress(l.address) === address)
      .map((l) => registry.interface.parseLog({ topics: [...l.topics], data: l.data }))
      .filter((e) => e !== null && e.name === name);

  return (op: ChainOp, receipt: TransactionReceipt, block: BlockRef) => {
    const key = op.buildingKey;
    switch (op.kind) {
      case "registerBuilding": {
        const args = op.args as RegisterBuildingArgs;
        const [event] = events(receipt, "BuildingRegistered");
        if (!event) throw new AppError("receipt_unexpected", `transaction ${op.txHash} registered no building`);
        store.addBuilding(key, event.args.buildingId as bigint, args.ref);
        return;
      }
      case "addPremises": {
        const args = op.args as AddPremisesArgs;
        const registered = events(receipt, "PremisesRegistered");
        if (registered.length !== args.items.length) {
          throw new AppError("receipt_unexpected", `transaction ${op.txHash} registered ${registered.length} premises, the batch held ${args.items.length}`);
        }
        for (const [i, item] of args.items.entries()) {
          const e = registered[i]!;
          if (e.args.ref !== cadastralRef(item.cadastral) || (e.args.buildingId as bigint).toString() !== args.buildingId) {
            throw new AppError("receipt_unexpected", `transaction ${op.txHash}: premises ${i} of the batch is not ${item.number}`);
          }
          store.addPremises(key, { number: item.number, premisesId: e.args.premisesId as bigint, area: BigInt(item.area), kind: item.kind, cadastral: item.cadastral, holdings: item.holdings });
        }
        return;
      }
      case "setOwners": {
        const args = op.args as SetOwnersArgs;
        store.setHoldings(key, args.number, args.holdings);
        return;
      }
      case "setResidents": {
        const args = op.args as SetResidentsArgs;
        for (const id of args.personIds) store.setResident(key, id, args.registered);
        return;
      }
      case "setOrganiser": {
        const args = op.args as SetOrganiserArgs;
        store.setOrganiser(key, args.personId, args.role);
        return;
      }
      case "publishRegister": {
        const args = op.args as PublishRegisterArgs;
        store.setRegisterHash(key, args.registerHash);
        store.addVersion({ buildingKey: key, registerHash: args.registerHash, canonical: args.canonical, importId: op.importId, txHash: op.txHash, blockNumber: block.number, blockTimestamp: block.timestamp });
        const register = JSON.parse(args.canonical) as CanonicalRegister;
        for (const p of register.persons) store.setPersonDetails(p.personId, p.name, p.identity);
        return;
      }
      default:
        throw new AppError("receipt_unexpected", `unknown journal entry kind ${op.kind}`);
    }
  };
}
