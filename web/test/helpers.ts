/**
 * Helpers of the web server's tests: HTTP servers that record every request they receive (standing
 * for the services behind the web server, and for anything else on the machine that must never be
 * reached through it), and a client that sends a request line exactly as written, byte for byte.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import net, { type AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface RecordingServer {
  url: string;
  port: number;
  requests: Recorded[];
  /** How the server answers; a JSON 200 naming the request unless replaced. */
  respond: (r: Recorded) => Answer;
  close(): Promise<void>;
}

export async function recordingServer(name: string): Promise<RecordingServer> {
  const recorder: RecordingServer = {
    url: "",
    port: 0,
    requests: [],
    respond: (r) => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ server: name, method: r.method, url: r.url }) }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      recorder.requests.push(r);
      const a = recorder.respond(r);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  recorder.port = (server.address() as AddressInfo).port;
  recorder.url = `http://127.0.0.1:${recorder.port}`;
  return recorder;
}

export interface RawAnswer {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `METHOD target HTTP/1.1` with these headers (Host defaults to the server's) and body on a
 * connection of its own, exactly as written, and reads the answer until the server closes it.
 */
export function rawRequest(port: number, method: string, target: string | Buffer, headers: Record<string, string> = {}, body = ""): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const all: Record<string, string> = { host: `127.0.0.1:${port}`, connection: "close", ...headers };
    if (body) all["content-length"] = String(Buffer.byteLength(body));
    const head = Buffer.concat([
      Buffer.from(`${method} `),
      typeof target === "string" ? Buffer.from(target, "latin1") : target,
      Buffer.from(` HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`),
    ]);
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no answer to ${method} ${target}`)));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err)));
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const m = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (!m) return resolve({ status: 0, headers: {}, body: text });
      const parsed: Record<string, string> = {};
      for (const line of m[2]!.split("\r\n")) {
        const i = line.indexOf(":");
        if (i > 0) parsed[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), headers: parsed, body: m[3]! });
    });
    socket.write(Buffer.concat([head, Buffer.from(body)]));
  });
}
