/** The thread of WalCheckpointer: a passive WAL checkpoint of one database at a fixed interval. */
import { parentPort, workerData } from "node:worker_threads";
import { SqliteDatabase } from "#lib/sqlite.js";

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new SqliteDatabase(file);
db.pragma("busy_timeout = 5000");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
let checkpoints = 0;

const timer = setInterval(() => {
  try {
    checkpoint.get();
    checkpoints++;
    parentPort!.postMessage({ checkpoints });
  } catch (err) {
    parentPort!.postMessage({ checkpoints, error: (err as Error).message });
  }
}, intervalMs);

parentPort!.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
