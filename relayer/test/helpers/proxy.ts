/**
 * A TCP proxy on 127.0.0.1 that a test can cut (every connection reset, new ones refused) and restore,
 * stall (requests still reach the node, its answers are held back, as from a node busy for a while)
 * and resume, or hold (requests are kept from the node until released, so that what the test does
 * to the node meanwhile happens between two of the client's requests).
 */
import net from "node:net";

export interface TcpProxy {
  url: string;
  cut(): void;
  restore(): void;
  stall(): void;
  resume(): void;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let down = false;
  let stalled = false;
  let holding = false;
  const held: Array<() => void> = [];
  const withheld: Array<() => void> = [];
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (chunk: Buffer) => {
      if (holding) withheld.push(() => upstream.write(chunk));
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (stalled) held.push(() => client.write(chunk));
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      down = true;
      held.length = 0;
      withheld.length = 0;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const send of held.splice(0)) send();
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const send of withheld.splice(0)) send();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
