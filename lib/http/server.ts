/** Starts a request listener (an express app or the relayer's handler) on host:port and stops it, closing idle keep-alive connections. */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AppError } from "../errors.js";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens, or throws `listen_failed` naming the address (the socket's code, e.g. EADDRINUSE, in details). */
export function listen(handler: RequestListener, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer(handler);
    server.listen(port, host);
    server.keepAliveTimeout = 5_000;
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(new AppError("listen_failed", `cannot listen on ${host}:${port}: ${err.message}`, { cause: err, details: { host, port, reason: err.code } }));
    });
    server.once("listening", () => {
      const address = server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shownHost}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            setTimeout(() => server.closeAllConnections(), 2_000).unref();
          }),
      });
    });
  });
}
