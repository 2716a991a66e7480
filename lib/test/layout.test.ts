/**
 * The layout: each service imports only from itself, from the shared library (as `#lib/…`), from the
 * contracts' TypeChain types and from packages; never another service's folder, nor the dev fixtures.
 * The library imports only itself. Services talk to each other over HTTP.
 */
import { expect } from "chai";
import path from "node:path";
import { importsOf, sourceFiles } from "./helpers/source.js";

const SERVICES = ["relayer/src", "custody/src", "notifier/src", "registrar/src", "documents/src", "query-node/src", "audit/src", "keeper/src", "web/src"];

/** Why an import of `file` (inside `home`) breaks the layout, or undefined when it does not. */
function breach(file: string, home: string, specifier: string, target: string | undefined): string | undefined {
  if (specifier.includes("scripts/lib")) return "names the old scripts/lib";
  if (specifier.startsWith("#typechain/")) return undefined;
  if (target === undefined) return specifier.startsWith(".") || specifier.startsWith("#") ? "cannot be resolved" : undefined;
  if (target.startsWith(home + path.sep)) return undefined;
  if (target.startsWith("lib" + path.sep)) return specifier.startsWith("#lib/") ? undefined : "reaches lib/ by a relative path instead of #lib/";
  return `reaches outside ${home}/ into ${target}`;
}

describe("layout", function () {
  for (const home of [...SERVICES, "lib"]) {
    it(`${home}/ imports only itself${home === "lib" ? "" : ", #lib and packages"}`, function () {
      const files = sourceFiles(home);
      expect(files.length).to.be.greaterThan(0);
      const wrong: string[] = [];
      for (const file of files) {
        for (const i of importsOf(file)) {
          const why = home === "lib" && i.specifier.startsWith("#lib/") ? "imports the library by #lib from inside it" : breach(file, home, i.specifier, i.file);
          if (why) wrong.push(`${file}:${i.line} '${i.specifier}' ${why}`);
        }
      }
      expect(wrong, wrong.join("\n")).to.deep.equal([]);
    });
  }
});
