/**
 * An import's plan as the registrar reads it, in Russian or English: per building what is new, the
 * sales (premises, from whom to whom), residents registered and gone, organisers, whether the
 * register changes; then the people to onboard and the directory entries to write. Long lists of
 * what is merely new (premises, people) are counted; changes to what exists are listed in full.
 */
import type { Language } from "./messages.js";
import type { Plan, PlanHolder } from "./plan.js";

const TEXT = {
  en: {
    building: "Building",
    isNew: "new: it is registered on chain",
    id: "id on chain",
    newPremises: "new premises",
    sales: "owners change (sales)",
    residentsAdded: "residents registered",
    residentsGone: "residents gone",
    organisers: "organisers",
    registerChanges: "register: changes, its new hash is published on chain",
    registerSame: "register: unchanged",
    onboard: "people to onboard (custody account and directory entry)",
    contacts: "directory entries to write",
    unfinished: "transactions of an interrupted import to settle first",
    nothing: "Nothing to do: the register already holds this file.",
    premises: "premises",
    more: "and {n} more",
    kinds: { residential: "residential", "non-residential": "non-residential", parking: "parking" } as Record<string, string>,
    nobody: "nobody",
  },
  ru: {
    building: "Дом",
    isNew: "новый: регистрируется в блокчейне",
    id: "номер в блокчейне",
    newPremises: "новые помещения",
    sales: "смена собственников (продажи)",
    residentsAdded: "зарегистрированы жители",
    residentsGone: "сняты с регистрации",
    organisers: "организаторы",
    registerChanges: "реестр: изменяется, его новый хеш публикуется в блокчейне",
    registerSame: "реестр: без изменений",
    onboard: "новые люди (счёт в хранилище ключей и запись справочника)",
    contacts: "записи справочника",
    unfinished: "транзакции прерванного импорта, которые сначала будут завершены",
    nothing: "Делать нечего: реестр уже содержит этот файл.",
    premises: "помещение",
    more: "и ещё {n}",
    kinds: { residential: "жилые", "non-residential": "нежилые", parking: "машино-места" } as Record<string, string>,
    nobody: "никто",
  },
};

const LIST_LIMIT = 10;

function holders(list: PlanHolder[], t: (typeof TEXT)["en"]): string {
  return list.length === 0 ? t.nobody : list.map((h) => `${h.name} [${h.personId}] ${h.share}`).join(", ");
}

export function planText(plan: Plan, language: Language): string {
  const t = TEXT[language];
  const lines: string[] = [];
  const limited = <T>(items: T[], show: (item: T) => string, indent: string) => {
    for (const item of items.slice(0, LIST_LIMIT)) lines.push(`${indent}${show(item)}`);
    if (items.length > LIST_LIMIT) lines.push(`${indent}${t.more.replace("{n}", String(items.length - LIST_LIMIT))}`);
  };
  for (const b of plan.buildings) {
    lines.push(`${t.building} ${b.building} — ${b.address}${b.buildingId === null ? ` (${t.isNew})` : ` (${t.id} ${b.buildingId})`}`);
    if (b.newPremises.length > 0) {
      const byKind = new Map<string, number>();
      for (const p of b.newPremises) byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1);
      lines.push(`  ${t.newPremises}: ${b.newPremises.length} (${[...byKind].map(([k, n]) => `${t.kinds[k] ?? k} ${n}`).join(", ")})`);
    }
    if (b.sales.length > 0) {
      lines.push(`  ${t.sales}: ${b.sales.length}`);
      for (const s of b.sales) lines.push(`    ${t.premises} ${s.premises}: ${holders(s.from, t)} → ${holders(s.to, t)}`);
    }
    if (b.residentsAdded.length > 0) {
      lines.push(`  ${t.residentsAdded}: ${b.residentsAdded.length}`);
      for (const r of b.residentsAdded) lines.push(`    ${t.premises} ${r.premises}: ${r.name} [${r.personId}]`);
    }
    if (b.residentsGone.length > 0) {
      lines.push(`  ${t.residentsGone}: ${b.residentsGone.length}`);
      for (const r of b.residentsGone) lines.push(`    ${t.premises} ${r.premises}: ${r.name} [${r.personId}]`);
    }
    if (b.organisers.length > 0) {
      lines.push(`  ${t.organisers}: ${b.organisers.length}`);
      for (const o of b.organisers) lines.push(`    ${o.name} [${o.personId}]: ${o.before} → ${o.role}`);
    }
    lines.push(`  ${b.registerChanged ? t.registerChanges : t.registerSame}`);
  }
  if (plan.onboard.length > 0) {
    lines.push(`${t.onboard}: ${plan.onboard.length}`);
    limited(plan.onboard, (p) => `${p.name} [${p.personId}]`, "  ");
  }
  if (plan.contacts.length > 0) {
    lines.push(`${t.contacts}: ${plan.contacts.length}`);
    limited(plan.contacts, (c) => `${c.name} [${c.personId}]: ${c.changes.join(", ")}`, "  ");
  }
  if (plan.unfinished > 0) lines.push(`${t.unfinished}: ${plan.unfinished}`);
  if (plan.empty) lines.push(t.nothing);
  return lines.join("\n") + "\n";
}
