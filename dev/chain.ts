/**
 * The embedded chain: Hardhat's simulated network (EDR) served as a JSON-RPC node on 127.0.0.1.
 * With `blockTimeMs` it mines one block per interval, as a production network does; without, it
 * mines a block per transaction (fast tests).
 */
import hre from "hardhat";

export interface LocalChainOptions {
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  /** Interval mining period in ms; 0 or undefined mines on every transaction. */
  blockTimeMs?: number;
  /** Chain id (default 31337). */
  chainId?: number;
}

export interface LocalChain {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  const blockTimeMs = options.blockTimeMs ?? 0;
  const server = await hre.network.createServer(
    {
      network: "hardhatMainnet",
      override: {
        ...(options.chainId !== undefined ? { chainId: options.chainId } : {}),
        mining: blockTimeMs > 0 ? { auto: false, interval: blockTimeMs } : { auto: true, interval: 0 },
      },
    },
    "127.0.0.1",
    options.port ?? 0,
  );
  const { address, port } = await server.listen();
  return {
    url: `http://${address}:${port}`,
    port,
    close: () => server.close(),
  };
}
