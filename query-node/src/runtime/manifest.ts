/**
 * The built subgraph (build/subgraph.yaml and the files it names): data sources with their address,
 * start block, ABI, compiled mapping and event handlers. Addresses and start blocks may be replaced
 * per data source, in the shape of graph-cli's networks.json entry for one network.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { encodeBase58, getAddress, Interface, type EventFragment } from "ethers";
import { parse as parseYaml } from "yaml";
import { loadSubgraphSchema, type SubgraphSchema } from "../store/subgraph-schema.js";
import { AppError } from "#lib/errors.js";

export interface EventHandler {
  /** The manifest's event signature, e.g. `BallotCast(indexed uint256,indexed address,uint256,uint128)`. */
  event: string;
  handler: string;
  topic0: string;
  fragment: EventFragment;
}

export interface DataSource {
  name: string;
  network: string;
  address: string;
  startBlock: number;
  abi: Interface;
  wasm: Uint8Array;
  handlers: EventHandler[];
}

export interface Subgraph {
  dataSources: DataSource[];
  schema: SubgraphSchema;
  /** Content hash of the manifest, in the form of an IPFS id (Qm…), as `_meta.deployment`. */
  deployment: string;
}

export type DataSourceOverrides = Record<string, { address: string; startBlock: number }>;

interface ManifestYaml {
  schema: { file: string };
  dataSources: Array<{
    name: string;
    network: string;
    source: { abi: string; address: string; startBlock?: number };
    mapping: {
      abis: Array<{ name: string; file: string }>;
      eventHandlers?: Array<{ event: string; handler: string }>;
      file: string;
    };
  }>;
}

export async function loadSubgraph(buildDir: string, overrides: DataSourceOverrides = {}): Promise<Subgraph> {
  const manifestFile = path.join(buildDir, "subgraph.yaml");
  const text = await readFile(manifestFile, "utf8");
  const manifest = parseYaml(text) as ManifestYaml;
  const schema = loadSubgraphSchema(await readFile(path.join(buildDir, manifest.schema.file), "utf8"));
  const dataSources: DataSource[] = [];
  for (const ds of manifest.dataSources) {
    const abiFile = ds.mapping.abis.find((a) => a.name === ds.source.abi);
    if (!abiFile) throw new AppError("invalid_manifest", `data source ${ds.name}: ABI ${ds.source.abi} is not listed`);
    const abi = new Interface(JSON.parse(await readFile(path.join(buildDir, abiFile.file), "utf8")));
    const handlers = (ds.mapping.eventHandlers ?? []).map((h) => {
      const sighash = h.event.replace(/indexed /g, "");
      let fragment: EventFragment | null = null;
      abi.forEachEvent((e) => {
        if (e.format("sighash") === sighash) fragment = e;
      });
      if (fragment === null) throw new AppError("invalid_manifest", `data source ${ds.name}: event ${h.event} is not in the ABI`);
      const f = fragment as EventFragment;
      return { event: h.event, handler: h.handler, topic0: f.topicHash, fragment: f };
    });
    const override = overrides[ds.name];
    dataSources.push({
      name: ds.name,
      network: ds.network,
      address: getAddress(override?.address ?? ds.source.address),
      startBlock: override?.startBlock ?? ds.source.startBlock ?? 0,
      abi,
      wasm: await readFile(path.join(buildDir, ds.mapping.file)),
      handlers,
    });
  }
  const digest = createHash("sha256").update(text).update(JSON.stringify(overrides)).digest();
  // A sha2-256 multihash in base58, as IPFS ids of graph-node deployments look (always "Qm…").
  const deployment = encodeBase58(Buffer.concat([Buffer.from([0x12, 0x20]), digest]));
  return { dataSources, schema, deployment };
}
