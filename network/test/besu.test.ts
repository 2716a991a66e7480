/**
 * The production files of a Besu QBFT network. Besu cannot run here, so these tests check the files'
 * structure: the genesis extraData decodes to the validators derived from their keys, every option
 * name is one Besu documents (besu-options.ts), and the allowlists, static peers and units agree.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Wallet, getAddress } from "ethers";
import { generateBesuNetwork, unitName, type BesuNetwork } from "../besu/generate.js";
import { decodeQbftExtraData, qbftExtraData } from "../besu/qbft-extra-data.js";
import { NetworkError } from "../errors.js";
import { enodeId } from "../keys.js";
import { BESU_CLI_OPTIONS, BESU_EXTRA_DATA_EXAMPLE, BESU_PERMISSIONS_KEYS, BESU_QBFT_GENESIS_KEYS } from "./besu-options.js";

/** The keys of a flat TOML file (Besu ignores table headings), with their raw values. */
function tomlEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z0-9-]+)\s*=\s*(.+)$/.exec(line);
    assert.ok(m, `not a TOML key = value line: ${line}`);
    assert.ok(!entries.has(m[1]), `key ${m[1]} given twice`);
    entries.set(m[1], m[2]);
  }
  return entries;
}

const json = (file: string) => JSON.parse(readFileSync(file, "utf8"));

describe("Besu QBFT network files", () => {
  let dir: string;
  let network: BesuNetwork;
  const accounts = ["0x00000000000000000000000000000000000000a1", "0x00000000000000000000000000000000000000a2"];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "dh-besu-"));
    network = await generateBesuNetwork(path.join(dir, "net"), { validators: 4, observers: 2, chainId: 4242, accounts });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("qbftExtraData", () => {
    it("reproduces the extraData that Besu's own encoder printed for the documentation's four validators", () => {
      assert.equal(qbftExtraData(BESU_EXTRA_DATA_EXAMPLE.validators), BESU_EXTRA_DATA_EXAMPLE.extraData);
    });

    it("decodes to the vanity, the validators in order, no vote, round 0 and no seal", () => {
      const decoded = decodeQbftExtraData(BESU_EXTRA_DATA_EXAMPLE.extraData);
      assert.equal(decoded.vanity, "0x" + "00".repeat(32));
      assert.deepEqual(decoded.validators, BESU_EXTRA_DATA_EXAMPLE.validators.map((v) => getAddress(v)));
      assert.deepEqual(decoded.votes, []);
      assert.equal(decoded.round, 0);
      assert.deepEqual(decoded.seals, []);
    });

    it("refuses data that is not a QBFT extraData", () => {
      assert.throws(() => decodeQbftExtraData("0x" + "00".repeat(97)), /RLP|QBFT/);
      assert.throws(() => decodeQbftExtraData("0xc480c0c0c0"), /5 items|vanity/);
    });
  });

  it("writes the genesis extraData with the validators derived from their node keys, ascending", () => {
    const genesis = json(path.join(dir, "net", "genesis.json"));
    const fromKeys = network.validators.map((v) => new Wallet(readFileSync(path.join(dir, "net", v.name, "key"), "utf8").trim()).address);
    assert.deepEqual(fromKeys, network.validators.map((v) => v.address));
    const sorted = [...fromKeys].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    assert.deepEqual(decodeQbftExtraData(genesis.extraData).validators, sorted);
    assert.equal(network.observers.length, 2);
    for (const o of network.observers) assert.ok(!sorted.includes(o.address), `${o.name} must not be a validator`);
  });

  it("writes a free-gas London genesis with QBFT properties Besu documents and nothing later than London", () => {
    const genesis = json(path.join(dir, "net", "genesis.json"));
    assert.equal(genesis.config.chainId, 4242);
    assert.equal(genesis.config.londonBlock, 0);
    assert.equal(genesis.config.zeroBaseFee, true);
    for (const later of ["shanghaiTime", "cancunTime", "pragueTime"]) assert.equal(genesis.config[later], undefined, later);
    for (const key of Object.keys(genesis.config.qbft)) assert.ok(BESU_QBFT_GENESIS_KEYS.has(key), `config.qbft.${key} is not a documented QBFT property`);
    assert.equal(genesis.config.qbft.blockperiodseconds, 1);
    assert.equal(genesis.difficulty, "0x1");
    assert.equal(genesis.mixHash, "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365");
    assert.equal(BigInt(genesis.gasLimit), 30_000_000n);
    assert.deepEqual(Object.keys(genesis.alloc).map((a) => getAddress(a)), accounts.map((a) => getAddress(a)));
  });

  it("uses only option names from Besu's CLI reference in every config.toml", () => {
    const nodes = [...network.validators, ...network.observers];
    for (const node of nodes) {
      const entries = tomlEntries(readFileSync(path.join(dir, "net", node.name, "config.toml"), "utf8"));
      for (const key of entries.keys()) assert.ok(BESU_CLI_OPTIONS.has(key), `${node.name}/config.toml: '${key}' is not a Besu option`);
      assert.equal(entries.get("min-gas-price"), "0");
      assert.equal(entries.get("permissions-nodes-config-file-enabled"), "true");
      assert.equal(entries.get("permissions-accounts-config-file-enabled"), "true");
      assert.equal(entries.get("discovery-enabled"), "false");
      assert.equal(entries.get("p2p-port"), String(node.p2pPort));
    }
  });

  it("serves a validator's JSON-RPC on its own host only, and an observer's to the public without QBFT or ADMIN", () => {
    const v = tomlEntries(readFileSync(path.join(dir, "net", "validator-1", "config.toml"), "utf8"));
    assert.equal(v.get("rpc-http-host"), '"127.0.0.1"');
    assert.match(v.get("rpc-http-api")!, /"QBFT"/);
    const o = tomlEntries(readFileSync(path.join(dir, "net", "observer-1", "config.toml"), "utf8"));
    assert.equal(o.get("rpc-http-host"), '"0.0.0.0"');
    assert.equal(o.get("rpc-http-api"), '["ETH", "NET", "WEB3"]');
  });

  it("allows exactly the network's nodes and the given accounts, and lists every node as a static peer", () => {
    const nodes = [...network.validators, ...network.observers];
    const statics: string[] = json(path.join(dir, "net", "static-nodes.json"));
    assert.deepEqual(statics, nodes.map((n) => n.enode));
    for (const node of nodes) {
      const key = readFileSync(path.join(dir, "net", node.name, "key"), "utf8").trim();
      assert.equal(node.enode, `enode://${enodeId(key)}@127.0.0.1:${node.p2pPort}`);
      const entries = tomlEntries(readFileSync(path.join(dir, "net", node.name, "permissions_config.toml"), "utf8"));
      for (const k of entries.keys()) assert.ok(BESU_PERMISSIONS_KEYS.has(k), `permissions_config.toml: '${k}' is not a documented key`);
      assert.deepEqual(JSON.parse(entries.get("nodes-allowlist")!), statics);
      assert.deepEqual(JSON.parse(entries.get("accounts-allowlist")!), accounts.map((a) => getAddress(a)));
    }
  });

  it("writes a systemd unit per node that starts Besu with that node's config", () => {
    for (const node of [...network.validators, ...network.observers]) {
      const unit = readFileSync(path.join(dir, "net", node.name, unitName(node)), "utf8");
      assert.match(unit, new RegExp(`^ExecStart=\\S+/besu --config-file=\\S+/${node.name}/config\\.toml$`, "m"));
      assert.match(unit, /^Restart=on-failure$/m);
      assert.match(unit, /^WantedBy=multi-user\.target$/m);
    }
  });

  it("generates deployer and sender accounts, kept private, when none are given", async () => {
    const out = path.join(dir, "generated");
    await generateBesuNetwork(out, {});
    const generated = json(path.join(out, "accounts.json"));
    const allow = tomlEntries(readFileSync(path.join(out, "validator-1", "permissions_config.toml"), "utf8"));
    assert.deepEqual(JSON.parse(allow.get("accounts-allowlist")!), [generated.deployer.address, ...generated.senders.map((s: { address: string }) => s.address)]);
    assert.equal(readdirSync(out).includes("accounts.json"), true);
    const { statSync } = await import("node:fs");
    assert.equal(statSync(path.join(out, "accounts.json")).mode & 0o077, 0, "accounts.json must be readable by its owner only");
    assert.equal(statSync(path.join(out, "validator-1", "key")).mode & 0o077, 0, "a node key must be readable by its owner only");
  });

  it("puts each node on its own address when hosts are given", async () => {
    const hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"];
    const out = await generateBesuNetwork(path.join(dir, "hosts"), { hosts, accounts });
    assert.deepEqual([...out.validators, ...out.observers].map((n) => n.enode.split("@")[1]), hosts.map((h) => `${h}:30303`));
  });

  describe("rejects bad arguments before writing anything", () => {
    const cases: Array<[string, Parameters<typeof generateBesuNetwork>[1], RegExp]> = [
      ["fewer than 4 validators", { validators: 3 }, /validators: got '3', expected a whole number 4–64/],
      ["a host list of the wrong length", { hosts: ["10.0.0.1"] }, /hosts: got 1, expected one IPv4 address per node/],
      ["a host that is not an IPv4 address", { hosts: ["a", "b", "c", "d", "e"] }, /'a' is not an IPv4 address/],
      ["two nodes on one address", { hosts: ["10.0.0.1", "10.0.0.1", "10.0.0.3", "10.0.0.4", "10.0.0.5"] }, /each node needs its own address/],
    ];
    for (const [what, options, message] of cases) {
      it(what, async () => {
        const out = path.join(dir, `bad-${what.replace(/\W+/g, "-")}`);
        await assert.rejects(generateBesuNetwork(out, options), (err: unknown) => err instanceof NetworkError && err.code === "BAD_ARGUMENT" && message.test(err.message));
        assert.throws(() => readdirSync(out), /ENOENT/);
      });
    }

    it("a folder that is not empty", async () => {
      const out = path.join(dir, "busy");
      await generateBesuNetwork(out, { accounts });
      writeFileSync(path.join(out, "marker"), "");
      await assert.rejects(generateBesuNetwork(out, { accounts }), /is not empty/);
    });
  });
});
