/**
 * Runs the relayer alone against any JSON-RPC node and deployment record:
 *   RPC_URL=http://127.0.0.1:8545 DEPLOYMENT=localhost RELAYER_SENDER_KEYS=0x… npm run relayer
 * See relayer/.env.example. The custodial wallet is its own service (custody/src/main.ts); it joins
 * this process only by the explicit `npm run relayer -- --with-custody` (scripts/relayer.ts).
 * SIGTERM / SIGINT stop it gracefully: the HTTP server closes, transactions being signed are
 * recorded and broadcast, and everything else waits in the queue database.
 */
import { createLogger } from "#lib/log.js";
import { configOrExit, runServices } from "#lib/process.js";
import { loadConfig } from "./config.js";
import { startRelayer } from "./service.js";

const config = configOrExit(() => loadConfig(process.env), "relayer");
const log = createLogger(config.logLevel, { service: "relayer" });
await runServices(log, [
  async () => {
    const relayer = await startRelayer(config, { logger: log });
    return { ready: { relayerUrl: relayer.url, senders: relayer.senders }, stop: relayer.stop };
  },
]);
