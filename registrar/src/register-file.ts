/**
 * The register file (registrar/README.md, "The register file"): a CSV whose header names the
 * columns of `COLUMNS` and whose `record` column says what each row gives — a building, a premises,
 * a person, an owner's holding, a registered resident or an organisation's role. Every row is read
 * strictly and checked against the others (every reference resolves, the shares of each premises
 * sum to one exactly, joint holders share one share, nobody holds twice in one premises, ...). The
 * result is the file's register, building by building; any problem throws `RegisterFileError` with
 * all of them, each at its line and column, and nothing is taken from the file.
 */
import { SHARE_UNIT } from "#lib/domain.js";
import { decodeUtf8, parseCsv, type CsvField, type CsvRecord } from "./csv.js";
import { LANGUAGES, type Language } from "./messages.js";
import { ProblemList, type ProblemCode } from "./problems.js";
import { MAX_AREA, formatArea, formatFraction, parseArea, parseFraction, shareUnits, unitsToFraction, type Fraction } from "./quantities.js";

export const COLUMNS = [
  "record",
  "building",
  "address",
  "premises",
  "entrance",
  "kind",
  "area",
  "cadastral",
  "person",
  "name",
  "identity",
  "email",
  "phone",
  "language",
  "share",
  "ownership",
  "group",
  "title",
  "role",
] as const;
export type Column = (typeof COLUMNS)[number];

export const RECORDS = ["building", "premises", "person", "owner", "resident", "organisation"] as const;
export type RecordKind = (typeof RECORDS)[number];

/** The columns each record fills (required, then optional); every other column stays empty. */
const RECORD_COLUMNS: Record<RecordKind, { required: Column[]; optional: Column[] }> = {
  building: { required: ["building", "address"], optional: [] },
  premises: { required: ["building", "premises", "kind", "area", "cadastral"], optional: ["entrance"] },
  person: { required: ["person", "name", "identity"], optional: ["email", "phone", "language"] },
  owner: { required: ["building", "premises", "person", "share", "ownership", "title"], optional: ["group"] },
  resident: { required: ["building", "premises", "person"], optional: [] },
  organisation: { required: ["building", "person", "role"], optional: [] },
};

/** Longest value of each column, in characters. */
const MAX_LENGTH: Record<Column, number> = {
  record: 16,
  building: 40,
  address: 500,
  premises: 32,
  entrance: 16,
  kind: 32,
  area: 24,
  cadastral: 40,
  person: 128,
  name: 300,
  identity: 500,
  email: 254,
  phone: 40,
  language: 8,
  share: 40,
  ownership: 16,
  group: 64,
  title: 300,
  role: 32,
};

/** The premises kinds of the file (plan.ts maps them to `IBuildingRegistry.PremisesKind`). */
export const KIND_CODES = ["residential", "non-residential", "parking"] as const;
export type KindCode = (typeof KIND_CODES)[number];

export const OWNERSHIP_CODES = ["sole", "shared", "joint"] as const;
export type OwnershipCode = (typeof OWNERSHIP_CODES)[number];

/** The organiser roles of the file (plan.ts maps them to `IBuildingRegistry.OrganiserRole`). */
export const ROLE_CODES = ["management-organisation", "hoa", "capital-repair-fund"] as const;
export type RoleCode = (typeof ROLE_CODES)[number];

/** Limits of `BuildingRegistry`: holdings per premises, joint holders per holding, joint groups per person and building. */
export const MAX_HOLDINGS = 64;
export const MAX_JOINT_HOLDERS = 8;
export const MAX_JOINT_GROUPS = 8;
/** Rows of one file at most (the largest buildings have 2,500 premises and a few owners each). */
export const MAX_ROWS = 200_000;

/** Custody's resident ids: a person id is the login the custodial wallet knows them by. */
const PERSON_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** A cadastral number of the state register: district:area:quarter:object. */
const CADASTRAL = /^\d{2}:\d{2}:\d{6,7}:\d{1,10}$/;
const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]{2,}$/;

/** Where a field of a row starts. */
export interface At {
  line: number;
  column: number;
}

export interface FileHolding {
  ownership: OwnershipCode;
  share: Fraction;
  /** The share in parts of SHARE_UNIT. */
  units: bigint;
  /** The joint holding's label in the file (joint holdings only). */
  group?: string;
  /** The reference of the title document (the state register's entry). */
  title: string;
  /** The holders' person ids: one, or two or more joint holders. */
  holders: string[];
  line: number;
  at: Partial<Record<Column, At>>;
}

export interface FilePremises {
  number: string;
  entrance: string;
  kind: KindCode;
  /** In 0.01 m². */
  area: bigint;
  cadastral: string;
  holdings: FileHolding[];
  line: number;
  at: Partial<Record<Column, At>>;
}

export interface FileResident {
  premises: string;
  personId: string;
  line: number;
}

export interface FileOrganisation {
  personId: string;
  role: RoleCode;
  line: number;
}

export interface FileBuilding {
  /** The building's cadastral number: its key in the register. */
  key: string;
  address: string;
  premises: FilePremises[];
  residents: FileResident[];
  organisations: FileOrganisation[];
  line: number;
}

export interface FilePerson {
  personId: string;
  name: string;
  identity: string;
  email: string | null;
  /** E.164 (+ and digits). */
  phone: string | null;
  language: Language;
  line: number;
}

export interface RegisterFile {
  buildings: FileBuilding[];
  persons: Map<string, FilePerson>;
}

interface Row {
  kind: RecordKind;
  line: number;
  values: Partial<Record<Column, string>>;
  at: Partial<Record<Column, At>>;
}

/** What a refused row named, so that rows naming the same building, premises or person are not refused again for it. */
interface Refused {
  kind: string;
  values: Partial<Record<Column, string>>;
}

/** A field's value as the register keeps it: NFC, without surrounding spaces. */
function clean(raw: string): string {
  return raw.normalize("NFC").replace(/^[ \u00a0]+|[ \u00a0]+$/g, "");
}

function controlCharacter(value: string): number | undefined {
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0x2028 || c === 0x2029) return c;
  }
  return undefined;
}

function readHeader(record: CsvRecord, problems: ProblemList): Map<number, Column> | undefined {
  const columns = new Map<number, Column>();
  const seen = new Set<string>();
  for (const [i, f] of record.fields.entries()) {
    const name = f.value;
    if (!(COLUMNS as readonly string[]).includes(name)) {
      problems.add("header_unknown_column", f.line, f.column, { column: name, expected: COLUMNS.join(", ") });
      continue;
    }
    if (seen.has(name)) {
      problems.add("header_duplicate_column", f.line, f.column, { column: name });
      continue;
    }
    seen.add(name);
    columns.set(i, name as Column);
  }
  for (const c of COLUMNS) if (!seen.has(c)) problems.add("header_missing_column", record.line, 1, { column: c });
  return problems.empty ? columns : undefined;
}

function refusedOf(record: CsvRecord, header: Map<number, Column>): Refused {
  const values: Partial<Record<Column, string>> = {};
  for (const [i, f] of record.fields.entries()) {
    const column = header.get(i);
    if (column) values[column] = clean(f.value);
  }
  return { kind: values.record ?? "", values };
}

function readRow(record: CsvRecord, header: Map<number, Column>, width: number, problems: ProblemList, refused: Refused[]): Row | undefined {
  const row = readRowFields(record, header, width, problems);
  if (!row) refused.push(refusedOf(record, header));
  return row;
}

function readRowFields(record: CsvRecord, header: Map<number, Column>, width: number, problems: ProblemList): Row | undefined {
  if (record.fields.length !== width) {
    const where: CsvField | undefined = record.fields[width];
    problems.add(
      "wrong_field_count",
      where?.line ?? record.endLine,
      where?.column ?? record.endColumn,
      { found: record.fields.length, expected: width },
    );
    return undefined;
  }
  const values: Partial<Record<Column, string>> = {};
  const at: Partial<Record<Column, At>> = {};
  const refusedColumns = new Set<Column>();
  let ok = true;
  for (const [i, f] of record.fields.entries()) {
    const column = header.get(i)!;
    const value = clean(f.value);
    at[column] = { line: f.line, column: f.column };
    const control = controlCharacter(value);
    if (control !== undefined) {
      problems.add("control_character", f.line, f.column, { code: `U+${control.toString(16).toUpperCase().padStart(4, "0")}` }, column);
      refusedColumns.add(column);
      ok = false;
      continue;
    }
    if ([...value].length > MAX_LENGTH[column]) {
      problems.add("field_too_long", f.line, f.column, { length: [...value].length, max: MAX_LENGTH[column] }, column);
      refusedColumns.add(column);
      ok = false;
      continue;
    }
    if (value !== "") values[column] = value;
  }
  const kindText = values.record ?? "";
  if (!(RECORDS as readonly string[]).includes(kindText)) {
    const a = at.record!;
    problems.add("unknown_record", a.line, a.column, { value: kindText, expected: RECORDS.join(", ") }, "record");
    return undefined;
  }
  const kind = kindText as RecordKind;
  const { required, optional } = RECORD_COLUMNS[kind];
  for (const column of COLUMNS) {
    if (column === "record" || refusedColumns.has(column)) continue;
    const a = at[column]!;
    if (required.includes(column) && values[column] === undefined) {
      problems.add("field_required", a.line, a.column, { record: kind }, column);
      ok = false;
    } else if (!required.includes(column) && !optional.includes(column) && values[column] !== undefined) {
      problems.add("field_not_allowed", a.line, a.column, { record: kind, value: values[column]! }, column);
      ok = false;
    }
  }
  return ok ? { kind, line: record.line, values, at } : undefined;
}

/** Field checks of one kind: a value problem at the field's place. */
class Checker {
  constructor(private readonly problems: ProblemList) {}

  /** Problems found so far. */
  get count(): number {
    return this.problems.count;
  }

  fail(row: Row, column: Column, code: ProblemCode, params: Record<string, string | number> = {}): undefined {
    const a = row.at[column]!;
    this.problems.add(code, a.line, a.column, params, column);
    return undefined;
  }

  /** A problem at `column` of `row` naming the line of an earlier row. */
  conflict(row: Row | { line: number; at: Partial<Record<Column, At>> }, column: Column, code: ProblemCode, params: Record<string, string | number>): void {
    const a = row.at[column] ?? { line: row.line, column: 0 };
    this.problems.add(code, a.line, a.column, params, column);
  }

  cadastral(row: Row, column: Column): string | undefined {
    const v = row.values[column]!;
    return CADASTRAL.test(v) ? v : this.fail(row, column, "bad_cadastral_number", { value: v });
  }

  personId(row: Row): string | undefined {
    const v = row.values.person!;
    return PERSON_ID.test(v) ? v : this.fail(row, "person", "bad_person_id", { value: v });
  }

  oneOf<T extends string>(row: Row, column: Column, allowed: readonly T[], code: ProblemCode): T | undefined {
    const v = row.values[column]!;
    return (allowed as readonly string[]).includes(v) ? (v as T) : this.fail(row, column, code, { value: v, expected: allowed.join(", ") });
  }

  area(row: Row): bigint | undefined {
    const v = row.values.area!;
    const cents = parseArea(v);
    if (cents === undefined) return this.fail(row, "area", "bad_area", { value: v });
    if (cents <= 0n) return this.fail(row, "area", "area_not_positive", { value: v });
    if (cents > MAX_AREA) return this.fail(row, "area", "area_too_large", { value: v, max: formatArea(MAX_AREA) });
    return cents;
  }

  share(row: Row): { share: Fraction; units: bigint } | undefined {
    const v = row.values.share!;
    const share = parseFraction(v);
    if (!share) return this.fail(row, "share", "bad_fraction", { value: v });
    if (share.numerator === 0n || share.numerator > share.denominator) return this.fail(row, "share", "share_out_of_range", { value: v });
    const units = shareUnits(share);
    if (units === undefined) return this.fail(row, "share", "inexact_share", { value: v, unit: SHARE_UNIT.toString() });
    return { share, units };
  }

  email(row: Row): string | null | undefined {
    const v = row.values.email;
    if (v === undefined) return null;
    return v.length <= 254 && EMAIL.test(v) ? v : this.fail(row, "email", "bad_email", { value: v });
  }

  phone(row: Row): string | null | undefined {
    const v = row.values.phone;
    if (v === undefined) return null;
    const compact = v.replace(/[\s()-]/g, "");
    return /^\+[1-9]\d{7,14}$/.test(compact) ? compact : this.fail(row, "phone", "bad_phone", { value: v });
  }
}

/** Reads a register file's bytes; throws RegisterFileError with every problem it has. */
export function readRegisterFile(bytes: Uint8Array): RegisterFile {
  const problems = new ProblemList();
  const text = decodeUtf8(bytes, problems);
  problems.throwIfAny();
  const records = parseCsv(text!, problems);
  if (records.length === 0 && problems.empty) problems.add("empty_file", 0, 0);
  problems.throwIfAny();
  const header = readHeader(records[0]!, problems);
  problems.throwIfAny();
  if (records.length - 1 > MAX_ROWS) {
    problems.add("too_many_rows", 0, 0, { max: MAX_ROWS });
    problems.throwIfAny();
  }
  const rows: Row[] = [];
  const refused: Refused[] = [];
  for (const record of records.slice(1)) {
    const row = readRow(record, header!, records[0]!.fields.length, problems, refused);
    if (row) rows.push(row);
  }
  const file = assemble(rows, refused, new Checker(problems));
  problems.throwIfAny();
  return file;
}

/** Builds the register from rows that read well, checking them against each other. */
function assemble(rows: Row[], refused: Refused[], check: Checker): RegisterFile {
  const byKind = (kind: RecordKind) => rows.filter((r) => r.kind === kind);
  const refusedOfKind = (kind: RecordKind) => refused.filter((r) => r.kind === kind).map((r) => r.values);

  const buildings = new Map<string, FileBuilding>();
  const brokenBuildings = new Set<string>(refusedOfKind("building").map((v) => v.building ?? ""));
  for (const row of byKind("building")) {
    const key = check.cadastral(row, "building");
    if (key === undefined) {
      brokenBuildings.add(row.values.building!);
      continue;
    }
    const first = buildings.get(key);
    if (first) {
      check.conflict(row, "building", "duplicate_building", { value: key, first: first.line });
      continue;
    }
    buildings.set(key, { key, address: row.values.address!, premises: [], residents: [], organisations: [], line: row.line });
  }

  const persons = new Map<string, FilePerson>();
  // rows that were refused already: rows naming them are not refused again for it
  const brokenPersons = new Set<string>(refusedOfKind("person").map((v) => v.person ?? ""));
  for (const row of byKind("person")) {
    const personId = check.personId(row);
    const email = check.email(row);
    const phone = check.phone(row);
    const language = row.values.language === undefined ? "ru" : check.oneOf<Language>(row, "language", LANGUAGES, "unknown_language");
    if (personId === undefined || email === undefined || phone === undefined || language === undefined) {
      brokenPersons.add(row.values.person!);
      continue;
    }
    const first = persons.get(personId);
    if (first) {
      check.conflict(row, "person", "duplicate_person", { value: personId, first: first.line });
      continue;
    }
    persons.set(personId, { personId, name: row.values.name!, identity: row.values.identity!, email, phone, language, line: row.line });
  }

  /** The building a row names, or a problem at its `building` field. */
  const buildingOf = (row: Row): FileBuilding | undefined => {
    const key = row.values.building!;
    const building = buildings.get(key);
    if (building) return building;
    return brokenBuildings.has(key) ? undefined : check.fail(row, "building", "unknown_building", { value: key });
  };
  const personOf = (row: Row): string | undefined => {
    const id = row.values.person!;
    if (persons.has(id)) return id;
    return brokenPersons.has(id) ? undefined : check.fail(row, "person", "unknown_person", { value: id });
  };

  const premisesByBuilding = new Map<string, Map<string, FilePremises>>();
  const cadastralSeen = new Map<string, number>([...buildings.values()].map((b) => [b.key, b.line]));
  const brokenPremises = new Set<string>(refusedOfKind("premises").map((v) => `${v.building}\u0000${v.premises}`));
  for (const row of byKind("premises")) {
    const building = buildingOf(row);
    const kind = check.oneOf<KindCode>(row, "kind", KIND_CODES, "unknown_kind");
    const area = check.area(row);
    const cadastral = check.cadastral(row, "cadastral");
    if (!building || kind === undefined || area === undefined || cadastral === undefined) {
      brokenPremises.add(`${row.values.building}\u0000${row.values.premises}`);
      continue;
    }
    const list = premisesByBuilding.get(building.key) ?? new Map<string, FilePremises>();
    premisesByBuilding.set(building.key, list);
    const number = row.values.premises!;
    const first = list.get(number);
    if (first) {
      check.conflict(row, "premises", "duplicate_premises", { value: number, first: first.line });
      continue;
    }
    const cadastralFirst = cadastralSeen.get(cadastral);
    if (cadastralFirst !== undefined) {
      check.conflict(row, "cadastral", "duplicate_cadastral_number", { value: cadastral, first: cadastralFirst });
      continue;
    }
    cadastralSeen.set(cadastral, row.line);
    const premises: FilePremises = { number, entrance: row.values.entrance ?? "", kind, area, cadastral, holdings: [], line: row.line, at: row.at };
    list.set(number, premises);
    building.premises.push(premises);
  }
  const premisesOf = (row: Row, building: FileBuilding): FilePremises | undefined => {
    const number = row.values.premises!;
    const premises = premisesByBuilding.get(building.key)?.get(number);
    if (premises) return premises;
    return brokenPremises.has(`${building.key}\u0000${number}`) ? undefined : check.fail(row, "premises", "unknown_premises", { value: number, building: building.key });
  };

  // owners: one holding per sole or shared row, one per joint group of a premises
  const holderLine = new Map<FilePremises, Map<string, number>>();
  const jointGroups = new Map<FilePremises, Map<string, { holding: FileHolding; row: Row }>>();
  // a premises with a refused owner row is not summed: its shares are known to be incomplete
  const refusedShares = new Set<string>(refusedOfKind("owner").map((v) => `${v.building}\u0000${v.premises}`));
  for (const row of byKind("owner")) {
    const before = check.count;
    try {
      const building = buildingOf(row);
      const person = personOf(row);
      const share = check.share(row);
      const ownership = check.oneOf<OwnershipCode>(row, "ownership", OWNERSHIP_CODES, "unknown_ownership");
      if (ownership !== undefined && ownership !== "joint" && row.values.group !== undefined) {
        check.fail(row, "group", "field_not_allowed", { record: `owner (${ownership})`, value: row.values.group });
        continue;
      }
      if (ownership === "joint" && row.values.group === undefined) {
        check.fail(row, "group", "field_required", { record: "owner (joint)" });
        continue;
      }
      const premises = building && premisesOf(row, building);
      if (!premises || person === undefined || share === undefined || ownership === undefined) continue;
      const holders = holderLine.get(premises) ?? new Map<string, number>();
      holderLine.set(premises, holders);
      const firstLine = holders.get(person);
      if (firstLine !== undefined) {
        check.conflict(row, "person", "person_in_two_holdings", { value: person, premises: premises.number, first: firstLine });
        continue;
      }
      holders.set(person, row.line);
      if (ownership === "sole" && share.units !== SHARE_UNIT) {
        check.fail(row, "share", "sole_share_not_whole", { value: formatFraction(share.share) });
        continue;
      }
      if (ownership === "shared" && share.units === SHARE_UNIT) {
        check.fail(row, "share", "shared_share_whole", {});
        continue;
      }
      const title = row.values.title!;
      if (ownership === "joint") {
        const groups = jointGroups.get(premises) ?? new Map<string, { holding: FileHolding; row: Row }>();
        jointGroups.set(premises, groups);
        const group = row.values.group!;
        const existing = groups.get(group);
        if (existing) {
          if (existing.holding.units !== share.units) {
            check.conflict(row, "share", "joint_share_differs", { group, first: existing.row.line, expected: formatFraction(existing.holding.share), value: formatFraction(share.share) });
            continue;
          }
          if (existing.holding.title !== title) {
            check.conflict(row, "title", "joint_title_differs", { group, first: existing.row.line, expected: existing.holding.title });
            continue;
          }
          existing.holding.holders.push(person);
          continue;
        }
        const holding: FileHolding = { ownership, share: share.share, units: share.units, group, title, holders: [person], line: row.line, at: row.at };
        groups.set(group, { holding, row });
        premises.holdings.push(holding);
        continue;
      }
      premises.holdings.push({ ownership, share: share.share, units: share.units, title, holders: [person], line: row.line, at: row.at });
      } finally {
      if (check.count > before) refusedShares.add(`${row.values.building}\u0000${row.values.premises}`);
    }
  }

  // each premises on its own: whole shares, joint holdings of two to eight, a sole owner alone
  for (const building of buildings.values()) {
    const groupsOf = new Map<string, Set<string>>();
    for (const premises of building.premises) {
      if (premises.holdings.length === 0) continue;
      const firstRow = premises.holdings[0]!;
      for (const h of premises.holdings) {
        if (h.ownership === "joint" && h.holders.length < 2) check.conflict(h, "group", "joint_group_too_small", { group: h.group!, premises: premises.number });
        if (h.ownership === "joint" && h.holders.length > MAX_JOINT_HOLDERS) {
          check.conflict(h, "group", "joint_group_too_large", { group: h.group!, premises: premises.number, count: h.holders.length, max: MAX_JOINT_HOLDERS });
        }
        if (h.ownership === "sole" && premises.holdings.length > 1) {
          const other = premises.holdings.find((o) => o !== h)!;
          check.conflict(h, "ownership", "sole_not_alone", { premises: premises.number, first: other.line });
        }
        if (h.ownership === "joint" && h.holders.length >= 2) {
          const members = [...h.holders].sort().join("\u0000");
          for (const person of h.holders) {
            const set = groupsOf.get(person) ?? new Set<string>();
            set.add(members);
            groupsOf.set(person, set);
          }
        }
      }
      if (premises.holdings.length > MAX_HOLDINGS) {
        check.conflict(firstRow, "share", "too_many_holdings", { premises: premises.number, count: premises.holdings.length, max: MAX_HOLDINGS });
      }
      const sum = premises.holdings.reduce((s, h) => s + h.units, 0n);
      if (sum !== SHARE_UNIT && !refusedShares.has(`${building.key}\u0000${premises.number}`)) check.conflict(firstRow, "share", "shares_not_whole", { premises: premises.number, sum: formatFraction(unitsToFraction(sum)) });
    }
    for (const [person, groups] of groupsOf) {
      if (groups.size > MAX_JOINT_GROUPS) {
        check.conflict({ line: persons.get(person)!.line, at: {} }, "person", "too_many_joint_groups", { value: person, count: groups.size, building: building.key, max: MAX_JOINT_GROUPS });
      }
    }
  }

  for (const row of byKind("resident")) {
    const building = buildingOf(row);
    const person = personOf(row);
    const premises = building && premisesOf(row, building);
    if (!building || !premises || person === undefined) continue;
    const first = building.residents.find((r) => r.premises === premises.number && r.personId === person);
    if (first) {
      check.conflict(row, "person", "duplicate_resident", { value: person, first: first.line });
      continue;
    }
    building.residents.push({ premises: premises.number, personId: person, line: row.line });
  }

  for (const row of byKind("organisation")) {
    const building = buildingOf(row);
    const person = personOf(row);
    const role = check.oneOf<RoleCode>(row, "role", ROLE_CODES, "unknown_role");
    if (!building || person === undefined || role === undefined) continue;
    const first = building.organisations.find((o) => o.personId === person);
    if (first) {
      check.conflict(row, "person", "duplicate_organisation", { value: person, first: first.line });
      continue;
    }
    building.organisations.push({ personId: person, role, line: row.line });
  }

  if (buildings.size === 0) check.conflict({ line: 0, at: {} }, "record", "no_building", {});
  return { buildings: [...buildings.values()], persons };
}

/** The people a building's register names: owners, residents and organisations. */
export function personsOf(building: FileBuilding): Set<string> {
  const ids = new Set<string>();
  for (const p of building.premises) for (const h of p.holdings) for (const id of h.holders) ids.add(id);
  for (const r of building.residents) ids.add(r.personId);
  for (const o of building.organisations) ids.add(o.personId);
  return ids;
}
