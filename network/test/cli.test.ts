/**
 * `npm run network -- …` as an operator runs it: bad arguments are refused with a message naming
 * them and exit code 2 before anything is written; the Go toolchain check says what is missing; and
 * init, up, status, propose and down work on a small network and leave no process behind.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { NetworkError } from "../errors.js";
import { findGo } from "../geth-install.js";
import { isGethOf } from "../geth-process.js";
import { gethSkipReason } from "./helpers/geth.js";

function network(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", "network.ts"), ...args], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dh-cli-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run network: arguments", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'; expected one of install, init, up, down, status, propose/],
    ["no command", [], /usage: npm run network/],
    ["zero signers", ["init", "--signers", "0"], /--signers: got '0', expected a whole number 1–16/],
    ["signers that are not a number", ["init", "--signers", "four"], /--signers: got 'four', expected a whole number 1–16/],
    ["too many observers", ["init", "--observers", "17"], /--observers: got '17', expected a whole number 0–16/],
    ["a port below 1024", ["init", "--base-port", "80"], /--base-port: got '80', expected a whole number 1024–65535/],
    ["a funded address that is not one", ["init", "--fund", "0x1234"], /--fund: '0x1234' is not a 0x-prefixed 20-byte address/],
    ["an unknown client", ["init", "--client", "parity"], /--client: got 'parity', expected geth or besu/],
    ["a Besu option for geth", ["init", "--validators", "4"], /--validators is for a Besu network/],
    ["fewer than four Besu validators", ["init", "--client", "besu", "--validators", "3"], /--validators: got '3', expected a whole number 4–64/],
    ["an unknown option", ["up", "--nodes", "3"], /Unknown option '--nodes'/],
    ["a vote for a bad address", ["propose", "0xabc", "add"], /'0xabc' is not a 0x-prefixed 20-byte address/],
    ["a vote that is neither add nor remove", ["propose", "0x" + "11".repeat(20), "promote"], /got 'promote', expected add or remove/],
    ["a vote without its action", ["propose", "0x" + "11".repeat(20)], /expected <address> add\|remove/],
    ["a folder without a network", ["status", "--dir", "/nonexistent/dh-network"], /network\.json cannot be read \(run 'npm run network -- init' first\)/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what} with exit code 2`, async () => {
      const target = path.join(dir, `bad-${what.replace(/\W+/g, "-")}`);
      const withDir = args[0] === "init" ? [...args, "--dir", target] : args;
      const { code, stdout, stderr } = await network(...withDir);
      assert.equal(code, 2, stdout + stderr);
      assert.match(stdout + stderr, message);
      assert.equal(existsSync(target), false, "nothing was written");
    });
  }
});

describe("the Go toolchain check", () => {
  it("says that Go ≥ 1.23 is needed when there is none", async () => {
    await assert.rejects(findGo({ ...process.env, DH_GO: path.join(dir, "no-go-here") }), (err: unknown) => {
      assert.ok(err instanceof NetworkError && err.code === "GO_MISSING");
      assert.match(err.message, /needs Go ≥ 1\.23 to build geth 1\.13\.15: DH_GO=.*no-go-here does not run/);
      return true;
    });
  });

  it("refuses a Go older than 1.23, naming its version", async () => {
    const fake = path.join(dir, "go");
    writeFileSync(fake, "#!/bin/sh\necho go1.22.5\n");
    chmodSync(fake, 0o755);
    await assert.rejects(findGo({ ...process.env, DH_GO: fake }), /needs Go ≥ 1\.23 to build; .*go is go1\.22\.5/);
  });
});

const skip = await gethSkipReason();

describe("npm run network: a running network", { skip, timeout: 180_000 }, () => {
  let net: string;
  before(() => {
    net = path.join(dir, "net");
  });
  after(async () => {
    if (existsSync(path.join(net, "network.json"))) await network("down", "--dir", net);
  });

  it("inits, starts, reports, votes and stops a network of one signer and one observer", { timeout: 150_000 }, async () => {
    const init = await network("init", "--dir", net, "--signers", "1", "--observers", "1", "--senders", "2");
    assert.equal(init.code, 0, init.stdout + init.stderr);
    assert.match(init.stdout, /chain id 31338, 1 signers, 1 observers, one block every 1 s, gas limit 30000000/);
    const spec = JSON.parse(readFileSync(path.join(net, "network.json"), "utf8"));
    assert.equal(spec.funded.length, 3, "the deployer and two senders are funded");

    const again = await network("init", "--dir", net);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already holds a network/);

    const up = await network("up", "--dir", net);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /The local network is running \(chain id 31338, head #\d+\)/);
    assert.match(up.stdout, /signer-1 +http:\/\/127\.0\.0\.1:\d+ +signer 0x[0-9a-fA-F]{40} +\(eth,net,web3,clique,admin,txpool\)/);
    assert.match(up.stdout, /observer-1 +http:\/\/127\.0\.0\.1:\d+ +observer, public JSON-RPC \(eth,net,web3\)/);
    const pids = spec.nodes.map((n: { name: string }) => Number(readFileSync(path.join(net, n.name, "geth.pid"), "utf8")));
    for (const [i, pid] of pids.entries()) assert.ok(isGethOf(pid, path.join(net, spec.nodes[i].name)), "the node outlives the command");

    const observerUrl = /observer-1 +(http:\/\/\S+)/.exec(up.stdout)![1];
    const answer = await fetch(observerUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "admin_peers", params: [] }) });
    const body = (await answer.json()) as { error?: { message: string } };
    assert.match(body.error?.message ?? "", /does not exist|not available/, "the observer's public endpoint serves no admin API");

    const status = await network("status", "--dir", net);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /signer-1 +signer +#\d+ +0x[0-9a-f]{8}…[0-9a-f]{4} +peers 1 \(observer-1\) +signers 1 \(signer-1\)/);
    assert.match(status.stdout, /observer-1 +observer +#\d+ .* peers 1 \(signer-1\) +signers 1 \(signer-1\)/);

    const candidate = "0x" + "ab".repeat(20);
    const propose = await network("propose", candidate, "add", "--dir", net);
    assert.equal(propose.code, 0, propose.stdout + propose.stderr);
    assert.match(propose.stdout, /is now a signer; 2 signers/);

    const down = await network("down", "--dir", net);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /stopped signer-1, observer-1/);
    for (const [i, pid] of pids.entries()) assert.equal(isGethOf(pid, path.join(net, spec.nodes[i].name)), false, "no geth is left running");
    const status2 = await network("status", "--dir", net);
    assert.match(status2.stdout, /signer-1 +signer +stopped/);
  });
});
