/**
 * The registrar's command line:  npm run register -- import <file.csv> [--dry-run] [--json] [--lang ru|en]
 * (see registrar/README.md). Configuration from the environment, as the registrar service reads it.
 * It exits once what it wrote to a pipe has gone out.
 */
import { runRegisterCli } from "../registrar/src/cli.js";

const code = await runRegisterCli(process.argv.slice(2));
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
