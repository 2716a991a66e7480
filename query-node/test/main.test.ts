/** The query node as a process: configured by SUBGRAPH_* variables, serving, and stopping on SIGTERM. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDeployment } from "#lib/deployment.js";
import { PROJECT_ROOT } from "../../subgraph/scripts/paths.js";
import { readConfig } from "../src/config.js";
import { data, eventually } from "./helpers/query-client.js";
import { startScenario, type Scenario } from "./helpers/scenario.js";

describe("query node process", () => {
  let s: Scenario;

  before(async () => {
    s = await startScenario({ owners: 2 });
  });

  after(async () => {
    await s?.close();
  });

  it("rejects invalid configuration with the variable's name", () => {
    assert.throws(() => readConfig({ SUBGRAPH_PORT: "eighty" }, PROJECT_ROOT), /SUBGRAPH_PORT: got 'eighty', expected a whole number 0–65535/);
    assert.throws(() => readConfig({ SUBGRAPH_RPC_URL: "localhost" }, PROJECT_ROOT), /SUBGRAPH_RPC_URL/);
  });

  it("indexes the deployment's chain, serves queries and stops on SIGTERM", async () => {
    const deploymentFile = await writeDeployment(s.deployment, path.join(s.dataDir, "test.json"));
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "query-node", "src", "main.ts")], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        SUBGRAPH_DEPLOYMENT: deploymentFile,
        SUBGRAPH_RPC_URL: s.chain.url,
        SUBGRAPH_DB: path.join(s.dataDir, "cli.sqlite"),
        SUBGRAPH_PORT: "0",
        SUBGRAPH_POLL_MS: "50",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      await eventually(async () => output.includes('"query node started"'), 60_000, "the query node to start");
      const started = JSON.parse(output.split("\n").find((l) => l.includes('"query node started"'))!);
      assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/subgraphs\/name\/digital-home$/);
      const head = await s.provider.getBlockNumber();
      await eventually(async () => (await data(started.url, "{ _meta { block { number } } }"))._meta.block.number === head);
      const d = await data(started.url, `{ building(id: "1") { premisesCount } }`);
      assert.equal(d.building.premisesCount, 2);
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      assert.equal(code, 0);
      assert.match(output, /"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
