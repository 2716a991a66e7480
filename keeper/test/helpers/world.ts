/**
 * The keeper tests' world on a real chain (dev/chain.ts): a building registered through the real
 * registry with sole, shared and joint owners and residents, its register published on chain as the
 * registrar publishes it, the annex the registrar would answer for it, and meetings and a poll with
 * ballots of every form — direct, relayed, a representative's and a paper decision with a void answer.
 */
import { Wallet, id, keccak256, toUtf8Bytes } from "ethers";
import { Choice, PREMISES_KINDS, SHARE_UNIT } from "#lib/domain.js";
import type { Annex } from "#lib/protocol/annex.js";
import { shareFraction } from "#lib/protocol/annex.js";
import { squareMetres } from "#lib/protocol/format.js";
import { advance, announce, enterPaper, fund, holdersOf, paperDecision, randomChoices, random, recordPower, registerBuilding, relay, signBallot, type Announced, type Building, type QuestionSpec, type World } from "../../../dev/scenario.js";

export const AGENDAS: Record<string, QuestionSpec[]> = {
  courtyard: [
    { text: "Установить шлагбаум на въезде во двор", type: "44.2.2" },
    { text: "Заменить входную дверь в подъезде", type: "other" },
    { text: "Нанять консьержа", type: "other" },
    { text: "Выбрать новую управляющую компанию", type: "44.2.4.7" },
  ],
  repair: [
    { text: "Провести текущий ремонт лестничных клеток в 2026 году", type: "other" },
    { text: "Утвердить смету текущего ремонта кровли", type: "other" },
  ],
  poll: [
    { text: "Нужна ли во дворе площадка для выгула собак?" },
    { text: "Поддерживаете ли вы озеленение двора силами жителей?" },
  ],
};

/** The registrar's annex of a building as it was registered (the register at every later snapshot while no sale happens). */
export function annexOf(world: World, building: Building, operator: string): Omit<Annex, "meetingId"> {
  const name = new Map<string, string>();
  building.owners.forEach((w, i) => name.set(w.address, `Собственник ${i + 1} Иванович`));
  building.residents.forEach((w, i) => name.set(w.address, `Житель ${i + 1} Петрович`));
  const person = (address: string) => ({ address, personId: `P-${address.slice(2, 10)}`, fullName: name.get(address) ?? address, identity: `паспорт 45 0${address.slice(2, 4)} ${parseInt(address.slice(4, 10), 16)}` });
  const owners = building.premises.flatMap((p, k) =>
    p.holdings.flatMap((h) =>
      h.holders.map((holder) => ({
        ...person(holder),
        premisesId: p.premisesId.toString(),
        premisesNumber: String(k + 1),
        premisesKind: PREMISES_KINDS[p.kind],
        areaM2: squareMetres(p.area * SHARE_UNIT),
        premisesCadastralNumber: `77:01:0001001:${1000 + k}`,
        share: shareFraction(h.share),
        ownership: (h.holders.length > 1 ? "joint" : p.holdings.length > 1 ? "shared" : "sole") as "sole" | "shared" | "joint",
        titleDocument: `Выписка из ЕГРН № 77-${p.premisesId}-${holder.slice(2, 8)}`,
      })),
    ),
  );
  return {
    buildingId: building.buildingId.toString(),
    building: { address: "г. Москва, ул. Тестовая, д. 7", cadastralNumber: "77:01:0001001:7" },
    registerHash: keccak256(toUtf8Bytes(JSON.stringify(owners))),
    owners,
    persons: [{ address: operator, personId: "ОГРН 1027700000000", fullName: "ООО «Управляющая компания Тестовая»", identity: "ИНН 7700000000" }, ...building.residents.map((w) => person(w.address))],
  };
}

export interface Scene {
  building: Building;
  annex: Omit<Annex, "meetingId">;
  meetings: Array<Announced & { agenda: QuestionSpec[]; poll: boolean }>;
}

/**
 * Registers the building, publishes its register's hash, announces two meetings and a poll whose
 * windows end `windows` seconds after they open, and votes in each.
 */
export async function buildScene(world: World, seed: number, windows: number[]): Promise<Scene> {
  const building = await registerBuilding(world, seed, 24, 16, 2, { joint: 0.2, shared: 0.25 });
  const operator = await world.operator.getAddress();
  const annex = annexOf(world, building, operator);
  await (await world.registry.publishRegister(building.buildingId, annex.registerHash)).wait();
  const kinds: Array<[string, boolean]> = [
    ["courtyard", false],
    ["repair", false],
    ["poll", true],
  ];
  const meetings: Scene["meetings"] = [];
  for (const [i, [agenda, poll]] of kinds.entries()) {
    const m = await announce(world, building.buildingId, AGENDAS[agenda], { poll, window: windows[i], meetingType: i === 0 ? "Annual" : "Extraordinary" });
    meetings.push({ ...m, agenda: AGENDAS[agenda], poll });
  }
  await advance(world, 10);
  const rnd = random(seed);
  const voters = holdersOf(building);
  const representative = new Wallet(id(`keeper test representative ${seed}`), world.provider);
  for (const m of meetings) {
    const n = m.agenda.length;
    const [direct, paper, principal, ...rest] = voters;
    await fund(world, [direct]);
    await (await world.hall.connect(direct.connect(world.provider)).castBallot(m.meetingId, randomChoices(rnd, n))).wait();
    const signed = [];
    for (const v of rest.slice(0, 8)) signed.push(await signBallot(world, v, m.meetingId, randomChoices(rnd, n)));
    if (!m.poll) {
      const power = await recordPower(world, { principal: principal.address, representative: representative.address, buildingId: building.buildingId, meetingId: m.meetingId });
      signed.push(await signBallot(world, representative, m.meetingId, randomChoices(rnd, n), { voter: principal.address, powerOfAttorney: power }));
      await enterPaper(world, m.meetingId, [paperDecision(paper.address, [Choice.For, "void", ...Array.from({ length: n - 2 }, () => Choice.Against)])]);
    } else {
      for (const r of building.residents) signed.push(await signBallot(world, r, m.meetingId, randomChoices(rnd, n)));
    }
    await relay(world, m.meetingId, signed, 5);
  }
  return { building, annex, meetings };
}
