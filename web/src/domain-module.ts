/**
 * The web page's copy of lib/domain.ts: the same module compiled to plain JavaScript by the TypeScript
 * compiler and written to web/public/lib/domain.js (git-ignored), which the page imports as
 * `./lib/domain.js`. `npm start` and `npm test` build it (`npm run build:web`); web/test checks that
 * the copy on disk is the compilation of the source as it stands.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";

export const DOMAIN_SOURCE = path.join(PROJECT_ROOT, "lib", "domain.ts");
export const DOMAIN_MODULE = path.join(PROJECT_ROOT, "web", "public", "lib", "domain.js");
const HEADER = "// Compiled from lib/domain.ts by `npm run build:web`: edit the source, not this file.\n";

export class DomainModuleError extends AppError {
  constructor(message: string) {
    super("domain_module_invalid", message);
    this.name = "DomainModuleError";
  }
}

/**
 * Compiles the domain module for the browser (ES2022 module, types erased). The page loads it alone,
 * so a source that imports anything at run time is refused, as is one the compiler cannot parse.
 */
export function compileDomainModule(source: string, fileName = "lib/domain.ts"): string {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const imports = sf.statements.filter(
    (s) => (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly) || (ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined && !s.isTypeOnly),
  );
  if (imports.length > 0) {
    const line = sf.getLineAndCharacterOfPosition(imports[0]!.getStart()).line + 1;
    throw new DomainModuleError(`${fileName}:${line}: the page loads the domain module alone, so it may import nothing`);
  }
  const { outputText, diagnostics } = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, removeComments: false },
  });
  if (diagnostics?.length) {
    const d = diagnostics[0]!;
    throw new DomainModuleError(`${fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
  return HEADER + outputText;
}

/** Compiles lib/domain.ts and writes web/public/lib/domain.js; returns what it wrote. */
export async function writeDomainModule(): Promise<string> {
  const compiled = compileDomainModule(await readFile(DOMAIN_SOURCE, "utf8"));
  await mkdir(path.dirname(DOMAIN_MODULE), { recursive: true });
  await writeFile(DOMAIN_MODULE, compiled);
  return compiled;
}
