/**
 * `npm run register -- import <file> [--dry-run] [--json] [--lang ru|en]`: the same import as
 * `POST /v1/imports`, run in this process with the registrar's configuration (registrar/.env.example).
 * A dry run prints the plan and changes nothing; otherwise the import runs with a progress bar on
 * stderr and its plan and outcome are printed. SIGINT / SIGTERM stop it after the transaction in
 * flight; running it again finishes the job. Exit codes: 0 done, 1 the import failed, 2 a usage or
 * configuration problem, 3 the file has problems (each printed with its line and column; nothing
 * was applied), 4 stopped before it finished.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { AppError, ConfigError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { loadConfig } from "./config.js";
import { LANGUAGES, describeProblem, type Language } from "./messages.js";
import { planText } from "./plan-text.js";
import { RegisterFileError } from "./problems.js";
import { progressRenderer } from "./progress.js";
import { openRegistrar } from "./service.js";

const USAGE = `usage: npm run register -- import <file.csv> [--dry-run] [--json] [--lang ru|en]`;

export interface CliStreams {
  out: (text: string) => void;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function runRegisterCli(argv: string[], env: NodeJS.ProcessEnv = process.env, streams: CliStreams = { out: (t) => process.stdout.write(t), err: process.stderr }): Promise<number> {
  const say = (text: string) => streams.err.write(text.endsWith("\n") ? text : text + "\n");
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { "dry-run": { type: "boolean" }, json: { type: "boolean" }, lang: { type: "string" } },
    });
  } catch (err) {
    say(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, file, ...rest] = parsed.positionals;
  if (command !== "import" || file === undefined || rest.length > 0) {
    say(USAGE);
    return 2;
  }
  if (parsed.values.lang !== undefined && !(LANGUAGES as readonly string[]).includes(parsed.values.lang)) {
    say(`--lang: got '${parsed.values.lang}', expected one of ${LANGUAGES.join(", ")}`);
    return 2;
  }
  let config;
  try {
    // the CLI's own output is the plan and the progress: its logs are quiet unless asked for
    config = loadConfig({ LOG_LEVEL: "warn", ...env });
  } catch (err) {
    if (err instanceof ConfigError) {
      say(`register: invalid configuration:\n${err.problems.map((p) => `  ${p}`).join("\n")}`);
      return 2;
    }
    throw err;
  }
  const language = (parsed.values.lang as Language | undefined) ?? config.language;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    say(`register: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 2;
  }
  if (bytes.length > config.maxFileBytes) {
    say(`register: ${file} has ${bytes.length} bytes, more than REGISTRAR_MAX_FILE_BYTES (${config.maxFileBytes})`);
    return 2;
  }

  const log = createLogger(config.logLevel, { service: "registrar", component: "cli" }, (line) => streams.err.write(line + "\n"));
  let registrar;
  try {
    registrar = await openRegistrar(config, { logger: log });
  } catch (err) {
    say(`register: ${err instanceof AppError ? `${err.code}: ${err.message}` : (err as Error).message}`);
    return 1;
  }
  const stop = () => void registrar.importer.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    if (parsed.values["dry-run"]) {
      const { plan } = registrar.importer.dryRun(bytes);
      streams.out(parsed.values.json ? JSON.stringify({ dryRun: true, plan }, null, 2) + "\n" : planText(plan, language));
      return 0;
    }
    const started = registrar.importer.start(bytes, "cli", progressRenderer(streams.err, language));
    if (!parsed.values.json) streams.out(planText(started.plan, language));
    const outcome = await started.done;
    const record = registrar.store.getImport(started.importId);
    if (parsed.values.json) streams.out(JSON.stringify({ ...record, transactions: registrar.store.opsOf(started.importId).length }, null, 2) + "\n");
    if (outcome.status === "done") {
      if (!parsed.values.json) streams.out(`${language === "ru" ? "импорт выполнен" : "import done"}: ${started.importId}\n`);
      return 0;
    }
    if (outcome.status === "stopped") {
      say(language === "ru" ? "импорт остановлен; запустите его снова, чтобы завершить" : "the import stopped; run it again to finish it");
      return 4;
    }
    say(`register: ${outcome.error?.code}: ${outcome.error?.message}`);
    return 1;
  } catch (err) {
    if (err instanceof RegisterFileError) {
      for (const p of err.problems) say(`${file}: ${describeProblem(p, language)}`);
      say(language === "ru" ? "ничего не применено" : "nothing was applied");
      return 3;
    }
    if (err instanceof AppError) {
      say(`register: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await registrar.close();
  }
}
