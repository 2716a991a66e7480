/**
 * Runs the matchstick-style mapping tests (subgraph/tests/*.test.ts) without the matchstick binary:
 * compiles each file with graph-cli's AssemblyScript, links the matchstick and graph-ts host
 * functions in Node, runs the tests with their hooks and prints `N passed, N failed`.
 *
 * Usage: tsx subgraph/scripts/test-mappings.ts [name-filter]
 */
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { compileTest } from "./matchstick/compile.js";
import { loadTestModule, type TestGroup, type TestModule } from "./matchstick/host.js";
import { SUBGRAPH_DIR } from "./paths.js";

const testsDir = path.join(SUBGRAPH_DIR, "tests");
const outDir = path.join(SUBGRAPH_DIR, "build", "tests");
const filter = process.argv[2];

let passed = 0;
let failed = 0;

function runGroup(mod: TestModule, group: TestGroup, parents: TestGroup[], indent: string): void {
  const chain = [...parents, group];
  for (const fn of group.hooks.beforeAll) mod.call(fn);
  for (const child of group.children) {
    if (child.kind === "group") {
      console.log(`${indent}${child.name}`);
      runGroup(mod, child, chain, indent + "  ");
      continue;
    }
    mod.failures.length = 0;
    let error: unknown = null;
    try {
      for (const g of chain) for (const fn of g.hooks.beforeEach) mod.call(fn);
      mod.call(child.fn);
    } catch (err) {
      error = err;
    }
    try {
      for (const g of [...chain].reverse()) for (const fn of g.hooks.afterEach) mod.call(fn);
    } catch (err) {
      error ??= err;
    }
    const threw = error !== null;
    const ok = child.shouldFail ? threw : !threw && mod.failures.length === 0;
    if (ok) {
      passed++;
      console.log(`${indent}✔ ${child.name}`);
    } else {
      failed++;
      console.log(`${indent}✘ ${child.name}`);
      for (const f of mod.failures) console.log(`${indent}    ${f}`);
      if (threw && !child.shouldFail) console.log(`${indent}    ${(error as Error).message}`);
      if (child.shouldFail && !threw) console.log(`${indent}    expected the test to fail`);
    }
  }
  for (const fn of group.hooks.afterAll) mod.call(fn);
}

await mkdir(outDir, { recursive: true });
const files = (await readdir(testsDir)).filter((f) => f.endsWith(".test.ts") && (!filter || f.includes(filter))).sort();
for (const file of files) {
  const out = path.join(outDir, file.replace(/\.ts$/, ".wasm"));
  console.log(file);
  try {
    await compileTest(path.join(testsDir, file), out);
    const mod = await loadTestModule(await readFile(out));
    runGroup(mod, mod.root, [], "  ");
  } catch (err) {
    failed++;
    console.log(`  ✘ ${(err as Error).message}`);
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
