/**
 * The SQLite queue's group commit: ballots enqueued together are inserted in one transaction and
 * each is acknowledged only after that transaction has committed; a process killed with SIGKILL in
 * the middle of group commits has every acknowledged ballot in its database. The counts by state
 * (kept by triggers) agree with the rows through every change, also for a queue created before
 * them; the WAL is checkpointed by the queue's own thread. A lone ballot's reverted tries are counted
 * once per batch and kept with the queue.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { ZeroAddress } from "ethers";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { WalCheckpointer } from "../src/checkpointer.js";
import { SqliteBallotStore } from "../src/sqlite-queue.js";
import type { NewBallot } from "../src/queue.js";

const dir = mkdtempSync(path.join(tmpdir(), "dh-queue-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const word = (i: number, width: number) => "0x" + i.toString(16).padStart(width * 2, "0");
function ballot(i: number, voter = i): NewBallot {
  return { id: word(i, 32), meetingId: 1n, voter: word(voter, 20), choices: 57n, signature: word(i, 65), representative: ZeroAddress, powerOfAttorney: 0n, deadline: 2000n };
}

/** Reads the queue's database over a connection of its own, as another process would. */
function readDatabase<T>(file: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function committedIds(file: string): Set<string> {
  return readDatabase(file, (db) => new Set((db.prepare("SELECT id FROM ballots").all() as Array<{ id: string }>).map((r) => r.id)));
}

describe("group commit", () => {
  it("inserts a group in one transaction and answers only after it has committed", async () => {
    const file = path.join(dir, "group.sqlite");
    const store = new SqliteBallotStore(file);
    try {
      const settled: string[] = [];
      const group = [ballot(1), ballot(2), ballot(3), ballot(2), ballot(4, 1)];
      const answers = group.map((b) => store.enqueue(b).then((r) => (settled.push(b.id), r)));
      // Nothing is answered, and nothing is visible to another connection, before the commit.
      await Promise.resolve();
      assert.deepEqual(settled, []);
      assert.equal(committedIds(file).size, 0);
      const results = await Promise.all(answers);
      assert.deepEqual(
        results.map((r) => r.kind),
        ["inserted", "inserted", "inserted", "duplicate", "conflict"],
      );
      assert.equal(store.groupCommits, 1, "one transaction for the group");
      const seen = committedIds(file);
      for (const b of [ballot(1), ballot(2), ballot(3)]) assert.ok(seen.has(b.id), `${b.id} committed before it was answered`);
      assert.equal(seen.size, 3);
    } finally {
      store.close();
    }
  });

  it("refuses only the ballot at fault when one insert of a group fails", async () => {
    const store = new SqliteBallotStore(path.join(dir, "fault.sqlite"));
    try {
      const bad = { ...ballot(11), meetingId: undefined as unknown as bigint };
      const results = await Promise.allSettled([store.enqueue(ballot(10)), store.enqueue(bad), store.enqueue(ballot(12))]);
      assert.equal(results[0].status, "fulfilled");
      assert.equal(results[1].status, "rejected");
      assert.equal(results[2].status, "fulfilled");
      assert.ok(store.get(ballot(10).id));
      assert.ok(store.get(ballot(12).id));
      assert.equal(store.get(ballot(11).id), undefined);
    } finally {
      store.close();
    }
  });

  it("loses no acknowledged ballot when the process is killed with SIGKILL during group commits", async () => {
    const file = path.join(dir, "crash.sqlite");
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "relayer/test/helpers/enqueue-worker.ts", file], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const acked: string[] = [];
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        const [kind, id] = line.split(" ");
        assert.equal(kind, "inserted");
        acked.push(id!);
        if (acked.length === 3_000) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.once("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`worker exited with ${code}: ${stderr}`));
      });
    });
    await exited;
    const seen = committedIds(file);
    for (const id of acked) assert.ok(seen.has(id), `acknowledged ballot ${id} is in the database`);
    assert.ok(seen.size >= acked.length);
  });
});

function rowCounts(file: string): Record<string, number> {
  const counts: Record<string, number> = { queued: 0, batched: 0, submitted: 0, confirmed: 0, rejected: 0 };
  const rows = readDatabase(file, (db) => db.prepare("SELECT state, COUNT(*) AS n FROM ballots GROUP BY state").all() as Array<{ state: string; n: number }>);
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

describe("counts by state and the WAL", () => {
  it("keeps the counts equal to the rows through every change of state", async () => {
    const file = path.join(dir, "counts.sqlite");
    const store = new SqliteBallotStore(file);
    const same = (step: string) => assert.deepEqual(store.counts(), rowCounts(file), step);
    try {
      for (let i = 1; i <= 6; i++) await store.enqueue(ballot(100 + i));
      same("queued");
      const planned = store.planBatch(1n, 4)!;
      assert.equal(planned.size, 4);
      const batch = store.getBatch(planned.batchId)!;
      assert.equal(batch.ballots.length, 4);
      same("batched");
      store.recordSent(batch.id, {
        hash: word(1, 32), batchId: batch.id, sender: word(9, 20), nonce: 0, raw: "0x00",
        maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, gasLimit: 1n, sentAt: Date.now(), broadcast: true,
      });
      same("submitted");
      const [a, b] = batch.ballots;
      store.completeBatch(batch.id, {
        confirmed: [{ voter: a!.voter, txHash: word(1, 32), blockNumber: 7, logIndex: 0, weight: "10" }],
        rejected: [{ id: b!.id, reason: "not_eligible" }],
      });
      same("settled: one confirmed, one rejected, two back in the queue");
      assert.deepEqual(store.counts(), { queued: 4, batched: 0, submitted: 0, confirmed: 1, rejected: 1 });
      // A rejected ballot posted again starts over (its row is replaced).
      assert.equal(store.insert({ ...ballot(0), id: b!.id, voter: b!.voter, signature: b!.signature }).kind, "inserted");
      same("rejected ballot posted again");
      store.rejectBallots([ballot(105).id], "meeting_not_open");
      same("rejected from the queue");
    } finally {
      store.close();
    }
  });

  it("counts a queue created before the counts were kept, from its rows", () => {
    const file = path.join(dir, "older.sqlite");
    const db = new DatabaseSync(file);
    db.exec(`CREATE TABLE ballots (id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, voter TEXT NOT NULL, choices TEXT NOT NULL,
      signature TEXT NOT NULL, state TEXT NOT NULL, batch_id INTEGER, reason TEXT, tx_hash TEXT, block_number INTEGER,
      log_index INTEGER, weight TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX ballots_by_state ON ballots (state, meeting_id, created_at);
      CREATE INDEX ballots_by_batch_voter ON ballots (batch_id, voter);`);
    const insert = db.prepare("INSERT INTO ballots (id, meeting_id, voter, choices, signature, state, created_at, updated_at) VALUES (?, '1', ?, '57', '0x', ?, 0, 0)");
    ["queued", "queued", "confirmed", "rejected", "confirmed", "confirmed"].forEach((state, i) => insert.run(word(200 + i, 32), word(200 + i, 20), state));
    db.close();
    const store = new SqliteBallotStore(file);
    try {
      assert.deepEqual(store.counts(), { queued: 2, batched: 0, submitted: 0, confirmed: 3, rejected: 1 });
      assert.ok(store.planBatch(1n, 10), "the queued ballots are found through the new index");
      assert.deepEqual(store.counts(), rowCounts(file));
    } finally {
      store.close();
    }
    const names = readDatabase(file, (db) =>
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ballots'").all() as Array<{ name: string }>).map((r) => r.name),
    );
    assert.ok(!names.includes("ballots_by_state") && !names.includes("ballots_by_batch_voter"), `old indexes dropped: ${names.join(", ")}`);
  });

  it("copies the WAL into the database on its own thread, without the writer checkpointing", async () => {
    const file = path.join(dir, "wal.sqlite");
    const store = new SqliteBallotStore(file, 5, { checkpointIntervalMs: 100 });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = statSync(file).size;
      const from = store.checkpointer!.checkpoints;
      // About 600 pages of WAL: below the writer's own threshold, so only the checkpointer copies them.
      for (let i = 0; i < 3_000; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => store.enqueue(ballot(1_000 + i + j))));
      const deadline = Date.now() + 10_000;
      while (store.checkpointer!.checkpoints < from + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(store.checkpointer!.checkpoints >= from + 2, "the checkpointer ran");
      assert.equal(store.checkpointer!.lastError, undefined);
      assert.ok(statSync(file).size > before + 500_000, `database file grew from ${before} to ${statSync(file).size} bytes`);
    } finally {
      store.close();
    }
  });

  it("tells the writer when the checkpoint thread is lost, and not when it is stopped", async () => {
    let lost = 0;
    // A folder is no database: the thread fails as it opens it.
    const failing = new WalCheckpointer(dir, 100, () => lost++);
    const deadline = Date.now() + 10_000;
    while (lost === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(lost, 1);
    assert.ok(failing.lastError, "the failure is kept");
    let stoppedLost = 0;
    const healthy = new WalCheckpointer(path.join(dir, "stopped.sqlite"), 100, () => stoppedLost++);
    await new Promise((r) => setTimeout(r, 300));
    await healthy.stop();
    assert.equal(stoppedLost, 0);
  });
});

describe("a lone ballot's reverted tries", () => {
  it("counts each batch once and keeps the count when the queue is opened again", () => {
    const file = path.join(dir, "tries.sqlite");
    const id = ballot(300).id;
    let store = new SqliteBallotStore(file);
    try {
      assert.equal(store.reverts(id), 0);
      assert.equal(store.countRevert(id, 7), 1);
      assert.equal(store.countRevert(id, 7), 1, "the same batch settled again, as after a crash, is not a second try");
      assert.equal(store.countRevert(id, 8), 2);
      assert.equal(store.reverts(ballot(301).id), 0, "counted for that ballot only");
    } finally {
      store.close();
    }
    store = new SqliteBallotStore(file);
    try {
      assert.equal(store.reverts(id), 2);
    } finally {
      store.close();
    }
  });
});
