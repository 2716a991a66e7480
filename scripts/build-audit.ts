/**
 * `npm run build:audit`: compiles the audit tool and the shared library it uses to plain JavaScript in
 * dist/, the package's `digital-home-audit` binary. dist/ gets its own package.json so that the
 * compiled files resolve `#lib/*` and `#typechain/*` inside dist/, without the TypeScript sources.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "#lib/deployment.js";

execFileSync("npx", ["tsc", "-p", "tsconfig.audit.json"], { cwd: PROJECT_ROOT, stdio: "inherit" });
const manifest = {
  type: "module",
  imports: { "#lib/*": "./lib/*", "#typechain/*": "./types/ethers-contracts/*" },
};
writeFileSync(path.join(PROJECT_ROOT, "dist", "package.json"), JSON.stringify(manifest, null, 2) + "\n");
