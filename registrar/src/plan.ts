/**
 * What an import would change: the file's register against what the store says reached the chain
 * and was last applied. Per building: whether it is new, the premises to add, the premises whose
 * owners changed (named as sales: from whom to whom), residents registered and gone, organisers'
 * roles set or revoked, whether its register (and so its hash on chain) changes; and over all: the
 * people to onboard in custody and the notifier's directory, and whose contacts changed. Planning
 * reads only; the same diff drives the import (apply.ts), so a dry run shows exactly what it does.
 *
 * The chain cannot change a registered premises' area, kind or cadastral number, nor drop one: a
 * file that tries is refused with `premises_changed` / `premises_missing` at the premises' line.
 */
import { OrganiserRole, PremisesKind } from "#lib/domain.js";
import { canonicalJson, type CanonicalRegister } from "./canonical.js";
import { ProblemList } from "./problems.js";
import { formatArea, formatFraction, unitsToFraction } from "./quantities.js";
import { KIND_CODES, ROLE_CODES, personsOf, type FileBuilding, type FilePerson, type FilePremises, type KindCode, type RegisterFile, type RoleCode } from "./register-file.js";
import type { ChainHolding, RegisterStore, StoredBuilding, StoredPremises } from "./store.js";

/** `IBuildingRegistry.PremisesKind` of each of the file's kinds, by the contract's names (lib/domain.ts). */
const KIND_INDEX: Readonly<Record<KindCode, number>> = {
  residential: PremisesKind.Residential,
  "non-residential": PremisesKind.NonResidential,
  parking: PremisesKind.ParkingSpace,
};

/** `IBuildingRegistry.OrganiserRole` of each of the file's roles (None, 0, revokes). */
const ROLE_INDEX: Readonly<Record<RoleCode, number>> = {
  "management-organisation": OrganiserRole.ManagementOrganisation,
  hoa: OrganiserRole.HomeownersAssociation,
  "capital-repair-fund": OrganiserRole.CapitalRepairFund,
};

export function kindIndex(kind: KindCode): number {
  return KIND_INDEX[kind];
}

function kindName(index: number): string {
  return KIND_CODES.find((k) => KIND_INDEX[k] === index) ?? String(index);
}

export function roleIndex(role: RoleCode): number {
  return ROLE_INDEX[role];
}

function roleName(index: number): RoleCode | "none" {
  return ROLE_CODES.find((r) => ROLE_INDEX[r] === index) ?? "none";
}

/** A premises' holdings as the chain holds them, in one order (holders sorted, then holdings by holders). */
export function chainHoldings(premises: FilePremises): ChainHolding[] {
  return premises.holdings
    .map((h) => ({ units: h.units.toString(), holders: [...h.holders].sort() }))
    .sort((a, b) => (a.holders.join("\u0000") < b.holders.join("\u0000") ? -1 : 1));
}

export function sameHoldings(a: ChainHolding[], b: ChainHolding[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The contacts a person's directory entry gets, as one comparable text. */
export function contactOf(person: FilePerson): string {
  return JSON.stringify({ language: person.language, email: person.email, phone: person.phone });
}

/** What the chain must be told for one building: the diff the import carries out. */
export interface BuildingDiff {
  file: FileBuilding;
  stored?: StoredBuilding;
  newPremises: FilePremises[];
  changedOwners: Array<{ premises: FilePremises; stored: StoredPremises; holdings: ChainHolding[] }>;
  residentsToAdd: string[];
  residentsToRemove: string[];
  organisers: Array<{ personId: string; role: number; before: number }>;
}

export function buildingDiff(file: FileBuilding, store: RegisterStore): BuildingDiff {
  const stored = store.building(file.key);
  const storedPremises = stored ? store.premisesOf(file.key) : new Map<string, StoredPremises>();
  const newPremises: FilePremises[] = [];
  const changedOwners: BuildingDiff["changedOwners"] = [];
  for (const p of file.premises) {
    const s = storedPremises.get(p.number);
    if (!s) {
      newPremises.push(p);
      continue;
    }
    const holdings = chainHoldings(p);
    if (!sameHoldings(holdings, s.holdings)) changedOwners.push({ premises: p, stored: s, holdings });
  }
  const wantedResidents = new Set(file.residents.map((r) => r.personId));
  const onChain = stored ? store.residentsOf(file.key) : new Set<string>();
  const wantedOrganisers = new Map(file.organisations.map((o) => [o.personId, roleIndex(o.role)]));
  const organisersOnChain = stored ? store.organisersOf(file.key) : new Map<string, number>();
  const organisers: BuildingDiff["organisers"] = [];
  for (const [personId, role] of wantedOrganisers) {
    const before = organisersOnChain.get(personId) ?? OrganiserRole.None;
    if (before !== role) organisers.push({ personId, role, before });
  }
  for (const [personId, before] of organisersOnChain) {
    if (!wantedOrganisers.has(personId)) organisers.push({ personId, role: OrganiserRole.None, before });
  }
  return {
    file,
    stored,
    newPremises,
    changedOwners,
    residentsToAdd: [...wantedResidents].filter((id) => !onChain.has(id)).sort(),
    residentsToRemove: [...onChain].filter((id) => !wantedResidents.has(id)).sort(),
    organisers: organisers.sort((a, b) => (a.personId < b.personId ? -1 : 1)),
  };
}

export function diffIsEmpty(d: BuildingDiff): boolean {
  return d.stored !== undefined && d.newPremises.length === 0 && d.changedOwners.length === 0 && d.residentsToAdd.length === 0 && d.residentsToRemove.length === 0 && d.organisers.length === 0;
}

/** Refuses a file that would change what the chain cannot: a registered premises' area, kind or cadastral number, or leave one out. */
export function checkAgainstChain(file: RegisterFile, store: RegisterStore): void {
  const problems = new ProblemList();
  for (const b of file.buildings) {
    if (!store.building(b.key)) continue;
    const inFile = new Map(b.premises.map((p) => [p.number, p]));
    for (const [number, s] of store.premisesOf(b.key)) {
      const p = inFile.get(number);
      if (!p) {
        problems.add("premises_missing", b.line, 0, { premises: number, building: b.key });
        continue;
      }
      const changed = (what: "area" | "kind" | "cadastral", registered: string, value: string) => {
        const at = p.at[what] ?? { line: p.line, column: 0 };
        problems.add("premises_changed", at.line, at.column, { premises: number, what, registered, value }, what);
      };
      if (s.area !== p.area) changed("area", formatArea(s.area), formatArea(p.area));
      if (s.kind !== kindIndex(p.kind)) changed("kind", kindName(s.kind), p.kind);
      if (s.cadastral !== p.cadastral) changed("cadastral", s.cadastral, p.cadastral);
    }
  }
  problems.throwIfAny();
}

export interface PlanHolder {
  personId: string;
  name: string;
  share: string;
}

export interface BuildingPlan {
  building: string;
  address: string;
  /** The building's id on chain; null for a building the import registers. */
  buildingId: string | null;
  newPremises: Array<{ number: string; kind: string; area: string; cadastralNumber: string; holdings: number }>;
  /** Premises whose owners change: who held them and who will. */
  sales: Array<{ premises: string; premisesId: string; from: PlanHolder[]; to: PlanHolder[] }>;
  residentsAdded: Array<{ premises: string; personId: string; name: string }>;
  residentsGone: Array<{ premises: string; personId: string; name: string }>;
  organisers: Array<{ personId: string; name: string; role: RoleCode | "none"; before: RoleCode | "none" }>;
  /** Whether the building's register (and its hash on chain) changes. */
  registerChanged: boolean;
  /** The hash on chain now (null before the first publication). */
  registerHash: string | null;
}

export interface Plan {
  fileSha256: string;
  buildings: BuildingPlan[];
  /** People new to the register: onboarded in custody (an account and address) and the directory. */
  onboard: Array<{ personId: string; name: string }>;
  /** People whose directory entry is written: the new, and those whose contacts changed. */
  contacts: Array<{ personId: string; name: string; changes: string[] }>;
  /** Transactions of an earlier, interrupted import not yet settled: the import settles them first. */
  unfinished: number;
  /** Nothing to do: no onboarding, no directory entry, no transaction. */
  empty: boolean;
}

/** The register a building had as last applied, read from its latest published version. */
function lastApplied(store: RegisterStore, key: string): CanonicalRegister | undefined {
  const v = store.latestVersion(key);
  return v ? (JSON.parse(v.canonical) as CanonicalRegister) : undefined;
}

/** The register without what only the chain knows (ids, addresses): what a file can be compared with. */
function comparable(register: CanonicalRegister): string {
  return canonicalJson({
    building: register.building,
    premises: register.premises.map(({ premisesId: _id, ...p }) => p).sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0)),
    persons: register.persons.map(({ address: _address, ...p }) => p),
    residents: register.residents,
    organisations: register.organisations,
  });
}

function fileComparable(building: FileBuilding, persons: ReadonlyMap<string, FilePerson>): string {
  const ids = [...personsOf(building)].sort();
  return canonicalJson({
    building: { cadastralNumber: building.key, address: building.address },
    premises: building.premises
      .map((p) => ({
        number: p.number,
        entrance: p.entrance,
        kind: p.kind,
        area: formatArea(p.area),
        cadastralNumber: p.cadastral,
        holdings: p.holdings
          .map((h) => ({ ownership: h.ownership, share: formatFraction(h.share), title: h.title, holders: [...h.holders].sort() }))
          .sort((a, b) => (a.holders.join("\u0000") < b.holders.join("\u0000") ? -1 : 1)),
      }))
      .sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0)),
    persons: ids.map((id) => ({ personId: id, name: persons.get(id)!.name, identity: persons.get(id)!.identity })),
    residents: building.residents.map((r) => ({ premises: r.premises, personId: r.personId })).sort((a, b) => (a.premises < b.premises ? -1 : a.premises > b.premises ? 1 : a.personId < b.personId ? -1 : 1)),
    organisations: building.organisations.map((o) => ({ personId: o.personId, role: o.role })).sort((a, b) => (a.personId < b.personId ? -1 : 1)),
  });
}

/** The people a file names in its buildings' registers. */
export function referencedPersons(file: RegisterFile): FilePerson[] {
  const ids = new Set<string>();
  for (const b of file.buildings) for (const id of personsOf(b)) ids.add(id);
  return [...ids].sort().map((id) => file.persons.get(id)!);
}

export interface PlanOptions {
  /** Whether directory entries are written (a notifier is configured); without, no contacts are planned. */
  directory: boolean;
}

export function makePlan(file: RegisterFile, fileSha256: string, store: RegisterStore, options: PlanOptions): Plan {
  checkAgainstChain(file, store);
  const nameOf = (personId: string) => file.persons.get(personId)?.name ?? store.person(personId)?.name ?? personId;
  const people = referencedPersons(file);
  const onboard = people.filter((p) => !store.person(p.personId)).map((p) => ({ personId: p.personId, name: p.name }));
  const contacts: Plan["contacts"] = [];
  for (const p of options.directory ? people : []) {
    const stored = store.person(p.personId);
    if (!stored) {
      contacts.push({ personId: p.personId, name: p.name, changes: ["new"] });
      continue;
    }
    const before = stored.contact === null ? undefined : (JSON.parse(stored.contact) as Record<string, unknown>);
    const after = JSON.parse(contactOf(p)) as Record<string, unknown>;
    const changes = ["language", "email", "phone"].filter((k) => before?.[k] !== after[k]);
    if (changes.length > 0) contacts.push({ personId: p.personId, name: p.name, changes });
  }

  const buildings: BuildingPlan[] = [];
  for (const b of file.buildings) {
    const d = buildingDiff(b, store);
    const holders = (holdings: ChainHolding[]): PlanHolder[] =>
      holdings.flatMap((h) => h.holders.map((personId) => ({ personId, name: nameOf(personId), share: formatFraction(unitsToFraction(BigInt(h.units))) + (h.holders.length > 1 ? " (joint)" : "") })));
    const last = lastApplied(store, b.key);
    const residentPairs = (list: Array<{ premises: string; personId: string }>) => new Set(list.map((r) => `${r.premises}\u0000${r.personId}`));
    const before = residentPairs(last?.residents ?? []);
    const after = residentPairs(b.residents);
    const pair = (key: string) => {
      const [premises, personId] = key.split("\u0000") as [string, string];
      return { premises, personId, name: nameOf(personId) };
    };
    const registerChanged = !diffIsEmpty(d) || last === undefined || comparable(last) !== fileComparable(b, file.persons);
    buildings.push({
      building: b.key,
      address: b.address,
      buildingId: d.stored ? d.stored.buildingId.toString() : null,
      newPremises: d.newPremises.map((p) => ({ number: p.number, kind: p.kind, area: formatArea(p.area), cadastralNumber: p.cadastral, holdings: p.holdings.length })),
      sales: d.changedOwners.map((c) => ({ premises: c.premises.number, premisesId: c.stored.premisesId.toString(), from: holders(c.stored.holdings), to: holders(c.holdings) })),
      residentsAdded: [...after].filter((k) => !before.has(k)).sort().map(pair),
      residentsGone: [...before].filter((k) => !after.has(k)).sort().map(pair),
      organisers: d.organisers.map((o) => ({ personId: o.personId, name: nameOf(o.personId), role: roleName(o.role), before: roleName(o.before) })),
      registerChanged,
      registerHash: d.stored?.registerHash ?? null,
    });
  }
  const unfinished = store.openOps().length;
  const empty = onboard.length === 0 && contacts.length === 0 && unfinished === 0 && buildings.every((b) => !b.registerChanged);
  return { fileSha256, buildings, onboard, contacts, unfinished, empty };
}
