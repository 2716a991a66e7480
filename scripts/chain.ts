/**
 * Runs the embedded chain alone:  npx tsx scripts/chain.ts [--port 8545] [--block-time 1000]
 * Prints `JSON-RPC http://127.0.0.1:<port>` once listening; stops on SIGINT / SIGTERM.
 */
import { parseArgs } from "node:util";
import { startLocalChain } from "../dev/chain.js";

function wholeNumber(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    console.error(`--${name}: got '${raw}', expected a whole number 0–${max}`);
    process.exit(2);
  }
  return Number(raw);
}

let values;
try {
  ({ values } = parseArgs({
    options: { port: { type: "string" }, "block-time": { type: "string" }, "chain-id": { type: "string" } },
  }));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const chain = await startLocalChain({
  port: wholeNumber("port", values.port, 8545, 65535),
  blockTimeMs: wholeNumber("block-time", values["block-time"], 1000, 3_600_000),
  chainId: values["chain-id"] === undefined ? undefined : wholeNumber("chain-id", values["chain-id"], 31337, 2 ** 32),
});
console.log(`JSON-RPC ${chain.url}`);
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    chain.close().then(() => process.exit(0), () => process.exit(1));
  });
}
