/**
 * Runs the custodial wallet alone, with its own configuration (see custody/.env.example):
 *   DEPLOYMENT=localhost CUSTODY_MASTER_KEY=… CUSTODY_REGISTRAR_TOKEN=… npm run custody
 * It holds residents' keys and never the relayer's; set CUSTODY_RELAYER_URL to hand signed ballots
 * to a relayer. SIGTERM / SIGINT stop it gracefully.
 */
import { createLogger } from "#lib/log.js";
import { configOrExit, runServices } from "#lib/process.js";
import { loadConfig } from "./config.js";
import { startCustody } from "./service.js";

const config = configOrExit(() => loadConfig(process.env), "custody");
const log = createLogger(config.logLevel, { service: "custody" });
await runServices(log, [
  async () => {
    const custody = await startCustody(config, { logger: log });
    return { ready: { custodyUrl: custody.url }, stop: custody.stop };
  },
]);
