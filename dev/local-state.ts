/**
 * What `npm start -- --network local` keeps between runs, in its folder (data/local/ by default):
 *
 *   network/          the geth network (the network tool's folder: keys, genesis, chain databases)
 *   secrets.json      custody's master key, the registrar's token, the keeper's chain key (funded
 *                     in the genesis), custody's token at the relayer and the relayer's metrics
 *                     token: generated once, mode 0600 (the folder is 0700)
 *   state.json        what is done once: the deployment record, and whether the demo was seeded
 *   relayer.sqlite, custody.sqlite, subgraph.sqlite, notifier.sqlite, registrar.sqlite, documents/,
 *   keeper/           each service's database, resumed from its cursor on the next start (the
 *                     keeper's folder also holds the operator's protocol signing key)
 *
 * Secrets are generated here, never typed in, and never leave the folder except into the
 * configuration of the one service that needs each. Files are replaced atomically (written beside,
 * then renamed), so a start interrupted at any moment leaves either the old file or the new one.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Wallet } from "ethers";
import { z } from "zod";
import { deploymentSchema, type Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import type { SeedResult } from "./seed.js";

const TOKEN = { pattern: /^[0-9a-f]{48}$/, make: () => randomBytes(24).toString("hex") };
/**
 * The services' secrets, each with its form and how it is made. A secret added here later is made
 * on the first start that lacks it and kept from then on; the others never change.
 */
const SECRETS = {
  custodyMasterKey: { pattern: /^[0-9a-f]{64}$/, make: () => randomBytes(32).toString("hex") },
  registrarToken: TOKEN,
  /** The keeper's chain key, funded in the genesis: it sends each meeting's finalize. */
  keeperKey: { pattern: /^0x[0-9a-f]{64}$/, make: () => Wallet.createRandom().privateKey },
  /** Custody's credential at the relayer. */
  custodyClientToken: TOKEN,
  /** The bearer token of the relayer's /metrics. */
  metricsToken: TOKEN,
} satisfies Record<string, { pattern: RegExp; make: () => string }>;
export type LocalSecrets = Record<keyof typeof SECRETS, string>;
const secretNames = Object.keys(SECRETS) as Array<keyof typeof SECRETS>;
const secretsSchema = z.object(Object.fromEntries(secretNames.map((n) => [n, z.string().regex(SECRETS[n].pattern).optional()]))).strict();

/** Every secret made afresh (the embedded demo's, which lasts one start). */
export function newSecrets(): LocalSecrets {
  return Object.fromEntries(secretNames.map((n) => [n, SECRETS[n].make()])) as LocalSecrets;
}

const seedSchema = z.discriminatedUnion("status", [
  /** The seed began and has not finished: the chain may hold half a demo. */
  z.object({ status: z.literal("started"), at: z.string() }),
  z.object({
    status: z.literal("done"),
    at: z.string(),
    logins: z.array(z.object({ residentId: z.string(), role: z.string() })),
    residents: z.array(z.string()),
    meetings: z.object({ finished: z.string(), open: z.string(), poll: z.string() }),
    notices: z.object({ finished: z.string(), open: z.string(), poll: z.string() }),
    attachment: z.string(),
  }),
]);

const stateSchema = z.object({
  format: z.literal(1),
  /** The network folder is complete (every node initialised). */
  networkCreated: z.boolean().default(false),
  deployment: deploymentSchema.optional(),
  seed: seedSchema.optional(),
});
export type LocalStateData = z.infer<typeof stateSchema>;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a pid reused by another program is not a start of this project
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("start.ts");
  } catch {
    return true;
  }
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}

async function readJson<T>(file: string, schema: z.ZodType<T>, what: string): Promise<T> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new AppError("local_state_unreadable", `${file} (${what}) cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    // most often a folder of an older version of Digital Home, whose chain holds that version's contracts
    throw new AppError("local_state_invalid", `${file} (${what}) is not one this version of Digital Home writes (${issues}): a folder of another version, or damaged; remove ${path.dirname(file)} to start over`);
  }
  return parsed.data;
}

export class LocalFolder {
  private constructor(
    readonly dir: string,
    private data: LocalStateData,
  ) {}

  /** Opens the folder, making it (mode 0700) on the first start; tightens its mode if it was wider. */
  static async open(dir: string): Promise<LocalFolder> {
    dir = path.resolve(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (((await stat(dir)).mode & 0o077) !== 0) await chmod(dir, 0o700);
    const file = path.join(dir, "state.json");
    const data = existsSync(file) ? await readJson(file, stateSchema, "what the first start did") : { format: 1 as const, networkCreated: false };
    return new LocalFolder(dir, data);
  }

  /**
   * Takes the folder for this process, so that a second start on it (two relayers sending from the
   * same keys, two writers of one database) is refused while the first runs; a lock left by a process
   * that is gone is taken over. Released when this process exits.
   */
  async lock(): Promise<void> {
    const file = this.file("start.pid");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(file, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
        process.on("exit", () => {
          try {
            if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
          } catch {
            // already gone
          }
        });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new AppError("local_folder_busy", `${this.dir} is in use by another start (pid ${holder}): stop it first (Ctrl-C in its terminal)`);
      }
      unlinkSync(file);
    }
    throw new AppError("local_folder_busy", `${this.dir}: could not take start.pid`);
  }

  get state(): Readonly<LocalStateData> {
    return this.data;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  get networkDir(): string {
    return this.file("network");
  }

  /** Whether this folder has been used before (a network was made in it). */
  get isNew(): boolean {
    return !this.data.networkCreated;
  }

  async update(change: Partial<LocalStateData>): Promise<void> {
    this.data = stateSchema.parse({ ...this.data, ...change });
    await writeAtomically(this.file("state.json"), JSON.stringify(this.data, null, 2) + "\n", 0o600);
  }

  /** The secrets generated on the first start (those missing generated now), kept with mode 0600. */
  async secrets(): Promise<LocalSecrets> {
    const file = this.file("secrets.json");
    let kept: Partial<LocalSecrets> = {};
    if (existsSync(file)) {
      if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
      kept = (await readJson(file, secretsSchema, "the services' secrets")) as Partial<LocalSecrets>;
    }
    const missing = secretNames.filter((n) => kept[n] === undefined);
    if (missing.length === 0) return kept as LocalSecrets;
    const secrets = { ...newSecrets(), ...kept };
    await writeAtomically(file, JSON.stringify(secrets, null, 2) + "\n", 0o600);
    return secrets;
  }

  get deployment(): Deployment | undefined {
    return this.data.deployment;
  }

  /** The demo's seed as recorded when it finished, with meeting ids as numbers again. */
  get seed(): SeedResult | undefined {
    const seed = this.data.seed;
    if (seed?.status !== "done") return undefined;
    const { finished, open, poll } = seed.meetings;
    return { logins: seed.logins, residents: seed.residents, meetings: { finished: BigInt(finished), open: BigInt(open), poll: BigInt(poll) }, notices: seed.notices, attachment: seed.attachment };
  }

  async seedStarted(): Promise<void> {
    await this.update({ seed: { status: "started", at: new Date().toISOString() } });
  }

  async seedDone(result: SeedResult): Promise<void> {
    const { finished, open, poll } = result.meetings;
    await this.update({
      seed: { status: "done", at: new Date().toISOString(), logins: result.logins, residents: result.residents, meetings: { finished: String(finished), open: String(open), poll: String(poll) }, notices: result.notices, attachment: result.attachment },
    });
  }
}
