/**
 * `npm run relayer`: the relayer alone (relayer/src/main.ts).
 * `npm run relayer -- --with-custody`: the relayer and the custodial wallet in one process, by this
 * explicit choice only. Each reads its own configuration from the environment with its own loader
 * (relayer/.env.example, custody/.env.example): two config objects, nothing shared but the process.
 * Custody hands signed ballots to this relayer unless CUSTODY_RELAYER_URL names another.
 */
import { parseArgs } from "node:util";
import type { Env } from "#lib/env-reader.js";
import { ConfigError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { configOrExit, runServices } from "#lib/process.js";
import { loadConfig as loadCustodyConfig } from "../custody/src/config.js";
import { startCustody } from "../custody/src/service.js";
import { loadConfig as loadRelayerConfig } from "../relayer/src/config.js";
import { startRelayer } from "../relayer/src/service.js";

/** Both configurations, each by its own loader, read before anything starts; every problem of either is reported. */
function loadBoth(env: Env) {
  const problems: string[] = [];
  const read = <T>(load: (env: Env) => T): T | undefined => {
    try {
      return load(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const relayer = read(loadRelayerConfig);
  const custody = read(loadCustodyConfig);
  if (!relayer || !custody) throw new ConfigError(problems);
  return { relayer, custody };
}

let withCustody: boolean;
try {
  withCustody = parseArgs({ options: { "with-custody": { type: "boolean", default: false } } }).values["with-custody"]!;
} catch (err) {
  console.error(`${(err as Error).message}\nusage: npm run relayer [-- --with-custody]`);
  process.exit(2);
}

if (!withCustody) {
  await import("../relayer/src/main.js");
} else {
  const { relayer, custody } = configOrExit(() => loadBoth(process.env), "relayer --with-custody");
  const relayerLog = createLogger(relayer.logLevel, { service: "relayer" });
  const custodyLog = createLogger(custody.logLevel, { service: "custody" });
  let relayerUrl: string | undefined;
  await runServices(relayerLog, [
    async () => {
      const r = await startRelayer(relayer, { logger: relayerLog });
      relayerUrl = r.url;
      return { ready: { relayerUrl: r.url, senders: r.senders }, stop: r.stop };
    },
    async () => {
      const c = await startCustody(custody, { logger: custodyLog, relayerUrl });
      return { ready: { custodyUrl: c.url }, stop: c.stop };
    },
  ]);
}
