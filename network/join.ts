/**
 * An observer of a network that someone else runs, made from what that network publishes: its
 * genesis file and the enode of one of its nodes. This is how an auditor follows the chain with a node
 * of their own: the node checks every block's seal and executes every transaction itself from the
 * genesis on, so a recount against it trusts none of the operator's servers.
 *
 * The folder looks like one the tool generated (network.json, genesis.json, observer-1/), with the
 * given enodes as external static peers, so `up`, `status` and `down` work on it unchanged.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { getAddress, isAddress } from "ethers";
import { signersOfExtraData } from "./clique-genesis.js";
import { NetworkError } from "./errors.js";
import { GETH_BINARY } from "./geth-install.js";
import { writeNodeKey } from "./keys.js";
import { LocalNetwork } from "./local-network.js";
import { freePorts } from "./ports.js";
import { LOCAL_ENODE, SPEC_FILE, writeSpec, type NetworkSpec } from "./spec.js";

export interface JoinOptions {
  /** The network's published genesis.json. */
  genesisFile: string;
  /** Enodes of the network's nodes to connect to (one is enough). */
  peers: string[];
  gethBinary?: string;
}

interface PublishedGenesis {
  chainId: number;
  period: number;
  gasLimit: number;
  signers: string[];
  funded: string[];
}

/** Reads the parts of a Clique genesis the folder describes; refuses a file that is not one. */
export async function readPublishedGenesis(file: string): Promise<PublishedGenesis> {
  let json: { config?: { chainId?: unknown; clique?: { period?: unknown } }; extraData?: unknown; gasLimit?: unknown; alloc?: Record<string, unknown> };
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new NetworkError("BAD_ARGUMENT", `--genesis: ${file} cannot be read as JSON: ${(err as Error).message}`, { cause: err });
  }
  const chainId = json.config?.chainId;
  const period = json.config?.clique?.period;
  if (!Number.isInteger(chainId) || (chainId as number) < 1) throw new NetworkError("BAD_ARGUMENT", `--genesis: ${file} has no whole config.chainId`);
  if (!Number.isInteger(period) || (period as number) < 1) throw new NetworkError("BAD_ARGUMENT", `--genesis: ${file} is not a Clique genesis (no config.clique.period)`);
  if (typeof json.extraData !== "string" || typeof json.gasLimit !== "string") throw new NetworkError("BAD_ARGUMENT", `--genesis: ${file} has no extraData or gasLimit`);
  let signers: string[];
  try {
    signers = signersOfExtraData(json.extraData);
  } catch (err) {
    throw new NetworkError("BAD_ARGUMENT", `--genesis: ${file}: the extraData names no Clique signers (${(err as Error).message})`, { cause: err });
  }
  if (signers.length === 0) throw new NetworkError("BAD_ARGUMENT", `--genesis: ${file}: the extraData names no Clique signers`);
  const funded = Object.keys(json.alloc ?? {}).map((a) => (a.startsWith("0x") ? a : `0x${a}`)).filter((a) => isAddress(a)).map((a) => getAddress(a));
  return { chainId: chainId as number, period: period as number, gasLimit: Number(BigInt(json.gasLimit)), signers, funded };
}

/** Checks the options and the folder before anything is written (and before geth is built); returns the genesis. */
export async function checkJoin(dir: string, options: JoinOptions): Promise<PublishedGenesis> {
  if (options.peers.length === 0) throw new NetworkError("BAD_ARGUMENT", "--peer: expected the enode of at least one node of the network");
  for (const peer of options.peers) {
    if (!LOCAL_ENODE.test(peer)) throw new NetworkError("BAD_ARGUMENT", `--peer: '${peer}' is not an enode on 127.0.0.1 (enode://<128 hex digits>@127.0.0.1:<port>); this tool's nodes accept peers from 127.0.0.0/8 only`);
  }
  const genesis = await readPublishedGenesis(path.resolve(options.genesisFile));
  dir = path.resolve(dir);
  if (existsSync(path.join(dir, SPEC_FILE))) throw new NetworkError("BAD_ARGUMENT", `${dir} already holds a network (${SPEC_FILE}); choose another --dir`);
  if (existsSync(dir) && (await readdir(dir)).length > 0) throw new NetworkError("BAD_ARGUMENT", `${dir} is not empty; choose an empty or new folder`);
  return genesis;
}

/** Generates the observer's folder in `dir` (new or empty) and initialises its database from the genesis. */
export async function joinNetwork(dir: string, options: JoinOptions): Promise<LocalNetwork> {
  const genesis = await checkJoin(dir, options);
  const geth = options.gethBinary ?? GETH_BINARY;
  if (!existsSync(geth)) throw new NetworkError("BAD_NETWORK", `no geth at ${geth}: run 'npm run network -- install' first`);
  dir = path.resolve(dir);

  const name = "observer-1";
  await mkdir(path.join(dir, name), { recursive: true, mode: 0o700 });
  const [p2p, http, authrpc] = await freePorts(3);
  const { enode } = await writeNodeKey(path.join(dir, name), p2p);
  await copyFile(path.resolve(options.genesisFile), path.join(dir, "genesis.json"));
  const spec: NetworkSpec = {
    format: 1,
    client: "geth",
    chainId: genesis.chainId,
    period: genesis.period,
    gasLimit: genesis.gasLimit,
    genesisSigners: genesis.signers,
    nodes: [{ name, role: "observer", enode, ports: { p2p, http, authrpc } }],
    externalPeers: [...new Set(options.peers)],
    funded: genesis.funded,
    createdAt: new Date().toISOString(),
  };
  await writeSpec(dir, spec);
  const network = new LocalNetwork(dir, spec, geth);
  await network.initNode(spec.nodes[0]!);
  return network;
}
