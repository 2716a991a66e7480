/**
 * Ends a worker thread of this service by asking it ("stop"), and terminates it only if it has not
 * ended within `graceMs`. A worker terminated while it still loads its modules can abort the whole
 * process inside a native add-on's initialisation; asked, it ends once it has loaded and finished
 * what it was doing. The process is kept up until the worker has ended.
 */
import type { Worker } from "node:worker_threads";

export function stopWorker(worker: Worker, graceMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    if (worker.threadId < 0) return resolve();
    worker.ref();
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), graceMs);
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage("stop");
  });
}
