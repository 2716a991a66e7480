/**
 * WAL checkpoints of the queue's database on a thread of their own. SQLite otherwise copies the WAL
 * back into the database (and syncs it to disk) inside whichever commit crosses the WAL's size
 * threshold: on the queue that is a ballot's commit on the event loop, a pause every few thousand
 * ballots that costs the requests waiting behind it. A second connection on a worker thread runs a
 * passive checkpoint every `intervalMs` instead; it never blocks the queue's writer, and once it has
 * copied everything the next commit starts the WAL over from its beginning. The writer keeps a far
 * higher threshold of its own, in case this thread falls behind or stops.
 */
import { Worker } from "node:worker_threads";
import { stopWorker } from "./worker-stop.js";

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;
  /** Checkpoints run so far and the last error, as the worker reports them. */
  checkpoints = 0;
  lastError: string | undefined;

  /**
   * @param onLost called once if the thread fails or ends before `stop()`: the writer should then
   *   checkpoint by itself again.
   */
  constructor(file: string, intervalMs = 500, onLost: () => void = () => undefined) {
    this.worker = new Worker(new URL("./checkpoint-worker.ts", import.meta.url), { workerData: { file, intervalMs } });
    this.worker.on("message", (m: { checkpoints: number; error?: string }) => {
      this.checkpoints = m.checkpoints;
      if (m.error) this.lastError = m.error;
    });
    this.worker.on("error", (err) => {
      this.lastError = err.message;
    });
    this.worker.on("exit", () => {
      if (!this.stopped) onLost();
    });
    // After the listeners: adding a "message" listener refs the worker again.
    this.worker.unref();
  }

  /** Asks the worker to close its connection and end; resolves when it has (the process waits for it). */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    return stopWorker(this.worker);
  }
}
