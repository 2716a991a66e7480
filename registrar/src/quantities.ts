/**
 * The register's numbers as the file writes them and the chain stores them: a share as a fraction
 * ("1/2", "1") in parts of SHARE_UNIT, exact or refused; an area in square metres with two decimals
 * ("45.50", or "45,50" as Russian spreadsheets write it) in 0.01 m² units. Nothing is rounded.
 */
import { SHARE_UNIT } from "#lib/domain.js";

/** Largest area of one premises the registry holds, in 0.01 m² (`BuildingRegistry.MAX_AREA`). */
export const MAX_AREA = 2n ** 40n - 1n;

export interface Fraction {
  numerator: bigint;
  denominator: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

export function reduce(f: Fraction): Fraction {
  const g = gcd(f.numerator, f.denominator) || 1n;
  return { numerator: f.numerator / g, denominator: f.denominator / g };
}

/** "a/b" in lowest terms, or "1" for the whole (and "0" for nothing). */
export function formatFraction(f: Fraction): string {
  const r = reduce(f);
  if (r.numerator === 0n) return "0";
  return r.denominator === 1n ? r.numerator.toString() : `${r.numerator}/${r.denominator}`;
}

/** A fraction as the file writes it: "a/b" or a whole number, digits only; undefined when it is not one. */
export function parseFraction(text: string): Fraction | undefined {
  const m = /^(\d{1,18})(?:\/(\d{1,18}))?$/.exec(text);
  if (!m) return undefined;
  const denominator = BigInt(m[2] ?? "1");
  if (denominator === 0n) return undefined;
  return reduce({ numerator: BigInt(m[1]!), denominator });
}

/** The fraction in parts of SHARE_UNIT, or undefined when it is not a whole number of parts. */
export function shareUnits(f: Fraction): bigint | undefined {
  const scaled = SHARE_UNIT * f.numerator;
  return scaled % f.denominator === 0n ? scaled / f.denominator : undefined;
}

/** Parts of SHARE_UNIT as a fraction in lowest terms. */
export function unitsToFraction(units: bigint): Fraction {
  return reduce({ numerator: units, denominator: SHARE_UNIT });
}

/** An area "45.50" or "45,50" in 0.01 m² units; undefined when it is not written with exactly two decimals. */
export function parseArea(text: string): bigint | undefined {
  const m = /^(-?)(\d{1,15})[.,](\d{2})$/.exec(text);
  if (!m) return undefined;
  const cents = BigInt(m[2]!) * 100n + BigInt(m[3]!);
  return m[1] === "-" ? -cents : cents;
}

/** 0.01 m² units as "45.50". */
export function formatArea(cents: bigint): string {
  const sign = cents < 0n ? "-" : "";
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}
