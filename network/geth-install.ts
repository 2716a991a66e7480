/**
 * Builds the one geth this project runs: go-ethereum v1.13.15, the last release that seals Clique
 * blocks (v1.14 removed block production outside the engine API). It is built from source with the
 * ordinary Go client into the git-ignored `.tools/bin/`, once, and reused:
 *
 *   go install -ldflags=-checklinkname=0 github.com/ethereum/go-ethereum/cmd/geth@v1.13.15
 *
 * `-checklinkname=0` because its dependency fjl/memsize reaches into the runtime with a linkname that
 * Go ≥ 1.23 refuses to link ("invalid reference to runtime.stopTheWorld"); cgo is not needed
 * (secp256k1 falls back to pure Go).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { NetworkError } from "./errors.js";

const run = promisify(execFile);

export const GETH_VERSION = "1.13.15";
export const GETH_MODULE = `github.com/ethereum/go-ethereum/cmd/geth@v${GETH_VERSION}`;
/** The oldest Go that builds it with the flags above. */
export const MIN_GO = { major: 1, minor: 23 } as const;
export const TOOLS_BIN = path.join(PROJECT_ROOT, ".tools", "bin");
export const GETH_BINARY = path.join(TOOLS_BIN, "geth");
/** Where Go lives on the project's machines when it is not on PATH. */
const GO_FALLBACKS = ["/usr/local/go/bin/go"];

export interface GoToolchain {
  binary: string;
  /** e.g. "go1.26.8" */
  version: string;
}

/**
 * The Go toolchain to build with: DH_GO when set (and then only it), else `go` on PATH, else
 * /usr/local/go/bin/go. Throws GO_MISSING when there is none, or it is older than 1.23.
 */
export async function findGo(env: NodeJS.ProcessEnv = process.env): Promise<GoToolchain> {
  const candidates = env.DH_GO ? [env.DH_GO] : ["go", ...GO_FALLBACKS];
  for (const binary of candidates) {
    let version: string;
    try {
      version = (await run(binary, ["env", "GOVERSION"], { env })).stdout.trim();
    } catch {
      continue;
    }
    const m = /^go(\d+)\.(\d+)/.exec(version);
    if (!m) throw new NetworkError("GO_MISSING", `${binary} says its version is '${version}', expected go1.N`);
    const [major, minor] = [Number(m[1]), Number(m[2])];
    if (major < MIN_GO.major || (major === MIN_GO.major && minor < MIN_GO.minor)) {
      throw new NetworkError("GO_MISSING", `geth ${GETH_VERSION} needs Go ≥ ${MIN_GO.major}.${MIN_GO.minor} to build; ${binary} is ${version}`);
    }
    return { binary, version };
  }
  throw new NetworkError(
    "GO_MISSING",
    `the local network needs Go ≥ ${MIN_GO.major}.${MIN_GO.minor} to build geth ${GETH_VERSION}: ${env.DH_GO ? `DH_GO=${env.DH_GO} does not run` : `no 'go' on PATH nor at ${GO_FALLBACKS.join(", ")}`}`,
  );
}

/** The version geth reports (e.g. "1.13.15-stable"), or undefined when the binary is missing or does not run. */
export async function gethVersion(binary = GETH_BINARY): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined;
  try {
    const { stdout } = await run(binary, ["version"]);
    return /^Version: (\S+)/m.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

const isWanted = (version: string | undefined) => version !== undefined && version.split("-")[0] === GETH_VERSION;

export interface InstallResult {
  binary: string;
  version: string;
  /** Whether this call built it (false: the one in .tools/bin was already right). */
  built: boolean;
  seconds: number;
  go?: string;
}

/**
 * Builds geth into .tools/bin unless the binary there already reports v1.13.15 (or `force`). The Go
 * toolchain's own output goes to `log`, so a failed build shows what failed.
 */
export async function installGeth(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<InstallResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const present = await gethVersion();
  if (!options.force && isWanted(present)) return { binary: GETH_BINARY, version: present!, built: false, seconds: 0 };

  const go = await findGo();
  await mkdir(TOOLS_BIN, { recursive: true });
  log(`building geth ${GETH_VERSION} with ${go.version} into ${TOOLS_BIN} (the first build takes minutes)`);
  const args = ["install", "-ldflags=-checklinkname=0", GETH_MODULE];
  const env = { ...process.env, GOBIN: TOOLS_BIN };
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(go.binary, args, { env, cwd: TOOLS_BIN, stdio: ["ignore", "pipe", "pipe"] });
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        output.push(line);
        log(`  go: ${line}`);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new NetworkError("GETH_BUILD_FAILED", `${go.binary} ${args.join(" ")} exited with ${code}: ${output.slice(-5).join(" | ") || "no output"}`);
  }
  const version = await gethVersion();
  if (!isWanted(version)) {
    throw new NetworkError("GETH_BUILD_FAILED", `${GETH_BINARY} reports version '${version ?? "none"}' after the build, expected ${GETH_VERSION}`);
  }
  return { binary: GETH_BINARY, version: version!, built: true, seconds: (Date.now() - started) / 1000, go: go.version };
}
