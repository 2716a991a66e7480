/** Ports on 127.0.0.1: free ones picked by the kernel, and a check that a configured one is free. */
import net from "node:net";
import { NetworkError } from "./errors.js";

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(server));
  });
}

const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** `count` distinct free TCP ports, all held open together while they are chosen so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0));
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** Throws NODE_FAILED naming the port and its user when `port` cannot be bound on 127.0.0.1. */
export async function assertPortFree(port: number, user: string): Promise<void> {
  try {
    await close(await listen(port));
  } catch (err) {
    throw new NetworkError("NODE_FAILED", `port ${port} for ${user} is in use on 127.0.0.1 (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err });
  }
}
