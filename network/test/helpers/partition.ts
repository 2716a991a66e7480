/**
 * Splitting the 4 signers of a network into two halves that fork the chain, and healing the split so
 * that one chain wins. Used by the network's own test and by the system's test under ballot load.
 */
import type { LocalNetwork } from "../../local-network.js";
import { sleep, waitFor } from "../../wait.js";

export interface PartitionOutcome {
  height: number;
  /** The first block each half sealed at `height`: [first half's, second half's]. */
  hashes: [string, string];
  winner: string;
  winnerNodes: string[];
  loserNodes: string[];
}

export interface SplitOptions {
  /** Which half the observer joins: the one holding the lowest signer (default), or the one that is to lose. */
  observer?: "first" | "loser";
  /** A node that must be in the half that is to lose (the relayer's node, so that its transactions are the ones dropped). */
  loserHolds?: string;
  /** Called while the halves are still apart, once both have sealed at `height`. */
  beforeHeal?: (split: { height: number; loserNodes: string[]; winnerNodes: string[] }) => Promise<void>;
}

/** A split of the sorted signers into two halves, and which of them is to win when they meet again. */
export interface HalvesPlan {
  halves: [string[], string[]];
  winner: 0 | 1;
}

/**
 * Clique lets a signer seal at most one of any ⌊N/2⌋+1 = 3 consecutive blocks, so a half of two
 * signers seals at most two blocks and stalls. If both halves stall with equal total difficulty,
 * neither asks the other for its chain when they meet again and the network stays stuck — Clique's
 * known deadlock. So the halves are chosen from the last two sealers and the in-turn rotation such
 * that both seal at least one block (a fork) and their difficulties differ (one chain wins): every
 * such split, the one pairing the lowest signer with the next first.
 */
export function chooseHalves(sorted: string[], head: number, recent: [string, string]): HalvesPlan[] {
  const [a, ...rest] = sorted;
  return rest.map((partner) => planFor(sorted, head, recent, [a!, partner])).filter((p): p is HalvesPlan => p !== undefined);
}

/** The split of `sorted` into `x` and the others after block `head`, if both halves fork the chain and one of them is to win. */
export function planFor(sorted: string[], head: number, recent: [string, string], x: string[]): HalvesPlan | undefined {
  const inTurn = (n: number) => sorted[n % sorted.length];
  // the total difficulties a half can reach: [min, max] over the order its out-of-turn signers take
  const reach = (half: string[]): { blocks: number; min: number; max: number } => {
    let outcomes = [{ recent: [...recent], td: 0, blocks: 0 }];
    for (let n = head + 1; n <= head + 3; n++) {
      const next = [];
      for (const o of outcomes) {
        const eligible = half.filter((s) => !o.recent.slice(-2).includes(s));
        if (eligible.length === 0) next.push(o);
        else if (eligible.includes(inTurn(n)!)) next.push({ recent: [...o.recent, inTurn(n)!], td: o.td + 2, blocks: o.blocks + 1 });
        else for (const s of eligible) next.push({ recent: [...o.recent, s], td: o.td + 1, blocks: o.blocks + 1 });
      }
      outcomes = next;
    }
    return { blocks: Math.min(...outcomes.map((o) => o.blocks)), min: Math.min(...outcomes.map((o) => o.td)), max: Math.max(...outcomes.map((o) => o.td)) };
  };
  const y = sorted.filter((s) => !x.includes(s));
  const rx = reach(x);
  const ry = reach(y);
  if (rx.blocks >= 1 && ry.blocks >= 1 && (rx.min > ry.max || ry.min > rx.max)) return { halves: [x, y], winner: rx.min > ry.max ? 0 : 1 };
  return undefined;
}

/** One try: undefined when a block was sealed before the split took hold (or no split fitted 30 blocks in a row). */
export async function partitionOnce(network: LocalNetwork, options: SplitOptions = {}): Promise<PartitionOutcome | undefined> {
  try {
    return await splitAndHeal(network, options);
  } catch (err) {
    // leave the network whole for what comes after
    await network.heal({ timeoutMs: 120_000 }).catch(() => undefined);
    throw err;
  }
}

async function splitAndHeal(network: LocalNetwork, options: SplitOptions): Promise<PartitionOutcome | undefined> {
  const sorted = network.spec.genesisSigners;
  const nodeOf = (address: string) => network.spec.nodes.find((n) => n.address === address)!.name;
  const observers = network.nodes("observer").map((n) => n.name);
  // act right after a new block, so the split is in place before the next one is due; a block after
  // which no split fits is let pass, up to 30 of them
  let head = (await network.head("signer-1"));
  let plan: HalvesPlan | undefined;
  for (let passed = 0; plan === undefined; passed++) {
    if (passed >= 30) return undefined;
    const last = head.number;
    head = await waitFor("a new block", async () => {
      const h = await network.head("signer-1");
      return h.number > last ? h : undefined;
    }, { intervalMs: 20 });
    const recent: [string, string] = [await network.sealer("signer-1", head.number - 1), await network.sealer("signer-1", head.number)];
    plan = chooseHalves(sorted, head.number, recent).find((p) => options.loserHolds === undefined || p.halves[1 - p.winner]!.map(nodeOf).includes(options.loserHolds));
  }
  const [x, y] = plan.halves.map((h) => h.map(nodeOf)) as [string[], string[]];
  const observerHalf = options.observer === "loser" ? 1 - plan.winner : 0;
  const groups: [string[], string[]] = observerHalf === 0 ? [[...x, ...observers], y] : [x, [...y, ...observers]];
  await network.partition(groups);
  const heads = await Promise.all(network.spec.nodes.map((n) => network.head(n.name)));
  if (heads.some((h) => h.hash !== head.hash)) {
    // A block was sealed before the split took hold. If every node has it, the split holds from there
    // on, and may still fork the chain as wanted; otherwise the choice no longer fits.
    const moved = heads[0]!;
    const recent: [string, string] = [await network.sealer("signer-1", moved.number - 1), await network.sealer("signer-1", moved.number)];
    const again = heads.every((h) => h.hash === moved.hash) ? planFor(sorted, moved.number, recent, plan.halves[0]) : undefined;
    if (!again || again.winner !== plan.winner) {
      await network.heal({ timeoutMs: 120_000 });
      return undefined;
    }
    head = moved;
  }
  const height = head.number + 1;
  const [hx, hy] = await Promise.all([
    waitFor("the first half to seal", async () => network.blockHash(x[0]!, height), { timeoutMs: 20_000 }),
    waitFor("the second half to seal", async () => network.blockHash(y[0]!, height), { timeoutMs: 20_000 }),
  ]);
  // both halves stall after at most two blocks each; give them the time to
  await sleep(3_000);
  const planned = plan.winner === 0 ? { winnerNodes: groups[0], loserNodes: groups[1] } : { winnerNodes: groups[1], loserNodes: groups[0] };
  await options.beforeHeal?.({ height, ...planned });
  // a node that dialled a peer in the last 35 s does not dial it again before then (geth's dial history)
  await network.heal({ timeoutMs: 120_000 });
  const winner = await waitFor(`every node to agree on block ${height}`, async () => {
    const hashes = await Promise.all(network.spec.nodes.map((n) => network.blockHash(n.name, height)));
    return hashes.every((h) => h === hashes[0]) ? hashes[0] : undefined;
  }, { timeoutMs: 60_000 });
  const top = Math.max(...(await Promise.all(network.spec.nodes.map(async (n) => (await network.head(n.name)).number))));
  await network.waitForHead(top + 2);
  const xWon = winner === hx;
  return {
    height,
    hashes: [hx!, hy!],
    winner: winner!,
    winnerNodes: xWon ? groups[0] : groups[1],
    loserNodes: xWon ? groups[1] : groups[0],
  };
}
