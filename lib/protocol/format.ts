/** Presentation of weights, percentages and dates for reports and protocols (exact integer maths). */
import { SHARE_UNIT } from "../domain.js";

/** A weight as square metres with `decimals` places (weight = area in 0.01 m² × share of SHARE_UNIT). */
export function squareMetres(weight: bigint, decimals = 2): string {
  const scale = 10n ** BigInt(decimals);
  const denominator = SHARE_UNIT * 100n;
  const scaled = (weight * scale * 2n + denominator) / (denominator * 2n); // rounded half up
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(decimals, "0");
  return decimals ? `${whole}.${frac}` : whole.toString();
}

/** `part / whole` as a percentage with `decimals` places, rounded half up; "—" when whole is 0. */
export function percent(part: bigint, whole: bigint, decimals = 2): string {
  if (whole === 0n) return "—";
  const scale = 10n ** BigInt(decimals);
  const scaled = (part * 100n * scale * 2n + whole) / (whole * 2n);
  return `${scaled / scale}.${(scaled % scale).toString().padStart(decimals, "0")}`;
}

export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

export function csvCell(value: string | number | bigint | boolean | null | undefined): string {
  const s = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(values: Array<string | number | bigint | boolean | null | undefined>): string {
  return values.map(csvCell).join(",");
}
