/**
 * One bytecode everywhere: the contracts are compiled for `paris`, the EVM of geth's Clique network
 * (London-level) that Besu runs too, and the simulated network runs at the matching hardfork. No
 * opcode of a later fork (PUSH0, MCOPY, TLOAD/TSTORE, blob opcodes) may appear in a deployed contract.
 */
import { expect } from "chai";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import hre from "hardhat";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { deployBuilding, ethers } from "./fixtures.js";

/** Opcodes that forks after Paris introduced, which a London/Paris-level EVM does not know. */
const LATER_OPCODES: Record<number, string> = {
  0x1e: "CLZ (Osaka)",
  0x49: "BLOBHASH (Cancun)",
  0x4a: "BLOBBASEFEE (Cancun)",
  0x5c: "TLOAD (Cancun)",
  0x5d: "TSTORE (Cancun)",
  0x5e: "MCOPY (Cancun)",
  0x5f: "PUSH0 (Shanghai)",
};
/** The benchmark's OpenZeppelin Governor: compiled for cancun (hardhat.config.ts), never deployed to a network. */
const REFERENCE_ONLY = new Set(["contracts/reference/ReferenceGovernor.sol"]);

/** The code without the compiler's CBOR metadata, whose last two bytes give its length. */
function withoutMetadata(code: Uint8Array): Uint8Array {
  if (code.length < 2) return code;
  const length = (code[code.length - 2]! << 8) | code[code.length - 1]!;
  const start = code.length - 2 - length;
  return start >= 0 && code[start]! >= 0xa1 && code[start]! <= 0xa5 ? code.subarray(0, start) : code;
}

/** Every opcode of `hex` with its offset, stepping over the data of PUSH1..PUSH32. */
export function opcodes(hex: string): Array<{ offset: number; op: number }> {
  const code = withoutMetadata(ethers.getBytes(hex));
  const out: Array<{ offset: number; op: number }> = [];
  for (let i = 0; i < code.length; i++) {
    const op = code[i]!;
    out.push({ offset: i, op });
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
  }
  return out;
}

function laterOpcodes(hex: string): string[] {
  return opcodes(hex)
    .filter(({ op }) => LATER_OPCODES[op] !== undefined)
    .map(({ offset, op }) => `${LATER_OPCODES[op]} at ${offset}`);
}

async function artifacts(): Promise<Array<{ sourceName: string; contractName: string; deployedBytecode: string }>> {
  const root = path.join(PROJECT_ROOT, "artifacts", "contracts");
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith(".json") && !f.includes("build-info"));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(root, f), "utf8"))));
}

describe("bytecode for paris", function () {
  describe("opcodes", function () {
    it("steps over PUSH data and the metadata, so that data bytes are never read as opcodes", function () {
      // PUSH1 0x5f, PUSH2 0x5f5f, STOP, then 4 bytes of CBOR metadata (a map, 0xa1 …) and their length
      expect(opcodes("0x605f615f5f00a1615f5f0004").map((o) => o.op)).to.deep.equal([0x60, 0x61, 0x00]);
      expect(laterOpcodes("0x605f5f00")).to.deep.equal(["PUSH0 (Shanghai) at 2"]);
    });
  });

  it("compiles every build profile for paris, only the reference Governor for cancun", function () {
    for (const [name, profile] of Object.entries(hre.config.solidity.profiles)) {
      for (const compiler of profile.compilers) expect(compiler.settings.evmVersion, `profile ${name}`).to.equal("paris");
      expect(Object.keys(profile.overrides), `profile ${name} overrides`).to.deep.equal([...REFERENCE_ONLY]);
    }
  });

  it("runs the simulated networks at paris (Hardhat's 'merge') with the geth network's 30M block gas limit", function () {
    for (const name of ["default", "hardhatMainnet"]) {
      const config = hre.config.networks[name]!;
      expect(config.type, name).to.equal("edr-simulated");
      if (config.type !== "edr-simulated") continue;
      expect(config.hardfork, name).to.equal("merge");
      expect(config.blockGasLimit, name).to.equal(30_000_000n);
    }
  });

  it("has no opcode of a later fork in any compiled contract", async function () {
    const all = await artifacts();
    // Solidity tests (*.t.sol) run only in the test runner, and their code carries the creation code of
    // the contracts they deploy as data, metadata and all, which a walk would misread as opcodes
    const deployable = all.filter((a) => a.deployedBytecode.length > 2 && !REFERENCE_ONLY.has(a.sourceName) && !a.sourceName.endsWith(".t.sol"));
    expect(deployable.map((a) => a.contractName)).to.include.members(["BuildingRegistry", "MeetingHall", "LegalRules", "Forwarder", "OwnedWallet"]);
    for (const a of deployable) expect(laterOpcodes(a.deployedBytecode), `${a.sourceName}:${a.contractName}`).to.deep.equal([]);
  });

  it("has no opcode of a later fork in the code deployed on the chain", async function () {
    const { registry, hall, rules, forwarder } = await deployBuilding();
    for (const contract of [registry, hall, rules, forwarder]) {
      const code = await ethers.provider.getCode(await contract.getAddress());
      expect(opcodes(code).length, "opcodes walked").to.be.greaterThan(1000);
      expect(laterOpcodes(code), await contract.getAddress()).to.deep.equal([]);
    }
  });

  it("is refused PUSH0 by the simulated network, as a London-level EVM refuses it", async function () {
    // init code PUSH0 PUSH0 RETURN: deploys empty code on Shanghai and later, fails before
    const [sender] = await ethers.getSigners();
    let refusal = "";
    await sender.call({ data: "0x5f5ff3" }).catch((err: Error) => (refusal = err.message));
    expect(refusal, "PUSH0 executed").to.not.equal("");
    expect(await sender.call({ data: "0x60006000f3" })).to.equal("0x"); // the same with PUSH1 0
  });
});
