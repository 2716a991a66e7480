/**
 * The page's modules call only what web/public/api.js defines: every `api.name` and `api.name.member`
 * in app.js and each screen (views/*.js) exists. Two screens written apart and merged can otherwise
 * leave a call to a name another renamed, which the browser reports only when the screen runs.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";

const PUBLIC = path.join(PROJECT_ROOT, "web/public");
// a browser module: what it defines is read without running any of its calls
const api = (await import(pathToFileURL(path.join(PUBLIC, "api.js")).href)) as Record<string, unknown>;

describe("the page's calls into api.js", () => {
  const files = ["app.js", ...readdirSync(path.join(PUBLIC, "views")).filter((f) => f.endsWith(".js")).map((f) => `views/${f}`)];

  it("finds the screens", () => {
    for (const view of ["views/me.js", "views/import.js", "views/protocol.js"]) assert.ok(files.includes(view), view);
  });

  it("calls nothing that api.js does not define", () => {
    const missing: string[] = [];
    let calls = 0;
    for (const file of files) {
      const source = readFileSync(path.join(PUBLIC, file), "utf8");
      for (const m of source.matchAll(/(?<![\w$./"'])api\.([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*))?/g)) {
        const [, name, member] = m as unknown as [string, string, string | undefined];
        if (name === "js") continue; // the file's name, in a comment
        calls += 1;
        const value = api[name];
        if (value === undefined) missing.push(`${file}: api.${name}`);
        else if (member !== undefined && typeof value === "object" && value !== null && !(member in value)) missing.push(`${file}: api.${name}.${member}`);
      }
    }
    assert.ok(calls > 30, `read ${calls} calls`);
    assert.deepEqual(missing, []);
  });
});
