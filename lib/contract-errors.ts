/**
 * The contracts' custom errors as a client reads them: a revert's data decoded against the
 * interfaces of the contracts the services call (MeetingHall, and what it calls: BuildingRegistry,
 * LegalRules; the Forwarder), giving the error's name and its arguments by name, numbers in decimal.
 * The relayer and the custodial wallet answer a refused call with it, so a client learns the hall's
 * own reason (`MeetingHallNotInitiator` with the building and the account), never a message text.
 */
import type { Interface } from "ethers";
import { BuildingRegistry__factory, Forwarder__factory, LegalRules__factory, MeetingHall__factory } from "#typechain/index.js";

export interface DecodedError {
  name: string;
  args: Record<string, string | string[] | boolean>;
}

const INTERFACES: Interface[] = [
  MeetingHall__factory.createInterface(),
  BuildingRegistry__factory.createInterface(),
  LegalRules__factory.createInterface(),
  Forwarder__factory.createInterface(),
];

/** Decodes revert data into one of the contracts' custom errors, or undefined when it is none of theirs. */
export function decodeContractError(data: string | undefined): DecodedError | undefined {
  if (!data || !/^0x[0-9a-fA-F]{8}/.test(data)) return undefined;
  for (const iface of INTERFACES) {
    try {
      const e = iface.parseError(data);
      if (!e) continue;
      const args: DecodedError["args"] = {};
      e.fragment.inputs.forEach((input, i) => {
        const v: unknown = e.args[i];
        args[input.name || String(i)] = Array.isArray(v) ? v.map(String) : typeof v === "boolean" ? v : String(v);
      });
      return { name: e.name, args };
    } catch {
      // not this interface's error, or its data does not decode
    }
  }
  return undefined;
}

/** The revert data of a failed call as ethers reports it (a CALL_EXCEPTION's data), if any. */
export function revertData(err: unknown): string | undefined {
  const e = err as { code?: string; data?: unknown; info?: { error?: { data?: unknown } } } | undefined;
  const data = e?.data ?? e?.info?.error?.data;
  return typeof data === "string" ? data : undefined;
}
