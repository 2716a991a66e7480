import { createRequire } from "node:module";
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";

// The compiler comes from the pinned `solc` npm package, so that building needs no download.
// Hardhat does not check that `version` matches the file at `path`: read it from the package.
const require = createRequire(import.meta.url);
const solcPackage = require.resolve("solc/package.json");
const solcVersion: string = require("solc/package.json").version;
const solcPath = path.join(path.dirname(solcPackage), "soljson.js");

// Networks beyond the embedded one come from the environment: DH_RPC_URL and DH_DEPLOYER_KEY
// (a permissioned Besu/QBFT network, say), named by DH_NETWORK_NAME (default "custom").
const rpcUrl = process.env.DH_RPC_URL;
const deployerKey = process.env.DH_DEPLOYER_KEY;
const customName = process.env.DH_NETWORK_NAME ?? "custom";

// One bytecode everywhere: geth's Clique refuses the Shanghai and Cancun forks, so the local network's
// EVM is London-level (Paris without the beacon chain), and Besu runs the same code. Compiling for
// `paris` keeps PUSH0, MCOPY and transient storage out of the bytecode; the voting core needs none of
// them (MeetingHall asks ERC-1271 wallets itself, since OpenZeppelin's SignatureChecker pulls in MCOPY).
const EVM_VERSION = "paris";
// The simulated network at the matching hardfork (Hardhat's name for Paris is "merge"), with the
// geth network's block gas limit, so the simulator, the local network and Besu run alike.
const SIMULATED_HARDFORK = "merge";
const BLOCK_GAS_LIMIT = 30_000_000n;

const compiler = {
  version: solcVersion,
  path: solcPath,
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 10_000 },
    viaIR: true,
  },
};

// The benchmarks' yardstick, OpenZeppelin's Governor, cannot be compiled for `paris`: since 5.4 its
// SignatureChecker imports Bytes, which uses `mcopy`. It alone is compiled for `cancun`; it is never
// deployed to a network, and the gas benchmark measures it on a simulator at that hardfork.
const REFERENCE_EVM_VERSION = "cancun";
const profile = {
  compilers: [compiler],
  overrides: {
    "contracts/reference/ReferenceGovernor.sol": { ...compiler, settings: { ...compiler.settings, evmVersion: REFERENCE_EVM_VERSION } },
  },
};

const simulated = {
  type: "edr-simulated",
  chainType: "l1",
  hardfork: SIMULATED_HARDFORK,
  blockGasLimit: BLOCK_GAS_LIMIT,
} as const;

const config: HardhatUserConfig = {
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    // the same compiler and settings for tests and for deployment
    profiles: { default: profile, production: profile },
  },
  networks: {
    // the in-process network of tests, benchmarks and scripts (`network.create()`)
    default: simulated,
    // the network that scripts/chain.ts serves over JSON-RPC
    hardhatMainnet: simulated,
    // The embedded chain of `npm start`: a JSON-RPC node on 127.0.0.1 started by scripts/chain.ts.
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.DH_LOCAL_RPC_URL ?? "http://127.0.0.1:8545",
    },
    ...(rpcUrl
      ? {
          [customName]: {
            type: "http" as const,
            chainType: "l1" as const,
            url: rpcUrl,
            accounts: deployerKey ? [deployerKey] : [],
          },
        }
      : {}),
  },
  paths: {
    tests: {
      mocha: "test",
      solidity: "contracts",
    },
  },
  typechain: {
    outDir: "types/ethers-contracts",
  },
};

export default config;
