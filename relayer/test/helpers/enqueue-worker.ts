/**
 * For the queue's crash test: enqueues ballots into the SQLite queue at argv[2] in waves, with group
 * commit, and prints the id of each ballot once its enqueue has resolved (that is, acknowledged).
 */
import { randomBytes } from "node:crypto";
import { ZeroAddress } from "ethers";
import { SqliteBallotStore } from "../../src/sqlite-queue.js";

const store = new SqliteBallotStore(process.argv[2]!);
const hex = (n: number) => "0x" + randomBytes(n).toString("hex");
let wave = 0;
for (;;) {
  const pending = [];
  for (let i = 0; i < 200; i++) {
    const ballot = { id: hex(32), meetingId: BigInt(1 + (wave % 5)), voter: hex(20), choices: 57n, signature: hex(65), representative: ZeroAddress, powerOfAttorney: 0n, deadline: 2000n };
    pending.push(store.enqueue(ballot).then((r) => process.stdout.write(`${r.kind} ${ballot.id}\n`)));
  }
  await Promise.all(pending);
  wave++;
}
