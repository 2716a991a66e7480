/**
 * `npm test`: runs every suite of the project in turn, streams their output, and closes with one line
 * `N passed, N failed` over all of them. Exits non-zero if any suite fails or runs no test.
 *
 *   npm test                 every suite
 *   npm test -- contracts    only the named suites (see SUITES)
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "#lib/deployment.js";

interface Suite {
  name: string;
  command: string[];
  /** Reads the suite's own summary: passed and failed counts. */
  count(output: string): { passed: number; failed: number } | undefined;
}

const lastNumber = (output: string, re: RegExp): number | undefined => {
  const all = [...output.matchAll(re)];
  return all.length ? Number(all[all.length - 1][1]) : undefined;
};

/** Mocha and Hardhat's Solidity runner: "N passing", "N failing". */
const mochaCount = (output: string) => {
  const summary = /(\d+) passing \((\d+) solidity, (\d+) mocha\)/.exec(output);
  const passed = summary ? Number(summary[1]) : lastNumber(output, /(\d+) passing/g);
  if (passed === undefined) return undefined;
  const failed = [...output.matchAll(/(\d+) failing/g)].reduce((n, m) => n + Number(m[1]), 0);
  return { passed, failed };
};

/** A plain closing line: "N passed, N failed". */
const plainCount = (output: string) => {
  const all = [...output.matchAll(/^(\d+) passed, (\d+) failed/gm)];
  if (!all.length) return undefined;
  const last = all[all.length - 1];
  return { passed: Number(last[1]), failed: Number(last[2]) };
};

/** Node's test runner: "# pass N", "# fail N". */
const nodeTestCount = (output: string) => {
  const passed = lastNumber(output, /^# pass (\d+)/gm);
  const failed = lastNumber(output, /^# fail (\d+)/gm);
  return passed === undefined ? undefined : { passed, failed: failed ?? 0 };
};

const noCount = () => ({ passed: 0, failed: 0 });

/** The `*.test.ts` files under a folder, at any depth. */
function testFiles(dir: string): string[] {
  return (readdirSync(path.join(PROJECT_ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => `${dir}/${f}`);
}

const nodeTest = (dir: string) => ["node", "--disable-warning=ExperimentalWarning", "--import", "tsx", "--test", ...testFiles(dir)];

export const SUITES: Suite[] = [
  { name: "typecheck", command: ["npx", "tsc", "--noEmit", "-p", "tsconfig.json"], count: noCount },
  // --network default: the Solidity tests run at the simulated network's hardfork (paris-level)
  { name: "contracts", command: ["npx", "hardhat", "test", "solidity", "--network", "default"], count: mochaCount },
  { name: "contracts-ts", command: ["npx", "hardhat", "test", "mocha", ...testFiles("test/contracts"), ...testFiles("lib/test")], count: mochaCount },
  { name: "subgraph-build", command: ["npx", "tsx", "subgraph/scripts/build.ts"], count: noCount },
  { name: "subgraph-mappings", command: ["npx", "tsx", "subgraph/scripts/test-mappings.ts"], count: plainCount },
  { name: "query-node", command: nodeTest("query-node/test"), count: nodeTestCount },
  { name: "relayer", command: nodeTest("relayer/test"), count: nodeTestCount },
  { name: "custody", command: nodeTest("custody/test"), count: nodeTestCount },
  { name: "notifier", command: nodeTest("notifier/test"), count: nodeTestCount },
  { name: "documents", command: nodeTest("documents/test"), count: nodeTestCount },
  { name: "keeper", command: nodeTest("keeper/test"), count: nodeTestCount },
  // one file at a time: each starts a chain, custody, the notifier and the registrar
  { name: "registrar", command: ["node", "--disable-warning=ExperimentalWarning", "--import", "tsx", "--test", "--test-concurrency=1", ...testFiles("registrar/test")], count: nodeTestCount },
  { name: "web-build", command: ["npx", "tsx", "scripts/build-web.ts"], count: noCount },
  { name: "web", command: nodeTest("web/test"), count: nodeTestCount },
  { name: "e2e", command: ["npx", "hardhat", "test", "mocha", ...testFiles("test/e2e")], count: mochaCount },
  { name: "audit", command: ["npx", "hardhat", "test", "mocha", ...testFiles("audit/test")], count: mochaCount },
  { name: "gas", command: ["npx", "hardhat", "test", "mocha", ...testFiles("test/gas")], count: mochaCount },
  // real geth nodes, one test file at a time (they share the machine's two cores); builds geth when missing,
  // and says so and skips the nodes' tests where Go ≥ 1.23 is missing (fails under CI=true)
  { name: "network", command: ["node", "--disable-warning=ExperimentalWarning", "--import", "tsx", "--test", "--test-concurrency=1", ...testFiles("network/test")], count: nodeTestCount },
];

function run(suite: Suite): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(suite.command[0], suite.command.slice(1), { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
      process.stderr.write(chunk);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(", ")}; expected some of ${SUITES.map((s) => s.name).join(", ")}`);
  process.exit(2);
}
const selected = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;

let passed = 0;
let failed = 0;
const broken: string[] = [];
for (const suite of selected) {
  console.log(`\n=== ${suite.name}: ${suite.command.join(" ")}`);
  const started = Date.now();
  const { code, output } = await run(suite);
  const counts = suite.count(output);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  if (code !== 0 || !counts) {
    broken.push(suite.name);
    console.log(`=== ${suite.name}: FAILED (exit ${code}${counts ? "" : ", no test summary"}) after ${seconds} s`);
  } else {
    console.log(`=== ${suite.name}: ${counts.passed} passed, ${counts.failed} failed in ${seconds} s`);
  }
}
if (broken.length) console.log(`\nfailed suites: ${broken.join(", ")}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(broken.length || failed ? 1 : 0);
