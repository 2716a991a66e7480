/**
 * The queue of ballots and forward requests in SQLite (WAL). A ballot or request is acknowledged only
 * after its row is committed, so a crash of the process loses nothing it acknowledged.
 */
import { ZeroAddress } from "ethers";
import { SqliteDatabase } from "#lib/sqlite.js";
import { WalCheckpointer } from "./checkpointer.js";
import type {
  BallotRecord,
  BallotState,
  BallotStore,
  BatchOutcome,
  BatchRecord,
  BatchState,
  InsertResult,
  JointClaim,
  JointGroupRecord,
  JointStanding,
  NewBallot,
  NewRequest,
  RequestInsertResult,
  RequestRecord,
  RequestState,
  TxRecord,
} from "./queue.js";

/** The tables as first created; ADDED_COLUMNS brings older ones up to date before SCHEMA runs. */
const TABLES = `
CREATE TABLE IF NOT EXISTS batches (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  meeting_id TEXT NOT NULL,
  state      TEXT NOT NULL,
  priority   INTEGER NOT NULL DEFAULT 0,
  sender     TEXT,
  nonce      INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ballots (
  id           TEXT PRIMARY KEY,
  meeting_id   TEXT NOT NULL,
  voter        TEXT NOT NULL,
  choices      TEXT NOT NULL,
  signature    TEXT NOT NULL,
  state        TEXT NOT NULL,
  batch_id     INTEGER,
  reason       TEXT,
  tx_hash      TEXT,
  block_number INTEGER,
  log_index    INTEGER,
  weight       TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
`;

/** Columns added since the first schema, added to a queue that lacks them (ALTER TABLE … ADD COLUMN). */
const ADDED_COLUMNS: Record<string, Array<[string, string]>> = {
  ballots: [
    ["representative", `TEXT NOT NULL DEFAULT '${ZeroAddress}'`],
    ["power_of_attorney", "TEXT NOT NULL DEFAULT '0'"],
    ["deadline", "TEXT NOT NULL DEFAULT '0'"],
    // the voter holds joint groups (rows in ballot_groups)
    ["joint", "INTEGER NOT NULL DEFAULT 0"],
    // a joint group of the voter was claimed by another live ballot first: wait for it
    ["waits", "INTEGER NOT NULL DEFAULT 0"],
  ],
  batches: [["request_id", "TEXT"]],
};

const SCHEMA = `
CREATE UNIQUE INDEX IF NOT EXISTS ballots_live_voter ON ballots (meeting_id, voter) WHERE state <> 'rejected';
-- Every index entry a ballot has is written again at each of its state changes, and a new ballot's
-- entries land at random places (its id and voter are hashes): each one costs pages written to the
-- WAL at every commit. So the batcher's index holds queued ballots only, the settling index holds
-- batched ones only (with a batch's ballots side by side), and the counts by state are kept by
-- triggers rather than read from an index over every ballot ever received.
DROP INDEX IF EXISTS ballots_by_state;
DROP INDEX IF EXISTS ballots_by_batch;
DROP INDEX IF EXISTS ballots_by_batch_voter;
CREATE INDEX IF NOT EXISTS ballots_queued ON ballots (meeting_id, created_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS ballots_in_batch ON ballots (batch_id, voter) WHERE batch_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS ballot_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS ballot_counts_insert AFTER INSERT ON ballots BEGIN
  UPDATE ballot_counts SET n = n + 1 WHERE state = new.state;
END;
CREATE TRIGGER IF NOT EXISTS ballot_counts_delete AFTER DELETE ON ballots BEGIN
  UPDATE ballot_counts SET n = n - 1 WHERE state = old.state;
END;
CREATE TRIGGER IF NOT EXISTS ballot_counts_update AFTER UPDATE OF state ON ballots WHEN old.state <> new.state BEGIN
  UPDATE ballot_counts SET n = n - 1 WHERE state = old.state;
  UPDATE ballot_counts SET n = n + 1 WHERE state = new.state;
END;
-- The joint groups of a joint owner's voter at the snapshot: claimed by this ballot at intake (no
-- earlier live ballot had), or not; and, once settled, whether this ballot counted each and whose did.
CREATE TABLE IF NOT EXISTS ballot_groups (
  ballot_id  TEXT NOT NULL,
  meeting_id TEXT NOT NULL,
  group_addr TEXT NOT NULL,
  weight     TEXT NOT NULL,
  claim      INTEGER NOT NULL,
  counted    INTEGER,
  voted_by   TEXT,
  PRIMARY KEY (ballot_id, group_addr)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ballot_groups_claims ON ballot_groups (meeting_id, group_addr) WHERE claim = 1;
CREATE TABLE IF NOT EXISTS requests (
  id            TEXT PRIMARY KEY,
  signer        TEXT NOT NULL,
  target        TEXT NOT NULL,
  gas           TEXT NOT NULL,
  nonce         TEXT NOT NULL,
  deadline      TEXT NOT NULL,
  data          TEXT NOT NULL,
  signature     TEXT NOT NULL,
  function_name TEXT NOT NULL,
  state         TEXT NOT NULL,
  batch_id      INTEGER,
  reason        TEXT,
  tx_hash       TEXT,
  block_number  INTEGER,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS requests_live_nonce ON requests (signer, nonce) WHERE state <> 'rejected';
CREATE INDEX IF NOT EXISTS requests_queued ON requests (created_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS requests_by_batch ON requests (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS batches_by_state ON batches (state, priority, id);
CREATE TABLE IF NOT EXISTS txs (
  hash         TEXT PRIMARY KEY,
  batch_id     INTEGER NOT NULL REFERENCES batches (id),
  sender       TEXT NOT NULL,
  nonce        INTEGER NOT NULL,
  raw          TEXT NOT NULL,
  max_fee      TEXT NOT NULL,
  priority_fee TEXT NOT NULL,
  gas_limit    TEXT NOT NULL,
  sent_at      INTEGER NOT NULL,
  broadcast    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS txs_by_batch ON txs (batch_id);
CREATE INDEX IF NOT EXISTS txs_by_sender ON txs (sender, nonce);
-- A lone ballot's tries that reverted, one row per batch: settling the same batch again adds none.
CREATE TABLE IF NOT EXISTS reverted_tries (ballot_id TEXT NOT NULL, batch_id INTEGER NOT NULL, PRIMARY KEY (ballot_id, batch_id)) WITHOUT ROWID;
`;

interface BallotRow {
  id: string;
  meeting_id: string;
  voter: string;
  choices: string;
  signature: string;
  state: BallotState;
  batch_id: number | null;
  reason: string | null;
  tx_hash: string | null;
  block_number: number | null;
  log_index: number | null;
  weight: string | null;
  created_at: number;
  updated_at: number;
  representative: string;
  power_of_attorney: string;
  deadline: string;
  joint: number;
}

interface BatchRow {
  id: number;
  meeting_id: string;
  request_id: string | null;
  state: BatchState;
  sender: string | null;
  nonce: number | null;
  created_at: number;
}

interface TxRow {
  hash: string;
  batch_id: number;
  sender: string;
  nonce: number;
  raw: string;
  max_fee: string;
  priority_fee: string;
  gas_limit: string;
  sent_at: number;
  broadcast: number;
}

interface RequestRow {
  id: string;
  signer: string;
  target: string;
  gas: string;
  nonce: string;
  deadline: string;
  data: string;
  signature: string;
  function_name: string;
  state: RequestState;
  batch_id: number | null;
  reason: string | null;
  tx_hash: string | null;
  block_number: number | null;
  created_at: number;
  updated_at: number;
}

function toRequest(row: RequestRow): RequestRecord {
  return {
    id: row.id,
    from: row.signer,
    to: row.target,
    gas: BigInt(row.gas),
    nonce: BigInt(row.nonce),
    deadline: BigInt(row.deadline),
    data: row.data,
    signature: row.signature,
    functionName: row.function_name,
    state: row.state,
    batchId: row.batch_id,
    reason: row.reason,
    txHash: row.tx_hash,
    blockNumber: row.block_number,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toBallot(row: BallotRow): BallotRecord {
  return {
    id: row.id,
    meetingId: BigInt(row.meeting_id),
    voter: row.voter,
    choices: BigInt(row.choices),
    signature: row.signature,
    representative: row.representative,
    powerOfAttorney: BigInt(row.power_of_attorney),
    deadline: BigInt(row.deadline),
    joint: row.joint === 1,
    state: row.state,
    batchId: row.batch_id,
    reason: row.reason,
    txHash: row.tx_hash,
    blockNumber: row.block_number,
    logIndex: row.log_index,
    weight: row.weight,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toTx(row: TxRow): TxRecord {
  return {
    hash: row.hash,
    batchId: row.batch_id,
    sender: row.sender,
    nonce: row.nonce,
    raw: row.raw,
    maxFeePerGas: BigInt(row.max_fee),
    maxPriorityFeePerGas: BigInt(row.priority_fee),
    gasLimit: BigInt(row.gas_limit),
    sentAt: row.sent_at,
    broadcast: row.broadcast === 1,
  };
}

const STATES: readonly BallotState[] = ["queued", "batched", "submitted", "confirmed", "rejected"];

/** The most ballots one group commit takes; more wait for the next one. */
const MAX_GROUP = 1_000;

interface PendingInsert {
  ballot: NewBallot;
  joint: JointStanding | undefined;
  resolve: (r: InsertResult) => void;
  reject: (e: unknown) => void;
}

/** Whether a ballot waits for nothing: it lost no joint group to a live ballot, or every such ballot has settled. */
const FREE_TO_BATCH = `(b.waits = 0 OR NOT EXISTS (
  SELECT 1 FROM ballot_groups mine
  JOIN ballot_groups other ON other.meeting_id = mine.meeting_id AND other.group_addr = mine.group_addr AND other.claim = 1
  JOIN ballots o ON o.id = other.ballot_id
  WHERE mine.ballot_id = b.id AND mine.claim = 0 AND o.id <> b.id AND o.state IN ('queued', 'batched', 'submitted')))`;

export class SqliteBallotStore implements BallotStore {
  private readonly db: SqliteDatabase;
  private readonly stmt;
  private group: PendingInsert[] = [];
  private groupScheduled = false;
  /** Group commits so far (for tests and metrics). */
  groupCommits = 0;
  /** Checkpoints the WAL off the event loop (none for an in-memory database). */
  readonly checkpointer: WalCheckpointer | undefined;

  /**
   * @param groupWindowMs how long the first ballot of a group waits for others before the group is
   *   committed (0: the end of the current turn of the event loop). Each commit writes the WAL; a few
   *   milliseconds gather many more ballots into one.
   */
  constructor(
    file: string,
    private readonly groupWindowMs = 5,
    options: { checkpointIntervalMs?: number } = {},
  ) {
    this.db = new SqliteDatabase(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    const checkpointIntervalMs = options.checkpointIntervalMs ?? 500;
    if (file !== ":memory:" && checkpointIntervalMs > 0) {
      // Should the thread be lost, commits checkpoint again at SQLite's usual 1,000 pages.
      this.checkpointer = new WalCheckpointer(file, checkpointIntervalMs, () => {
        if (this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
      });
      // A backstop only (about 80 MB of WAL): the checkpointer keeps the WAL far shorter.
      this.db.pragma("wal_autocheckpoint = 20000");
    }
    this.db.transaction(() => {
      const counted = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'ballot_counts'`).get() !== undefined;
      this.db.exec(TABLES);
      for (const [table, columns] of Object.entries(ADDED_COLUMNS)) {
        const present = new Set((this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
        for (const [name, type] of columns) if (!present.has(name)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
      }
      this.db.exec(SCHEMA);
      // A queue from before the counts table: counted once, from its rows.
      if (!counted) {
        this.db.exec(
          `INSERT INTO ballot_counts (state, n) SELECT s.state, (SELECT COUNT(*) FROM ballots WHERE state = s.state)
           FROM (${STATES.map((st) => `SELECT '${st}' AS state`).join(" UNION ALL ")}) AS s`,
        );
      }
    });
    const db = this.db;
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO ballots (id, meeting_id, voter, choices, signature, representative, power_of_attorney, deadline, joint, waits, state, created_at, updated_at)
         VALUES (@id, @meetingId, @voter, @choices, @signature, @representative, @powerOfAttorney, @deadline, @joint, @waits, 'queued', @now, @now)`,
      ),
      // The common case in one statement: neither the id nor a live ballot of the voter exists.
      insertNew: db.prepare(
        `INSERT OR IGNORE INTO ballots (id, meeting_id, voter, choices, signature, representative, power_of_attorney, deadline, joint, waits, state, created_at, updated_at)
         VALUES (@id, @meetingId, @voter, @choices, @signature, @representative, @powerOfAttorney, @deadline, @joint, @waits, 'queued', @now, @now)`,
      ),
      deleteBallot: db.prepare(`DELETE FROM ballots WHERE id = ?`),
      deleteGroups: db.prepare(`DELETE FROM ballot_groups WHERE ballot_id = ?`),
      insertGroup: db.prepare(
        `INSERT INTO ballot_groups (ballot_id, meeting_id, group_addr, weight, claim, counted, voted_by)
         VALUES (@ballotId, @meetingId, @group, @weight, @claim, @counted, @votedBy)`,
      ),
      claimOf: db.prepare(
        `SELECT g.group_addr AS group_addr, b.id AS ballot_id, b.voter AS voter, b.state AS state FROM ballot_groups g
         JOIN ballots b ON b.id = g.ballot_id
         WHERE g.meeting_id = ? AND g.group_addr = ? AND g.claim = 1 AND b.state <> 'rejected' LIMIT 1`,
      ),
      groupsOf: db.prepare(`SELECT * FROM ballot_groups WHERE ballot_id = ? ORDER BY group_addr`),
      setGroupVote: db.prepare(`UPDATE ballot_groups SET voted_by = ?, counted = ? WHERE ballot_id = ? AND group_addr = ?`),
      settleGroups: db.prepare(`UPDATE ballot_groups SET counted = 0 WHERE ballot_id = ? AND counted IS NULL`),
      jointInBatch: db.prepare(`SELECT id, voter, state FROM ballots WHERE batch_id = ? AND joint = 1`),
      get: db.prepare(`SELECT * FROM ballots WHERE id = ?`),
      replaceSignature: db.prepare(`UPDATE ballots SET signature = ?, updated_at = ? WHERE id = ? AND state = 'queued'`),
      byVoter: db.prepare(`SELECT * FROM ballots WHERE meeting_id = ? AND voter = ? AND state <> 'rejected'`),
      counts: db.prepare(`SELECT state, n FROM ballot_counts`),
      queuedMeetings: db.prepare(
        `SELECT meeting_id, COUNT(*) AS n, MIN(created_at) AS oldest FROM ballots WHERE state = 'queued' GROUP BY meeting_id`,
      ),
      assignQueued: db.prepare(
        `UPDATE ballots SET state = 'batched', batch_id = @batchId, updated_at = @now
         WHERE id IN (SELECT id FROM ballots b WHERE state = 'queued' AND meeting_id = @meetingId AND ${FREE_TO_BATCH}
                      ORDER BY created_at, id LIMIT @limit)`,
      ),
      deleteBatch: db.prepare(`DELETE FROM batches WHERE id = ?`),
      hasQueued: db.prepare(`SELECT 1 AS found FROM ballots WHERE state = 'queued' AND meeting_id = ? LIMIT 1`),
      newBatch: db.prepare(
        `INSERT INTO batches (meeting_id, state, priority, created_at, updated_at) VALUES (?, 'planned', ?, ?, ?)`,
      ),
      newRequestBatch: db.prepare(
        `INSERT INTO batches (meeting_id, request_id, state, priority, created_at, updated_at) VALUES ('0', ?, 'planned', ?, ?, ?)`,
      ),
      assign: db.prepare(`UPDATE ballots SET state = 'batched', batch_id = ?, updated_at = ? WHERE id = ?`),
      batch: db.prepare(`SELECT id, meeting_id, request_id, state, sender, nonce, created_at FROM batches WHERE id = ?`),
      batchBallots: db.prepare(`SELECT * FROM ballots WHERE batch_id = ? AND state IN ('batched', 'submitted') ORDER BY created_at, id`),
      batchTxs: db.prepare(`SELECT * FROM txs WHERE batch_id = ? ORDER BY sent_at, rowid`),
      planned: db.prepare(
        `SELECT id, meeting_id, request_id, state, sender, nonce, created_at FROM batches WHERE state = 'planned' ORDER BY priority DESC, id LIMIT ?`,
      ),
      sent: db.prepare(`SELECT id, meeting_id, request_id, state, sender, nonce, created_at FROM batches WHERE state = 'sent' ORDER BY id`),
      setBatch: db.prepare(`UPDATE batches SET state = ?, sender = ?, nonce = ?, updated_at = ? WHERE id = ?`),
      setBatchState: db.prepare(`UPDATE batches SET state = ?, updated_at = ? WHERE id = ?`),
      submitBallots: db.prepare(`UPDATE ballots SET state = 'submitted', updated_at = ? WHERE batch_id = ? AND state = 'batched'`),
      insertTx: db.prepare(
        `INSERT INTO txs (hash, batch_id, sender, nonce, raw, max_fee, priority_fee, gas_limit, sent_at, broadcast)
         VALUES (@hash, @batchId, @sender, @nonce, @raw, @maxFee, @priorityFee, @gasLimit, @sentAt, @broadcast)`,
      ),
      markBroadcast: db.prepare(`UPDATE txs SET broadcast = 1 WHERE hash = ?`),
      confirm: db.prepare(
        `UPDATE ballots SET state = 'confirmed', tx_hash = ?, block_number = ?, log_index = ?, weight = ?, reason = NULL, updated_at = ?
         WHERE batch_id = ? AND voter = ? AND state IN ('batched', 'submitted')`,
      ),
      rejectInBatch: db.prepare(
        `UPDATE ballots SET state = 'rejected', reason = ?, updated_at = ? WHERE batch_id = ? AND id = ? AND state IN ('batched', 'submitted')`,
      ),
      requeueBatch: db.prepare(
        `UPDATE ballots SET state = 'queued', batch_id = NULL, updated_at = ? WHERE batch_id = ? AND state IN ('batched', 'submitted')`,
      ),
      reject: db.prepare(`UPDATE ballots SET state = 'rejected', reason = ?, updated_at = ? WHERE id = ? AND state <> 'confirmed'`),
      lastTx: db.prepare(`SELECT * FROM txs WHERE batch_id = ? ORDER BY sent_at DESC, rowid DESC LIMIT 1`),
      countPlanned: db.prepare(`SELECT COUNT(*) AS n FROM batches WHERE state = 'planned'`),
      inFlight: db.prepare(`SELECT DISTINCT meeting_id FROM batches WHERE state IN ('planned', 'sent')`),
      maxNonce: db.prepare(`SELECT MAX(nonce) AS n FROM txs WHERE sender = ?`),
      reverts: db.prepare(`SELECT COUNT(*) AS n FROM reverted_tries WHERE ballot_id = ?`),
      countRevert: db.prepare(`INSERT OR IGNORE INTO reverted_tries (ballot_id, batch_id) VALUES (?, ?)`),
      insertRequest: db.prepare(
        `INSERT OR IGNORE INTO requests (id, signer, target, gas, nonce, deadline, data, signature, function_name, state, created_at, updated_at)
         VALUES (@id, @signer, @target, @gas, @nonce, @deadline, @data, @signature, @functionName, 'queued', @now, @now)`,
      ),
      getRequest: db.prepare(`SELECT * FROM requests WHERE id = ?`),
      liveRequest: db.prepare(`SELECT * FROM requests WHERE signer = ? AND nonce = ? AND state <> 'rejected'`),
      requestOfBatch: db.prepare(`SELECT * FROM requests WHERE batch_id = ?`),
      requestCounts: db.prepare(`SELECT state, COUNT(*) AS n FROM requests GROUP BY state`),
      queuedRequests: db.prepare(`SELECT id FROM requests WHERE state = 'queued' ORDER BY created_at, id LIMIT ?`),
      assignRequest: db.prepare(`UPDATE requests SET state = 'batched', batch_id = ?, updated_at = ? WHERE id = ?`),
      submitRequest: db.prepare(`UPDATE requests SET state = 'submitted', updated_at = ? WHERE batch_id = ? AND state = 'batched'`),
      confirmRequest: db.prepare(
        `UPDATE requests SET state = 'confirmed', tx_hash = ?, block_number = ?, reason = NULL, updated_at = ? WHERE batch_id = ? AND state IN ('batched', 'submitted')`,
      ),
      rejectRequest: db.prepare(`UPDATE requests SET state = 'rejected', reason = ?, updated_at = ? WHERE batch_id = ? AND state IN ('batched', 'submitted')`),
      requeueRequest: db.prepare(`UPDATE requests SET state = 'queued', batch_id = NULL, updated_at = ? WHERE batch_id = ? AND state IN ('batched', 'submitted')`),
      moveRequest: db.prepare(`UPDATE requests SET batch_id = ?, state = 'batched', updated_at = ? WHERE batch_id = ? AND state IN ('batched', 'submitted')`),
    };
  }

  insert(ballot: NewBallot, joint?: JointStanding): InsertResult {
    return this.db.transaction(() => this.insertRow(ballot, joint));
  }

  enqueue(ballot: NewBallot, joint?: JointStanding): Promise<InsertResult> {
    return new Promise((resolve, reject) => {
      this.group.push({ ballot, joint, resolve, reject });
      if (!this.groupScheduled) {
        this.groupScheduled = true;
        this.scheduleGroup();
      }
    });
  }

  private scheduleGroup(): void {
    if (this.groupWindowMs > 0) setTimeout(() => this.commitGroup(), this.groupWindowMs);
    else setImmediate(() => this.commitGroup());
  }

  private commitGroup(): void {
    const group = this.group.splice(0, MAX_GROUP);
    this.groupScheduled = this.group.length > 0;
    if (this.groupScheduled) this.scheduleGroup();
    if (group.length === 0) return;
    let results: InsertResult[];
    try {
      results = this.db.transaction(() => group.map((p) => this.insertRow(p.ballot, p.joint)));
      this.groupCommits++;
    } catch {
      // Something in the group failed and the whole transaction rolled back: one transaction each,
      // so that only the ballot at fault is refused.
      for (const p of group) {
        try {
          p.resolve(this.insert(p.ballot, p.joint));
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    group.forEach((p, i) => p.resolve(results[i]!));
  }

  private insertRow(ballot: NewBallot, joint?: JointStanding): InsertResult {
    const now = Date.now();
    const row = {
      id: ballot.id,
      meetingId: ballot.meetingId.toString(),
      voter: ballot.voter,
      choices: ballot.choices.toString(),
      signature: ballot.signature,
      representative: ballot.representative,
      powerOfAttorney: ballot.powerOfAttorney.toString(),
      deadline: ballot.deadline.toString(),
      joint: 0,
      waits: 0,
      now,
    };
    if (joint && joint.groups.length > 0) return this.insertJoint(ballot, row, joint);
    if (Number(this.stmt.insertNew.run(row).changes) === 0) {
      // The id exists, or the voter has a live ballot in the meeting (the two unique keys).
      const known = this.existing(ballot);
      if (known) return known;
      this.stmt.insert.run(row);
    }
    return { kind: "inserted", ballot: this.fresh(ballot, now) };
  }

  /** A duplicate or conflict for `ballot`, or nothing (a rejected ballot with its id is dropped: it starts over). */
  private existing(ballot: NewBallot): InsertResult | undefined {
    const existing = this.stmt.get.get(ballot.id) as unknown as BallotRow | undefined;
    if (existing && existing.state !== "rejected") return { kind: "duplicate", ballot: toBallot(existing) };
    const live = this.stmt.byVoter.get(ballot.meetingId.toString(), ballot.voter) as unknown as BallotRow | undefined;
    if (live) return { kind: "conflict", ballot: toBallot(live) };
    if (existing) {
      this.stmt.deleteGroups.run(ballot.id);
      this.stmt.deleteBallot.run(ballot.id);
    }
    return undefined;
  }

  /**
   * A joint owner's ballot: it claims each joint group no live ballot of another holder has claimed;
   * it cannot count (and is not queued) when it holds nothing alone and claims nothing; it waits
   * for the ballots that claimed its other groups.
   */
  private insertJoint(ballot: NewBallot, row: Record<string, string | number>, joint: JointStanding): InsertResult {
    const known = this.existing(ballot);
    if (known) return known;
    const meetingId = ballot.meetingId.toString();
    const claims: JointClaim[] = [];
    const free: string[] = [];
    for (const g of joint.groups) {
      if (g.votedBy !== undefined) continue;
      const claim = this.stmt.claimOf.get(meetingId, g.group) as unknown as { group_addr: string; ballot_id: string; voter: string; state: BallotState } | undefined;
      if (claim) claims.push({ group: claim.group_addr, ballotId: claim.ballot_id, voter: claim.voter, state: claim.state });
      else free.push(g.group);
    }
    if (joint.ownWeight === 0n && free.length === 0) return { kind: "joint_taken", claims };
    this.stmt.insert.run({ ...row, joint: 1, waits: claims.length > 0 ? 1 : 0 });
    for (const g of joint.groups) {
      const voted = g.votedBy !== undefined;
      this.stmt.insertGroup.run({
        ballotId: ballot.id,
        meetingId,
        group: g.group,
        weight: g.weight.toString(),
        claim: free.includes(g.group) ? 1 : 0,
        counted: voted ? 0 : null,
        votedBy: g.votedBy ?? null,
      });
    }
    return { kind: "inserted", ballot: this.fresh(ballot, row.now as number, true) };
  }

  private fresh(ballot: NewBallot, now: number, joint = false): BallotRecord {
    return {
      ...ballot,
      state: "queued",
      joint,
      batchId: null,
      reason: null,
      txHash: null,
      blockNumber: null,
      logIndex: null,
      weight: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  jointGroups(ballotId: string): JointGroupRecord[] {
    return (this.stmt.groupsOf.all(ballotId) as unknown as Array<{ group_addr: string; weight: string; claim: number; counted: number | null; voted_by: string | null }>).map(
      (r) => ({ group: r.group_addr, weight: r.weight, claimed: r.claim === 1, counted: r.counted === null ? null : r.counted === 1, votedBy: r.voted_by }),
    );
  }

  jointClaims(meetingId: bigint, groups: readonly string[]): JointClaim[] {
    const claims: JointClaim[] = [];
    for (const group of groups) {
      const c = this.stmt.claimOf.get(meetingId.toString(), group) as unknown as { group_addr: string; ballot_id: string; voter: string; state: BallotState } | undefined;
      if (c) claims.push({ group: c.group_addr, ballotId: c.ballot_id, voter: c.voter, state: c.state });
    }
    return claims;
  }

  get(id: string): BallotRecord | undefined {
    const row = this.stmt.get.get(id) as unknown as BallotRow | undefined;
    return row && toBallot(row);
  }

  replaceSignature(id: string, signature: string): boolean {
    return Number(this.stmt.replaceSignature.run(signature, Date.now(), id).changes) > 0;
  }

  findByVoter(meetingId: bigint, voter: string): BallotRecord | undefined {
    const row = this.stmt.byVoter.get(meetingId.toString(), voter) as unknown as BallotRow | undefined;
    return row && toBallot(row);
  }

  counts(): Record<BallotState, number> {
    const counts: Record<BallotState, number> = { queued: 0, batched: 0, submitted: 0, confirmed: 0, rejected: 0 };
    for (const row of this.stmt.counts.all() as unknown as Array<{ state: BallotState; n: number }>) counts[row.state] = row.n;
    return counts;
  }

  queuedMeetings(): Array<{ meetingId: bigint; count: number; oldest: number }> {
    return (this.stmt.queuedMeetings.all() as unknown as Array<{ meeting_id: string; n: number; oldest: number }>).map((r) => ({
      meetingId: BigInt(r.meeting_id),
      count: r.n,
      oldest: r.oldest,
    }));
  }

  planBatch(meetingId: bigint, limit: number, priority = 0): { batchId: number; size: number } | undefined {
    return this.db.transaction(() => {
      const meeting = meetingId.toString();
      if (!this.stmt.hasQueued.get(meeting)) return undefined;
      const now = Date.now();
      const batchId = Number(this.stmt.newBatch.run(meeting, priority, now, now).lastInsertRowid);
      const size = Number(this.stmt.assignQueued.run({ batchId, now, meetingId: meeting, limit }).changes);
      if (size === 0) {
        // every queued ballot of the meeting waits for another holder's ballot to land
        this.stmt.deleteBatch.run(batchId);
        return undefined;
      }
      return { batchId, size };
    });
  }

  plannedBatches(limit: number, skip: ReadonlySet<number> = new Set()): BatchRecord[] {
    const rows = this.stmt.planned.all(limit + skip.size) as unknown as BatchRow[];
    return rows
      .filter((row) => !skip.has(row.id))
      .slice(0, limit)
      .map((row) => this.hydrate(row));
  }

  recordSent(batchId: number, tx: TxRecord): void {
    this.db.transaction(() => {
      const now = Date.now();
      this.stmt.setBatch.run("sent", tx.sender, tx.nonce, now, batchId);
      this.stmt.submitBallots.run(now, batchId);
      this.stmt.submitRequest.run(now, batchId);
      this.insertTx(tx);
    });
  }

  recordReplacement(tx: TxRecord): void {
    this.insertTx(tx);
  }

  markBroadcast(hash: string): void {
    this.stmt.markBroadcast.run(hash);
  }

  sentBatches(): BatchRecord[] {
    return (this.stmt.sent.all() as unknown as BatchRow[]).map((row) => this.hydrate(row, false));
  }

  getBatch(batchId: number): BatchRecord | undefined {
    return this.loadBatch(batchId);
  }

  currentTx(batchId: number): TxRecord | undefined {
    const row = this.stmt.lastTx.get(batchId) as unknown as TxRow | undefined;
    return row && toTx(row);
  }

  countPlanned(): number {
    return (this.stmt.countPlanned.get() as unknown as { n: number }).n;
  }

  meetingsInFlight(): Set<bigint> {
    return new Set((this.stmt.inFlight.all() as unknown as Array<{ meeting_id: string }>).map((r) => BigInt(r.meeting_id)));
  }

  completeBatch(batchId: number, outcome: BatchOutcome): void {
    this.db.transaction(() => {
      const now = Date.now();
      // the joint owners of the batch, read before their ballots settle (and leave the batch's states)
      const joint = this.stmt.jointInBatch.all(batchId) as unknown as Array<{ id: string; voter: string; state: BallotState }>;
      for (const c of outcome.confirmed) {
        this.stmt.confirm.run(c.txHash, c.blockNumber, c.logIndex, c.weight, now, batchId, c.voter);
      }
      for (const r of outcome.rejected) this.stmt.rejectInBatch.run(r.reason, now, batchId, r.id);
      const settled = new Set([...outcome.confirmed.map((c) => c.voter), ...outcome.rejected.map((r) => r.id)]);
      for (const b of joint) {
        if (b.state !== "batched" && b.state !== "submitted") continue;
        if (!settled.has(b.voter) && !settled.has(b.id)) continue;
        for (const v of outcome.jointGroupVotes ?? []) this.stmt.setGroupVote.run(v.voter, v.voter === b.voter ? 1 : 0, b.id, v.group);
        this.stmt.settleGroups.run(b.id);
      }
      this.stmt.requeueBatch.run(now, batchId);
      this.stmt.setBatchState.run("mined", now, batchId);
    });
  }

  splitBatch(batchId: number): void {
    this.db.transaction(() => {
      const batch = this.loadBatch(batchId);
      if (!batch) return;
      const now = Date.now();
      if (batch.requestId !== null) {
        // a request is tried again in a batch of its own
        const id = Number(this.stmt.newRequestBatch.run(batch.requestId, 1, now, now).lastInsertRowid);
        this.stmt.moveRequest.run(id, now, batchId);
        this.stmt.setBatchState.run("split", now, batchId);
        return;
      }
      const half = Math.ceil(batch.ballots.length / 2);
      for (const part of [batch.ballots.slice(0, half), batch.ballots.slice(half)]) {
        if (part.length === 0) continue;
        const id = Number(this.stmt.newBatch.run(batch.meetingId.toString(), 1, now, now).lastInsertRowid);
        for (const b of part) this.stmt.assign.run(id, now, b.id);
      }
      this.stmt.setBatchState.run("split", now, batchId);
    });
  }

  abandonBatch(batchId: number): void {
    this.db.transaction(() => {
      const now = Date.now();
      this.stmt.requeueBatch.run(now, batchId);
      this.stmt.requeueRequest.run(now, batchId);
      this.stmt.setBatchState.run("abandoned", now, batchId);
    });
  }

  rejectBallots(ids: string[], reason: string): void {
    this.db.transaction(() => {
      const now = Date.now();
      for (const id of ids) this.stmt.reject.run(reason, now, id);
    });
  }

  reverts(ballotId: string): number {
    return (this.stmt.reverts.get(ballotId) as unknown as { n: number }).n;
  }

  countRevert(ballotId: string, batchId: number): number {
    this.stmt.countRevert.run(ballotId, batchId);
    return this.reverts(ballotId);
  }

  maxNonce(sender: string): number {
    const row = this.stmt.maxNonce.get(sender) as unknown as { n: number | null };
    return row.n ?? -1;
  }

  insertRequest(request: NewRequest): RequestInsertResult {
    return this.db.transaction(() => {
      const now = Date.now();
      const row = {
        id: request.id,
        signer: request.from,
        target: request.to,
        gas: request.gas.toString(),
        nonce: request.nonce.toString(),
        deadline: request.deadline.toString(),
        data: request.data,
        signature: request.signature,
        functionName: request.functionName,
        now,
      };
      if (Number(this.stmt.insertRequest.run(row).changes) === 0) {
        const existing = this.stmt.getRequest.get(request.id) as unknown as RequestRow | undefined;
        if (existing && existing.state !== "rejected") return { kind: "duplicate", request: toRequest(existing) };
        const live = this.stmt.liveRequest.get(row.signer, row.nonce) as unknown as RequestRow | undefined;
        if (live) return { kind: "conflict", request: toRequest(live) };
        // a rejected request posted again starts over
        this.db.prepare(`DELETE FROM requests WHERE id = ?`).run(request.id);
        this.stmt.insertRequest.run(row);
      }
      return { kind: "inserted", request: toRequest(this.stmt.getRequest.get(request.id) as unknown as RequestRow) };
    });
  }

  getRequest(id: string): RequestRecord | undefined {
    const row = this.stmt.getRequest.get(id) as unknown as RequestRow | undefined;
    return row && toRequest(row);
  }

  requestOfBatch(batchId: number): RequestRecord | undefined {
    const row = this.stmt.requestOfBatch.get(batchId) as unknown as RequestRow | undefined;
    return row && toRequest(row);
  }

  requestCounts(): Record<RequestState, number> {
    const counts: Record<RequestState, number> = { queued: 0, batched: 0, submitted: 0, confirmed: 0, rejected: 0 };
    for (const row of this.stmt.requestCounts.all() as unknown as Array<{ state: RequestState; n: number }>) counts[row.state] = row.n;
    return counts;
  }

  planRequests(limit: number, priority: number): number {
    if (limit <= 0) return 0;
    return this.db.transaction(() => {
      const now = Date.now();
      const ids = (this.stmt.queuedRequests.all(limit) as unknown as Array<{ id: string }>).map((r) => r.id);
      for (const id of ids) {
        const batchId = Number(this.stmt.newRequestBatch.run(id, priority, now, now).lastInsertRowid);
        this.stmt.assignRequest.run(batchId, now, id);
      }
      return ids.length;
    });
  }

  completeRequest(batchId: number, outcome: { txHash: string; blockNumber: number } | { reason: string }): void {
    this.db.transaction(() => {
      const now = Date.now();
      if ("reason" in outcome) {
        this.stmt.rejectRequest.run(outcome.reason, now, batchId);
        this.stmt.setBatchState.run(this.currentTx(batchId) ? "mined" : "abandoned", now, batchId);
      } else {
        this.stmt.confirmRequest.run(outcome.txHash, outcome.blockNumber, now, batchId);
        this.stmt.setBatchState.run("mined", now, batchId);
      }
    });
  }

  close(): void {
    if (this.group.length > 0) this.commitGroup();
    void this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  private insertTx(tx: TxRecord): void {
    this.stmt.insertTx.run({
      hash: tx.hash,
      batchId: tx.batchId,
      sender: tx.sender,
      nonce: tx.nonce,
      raw: tx.raw,
      maxFee: tx.maxFeePerGas.toString(),
      priorityFee: tx.maxPriorityFeePerGas.toString(),
      gasLimit: tx.gasLimit.toString(),
      sentAt: tx.sentAt,
      broadcast: tx.broadcast ? 1 : 0,
    });
  }

  private loadBatch(batchId: number): BatchRecord | undefined {
    const row = this.stmt.batch.get(batchId) as unknown as BatchRow | undefined;
    return row && this.hydrate(row);
  }

  private hydrate(row: BatchRow, withBallots = true): BatchRecord {
    return {
      id: row.id,
      meetingId: BigInt(row.meeting_id),
      requestId: row.request_id,
      state: row.state,
      sender: row.sender,
      nonce: row.nonce,
      createdAt: row.created_at,
      ballots: withBallots ? (this.stmt.batchBallots.all(row.id) as unknown as BallotRow[]).map(toBallot) : [],
      txs: (this.stmt.batchTxs.all(row.id) as unknown as TxRow[]).map(toTx),
    };
  }
}
