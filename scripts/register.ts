/**
 * The registrar's command line:  npm run register -- import <file.csv> [--dry-run] [--json] [--lang ru|en]
 * (see registrar/README.md). Configuration from the environment, as the registrar service reads it.
 */
import { runRegisterCli } from "../registrar/src/cli.js";

process.exit(await runRegisterCli(process.argv.slice(2)));
