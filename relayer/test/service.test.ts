/**
 * The relayer as service.ts assembles it, under faults and load against a real local node: killed
 * with SIGKILL and restarted, stopped with SIGTERM, and the node unreachable for a while behind a TCP
 * proxy. Every acknowledged ballot ends confirmed, once. A node slow to answer does not stop intake
 * of an open meeting; a node that fails does (503).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import path from "node:path";
import { deployFixture, signedBallot, startChainProcess, type ChainProcess, type Fixture } from "./helpers/chain.js";
import { postLoad, request, waitFor } from "./helpers/http.js";
import { startProxy } from "./helpers/proxy.js";
import { relayerEnv, startInProcess, startProcess, type ServiceProcess } from "./helpers/services.js";
import { castCounts } from "./helpers/verify.js";

let chain: ChainProcess;
let fx: Fixture;
const VOTERS = 500;

before(async () => {
  chain = await startChainProcess(1000);
  fx = await deployFixture(chain.url, { voters: VOTERS, meetings: 8 });
});

after(async () => {
  fx?.cleanup();
  await chain?.stop();
});

function load(meetings: bigint[]) {
  const items = [];
  for (const m of meetings) for (const v of fx.voters) items.push(fx.sign(v, m));
  return items;
}

async function drained(url: () => string): Promise<void> {
  await waitFor(async () => {
    try {
      const q = (await request(`${url()}/v1/health`)).body.queue;
      return q && q.queued + q.batched + q.submitted === 0;
    } catch {
      return false;
    }
  }, 180_000, "the queue to drain");
}

async function assertConfirmedOnce(url: string, acked: Set<string>, items: ReturnType<typeof load>) {
  const counts = await castCounts(fx, fx.provider);
  const byId = new Map(items.map((i) => [i.id, i]));
  for (const id of acked) {
    const status = (await request(`${url}/v1/ballots/${id}`)).body;
    assert.equal(status.status, "confirmed", `ballot ${id}: ${JSON.stringify(status)}`);
    const item = byId.get(id)!;
    assert.equal(counts.get(`${item.body.meetingId}:${item.body.voter}`), 1, `ballot ${id} counted exactly once`);
  }
  for (const [key, n] of counts) assert.equal(n, 1, `${key} counted ${n} times`);
}

/** A relayer in this process that reaches the node through a TCP proxy the test controls. */
async function relayerBehindProxy(db: string) {
  const proxy = await startProxy(fx.url);
  const services = await startInProcess(fx, { RPC_URL: proxy.url, RELAYER_DB_PATH: path.join(fx.tmpDir, db) });
  return {
    proxy,
    url: services.relayerUrl!,
    async stop() {
      await services.stop();
      await proxy.close();
    },
  };
}

describe("relayer killed mid-load", () => {
  let proc: ServiceProcess | undefined;

  after(async () => {
    await proc?.stop("SIGKILL");
  });

  it("confirms every acknowledged ballot exactly once after SIGKILL and restart", async () => {
    const items = load(fx.meetings.slice(0, 4));
    const env = relayerEnv(fx, {
      RELAYER_DB_PATH: path.join(fx.tmpDir, "crash.sqlite"),
      RELAYER_BATCH_SIZE: "100",
    });
    proc = await startProcess(env);
    let url = proc.relayerUrl;
    let killed = false;
    let acks = 0;
    let restarted: Promise<void> | undefined;
    const { acked, refused } = await postLoad(() => url, items, 16, {
      onAck: () => {
        if (killed || !proc || ++acks < items.length / 3) return;
        killed = true;
        proc.child.kill("SIGKILL");
        restarted = (async () => {
          await new Promise((r) => proc!.child.once("exit", r));
          await new Promise((r) => setTimeout(r, 500));
          proc = await startProcess(env);
          url = proc.relayerUrl;
        })();
      },
    });
    await restarted;
    assert.equal(killed, true);
    assert.equal(refused.size, 0, `refused: ${JSON.stringify([...refused.values()].slice(0, 3))}`);
    assert.equal(acked.size, items.length);
    await drained(() => url);
    await assertConfirmedOnce(url, acked, items);
    await proc.stop();
    proc = undefined;
  });
});

describe("relayer stopped with SIGTERM mid-load", () => {
  it("exits cleanly, keeps what it acknowledged, and finishes it after a restart", async () => {
    const items = load(fx.meetings.slice(6, 7));
    const env = relayerEnv(fx, { RELAYER_DB_PATH: path.join(fx.tmpDir, "sigterm.sqlite") });
    let proc = await startProcess(env);
    let url = proc.relayerUrl;
    let acks = 0;
    let exitCode: number | null | undefined;
    let restarted: Promise<void> | undefined;
    const { acked, refused } = await postLoad(() => url, items, 16, {
      onAck: () => {
        if (++acks !== Math.floor(items.length / 3)) return;
        const stopping = proc;
        restarted = (async () => {
          await stopping.stop("SIGTERM");
          exitCode = stopping.child.exitCode;
          proc = await startProcess(env);
          url = proc.relayerUrl;
        })();
      },
    });
    await restarted;
    try {
      assert.equal(exitCode, 0, "exited by itself with status 0");
      assert.equal(refused.size, 0);
      assert.equal(acked.size, items.length);
      await drained(() => url);
      await assertConfirmedOnce(url, acked, items);
    } finally {
      await proc.stop("SIGKILL");
    }
  });
});

describe("chain node unreachable under load", () => {
  it("loses nothing while a proxy between relayer and node is cut, and drains afterwards", async () => {
    const { proxy, url, stop } = await relayerBehindProxy("outage.sqlite");
    try {
      const items = load(fx.meetings.slice(4, 6));
      let cutDone: Promise<void> | undefined;
      let acks = 0;
      let sawOutage = false;
      const { acked, refused } = await postLoad(() => url, items, 16, {
        onAck: () => {
          if (++acks !== Math.floor(items.length / 3)) return;
          proxy.cut();
          cutDone = (async () => {
            const health = await request(`${url}/v1/health`);
            sawOutage = health.status === 503;
            await new Promise((r) => setTimeout(r, 4_000));
            proxy.restore();
          })();
        },
      });
      await cutDone;
      assert.equal(sawOutage, true, "health reported the node unreachable");
      assert.equal(refused.size, 0, `refused: ${JSON.stringify([...refused.values()].slice(0, 3))}`);
      assert.equal(acked.size, items.length);
      await drained(() => url);
      await assertConfirmedOnce(url, acked, items);
    } finally {
      await stop();
    }
  });
});

describe("chain node slow to answer", () => {
  it("takes ballots of an open meeting on the projected clock while the node is slow, and answers 503 once it fails", async () => {
    const { proxy, url, stop } = await relayerBehindProxy("slow.sqlite");
    try {
      const [early, slow, late] = fx.voters.slice(0, 3).map((v) => fx.sign(v, fx.meetings[7]!));
      assert.equal((await request(`${url}/v1/ballots`, { body: early!.body })).status, 202);

      // The node's answers are held back for longer than the clock's limit of 5 s without a reading.
      proxy.stall();
      await new Promise((r) => setTimeout(r, 6_000));
      const started = Date.now();
      const during = await request(`${url}/v1/ballots`, { body: slow!.body });
      assert.equal(during.status, 202, JSON.stringify(during.body));
      assert.ok(Date.now() - started < 2_000, `answered in ${Date.now() - started} ms, without waiting for the node`);

      // Now the node fails: the clock's readings fail, and intake waits for a fresh one it cannot get.
      proxy.cut();
      await new Promise((r) => setTimeout(r, 200));
      const down = await request(`${url}/v1/ballots`, { body: late!.body });
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.error.code, "chain_unavailable");

      proxy.resume();
      proxy.restore();
      await waitFor(async () => (await request(`${url}/v1/ballots`, { body: late!.body })).status === 202, 30_000, "intake after the node is back");
      await drained(() => url);
      const items = [early!, slow!, late!];
      await assertConfirmedOnce(url, new Set(items.map((i) => i.id)), items);
    } finally {
      await stop();
    }
  });
});
