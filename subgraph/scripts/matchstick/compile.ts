/** Compiles a matchstick test file to WASM with the AssemblyScript that graph-cli uses. */
import { createRequire } from "node:module";
import path from "node:path";
import { PROJECT_ROOT, SUBGRAPH_DIR } from "../paths.js";
import { AppError } from "#lib/errors.js";

const require = createRequire(import.meta.url);

interface Asc {
  ready: Promise<void>;
  main(argv: string[], options: object, callback: (err: Error | null) => number): number;
}

const graphCli = path.dirname(require.resolve("@graphprotocol/graph-cli/package.json", { paths: [PROJECT_ROOT] }));
const asc = require(require.resolve("assemblyscript/cli/asc", { paths: [graphCli] })) as Asc;
const graphTsGlobal = path.join(
  path.dirname(require.resolve("@graphprotocol/graph-ts/package.json", { paths: [PROJECT_ROOT] })),
  "global",
  "global.ts",
);

export async function compileTest(testFile: string, outFile: string): Promise<void> {
  await asc.ready;
  let output = "";
  const sink = { write: (chunk: string | Uint8Array) => ((output += chunk.toString()), true) };
  const args = [
    path.relative(SUBGRAPH_DIR, testFile),
    path.relative(SUBGRAPH_DIR, graphTsGlobal),
    "--baseDir",
    SUBGRAPH_DIR,
    "--lib",
    path.join(PROJECT_ROOT, "node_modules"),
    "--outFile",
    outFile,
    "--explicitStart",
    "--exportRuntime",
    "--runtime",
    "stub",
    "--exportTable",
    "--debug",
  ];
  let failure: Error | null = null;
  const code = asc.main(args, { stdout: sink, stderr: sink }, (err) => {
    failure = err;
    return 0;
  });
  if (failure !== null || code !== 0) {
    throw new AppError("compile_failed", `compiling ${path.relative(SUBGRAPH_DIR, testFile)} failed:\n${output}`);
  }
}
