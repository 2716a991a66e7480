/**
 * `npm run network -- <command>`: the local geth Clique network (install, init, up, down, status,
 * propose) and the production files of a Besu QBFT network (init --client besu). See network/README.md.
 */
import { main } from "../network/commands.js";

process.exitCode = await main(process.argv.slice(2));
