/**
 * A building's register in its canonical form (registrar/README.md, "The canonical register"): one
 * JSON text, the same bytes for the same register whoever writes it, whose keccak256 the registrar
 * publishes on chain (`publishRegister`). Anyone holding a protocol's annex can rebuild the text and
 * compare hashes. The form: every value a string; object keys sorted by UTF-16 code units; no
 * whitespace; strings escaped as JSON.stringify escapes them (so the text is also RFC 8785 JCS);
 * arrays in the documented orders. Contacts are not part of it: they are no part of the property
 * register and change without any change of ownership.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { AppError } from "#lib/errors.js";
import { formatArea, formatFraction } from "./quantities.js";
import { personsOf, type FileBuilding, type FilePerson, type KindCode, type OwnershipCode, type RoleCode } from "./register-file.js";

export const REGISTER_FORMAT = "digital-home/register/1";

export interface CanonicalHolding {
  ownership: OwnershipCode;
  share: string;
  title: string;
  /** Person ids, sorted. */
  holders: string[];
}

export interface CanonicalPremises {
  premisesId: string;
  number: string;
  entrance: string;
  kind: KindCode;
  /** Square metres with two decimals. */
  area: string;
  cadastralNumber: string;
  holdings: CanonicalHolding[];
}

export interface CanonicalPerson {
  personId: string;
  name: string;
  identity: string;
  /** The person's account on chain (their custodial wallet's address, checksummed). */
  address: string;
}

export interface CanonicalRegister {
  format: string;
  chain: { chainId: string; registry: string; buildingId: string };
  building: { cadastralNumber: string; address: string };
  premises: CanonicalPremises[];
  persons: CanonicalPerson[];
  residents: Array<{ premises: string; personId: string }>;
  organisations: Array<{ personId: string; role: RoleCode }>;
}

type Json = string | Json[] | { [key: string]: Json };

/** The canonical text of a value made of strings, arrays and objects only. */
export function canonicalJson(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, Json>)[k])}`).join(",")}}`;
  }
  throw new AppError("not_canonical", `the canonical register holds strings, arrays and objects only, found ${typeof value}`);
}

/** keccak256 of the canonical text's UTF-8 bytes: what `publishRegister` records. */
export function registerHash(canonical: string): string {
  return keccak256(toUtf8Bytes(canonical));
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface CanonicalInput {
  building: FileBuilding;
  persons: ReadonlyMap<string, FilePerson>;
  /** Each person's address on chain. */
  addressOf: (personId: string) => string;
  /** Each premises' id on chain, by its number. */
  premisesIdOf: (number: string) => bigint;
  chainId: number | bigint;
  registry: string;
  buildingId: bigint;
}

/** The canonical register of one building of a file, once its people and premises are on chain. */
export function canonicalRegister(input: CanonicalInput): CanonicalRegister {
  const { building } = input;
  const premises = building.premises
    .map((p) => ({
      premisesId: input.premisesIdOf(p.number),
      premises: {
        number: p.number,
        entrance: p.entrance,
        kind: p.kind,
        area: formatArea(p.area),
        cadastralNumber: p.cadastral,
        holdings: p.holdings
          .map((h) => ({ ownership: h.ownership, share: formatFraction(h.share), title: h.title, holders: [...h.holders].sort(byString) }))
          .sort((a, b) => byString(a.holders.join("\u0000"), b.holders.join("\u0000"))),
      },
    }))
    .sort((a, b) => (a.premisesId < b.premisesId ? -1 : a.premisesId > b.premisesId ? 1 : 0))
    .map(({ premisesId, premises: p }) => ({ premisesId: premisesId.toString(), ...p }));
  const persons = [...personsOf(building)].sort(byString).map((id) => {
    const p = input.persons.get(id)!;
    return { personId: id, name: p.name, identity: p.identity, address: input.addressOf(id) };
  });
  return {
    format: REGISTER_FORMAT,
    chain: { chainId: input.chainId.toString(), registry: input.registry, buildingId: input.buildingId.toString() },
    building: { cadastralNumber: building.key, address: building.address },
    premises,
    persons,
    residents: building.residents
      .map((r) => ({ premises: r.premises, personId: r.personId }))
      .sort((a, b) => byString(a.premises, b.premises) || byString(a.personId, b.personId)),
    organisations: building.organisations.map((o) => ({ personId: o.personId, role: o.role })).sort((a, b) => byString(a.personId, b.personId)),
  };
}
