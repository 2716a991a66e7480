/**
 * One error base: every error class of the production code extends AppError, no production file
 * constructs a bare Error / RangeError / TypeError, and every code given is a stable snake_case word.
 * The sources are walked, so a class or a throw added later is caught by this test.
 */
import { expect } from "chai";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../deployment.js";
import { AppError, ConfigError, ERROR_CODE } from "../errors.js";
import { BUILTIN_ERRORS, builtinErrorsConstructed, classesOf, codesOf, productionFiles, type ClassDecl } from "./helpers/source.js";

const files = productionFiles();
const classes = files.flatMap((f) => classesOf(f));
const byName = new Map(classes.map((c) => [c.name, c]));

/** A class whose chain of `extends` (through the project's classes) reaches one of JavaScript's errors or AppError. */
function isErrorClass(c: ClassDecl, depth = 0): boolean {
  if (!c.extends || depth > 10) return false;
  if (BUILTIN_ERRORS.has(c.extends) || c.extends === "AppError") return true;
  const parent = byName.get(c.extends);
  return parent !== undefined && isErrorClass(parent, depth + 1);
}

const errorClasses = classes.filter((c) => isErrorClass(c));

describe("one error base", function () {
  describe("AppError", function () {
    it("carries a code, a message, details, a cause and whether to retry, and knows no HTTP status", function () {
      const cause = new AppError("rpc_timeout", "no answer");
      const err = new AppError("chain_unavailable", "the node cannot be reached", { details: { url: "http://127.0.0.1:8545" }, cause, retryable: true });
      expect(err).to.be.instanceOf(Error);
      expect(err.name).to.equal("AppError");
      expect(err.code).to.equal("chain_unavailable");
      expect(err.message).to.equal("the node cannot be reached");
      expect(err.details).to.deep.equal({ url: "http://127.0.0.1:8545" });
      expect(err.cause).to.equal(cause);
      expect(err.retryable).to.equal(true);
      expect(new AppError("forbidden", "no").retryable).to.equal(false);
      expect(Object.keys(err)).to.not.include("status");
    });

    it("names a subclass by its class", function () {
      const err = new ConfigError(["RPC_URL: missing", "LOG_LEVEL: got 'loud'"]);
      expect(err).to.be.instanceOf(AppError);
      expect(err.name).to.equal("ConfigError");
      expect(err.code).to.equal("invalid_config");
      expect(err.problems).to.deep.equal(["RPC_URL: missing", "LOG_LEVEL: got 'loud'"]);
      expect(err.message).to.equal("RPC_URL: missing\nLOG_LEVEL: got 'loud'");
    });
  });

  describe("the production code", function () {
    it("finds the error classes it is meant to check", function () {
      const names = errorClasses.map((c) => c.name);
      for (const expected of ["AppError", "ConfigError", "RpcError", "AuditError", "UsageError", "NotFoundError", "UnreachableError", "MappingError", "QueryError", "ResultTooLarge", "HandlerError"]) {
        expect(names, `error classes found: ${names.join(", ")}`).to.include(expected);
      }
    });

    it("declares every error class as AppError or a subclass of it, exported", async function () {
      const wrong: string[] = [];
      for (const c of errorClasses) {
        const where = `${c.file}:${c.line} ${c.name}`;
        if (c.file.startsWith(`scripts${path.sep}`)) {
          wrong.push(`${where}: scripts/ holds entry points only`);
          continue;
        }
        if (!c.exported) {
          wrong.push(`${where}: not exported, so it cannot be checked`);
          continue;
        }
        const module = (await import(pathToFileURL(path.join(PROJECT_ROOT, c.file)).href)) as Record<string, unknown>;
        const cls = module[c.name] as { prototype: unknown } | undefined;
        if (typeof cls !== "function") wrong.push(`${where}: not exported under its name`);
        else if (cls !== AppError && !(cls.prototype instanceof AppError)) wrong.push(`${where}: extends ${c.extends}, not AppError`);
      }
      expect(wrong, wrong.join("\n")).to.deep.equal([]);
    });

    it("constructs no bare Error, RangeError or TypeError", function () {
      const bare = files.flatMap((f) => builtinErrorsConstructed(f).map((b) => `${f}:${b.line} new ${b.name}(…)`));
      expect(bare, bare.join("\n")).to.deep.equal([]);
    });

    it("gives only stable snake_case codes", function () {
      const codes = files.flatMap((f) => codesOf(f));
      expect(codes.length).to.be.greaterThan(100);
      const bad = codes.filter((c) => !ERROR_CODE.test(c.code)).map((c) => `${c.file}:${c.line} '${c.code}'`);
      expect(bad, bad.join("\n")).to.deep.equal([]);
    });
  });
});
