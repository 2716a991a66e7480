/**
 * Runs the registrar alone, with its own configuration (see registrar/.env.example):
 *   DEPLOYMENT=localhost RPC_URL=… REGISTRAR_KEY=… REGISTRAR_API_TOKEN=… REGISTRAR_CUSTODY_URL=… npm run registrar
 * It holds the chain key of REGISTRAR_ROLE and the register's personal data. SIGTERM / SIGINT stop
 * it gracefully: a running import stops after its transaction in flight and goes on at the next start.
 */
import { createLogger } from "#lib/log.js";
import { configOrExit, runServices } from "#lib/process.js";
import { loadConfig } from "./config.js";
import { startRegistrar } from "./service.js";

const config = configOrExit(() => loadConfig(process.env), "registrar");
const log = createLogger(config.logLevel, { service: "registrar" });
await runServices(log, [
  async () => {
    const registrar = await startRegistrar(config, { logger: log });
    return { ready: { registrarUrl: registrar.url }, stop: registrar.stop };
  },
]);
