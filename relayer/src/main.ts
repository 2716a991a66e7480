/**
 * Runs the relayer and the custodial wallet alone against any JSON-RPC node and deployment record:
 *   RPC_URL=http://127.0.0.1:8545 DEPLOYMENT=localhost RELAYER_SENDER_KEYS=0x… \
 *   CUSTODY_MASTER_KEY=… CUSTODY_REGISTRAR_TOKEN=… npx tsx relayer/src/main.ts
 * See relayer/.env.example. SIGTERM / SIGINT stop it gracefully: the HTTP servers close, transactions
 * being signed are recorded and broadcast, and everything else waits in the queue database.
 */
import { ConfigError } from "./errors.js";
import { loadConfig } from "./config.js";
import { createLogger } from "#lib/log.js";
import { startServices } from "./services.js";

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`invalid configuration:\n${err.message}`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger(config.logLevel);
let services;
try {
  services = await startServices(config, { logger: log });
} catch (err) {
  log.error("start-up failed", { err, cause: (err as Error).cause });
  process.exit(1);
}
// One line for supervisors and tests to read the URLs from.
console.log(JSON.stringify({ msg: "ready", relayerUrl: services.relayerUrl, custodyUrl: services.custodyUrl, senders: services.senders }));

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    services.stop().then(
      () => process.exit(0),
      (err) => {
        log.error("stop failed", { err });
        process.exit(1);
      },
    );
  });
}
