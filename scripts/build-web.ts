/**
 * `npm run build:web`: writes the web page's built files — web/public/lib/domain.js, the domain module
 * (lib/domain.ts) compiled to plain JavaScript for the browser.
 */
import path from "node:path";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { DOMAIN_MODULE, writeDomainModule } from "../web/src/domain-module.js";

await writeDomainModule();
console.log(`wrote ${path.relative(PROJECT_ROOT, DOMAIN_MODULE)}`);
