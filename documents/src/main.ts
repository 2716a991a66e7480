/**
 * The document store as a process, with its own configuration (see documents/.env.example):
 *   npm run documents                             serves the HTTP API until SIGTERM / SIGINT
 *   npm run documents -- import-texts <file>      stores a JSON array of agenda texts, then exits
 * The import writes into the same DOCUMENTS_DIR directly, so it works whether or not the server runs.
 * Exit codes: 0 done, 1 a failed start or a file that cannot be imported (nothing is), 2 a bad
 * configuration or command line.
 */
import { AppError } from "#lib/errors.js";
import { createLogger } from "#lib/log.js";
import { configOrExit, runServices } from "#lib/process.js";
import { loadConfig } from "./config.js";
import { importTexts, readTexts } from "./import-texts.js";
import { openStore, startDocuments } from "./service.js";

const USAGE = `usage:
  npm run documents                          serve the document store's HTTP API
  npm run documents -- import-texts <file>   store a JSON array of agenda texts (e.g. agenda-texts.json)`;

const [command, ...args] = process.argv.slice(2);

if (command === "--help" || command === "-h") {
  console.log(USAGE);
} else if (command === undefined || command === "serve") {
  if (args.length > 0) {
    console.error(`documents: unexpected arguments: ${args.join(" ")}\n${USAGE}`);
    process.exit(2);
  }
  const config = configOrExit(() => loadConfig(process.env), "documents");
  const log = createLogger(config.logLevel, { service: "documents" });
  await runServices(log, [
    async () => {
      const documents = await startDocuments(config, { logger: log });
      return { ready: { documentsUrl: documents.url }, stop: documents.stop };
    },
  ]);
} else if (command === "import-texts") {
  if (args.length !== 1) {
    console.error(`documents: import-texts takes one file\n${USAGE}`);
    process.exit(2);
  }
  const config = configOrExit(() => loadConfig(process.env), "documents");
  const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, { service: "documents" });
  let texts: string[];
  try {
    texts = await readTexts(args[0]!, config.maxBytes);
  } catch (err) {
    console.error(`documents: ${err instanceof AppError ? err.message : String(err)}`);
    process.exit(1);
  }
  const store = openStore(config, log);
  try {
    const report = await importTexts(store, texts);
    for (const t of report.texts) {
      const text = texts[t.index]!.replace(/\s+/g, " ");
      console.log(`${t.id}  ${t.created ? "stored " : "present"}  ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`);
    }
    console.log(`${report.texts.length} texts: ${report.created} stored, ${report.existing} already in the store (${config.dir})`);
  } catch (err) {
    console.error(`documents: import failed: ${err instanceof AppError ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await store.drain();
    store.close();
  }
} else {
  console.error(`documents: unknown command '${command}'\n${USAGE}`);
  process.exit(2);
}
