/** HTTP helpers for tests: JSON requests and a load of ballots posted by concurrent clients. */
import http from "node:http";
import net from "node:net";

export interface JsonResponse {
  status: number;
  body: any;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** A JSON request over node:http with keep-alive (lighter than fetch under load). */
export function request(
  url: string,
  init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const payload = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: init.method ?? (payload !== undefined ? "POST" : "GET"),
        agent,
        headers: {
          "content-type": "application/json",
          ...(payload !== undefined ? { "content-length": Buffer.byteLength(payload) } : {}),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

interface Answer {
  status: number;
  body: string;
  /** The server will close the connection after this answer. */
  close: boolean;
}

/**
 * One keep-alive HTTP/1.1 connection that carries one request at a time, written and read directly:
 * a load generator sharing a 2-core machine with the service it loads must cost little (node:http's
 * client took about two thirds of a core at 1,400 requests per second; this takes a fraction of it).
 * Answers must carry a Content-Length, as every answer of the relayer does.
 */
class LoadConnection {
  private chunks: Buffer[] = [];
  private waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | undefined;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.parse();
    });
    const end = (err?: Error) => {
      this.closed = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(err ?? new Error("connection closed before the answer"));
    };
    socket.on("error", end);
    socket.on("close", () => end());
  }

  static open(baseUrl: string): Promise<LoadConnection> {
    const url = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: url.hostname, port: Number(url.port) });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new LoadConnection(socket));
      });
    });
  }

  exchange(request: Buffer): Promise<Answer> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private parse(): void {
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [data];
    const headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const head = data.toString("latin1", 0, headEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.waiting?.reject(new Error(`load client: an answer without Content-Length: ${head.split("\r\n")[0]}`));
      this.waiting = undefined;
      this.destroy();
      return;
    }
    const bodyEnd = headEnd + 4 + Number(length[1]);
    if (data.length < bodyEnd) return;
    this.chunks = data.length > bodyEnd ? [data.subarray(bodyEnd)] : [];
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve({
      status: Number(head.slice(9, 12)),
      body: data.toString("utf8", headEnd + 4, bodyEnd),
      close: /\r\nconnection:\s*close/i.test(head),
    });
  }
}

/**
 * Posts ballots with `concurrency` clients, each on its own keep-alive connection. A ballot counts as
 * acknowledged only on a 202 carrying its id; network errors, 429 and 5xx are retried (on a new
 * connection after an error) until `giveUp()` says stop, or forever when it is absent. `onSend` is
 * called as each attempt is written.
 */
export async function postLoad(
  baseUrl: () => string,
  bodies: Array<{ id: string; body: unknown }>,
  concurrency: number,
  options: {
    onSend?: (id: string) => void;
    onAck?: (id: string) => void;
    giveUp?: () => boolean;
    /** A client token of the relayer, presented as a bearer (a trusted client is not rate limited). */
    token?: string;
  } = {},
): Promise<{ acked: Set<string>; refused: Map<string, JsonResponse> }> {
  const acked = new Set<string>();
  const refused = new Map<string, JsonResponse>();
  let next = 0;
  const worker = async () => {
    let conn: LoadConnection | undefined;
    try {
      while (next < bodies.length) {
        const item = bodies[next++]!;
        const payload = Buffer.from(JSON.stringify(item.body));
        for (;;) {
          if (options.giveUp?.()) return;
          let answer: Answer;
          try {
            const base = baseUrl();
            conn ??= await LoadConnection.open(base);
            const auth = options.token ? `Authorization: Bearer ${options.token}\r\n` : "";
            const head = `POST /v1/ballots HTTP/1.1\r\nHost: ${new URL(base).host}\r\nContent-Type: application/json\r\n${auth}Content-Length: ${payload.length}\r\n\r\n`;
            options.onSend?.(item.id);
            answer = await conn.exchange(Buffer.concat([Buffer.from(head, "latin1"), payload]));
          } catch (err) {
            if ((err as Error).message.startsWith("load client:")) throw err;
            conn?.destroy();
            conn = undefined;
            await new Promise((res) => setTimeout(res, 100));
            continue;
          }
          if (answer.close) {
            conn!.destroy();
            conn = undefined;
          }
          let body: any = answer.body;
          try {
            body = JSON.parse(answer.body);
          } catch {
            // not JSON
          }
          if (answer.status === 202) {
            if (body?.id !== item.id) throw new Error(`relayer answered id ${body?.id} for ${item.id}`);
            acked.add(item.id);
            options.onAck?.(item.id);
            break;
          }
          if (answer.status === 429 || answer.status >= 500) {
            await new Promise((res) => setTimeout(res, 100));
            continue;
          }
          refused.set(item.id, { status: answer.status, body });
          break;
        }
      }
    } finally {
      conn?.destroy();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { acked, refused };
}

/** Polls until `check` holds, failing after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
