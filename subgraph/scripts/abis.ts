/** Copies the ABIs of the data-source contracts (the indexed contracts of a deployment) from the compiled artifacts into subgraph/abis/. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { SUBGRAPH_DIR, PROJECT_ROOT } from "./paths.js";
import { INDEXED_CONTRACTS } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";

export async function writeAbis(): Promise<string[]> {
  const out = path.join(SUBGRAPH_DIR, "abis");
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  for (const name of INDEXED_CONTRACTS) {
    const artifact = path.join(PROJECT_ROOT, "artifacts", "contracts", `${name}.sol`, `${name}.json`);
    let json: { abi?: unknown };
    try {
      json = JSON.parse(await readFile(artifact, "utf8"));
    } catch (err) {
      throw new AppError("artifact_unreadable", `artifact ${artifact} cannot be read (run \`npx hardhat build\`): ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!Array.isArray(json.abi)) throw new AppError("artifact_unreadable", `artifact ${artifact} has no abi`);
    const file = path.join(out, `${name}.json`);
    await writeFile(file, JSON.stringify(json.abi, null, 2) + "\n");
    written.push(file);
  }
  return written;
}
