/**
 * The built subgraph as the query node loads it: one data source per indexed contract of a deployment,
 * and a handler for every event the contracts' interfaces declare (the public record), with the
 * signature of the compiled ABI.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { Interface } from "ethers";
import { INDEXED_CONTRACTS, PROJECT_ROOT } from "#lib/deployment.js";
import { loadSubgraph } from "../../src/runtime/manifest.js";
import { BUILD_DIR } from "../../../subgraph/scripts/paths.js";

/** The interface that declares each indexed contract's events. */
const INTERFACES: Record<(typeof INDEXED_CONTRACTS)[number], string> = {
  BuildingRegistry: "IBuildingRegistry",
  MeetingHall: "IMeetingHall",
  LegalRules: "ILegalRules",
};

async function interfaceEvents(name: string): Promise<string[]> {
  const file = path.join(PROJECT_ROOT, "artifacts", "contracts", "interfaces", `${name}.sol`, `${name}.json`);
  const abi = new Interface(JSON.parse(await readFile(file, "utf8")).abi);
  const events: string[] = [];
  abi.forEachEvent((e) => events.push(e.format("sighash")));
  return events.sort();
}

describe("the built subgraph's manifest", () => {
  it("has a data source for each indexed contract and nothing else", async () => {
    const subgraph = await loadSubgraph(BUILD_DIR);
    assert.deepEqual(subgraph.dataSources.map((ds) => ds.name).sort(), [...INDEXED_CONTRACTS].sort());
  });

  it("handles every event the contracts' interfaces declare, by its compiled signature", async () => {
    const subgraph = await loadSubgraph(BUILD_DIR);
    for (const ds of subgraph.dataSources) {
      const declared = await interfaceEvents(INTERFACES[ds.name as (typeof INDEXED_CONTRACTS)[number]]);
      const handled = ds.handlers.map((h) => h.fragment.format("sighash")).sort();
      assert.deepEqual(handled, declared, ds.name);
      for (const h of ds.handlers) assert.equal(h.topic0, ds.abi.getEvent(h.fragment.name)!.topicHash, h.event);
    }
  });
});
