/** HTTP helpers for tests: JSON requests and a load of ballots posted by concurrent clients. */
import http from "node:http";

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

/**
 * Posts ballots with `concurrency` clients. A ballot counts as acknowledged only on a 202; network
 * errors, 429 and 5xx are retried until `until()` says stop (or forever when it is absent).
 */
export async function postLoad(
  baseUrl: () => string,
  bodies: Array<{ id: string; body: unknown }>,
  concurrency: number,
  options: { onAck?: (id: string) => void; giveUp?: () => boolean } = {},
): Promise<{ acked: Set<string>; refused: Map<string, JsonResponse> }> {
  const acked = new Set<string>();
  const refused = new Map<string, JsonResponse>();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const item = bodies[next++]!;
      for (;;) {
        if (options.giveUp?.()) return;
        try {
          const r = await request(`${baseUrl()}/v1/ballots`, { body: item.body });
          if (r.status === 202) {
            if (r.body.id !== item.id) throw new Error(`relayer answered id ${r.body.id} for ${item.id}`);
            acked.add(item.id);
            options.onAck?.(item.id);
            break;
          }
          if (r.status === 429 || r.status >= 500) {
            await new Promise((res) => setTimeout(res, 100));
            continue;
          }
          refused.set(item.id, r);
          break;
        } catch (err) {
          if ((err as Error).message.startsWith("relayer answered")) throw err;
          await new Promise((res) => setTimeout(res, 100));
        }
      }
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
