/**
 * Signature recovery for intake on a pool of worker threads. Recovering a ballot's signer with
 * libsecp256k1 is the largest single cost of intake (about 0.1 ms a ballot on this project's 2-core
 * machines) and needs nothing but the digest and the signature, so it runs beside the event loop that
 * parses requests and writes the queue. Requests that arrive within a millisecond travel to a worker
 * as one message. With no threads, or when a worker fails, recovery runs inline.
 */
import { Worker } from "node:worker_threads";
import { stopWorker } from "./worker-stop.js";
import { recoverSigner } from "#lib/recover.js";

interface Group {
  digests: string[];
  signatures: string[];
  waiters: Array<(signer: string | null) => void>;
}

interface Lane {
  worker: Worker;
  inflight: Map<number, Group>;
  queued: number;
}

/** The most recoveries sent to a worker in one message. */
const MAX_GROUP = 256;
/**
 * How long the first request of a group waits for others: a message to a worker costs about as much
 * as a recovery on this thread, so a message must carry several.
 */
const GROUP_WINDOW_MS = 3;

function inline(group: Group): void {
  group.waiters.forEach((w, i) => w(recoverSigner(group.digests[i]!, group.signatures[i]!)));
}

export class SignatureVerifier {
  private readonly lanes: Lane[] = [];
  private pending: Group | undefined;
  private nextId = 0;

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) this.spawn();
  }

  /** Worker threads in use. */
  get threads(): number {
    return this.lanes.length;
  }

  /** The lowercase address that signed `digest`, or null (see recoverSigner). */
  recover(digest: string, signature: string): Promise<string | null> {
    if (this.lanes.length === 0) return Promise.resolve(recoverSigner(digest, signature));
    return new Promise((resolve) => {
      if (!this.pending) {
        this.pending = { digests: [], signatures: [], waiters: [] };
        setTimeout(() => this.flush(), GROUP_WINDOW_MS);
      }
      this.pending.digests.push(digest);
      this.pending.signatures.push(signature);
      this.pending.waiters.push(resolve);
      if (this.pending.waiters.length >= MAX_GROUP) this.flush();
    });
  }

  /** Stops the workers; what they still held is recovered inline. */
  async close(): Promise<void> {
    const lanes = [...this.lanes];
    for (const lane of lanes) this.retire(lane);
    await Promise.all(lanes.map((l) => stopWorker(l.worker)));
  }

  private spawn(): void {
    // The worker runs the same TypeScript through the loader this process was started with.
    const worker = new Worker(new URL("./verifier-worker.ts", import.meta.url));
    const lane: Lane = { worker, inflight: new Map(), queued: 0 };
    worker.on("message", (m: { id: number; signers: Array<string | null> }) => {
      const group = lane.inflight.get(m.id);
      if (!group) return;
      lane.inflight.delete(m.id);
      if (lane.inflight.size === 0) worker.unref();
      lane.queued -= group.waiters.length;
      group.waiters.forEach((w, i) => w(m.signers[i] ?? null));
    });
    worker.on("error", () => this.retire(lane));
    worker.on("exit", () => this.retire(lane));
    // An idle worker keeps nothing alive; one holding recoveries does, until it answers. (After the
    // listeners: adding a "message" listener refs the worker again.)
    worker.unref();
    this.lanes.push(lane);
  }

  /** A worker that failed, exited or is being stopped: it is not used again, and what it held is recovered inline. */
  private retire(lane: Lane): void {
    const i = this.lanes.indexOf(lane);
    if (i >= 0) this.lanes.splice(i, 1);
    const held = [...lane.inflight.values()];
    lane.inflight.clear();
    lane.queued = 0;
    for (const group of held) inline(group);
  }

  private flush(): void {
    const group = this.pending;
    if (!group) return;
    this.pending = undefined;
    let lane: Lane | undefined;
    for (const l of this.lanes) if (!lane || l.queued < lane.queued) lane = l;
    if (!lane) return inline(group);
    const id = this.nextId++;
    if (lane.inflight.size === 0) lane.worker.ref();
    lane.inflight.set(id, group);
    lane.queued += group.waiters.length;
    lane.worker.postMessage({ id, digests: group.digests, signatures: group.signatures });
  }
}
