/**
 * Reading the project's TypeScript sources for tests of the layout and of errors: which files are
 * production code, what each imports at run time, which error classes it declares, which error
 * codes it throws, and where it constructs a bare Error. Parsed with the TypeScript compiler, so
 * comments and strings never count.
 */
import { REJECT_CODES } from "../../domain.js";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { PROJECT_ROOT } from "../../deployment.js";

/** Folders of production code (entry points, services, the library, dev fixtures and build scripts). */
export const PRODUCTION_DIRS = [
  "lib",
  "dev",
  "scripts",
  "relayer/src",
  "custody/src",
  "notifier/src",
  "documents/src",
  "registrar/src",
  "query-node/src",
  "audit/src",
  "web/src",
  "subgraph/scripts",
] as const;

/** The `.ts` files under `dir` (relative to the project), tests and declaration files left out. */
export function sourceFiles(dir: string): string[] {
  return (readdirSync(path.join(PROJECT_ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.split(path.sep).includes("test"))
    .map((f) => path.join(dir, f))
    .sort();
}

export function productionFiles(): string[] {
  return PRODUCTION_DIRS.flatMap((d) => sourceFiles(d));
}

const parsed = new Map<string, ts.SourceFile>();

export function parse(file: string): ts.SourceFile {
  let source = parsed.get(file);
  if (!source) {
    source = ts.createSourceFile(file, readFileSync(path.join(PROJECT_ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
    parsed.set(file, source);
  }
  return source;
}

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

export function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

export interface Import {
  specifier: string;
  /** The project file it names (relative to the project), or undefined for a package. */
  file?: string;
  /** Erased at compile time: `import type`, or only type specifiers. */
  typeOnly: boolean;
  line: number;
}

/** Resolves `./x.js`, `../x.js` and `#lib/x.js` to the project's `.ts` file; packages and `#typechain` stay unresolved. */
export function resolveImport(from: string, specifier: string): string | undefined {
  let target: string;
  if (specifier.startsWith(".")) target = path.join(path.dirname(from), specifier);
  else if (specifier.startsWith("#lib/")) target = path.join("lib", specifier.slice("#lib/".length));
  else return undefined;
  return target.replace(/\.js$/, ".ts");
}

/** Static imports and re-exports of a file, and dynamic `import("…")` of a literal. */
export function importsOf(file: string): Import[] {
  const source = parse(file);
  const out: Import[] = [];
  const add = (literal: ts.Expression | undefined, typeOnly: boolean, node: ts.Node) => {
    if (!literal || !ts.isStringLiteral(literal)) return;
    out.push({ specifier: literal.text, file: resolveImport(file, literal.text), typeOnly, line: lineOf(source, node) });
  };
  walk(source, (node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly, node);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly, node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false, node);
    }
  });
  return out;
}

/**
 * The files reachable from `entry` through imports that stay inside `within` (a folder). Type-only
 * imports count: an HTTP adapter is handed the core's objects (intake, the keystore, …) whose types it imports.
 */
export function reachableWithin(entry: string, within: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of importsOf(file)) {
      if (i.file && i.file.startsWith(within + path.sep)) visit(i.file);
    }
  };
  visit(entry);
  return [...seen].sort();
}

export interface ClassDecl {
  file: string;
  name: string;
  extends?: string;
  exported: boolean;
  line: number;
}

export function classesOf(file: string): ClassDecl[] {
  const source = parse(file);
  const out: ClassDecl[] = [];
  walk(source, (node) => {
    if (!ts.isClassDeclaration(node) || !node.name) return;
    const heritage = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
    out.push({
      file,
      name: node.name.text,
      extends: heritage?.types[0]?.expression.getText(source),
      exported: !!node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword),
      line: lineOf(source, node),
    });
  });
  return out;
}

/** JavaScript's own error constructors: the project throws none of them itself. */
export const BUILTIN_ERRORS = new Set(["Error", "RangeError", "TypeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError"]);

/** Every `new Error(…)`, `new RangeError(…)`, … and `Error(…)` called without `new`. */
export function builtinErrorsConstructed(file: string): Array<{ name: string; line: number }> {
  const source = parse(file);
  const out: Array<{ name: string; line: number }> = [];
  walk(source, (node) => {
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && BUILTIN_ERRORS.has(node.expression.text)) {
      out.push({ name: node.expression.text, line: lineOf(source, node) });
    }
  });
  return out;
}

/** The string literals an expression may evaluate to (through `a ? "x" : "y"` and parentheses). */
function literals(expr: ts.Expression | undefined): string[] {
  if (!expr) return [];
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text];
  if (ts.isParenthesizedExpression(expr)) return literals(expr.expression);
  if (ts.isConditionalExpression(expr)) return [...literals(expr.whenTrue), ...literals(expr.whenFalse)];
  // a reject reason's public code from the domain module: `REJECT_CODES.NotOpen`
  if (ts.isPropertyAccessExpression(expr) && ts.isIdentifier(expr.expression) && expr.expression.text === "REJECT_CODES") {
    const code = (REJECT_CODES as Record<string, string>)[expr.name.text];
    return code === undefined ? [] : [code];
  }
  return [];
}

/** Constructors and helpers whose first argument is an error code. */
export const CODE_FIRST = new Set(["AppError", "RpcError", "AuditError", "DeliveryError", "fail"]);

export interface ThrownCode {
  file: string;
  code: string;
  /** What gives it: `AppError`, a subclass, `fail`, or `super` in a subclass. */
  via: string;
  line: number;
}

/**
 * The error codes a file gives: the first argument of `new AppError(…)`, of the subclasses that take
 * a code first and of intake's `fail(…)`, and of `super(…)` in a class extending AppError or AuditError.
 */
export function codesOf(file: string): ThrownCode[] {
  const source = parse(file);
  const out: ThrownCode[] = [];
  const add = (expr: ts.Expression | undefined, via: string, node: ts.Node) => {
    for (const code of literals(expr)) out.push({ file, code, via, line: lineOf(source, node) });
  };
  walk(source, (node) => {
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && CODE_FIRST.has(node.expression.text)) {
      add(node.arguments?.[0], node.expression.text, node);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword) {
      const cls = ancestorClass(node);
      const base = cls?.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression.getText(source);
      if (base === "AppError" || base === "AuditError") add(node.arguments[0], "super", node);
    }
  });
  return out;
}

function ancestorClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) if (ts.isClassLike(n)) return n;
  return undefined;
}

/**
 * The codes an HTTP adapter may have to answer: those given by `new AppError(…)` or intake's
 * `fail(…)` in the files it reaches inside its service's folder. Subclasses carry their own meaning
 * (ConfigError at start-up, DeliveryError in the notifier's outbox, RpcError wrapped by the core as
 * `chain_unavailable`) and are not answers to requests; the toolkit's own codes are in the base table.
 */
export function adapterCodes(adapter: string, within: string): ThrownCode[] {
  return reachableWithin(adapter, within)
    .flatMap((f) => codesOf(f))
    .filter((c) => c.via === "AppError" || c.via === "fail");
}

/** The adapter's codes that have no status in `table`, as "file:line code". */
export function codesWithoutStatus(adapter: string, within: string, table: Readonly<Record<string, number>>): string[] {
  return adapterCodes(adapter, within)
    .filter((c) => !Object.hasOwn(table, c.code))
    .map((c) => `${c.file}:${c.line} ${c.code}`);
}
