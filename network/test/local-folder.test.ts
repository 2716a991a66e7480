/**
 * The folder `npm start -- --network local` keeps its state and secrets in (dev/local-state.ts),
 * without nodes: secrets made once and kept, a secret a later version adds made on the next start
 * without touching the others, and a state or secrets file it did not write refused with how to
 * start over.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { LocalFolder, newSecrets } from "../../dev/local-state.js";

const root = mkdtempSync(path.join(tmpdir(), "dh-local-folder-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folderDir = () => path.join(root, `folder-${++n}`);

describe("the local network's folder", () => {
  it("makes the secrets on the first start, owner-only, and gives the same ones on every later start", async () => {
    const dir = folderDir();
    const first = await (await LocalFolder.open(dir)).secrets();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dir, "secrets.json")).mode & 0o777, 0o600);
    assert.deepEqual(Object.keys(first).sort(), Object.keys(newSecrets()).sort());
    const again = await (await LocalFolder.open(dir)).secrets();
    assert.deepEqual(again, first);
  });

  it("makes a secret that the file lacks (added in a later version) and keeps every other as it was", async () => {
    const dir = folderDir();
    const first = await (await LocalFolder.open(dir)).secrets();
    const { metricsToken, ...older } = first;
    writeFileSync(path.join(dir, "secrets.json"), JSON.stringify(older), { mode: 0o600 });
    const now = await (await LocalFolder.open(dir)).secrets();
    assert.match(now.metricsToken, /^[0-9a-f]{48}$/);
    assert.notEqual(now.metricsToken, metricsToken, "made afresh");
    assert.deepEqual({ ...now, metricsToken: undefined }, { ...first, metricsToken: undefined }, "the others unchanged");
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8")), now, "and kept from then on");
  });

  it("refuses secrets in a form it does not write, or that it does not know, and changes nothing", async () => {
    for (const change of [{ registrarToken: "not-hex" }, { keeperKey: "0x1234" }, { somethingElse: "a".repeat(48) }]) {
      const dir = folderDir();
      const first = await (await LocalFolder.open(dir)).secrets();
      const text = JSON.stringify({ ...first, ...change });
      writeFileSync(path.join(dir, "secrets.json"), text, { mode: 0o600 });
      await assert.rejects((await LocalFolder.open(dir)).secrets(), (err: Error & { code?: string }) => {
        assert.equal(err.code, "local_state_invalid");
        assert.match(err.message, new RegExp(`${Object.keys(change)[0]}`));
        assert.match(err.message, /remove .* to start over/);
        return true;
      });
      assert.equal(readFileSync(path.join(dir, "secrets.json"), "utf8"), text, "the file is left as it was");
    }
  });

  it("refuses a state another version wrote (the old core's deployment record), naming what is missing and how to start over", async () => {
    const dir = folderDir();
    await LocalFolder.open(dir);
    const oldRecord = {
      network: "local",
      chainId: 31338,
      startBlock: 5,
      contracts: {
        BuildingRegistry: { address: "0x" + "11".repeat(20), deploymentBlock: 5, transactionHash: "0x" + "aa".repeat(32) },
        MeetingHall: { address: "0x" + "22".repeat(20), deploymentBlock: 6, transactionHash: "0x" + "bb".repeat(32) },
      },
      parameters: { minNotice: 10, minWindow: 60, maxWindow: 5184000 },
      admin: "0x" + "33".repeat(20),
      registrar: "0x" + "33".repeat(20),
      deployedAt: "2026-12-01T00:00:00.000Z",
    };
    writeFileSync(path.join(dir, "state.json"), JSON.stringify({ format: 1, networkCreated: true, deployment: oldRecord }));
    await assert.rejects(LocalFolder.open(dir), (err: Error & { code?: string }) => {
      assert.equal(err.code, "local_state_invalid");
      assert.match(err.message, /contracts\.LegalRules/);
      assert.match(err.message, /another version/);
      assert.match(err.message, new RegExp(`remove ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} to start over`));
      return true;
    });
  });
});
