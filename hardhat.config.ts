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

const compiler = {
  version: solcVersion,
  path: solcPath,
  settings: {
    evmVersion: "paris",
    optimizer: { enabled: true, runs: 10_000 },
    viaIR: true,
  },
};

// The gas benchmark's reference Governor is never deployed; OpenZeppelin's Governor needs `mcopy`, so
// it alone is compiled for cancun (the in-process network runs cancun and executes both).
const profile = {
  compilers: [compiler],
  overrides: {
    "contracts/reference/ReferenceGovernor.sol": { ...compiler, settings: { ...compiler.settings, evmVersion: "cancun" } },
  },
};

const config: HardhatUserConfig = {
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    // the same compiler and settings for tests and for deployment
    profiles: { default: profile, production: profile },
  },
  networks: {
    hardhatMainnet: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "cancun",
      blockGasLimit: 60_000_000n,
    },
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
