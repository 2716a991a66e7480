/**
 * The protocol's annexes from the registrar's register (personal data, off chain): the building's
 * address and cadastral number, the register of owners at the meeting's snapshot (name, identity
 * data, premises, area, share, kind of ownership, title document) and the identity data of everyone
 * else the protocol names (initiator, administrator, representatives). The registrar serves it as
 * `GET /v1/meetings/:id/annex` (see keeper/README.md for the exact shape, `annexSchema` here).
 *
 * Nothing in it is taken on trust: `checkAnnex` compares it with the register rebuilt from the chain
 * at the snapshot — the register hash the registrar published, every premises with its area and
 * kind, and every holding with its holders and share — and names each difference.
 */
import { getAddress, isAddress, keccak256, toUtf8Bytes } from "ethers";
import { z } from "zod";
import { PREMISES_KINDS, SHARE_UNIT } from "../domain.js";
import type { Difference } from "../recount/differences.js";
import type { RegisterState } from "../recount/register.js";
import { squareMetres } from "./format.js";

const account = z
  .string()
  .refine((s) => isAddress(s), { message: "expected a 0x-prefixed 20-byte address" })
  .transform((s) => getAddress(s));
const text = (max: number) => z.string().trim().min(1).max(max);
const wholeNumber = z.string().regex(/^(0|[1-9]\d{0,19})$/, "expected a whole number as a string");

/** A person or organisation with the data that identifies them (passport or СНИЛС, ОГРН for an organisation). */
const person = z.object({
  address: account,
  personId: text(100),
  fullName: text(500),
  identity: z.string().trim().max(500).default(""),
});

const owner = person.extend({
  premisesId: wholeNumber,
  /** The premises' number in the building ("12", "Н-3", "м/м 7"). */
  premisesNumber: text(50),
  premisesKind: z.enum(PREMISES_KINDS),
  /** Area in m² with two decimals, as the property register states it. */
  areaM2: z.string().regex(/^\d{1,9}\.\d{2}$/, "expected square metres with two decimals"),
  premisesCadastralNumber: z.string().trim().max(100).default(""),
  /** The holding's share of the premises as a fraction ("1/1", "1/2"); joint holders share one. */
  share: z.string().regex(/^[1-9]\d{0,11}\/[1-9]\d{0,11}$/, "expected a fraction such as 1/2"),
  ownership: z.enum(["sole", "shared", "joint"]),
  titleDocument: text(500),
});

export const annexSchema = z.object({
  meetingId: wholeNumber,
  buildingId: wholeNumber,
  building: z.object({ address: text(1000), cadastralNumber: text(100) }),
  /** The hash of the canonical register the registrar published on chain (`publishRegister`). */
  registerHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hash"),
  /**
   * The version of the register in force at the snapshot, as the registrar published it: its
   * canonical text (whose keccak256 is `registerHash`) and where the chain recorded it. Evidence for
   * whoever checks the annex; the protocol is checked against the chain itself.
   */
  register: z
    .object({
      version: z.number().int().min(1),
      publishedInTransaction: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a transaction hash"),
      publishedInBlock: z.number().int().min(0),
      publishedAt: z.string().datetime(),
      canonical: z.string().min(2),
    })
    .optional(),
  owners: z.array(owner).max(100_000),
  /** Everyone else the protocol may name: initiator, administrator, representatives, organisations. */
  persons: z.array(person).max(100_000).default([]),
}).superRefine((a, ctx) => {
  if (a.register && keccak256(toUtf8Bytes(a.register.canonical)) !== a.registerHash.toLowerCase()) {
    ctx.addIssue({ code: "custom", path: ["register", "canonical"], message: "the canonical register does not hash to registerHash" });
  }
});

export type Annex = z.infer<typeof annexSchema>;
export type AnnexOwner = Annex["owners"][number];
export type AnnexPerson = z.infer<typeof person>;

/** Problems of an answer that is not an annex, one a line with the path of each. */
export function parseAnnex(json: unknown): { annex?: Annex; problems: string[] } {
  const parsed = annexSchema.safeParse(json);
  if (parsed.success) return { annex: parsed.data, problems: [] };
  return { problems: parsed.error.issues.slice(0, 20).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`) };
}

/** The identity of an account: an owner's row or a person's entry, if the annex names it. */
export function personOf(annex: Annex, address: string): AnnexPerson | undefined {
  const key = address.toLowerCase();
  return annex.persons.find((p) => p.address.toLowerCase() === key) ?? annex.owners.find((o) => o.address.toLowerCase() === key);
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** A share of SHARE_UNIT as a reduced fraction: "1/2". */
export function shareFraction(share: bigint): string {
  const g = gcd(share, SHARE_UNIT) || 1n;
  return `${share / g}/${SHARE_UNIT / g}`;
}

/** A fraction written "a/b" reduced: "2/4" → "1/2". */
export function reducedFraction(fraction: string): string {
  const [a, b] = fraction.split("/").map((x) => BigInt(x));
  const g = gcd(a, b) || 1n;
  return `${a / g}/${b / g}`;
}

/**
 * Compares the annex with the register at the snapshot and the meeting: the meeting and building it
 * is for, the register hash on chain, and each premises (area, kind) with each holding (holders,
 * share, joint or not). Returns the differences; none means the annex is the chain's register.
 */
export function checkAnnex(annex: Annex, meeting: { meetingId: bigint; buildingId: bigint }, register: RegisterState, registerHashOnChain: string | null): Difference[] {
  const differences: Difference[] = [];
  const eq = (where: string, field: string, expected: string, actual: string) => {
    if (expected !== actual) differences.push({ where, field, expected, actual });
  };
  eq("annex", "meetingId", meeting.meetingId.toString(), annex.meetingId);
  eq("annex", "buildingId", meeting.buildingId.toString(), annex.buildingId);
  eq("annex", "registerHash (published on chain at the snapshot)", registerHashOnChain?.toLowerCase() ?? "none published", annex.registerHash.toLowerCase());

  const rows = new Map<string, AnnexOwner[]>();
  for (const o of annex.owners) rows.set(o.premisesId, [...(rows.get(o.premisesId) ?? []), o]);
  const entry = (address: string, share: string, joint: boolean) => `${address.toLowerCase()} ${share}${joint ? " joint" : ""}`;
  for (const [premisesId, p] of register.premises) {
    const where = `annex, premises ${premisesId}`;
    const listed = rows.get(premisesId.toString()) ?? [];
    rows.delete(premisesId.toString());
    if (p.holdings.length === 0 && listed.length === 0) continue;
    if (listed.length === 0) {
      differences.push({ where, field: "owners", expected: `${p.holdings.length} holding(s) on chain`, actual: "not in the annex" });
      continue;
    }
    eq(where, "area (m²)", squareMetres(p.area * SHARE_UNIT), listed[0].areaM2);
    eq(where, "kind", PREMISES_KINDS[p.kind] ?? String(p.kind), listed[0].premisesKind);
    for (const r of listed.slice(1)) {
      eq(where, "area (m²) of every row", listed[0].areaM2, r.areaM2);
      eq(where, "kind of every row", listed[0].premisesKind, r.premisesKind);
    }
    const expected = p.holdings.flatMap((h) => h.holders.map((holder) => entry(holder, shareFraction(h.share), h.holders.length > 1))).sort();
    const actual = listed.map((r) => entry(r.address, reducedFraction(r.share), r.ownership === "joint")).sort();
    eq(where, "holders and shares", expected.join(", "), actual.join(", "));
    for (const r of listed) {
      const joint = p.holdings.some((h) => h.holders.length > 1 && h.holders.includes(r.address.toLowerCase()));
      const alone = p.holdings.length === 1 && !joint;
      const kind = joint ? "joint" : alone ? "sole" : "shared";
      eq(`${where}, owner ${r.address}`, "ownership", kind, r.ownership);
    }
  }
  for (const premisesId of rows.keys()) differences.push({ where: `annex, premises ${premisesId}`, field: "premises", expected: "a premises of the building on chain", actual: "listed in the annex" });
  return differences;
}
