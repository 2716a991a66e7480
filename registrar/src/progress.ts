/**
 * How far an import has got: its phases in the order they run, each with its units done and to do
 * (people onboarded, directory entries written, buildings registered, premises added, premises whose
 * owners changed, residents registered or gone, organisers set, registers published), and the whole.
 * The API reports it (`GET /v1/imports/:id`); the CLI draws it as a bar on stderr — redrawn in place
 * on a terminal, a line per tenth of a phase otherwise (a log, a test).
 */
import type { Language } from "./messages.js";

export const PHASES = ["settling", "onboarding", "directory", "buildings", "premises", "owners", "residents", "organisers", "publishing"] as const;
export type Phase = (typeof PHASES)[number];

export interface Progress {
  /** The phase running now; "done" at the end. */
  phase: Phase | "done";
  done: number;
  total: number;
  phases: Record<Phase, { done: number; total: number }>;
}

const LABELS: Record<Language, Record<Phase | "done", string>> = {
  en: {
    settling: "settling earlier transactions",
    onboarding: "onboarding people",
    directory: "directory entries",
    buildings: "registering buildings",
    premises: "adding premises",
    owners: "changing owners",
    residents: "residents",
    organisers: "organisers",
    publishing: "publishing register hashes",
    done: "done",
  },
  ru: {
    settling: "завершение прежних транзакций",
    onboarding: "регистрация людей",
    directory: "записи справочника",
    buildings: "регистрация домов",
    premises: "добавление помещений",
    owners: "смена собственников",
    residents: "жители",
    organisers: "организаторы",
    publishing: "публикация хешей реестров",
    done: "готово",
  },
};

export function phaseLabel(phase: Phase | "done", language: Language): string {
  return LABELS[language][phase];
}

/** Counts an import's units and tells `onChange` at each step. */
export class ProgressTracker {
  private readonly state: Progress;

  constructor(
    totals: Partial<Record<Phase, number>>,
    private readonly onChange: (progress: Progress) => void,
  ) {
    const phases = Object.fromEntries(PHASES.map((p) => [p, { done: 0, total: totals[p] ?? 0 }])) as Progress["phases"];
    this.state = { phase: PHASES[0], done: 0, total: PHASES.reduce((n, p) => n + phases[p].total, 0), phases };
  }

  get progress(): Progress {
    return structuredClone(this.state);
  }

  /** Sets a phase's total once its work is known (e.g. settling), keeping the whole in step. */
  setTotal(phase: Phase, total: number): void {
    this.state.total += total - this.state.phases[phase].total;
    this.state.phases[phase].total = total;
  }

  start(phase: Phase): void {
    this.state.phase = phase;
    this.onChange(this.progress);
  }

  advance(phase: Phase, units = 1): void {
    this.state.phase = phase;
    this.state.phases[phase].done += units;
    this.state.done += units;
    this.onChange(this.progress);
  }

  finish(): void {
    this.state.phase = "done";
    this.onChange(this.progress);
  }
}

function bar(fraction: number, width: number): string {
  const full = Math.round(fraction * width);
  return "█".repeat(full) + "░".repeat(width - full);
}

/** Draws progress on a stream: a bar redrawn in place on a terminal, else a line per tenth of a phase. */
export function progressRenderer(stream: NodeJS.WritableStream & { isTTY?: boolean }, language: Language): (progress: Progress) => void {
  let lastLine = "";
  let lastStep = "";
  return (p) => {
    const percent = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
    const phase = p.phase === "done" ? undefined : p.phases[p.phase];
    const detail = phase ? `${phaseLabel(p.phase, language)} ${phase.done}/${phase.total}` : phaseLabel("done", language);
    if (stream.isTTY) {
      const line = `\r[${bar(p.total === 0 ? 1 : p.done / p.total, 30)}] ${String(percent).padStart(3)}% ${detail}`;
      if (line === lastLine) return;
      stream.write(line.padEnd(lastLine.length) + (p.phase === "done" ? "\n" : ""));
      lastLine = line;
      return;
    }
    const tenth = phase ? (phase.total === 0 ? 10 : Math.floor((phase.done / phase.total) * 10)) : 10;
    const step = `${p.phase}:${tenth}`;
    if (step === lastStep) return;
    lastStep = step;
    stream.write(`progress ${String(percent).padStart(3)}% ${detail}\n`);
  };
}
