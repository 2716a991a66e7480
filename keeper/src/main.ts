/**
 * The keeper as a process: reads its configuration from the environment (see .env.example), prints
 * one "ready" line with its URL, and stops cleanly on SIGTERM / SIGINT, finishing the pass in flight.
 */
import { configOrExit, runServices } from "#lib/process.js";
import { createLogger } from "#lib/log.js";
import { loadConfig } from "./config.js";
import { startKeeper } from "./service.js";

const config = configOrExit(() => loadConfig(process.env), "keeper");
const log = createLogger(config.logLevel, { service: "keeper" });
await runServices(log, [
  async () => {
    const keeper = await startKeeper(config, { log });
    return { ready: { keeperUrl: keeper.url, keeperAddress: keeper.address, keyId: keeper.keyId }, stop: keeper.stop };
  },
]);
