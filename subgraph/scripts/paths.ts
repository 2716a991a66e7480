import path from "node:path";
import { fileURLToPath } from "node:url";

export const SUBGRAPH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PROJECT_ROOT = path.resolve(SUBGRAPH_DIR, "..");
export const BUILD_DIR = path.join(SUBGRAPH_DIR, "build");
