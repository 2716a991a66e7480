/**
 * Register files for the tests: a building as data (premises, holdings, residents, organisations,
 * people) written out in the documented CSV format, so that a test can change one thing (a sale, a
 * resident gone) and write the file again. `generatedBuilding` lays out a building of any size the
 * way real registers look: mostly sole owners, some spouses holding jointly, heirs holding shares,
 * a flat the city owns with its tenant registered, shops and parking spaces, a management company.
 */
export const COLUMNS = "record,building,address,premises,entrance,kind,area,cadastral,person,name,identity,email,phone,language,share,ownership,group,title,role".split(",");

export interface TestPerson {
  id: string;
  name: string;
  identity: string;
  email?: string;
  phone?: string;
  language?: string;
}

export interface TestOwner {
  person: string;
  share: string;
  ownership: "sole" | "shared" | "joint";
  group?: string;
  title: string;
}

export interface TestPremises {
  number: string;
  entrance: string;
  kind: "residential" | "non-residential" | "parking";
  area: string;
  cadastral: string;
  owners: TestOwner[];
}

export interface TestBuilding {
  key: string;
  address: string;
  premises: TestPremises[];
  residents: Array<{ premises: string; person: string }>;
  organisations: Array<{ person: string; role: string }>;
}

export interface TestRegister {
  buildings: TestBuilding[];
  persons: TestPerson[];
}

function field(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The register as a CSV text (CRLF lines, as RFC 4180 writes them). */
export function toCsv(register: TestRegister, options: { lineEnd?: string } = {}): string {
  const end = options.lineEnd ?? "\r\n";
  const rows: Array<Record<string, string>> = [];
  for (const b of register.buildings) rows.push({ record: "building", building: b.key, address: b.address });
  for (const p of register.persons) {
    rows.push({ record: "person", person: p.id, name: p.name, identity: p.identity, email: p.email ?? "", phone: p.phone ?? "", language: p.language ?? "" });
  }
  for (const b of register.buildings) {
    for (const p of b.premises) rows.push({ record: "premises", building: b.key, premises: p.number, entrance: p.entrance, kind: p.kind, area: p.area, cadastral: p.cadastral });
    for (const p of b.premises) {
      for (const o of p.owners) {
        rows.push({ record: "owner", building: b.key, premises: p.number, person: o.person, share: o.share, ownership: o.ownership, group: o.group ?? "", title: o.title });
      }
    }
    for (const r of b.residents) rows.push({ record: "resident", building: b.key, premises: r.premises, person: r.person });
    for (const o of b.organisations) rows.push({ record: "organisation", building: b.key, person: o.person, role: o.role });
  }
  return [COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => field(r[c] ?? "")).join(","))].join(end) + end;
}

const SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов"];
const NAMES = ["Анна", "Иван", "Ольга", "Павел", "Мария", "Дмитрий", "Елена", "Сергей", "Ирина", "Алексей", "Наталья", "Андрей"];

/**
 * A building of `premises` premises: flat n is owned by one person (every 10th by spouses jointly,
 * every 7th by three heirs in thirds, every 13th half by one owner and half by a couple jointly),
 * flat 5 by the city with its tenant registered, the last tenth shops and parking spaces; every
 * 20th flat's owner owns a parking space too. `index` keeps its people and numbers apart from other buildings'.
 */
export function generatedBuilding(index: number, premises: number): TestRegister {
  const key = `77:0${index}:000${4000 + index}:${1000 + index}`;
  const persons: TestPerson[] = [];
  const person = (suffix: string, n: number): string => {
    const id = `b${index}.${suffix}`;
    const female = n % 2 === 0;
    const surname = SURNAMES[n % SURNAMES.length]! + (female ? "а" : "");
    persons.push({
      id,
      name: `${surname} ${NAMES[n % NAMES.length]} ${index}-${n}`,
      identity: `паспорт 45 ${String(10 + (n % 90)).padStart(2, "0")} ${String(100000 + n).slice(-6)}, СНИЛС ${String(100 + index).slice(-3)}-${String(n).padStart(3, "0").slice(-3)}-${String(n * 7).padStart(3, "0").slice(-3)} ${String(n % 100).padStart(2, "0")}`,
      email: n % 3 === 0 ? undefined : `${id}@example.org`,
      phone: n % 4 === 0 ? undefined : `+7916${String(index).padStart(2, "0")}${String(n).padStart(5, "0")}`,
      language: n % 9 === 0 ? "en" : "ru",
    });
    return id;
  };
  const building: TestBuilding = { key, address: `Москва, ул. Тестовая, д. ${index}`, premises: [], residents: [], organisations: [] };
  const flats = Math.ceil(premises * 0.9);
  let lastOwner = "";
  for (let n = 1; n <= premises; n++) {
    const isFlat = n <= flats;
    const number = isFlat ? String(n) : n % 2 === 0 ? `ММ-${n - flats}` : `Н-${n - flats}`;
    const title = `${key}:${n}-77/011/2020-${n}`;
    const owners: TestOwner[] = [];
    if (n === 5) {
      owners.push({ person: person("city", 5), share: "1", ownership: "sole", title });
      building.residents.push({ premises: number, person: person("tenant", 5_000) });
    } else if (isFlat && n % 10 === 0) {
      owners.push({ person: person(`p${n}`, n), share: "1", ownership: "joint", group: "spouses", title });
      owners.push({ person: person(`p${n}s`, n + 1), share: "1", ownership: "joint", group: "spouses", title });
    } else if (isFlat && n % 7 === 0) {
      for (const k of [0, 1, 2]) owners.push({ person: person(`p${n}h${k}`, n + k), share: "1/3", ownership: "shared", title: `${title}/${k}` });
    } else if (isFlat && n % 13 === 0) {
      owners.push({ person: person(`p${n}`, n), share: "1/2", ownership: "shared", title });
      owners.push({ person: person(`p${n}a`, n + 1), share: "1/2", ownership: "joint", group: "couple", title: `${title}/j` });
      owners.push({ person: person(`p${n}b`, n + 2), share: "1/2", ownership: "joint", group: "couple", title: `${title}/j` });
    } else if (!isFlat && n % 2 === 0 && lastOwner !== "") {
      // a parking space of the owner of an earlier flat
      owners.push({ person: lastOwner, share: "1", ownership: "sole", title });
    } else {
      const id = person(`p${n}`, n);
      owners.push({ person: id, share: "1", ownership: "sole", title });
      if (isFlat && n % 20 === 1) lastOwner = id;
    }
    const area = isFlat ? 3000 + ((n * 7919) % 9001) : n % 2 === 0 ? 1500 : 8000 + n;
    building.premises.push({
      number,
      entrance: isFlat ? String(1 + Math.floor((n - 1) / 40)) : "",
      kind: isFlat ? "residential" : n % 2 === 0 ? "parking" : "non-residential",
      area: `${Math.floor(area / 100)}.${String(area % 100).padStart(2, "0")}`,
      cadastral: `77:0${index}:000${4000 + index}:${10000 + n}`,
      owners,
    });
  }
  building.residents.push({ premises: "1", person: building.premises[0]!.owners[0]!.person });
  building.organisations.push({ person: person("uk", 9_000), role: "management-organisation" });
  // people are listed once, in the order first named
  const seen = new Set<string>();
  return { buildings: [building], persons: persons.filter((p) => (seen.has(p.id) ? false : (seen.add(p.id), true))) };
}

/** Area in 0.01 m² as the chain keeps it. */
export function cents(area: string): bigint {
  const [whole, fraction] = area.split(".");
  return BigInt(whole!) * 100n + BigInt(fraction!);
}
