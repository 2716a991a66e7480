/**
 * Gas snapshots, one committed file per scenario as Uniswap v4-core keeps them: test/gas/snapshots/
 * <scenario>.snap holds the scenario's gas as a decimal number. A measurement is compared with them:
 * more than `tolerance` above a snapshot fails, below it is reported so that the snapshot is updated
 * (`npm run gas:snapshot`), and a scenario without a snapshot or a snapshot without a scenario fails.
 */
import { AppError } from "#lib/errors.js";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "#lib/deployment.js";

export const SNAPSHOT_DIR = path.join(PROJECT_ROOT, "test", "gas", "snapshots");
const EXTENSION = ".snap";
/** A scenario's name is its file's name: lower-case words joined by hyphens. */
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** How much more gas than its snapshot a scenario may take before the check fails: 1 %. */
export const TOLERANCE = 0.01;

export class GasSnapshotError extends AppError {
  constructor(message: string) {
    super("gas_snapshot_invalid", message);
    this.name = "GasSnapshotError";
  }
}

/** The committed snapshots by scenario name. A file that does not hold one whole number is an error naming it. */
export async function readSnapshots(dir = SNAPSHOT_DIR): Promise<Map<string, number>> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(EXTENSION)).sort();
  const snapshots = new Map<string, number>();
  for (const file of files) {
    const text = await readFile(path.join(dir, file), "utf8");
    if (!/^\d{1,15}\n?$/.test(text)) {
      throw new GasSnapshotError(`${path.relative(PROJECT_ROOT, path.join(dir, file))}: expected the gas as one whole number, got '${text.trim().slice(0, 40)}'`);
    }
    snapshots.set(file.slice(0, -EXTENSION.length), Number(text));
  }
  return snapshots;
}

/** Writes one file per scenario and removes the files of scenarios no longer measured. */
export async function writeSnapshots(measured: ReadonlyArray<{ name: string; gas: number }>, dir = SNAPSHOT_DIR): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const { name, gas } of measured) {
    if (!NAME.test(name)) throw new GasSnapshotError(`gas scenario '${name}': expected lower-case words joined by hyphens`);
    if (!Number.isSafeInteger(gas) || gas < 0) throw new GasSnapshotError(`gas scenario '${name}': expected a whole number of gas, got ${gas}`);
    await writeFile(path.join(dir, `${name}${EXTENSION}`), `${gas}\n`);
  }
  const names = new Set(measured.map((m) => m.name));
  for (const stale of (await readSnapshots(dir)).keys()) if (!names.has(stale)) await rm(path.join(dir, `${stale}${EXTENSION}`));
}

export type Verdict = "unchanged" | "within tolerance" | "increased" | "decreased" | "no snapshot" | "not measured";

export interface Comparison {
  name: string;
  snapshot: number | undefined;
  measured: number | undefined;
  /** (measured − snapshot) / snapshot, when both exist. */
  change: number | undefined;
  verdict: Verdict;
}

/** Compares a measurement with the snapshots, scenario by scenario (snapshots' order, then new ones). */
export function compareSnapshots(
  snapshots: ReadonlyMap<string, number>,
  measured: ReadonlyArray<{ name: string; gas: number }>,
  tolerance = TOLERANCE,
): Comparison[] {
  const byName = new Map(measured.map((m) => [m.name, m.gas]));
  const names = [...snapshots.keys(), ...measured.map((m) => m.name).filter((n) => !snapshots.has(n))];
  return names.map((name) => {
    const snapshot = snapshots.get(name);
    const gas = byName.get(name);
    if (snapshot === undefined) return { name, snapshot, measured: gas, change: undefined, verdict: "no snapshot" };
    if (gas === undefined) return { name, snapshot, measured: gas, change: undefined, verdict: "not measured" };
    const change = snapshot === 0 ? (gas === 0 ? 0 : Infinity) : (gas - snapshot) / snapshot;
    const verdict: Verdict = gas === snapshot ? "unchanged" : change > tolerance ? "increased" : gas < snapshot ? "decreased" : "within tolerance";
    return { name, snapshot, measured: gas, change, verdict };
  });
}

/** Whether a comparison fails the check: more gas than allowed, or a scenario and its snapshot apart. */
export function fails(c: Comparison): boolean {
  return c.verdict === "increased" || c.verdict === "no snapshot" || c.verdict === "not measured";
}

const number = (n: number | undefined) => (n === undefined ? "—" : n.toLocaleString("en-US"));
const percent = (x: number | undefined) => (x === undefined ? "" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)} %`);

/** One line per scenario: name, snapshot, measured, change and verdict, as a plain-text table. */
export function formatComparisons(comparisons: readonly Comparison[]): string {
  const rows = [["scenario", "snapshot", "measured", "change", ""], ...comparisons.map((c) => [c.name, number(c.snapshot), number(c.measured), percent(c.change), c.verdict])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 1 || i === 2 || i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}
