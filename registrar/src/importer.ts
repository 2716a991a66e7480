/**
 * The one import behind `npm run register -- import` and `POST /v1/imports`: a file is read
 * (register-file.ts: any problem refuses it whole, before anything is done), planned against the
 * store (plan.ts), and — unless it is a dry run — applied (apply.ts) under the store's import lock,
 * so that two imports never interleave, whether from the CLI or the API. Before planning what is
 * left, an import settles the transactions an interrupted run left in the journal. The import's
 * plan, progress and outcome are kept in the store for `GET /v1/imports/:id`; one left running by a
 * process that stopped can be resumed from its stored file.
 */
import { createHash, randomUUID } from "node:crypto";
import type { BuildingRegistry } from "#typechain/index.js";
import type { Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import type { Logger } from "#lib/log.js";
import { applyImport, phaseTotals } from "./apply.js";
import type { ChainWriter } from "./chain-writer.js";
import type { Onboarding } from "./onboarding.js";
import { makePlan, type Plan } from "./plan.js";
import { ProgressTracker, type Progress } from "./progress.js";
import { readRegisterFile, type RegisterFile } from "./register-file.js";
import type { RegisterStore } from "./store.js";

export interface ImporterDeps {
  store: RegisterStore;
  writer: ChainWriter;
  onboarding: Onboarding;
  registry: BuildingRegistry;
  deployment: Deployment;
  log: Logger;
  /** Gas a batch may use at most (0: three quarters of the block gas limit). */
  batchGas: bigint;
  /** One-premises transactions in flight at once. */
  window: number;
}

/** An import stopped with its process: left `running`, to go on at the next run. */
export interface StoppedOutcome {
  importId: string;
  status: "stopped";
}

export interface ImportOutcome {
  importId: string;
  status: "done" | "failed";
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

export interface StartedImport {
  importId: string;
  plan: Plan;
  /** Settles when the import has finished, failed or stopped with the process (never rejects). */
  done: Promise<ImportOutcome | StoppedOutcome>;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** How often the store's copy of the progress is rewritten at most. */
const PROGRESS_WRITE_MS = 250;

export class Importer {
  private readonly running = new Map<string, Promise<ImportOutcome | StoppedOutcome>>();
  private stopping = false;

  constructor(private readonly deps: ImporterDeps) {}

  /** Stops the running import before its next step (everything done is recorded) and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  private plan(file: RegisterFile, bytes: Uint8Array): Plan {
    return makePlan(file, sha256(bytes), this.deps.store, { directory: this.deps.onboarding.hasDirectory });
  }

  /** Reads and plans a file; changes nothing anywhere. */
  dryRun(bytes: Uint8Array): { file: RegisterFile; plan: Plan } {
    const file = readRegisterFile(bytes);
    return { file, plan: this.plan(file, bytes) };
  }

  /**
   * Reads, plans and starts applying a file. A file with problems, or one that would change what the
   * chain cannot, is refused before anything happens; so is a second import while one runs
   * (`import_in_progress`).
   */
  start(bytes: Uint8Array, source: string, onProgress?: (p: Progress) => void): StartedImport {
    if (this.stopping) throw new AppError("import_stopped", "the registrar is stopping; send the file again once it runs");
    const file = readRegisterFile(bytes);
    const importId = randomUUID();
    this.lock(importId);
    let plan: Plan;
    try {
      plan = this.plan(file, bytes);
      this.deps.store.createImport(importId, source, sha256(bytes), bytes, plan);
    } catch (err) {
      this.deps.store.releaseLock(importId);
      throw err;
    }
    this.deps.log.info("import started", { importId, source, fileSha256: plan.fileSha256, buildings: plan.buildings.length, onboard: plan.onboard.length, unfinished: plan.unfinished });
    return { importId, plan, done: this.run(importId, file, bytes, onProgress) };
  }

  /** Goes on with an import a stopped process left running, from its stored file. */
  resume(importId: string, onProgress?: (p: Progress) => void): StartedImport {
    const bytes = this.deps.store.importFile(importId);
    const record = this.deps.store.getImport(importId);
    if (!bytes || !record) throw new AppError("not_found", `no import ${importId}`);
    if (record.status !== "running") throw new AppError("import_finished", `import ${importId} has finished (${record.status})`);
    const file = readRegisterFile(bytes);
    this.lock(importId);
    const plan = this.plan(file, bytes);
    this.deps.log.info("import resumed", { importId, unfinished: plan.unfinished });
    return { importId, plan, done: this.run(importId, file, bytes, onProgress) };
  }

  /** Resolves when every import this process runs has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  /**
   * Takes the import lock, or `import_in_progress`. Any other import still marked running was left
   * by a process that stopped (the lock was free): this import settles its transactions and takes
   * over what is left of it.
   */
  private lock(importId: string): void {
    const lock = this.deps.store.acquireLock(importId);
    if (!lock.acquired) {
      throw new AppError("import_in_progress", `import ${lock.importId} is running (${lock.holder}); one import runs at a time`, { details: { importId: lock.importId } });
    }
    for (const other of this.deps.store.runningImports()) {
      if (other === importId) continue;
      this.deps.store.finishImport(other, "failed", { code: "import_interrupted", message: `stopped before it finished; import ${importId} settled its transactions and went on` });
    }
  }

  private run(importId: string, file: RegisterFile, bytes: Uint8Array, onProgress?: (p: Progress) => void): Promise<ImportOutcome | StoppedOutcome> {
    const { store, log } = this.deps;
    const heartbeat = setInterval(() => store.heartbeat(importId), 5_000);
    heartbeat.unref();
    let lastWrite = 0;
    const report = (p: Progress) => {
      const now = Date.now();
      if (p.phase === "done" || now - lastWrite >= PROGRESS_WRITE_MS) {
        lastWrite = now;
        store.setProgress(importId, p);
      }
      onProgress?.(p);
    };
    const work = (async (): Promise<ImportOutcome | StoppedOutcome> => {
      try {
        this.deps.writer.reset();
        const open = store.openOps().length;
        const settling = new ProgressTracker({ settling: open }, report);
        if (open > 0) {
          settling.start("settling");
          const { confirmed, dropped } = await this.deps.writer.recover();
          settling.advance("settling", open);
          log.info("earlier transactions settled", { importId, confirmed, dropped });
        }
        // what is left once the journal is settled
        const plan = this.plan(file, bytes);
        store.setPlan(importId, plan);
        const tracker = new ProgressTracker({ settling: open, ...phaseTotals(file, plan, store) }, report);
        if (open > 0) tracker.advance("settling", open);
        await applyImport({ ...this.deps, stopping: () => this.stopping }, file, plan, importId, tracker);
        store.finishImport(importId, "done");
        log.info("import done", { importId });
        return { importId, status: "done" };
      } catch (err) {
        if (err instanceof AppError && err.code === "import_stopped") {
          log.warn("import stopped with the process; it goes on at the next run", { importId });
          return { importId, status: "stopped" };
        }
        const error =
          err instanceof AppError
            ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
            : { code: "internal", message: "the import failed unexpectedly" };
        log.error("import failed", { importId, err, cause: (err as Error).cause });
        try {
          store.finishImport(importId, "failed", error);
        } catch (storeErr) {
          log.error("the import's failure could not be recorded", { importId, err: storeErr });
        }
        return { importId, status: "failed", error };
      } finally {
        clearInterval(heartbeat);
        if (store.db.open) store.releaseLock(importId);
        this.running.delete(importId);
      }
    })();
    this.running.set(importId, work);
    return work;
  }
}
