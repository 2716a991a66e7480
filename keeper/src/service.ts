/**
 * The keeper as a service: follows the chain, closes each meeting after its window and produces its
 * protocol, one pass every poll interval, and answers its small API. Stopping finishes the pass in
 * flight; whatever a pass had not recorded is picked up by the next start.
 */
import { MeetingHall__factory } from "#typechain/index.js";
import { checkDeployedChain } from "#lib/chain-check.js";
import { readDeployment } from "#lib/deployment.js";
import { DocumentsClient, type DocumentStore } from "#lib/documents-client.js";
import { createLogger, type Logger } from "#lib/log.js";
import { listen } from "#lib/http/server.js";
import { HttpJsonRpcProvider } from "#lib/rpc.js";
import { operatorRecordPath, writeOperatorRecord } from "#lib/protocol/operator-record.js";
import { LocalKeySigner, type ProtocolSigner } from "#lib/protocol/signer.js";
import { readChainKey } from "./chain-key.js";
import { Closer } from "./closer.js";
import type { KeeperConfig } from "./config.js";
import { Database } from "./db.js";
import { Follower } from "./follower.js";
import { createApi } from "./http/app.js";
import { Producer } from "./producer.js";
import { RegistrarClient, type AnnexSource } from "./registrar-client.js";

export interface Keeper {
  url: string;
  /** The keeper's chain account. */
  address: string;
  keyId: string;
  operatorRecord: string;
  stop(): Promise<void>;
}

export interface KeeperParts {
  log?: Logger;
  /** A signer other than the local key (a qualified-signature provider). */
  signer?: ProtocolSigner;
  annexes?: AnnexSource;
  documents?: DocumentStore;
}

export async function startKeeper(config: KeeperConfig, parts: KeeperParts = {}): Promise<Keeper> {
  const log = parts.log ?? createLogger(config.logLevel, { service: "keeper" });
  const deployment = await readDeployment(config.deployment);
  const provider = new HttpJsonRpcProvider(config.rpcUrl, deployment.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    await checkDeployedChain(provider, deployment, { rpcUrl: config.rpcUrl, attempts: 10 });
  } catch (err) {
    provider.destroy();
    throw err;
  }
  const wallet = (await readChainKey(config.chainKeyFile)).connect(provider);
  const signer = parts.signer ?? (await LocalKeySigner.open(config.signingKeyFile, { create: true }));
  const recordFile = config.operatorRecordPath ?? operatorRecordPath(config.deployment);
  await writeOperatorRecord(recordFile, {
    network: deployment.network,
    chainId: deployment.chainId,
    operator: config.operatorName,
    protocolSigner: { format: signer.format, jwks: signer.publicJwks() },
    updatedAt: new Date().toISOString(),
  });
  const db = new Database(config.dbPath);
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, wallet);
  const follower = new Follower(provider, db, { hall: deployment.contracts.MeetingHall.address, startBlock: deployment.startBlock, confirmations: config.confirmations, logChunk: config.logChunk }, log.child({ part: "follower" }));
  const closer = new Closer(provider, wallet, hall, db, { chainId: deployment.chainId, confirmations: config.confirmations, gasLimit: config.finalizeGas }, log.child({ part: "closer" }));
  const producer = new Producer(
    db,
    signer,
    parts.annexes ?? new RegistrarClient(config.registrarUrl, config.registrarToken, config.requestTimeoutMs),
    parts.documents ?? new DocumentsClient(config.documentsUrl, { token: config.documentsToken, timeoutMs: config.requestTimeoutMs }),
    { rpcUrl: config.rpcUrl, deployment, language: config.language, place: config.place, confirmations: config.confirmations, protocolsDir: config.protocolsDir },
    log.child({ part: "producer" }),
  );
  if ((await provider.getBalance(wallet.address)) === 0n) log.warn("the keeper's account holds no ether: finalize transactions need gas unless the network's price is zero", { address: wallet.address });

  let head = -1;
  const counts = (table: string, column: string) => Object.fromEntries((db.sql(`SELECT ${column} AS k, COUNT(*) AS n FROM ${table} GROUP BY ${column}`).all() as Array<{ k: string; n: number }>).map((r) => [r.k, Number(r.n)]));
  const server = await listen(
    createApi({
      db,
      producer,
      jwks: signer.publicJwks(),
      status: () => ({ address: wallet.address, head, cursor: follower.cursor, meetings: counts("meetings", "state"), sends: counts("sends", "state"), protocols: counts("protocols", "state"), keyId: signer.keyId }),
      log,
    }),
    config.host,
    config.port,
  );

  let running = true;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const loop = (async () => {
    while (running) {
      try {
        const latest = await provider.getBlock("latest");
        if (latest) {
          head = latest.number;
          await follower.follow(latest.number);
          await closer.tick({ number: latest.number, timestamp: latest.timestamp });
          await producer.tick(latest.number);
        }
      } catch (err) {
        log.warn("keeper pass failed; retrying", { err });
      }
      if (!running) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, config.pollIntervalMs);
      });
    }
  })();
  log.info("keeper started", { url: server.url, address: wallet.address, keyId: signer.keyId, operatorRecord: recordFile });

  return {
    url: server.url,
    address: wallet.address,
    keyId: signer.keyId,
    operatorRecord: recordFile,
    stop: async () => {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      await server.close();
      db.close();
      provider.destroy();
    },
  };
}
