/**
 * The SQLite queue's group commit: ballots enqueued together are inserted in one transaction and
 * each is acknowledged only after that transaction has committed; a process killed with SIGKILL in
 * the middle of group commits has every acknowledged ballot in its database.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../scripts/lib/deployment.js";
import { SqliteBallotStore } from "../src/relayer/sqlite-queue.js";
import type { NewBallot } from "../src/relayer/queue.js";

const dir = mkdtempSync(path.join(tmpdir(), "dh-queue-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const word = (i: number, width: number) => "0x" + i.toString(16).padStart(width * 2, "0");
function ballot(i: number, voter = i): NewBallot {
  return { id: word(i, 32), meetingId: 1n, voter: word(voter, 20), choices: 57n, signature: word(i, 65) };
}

function committedIds(file: string): Set<string> {
  const db = new DatabaseSync(file);
  try {
    return new Set((db.prepare("SELECT id FROM ballots").all() as Array<{ id: string }>).map((r) => r.id));
  } finally {
    db.close();
  }
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
