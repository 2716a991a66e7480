/**
 * The relayer's HTTP API served on 127.0.0.1 by its real request listener, over the scripted intake
 * (helpers/intake.ts), and a client that sends a request exactly as written: any headers, any
 * bytes, a Content-Length that need not match.
 */
import http from "node:http";
import { listen, type RunningServer } from "#lib/http/server.js";
import { createLogger } from "#lib/log.js";
import { createRelayerApp, createRelayerHandler, type RelayerAppDeps } from "../../src/http/app.js";
import { createRelayerMetrics } from "../../src/metrics.js";
import { scriptedIntake, type ScriptedIntake } from "./intake.js";

export interface TestApi extends ScriptedIntake {
  url: string;
  deps: RelayerAppDeps;
  stop(): Promise<void>;
}

export const METRICS_TOKEN = "metrics-token-for-tests";
export const CLIENT_TOKEN = "client-token-for-tests";

export async function startTestApi(
  options: { rateLimitPerMinute?: number; maxBodyBytes?: number; trustedProxies?: string[]; health?: RelayerAppDeps["health"] } = {},
): Promise<TestApi> {
  const scripted = scriptedIntake();
  const deps: RelayerAppDeps = {
    intake: scripted.intake,
    requestIntake: scripted.requestIntake,
    store: scripted.store,
    metrics: createRelayerMetrics(false),
    log: createLogger("silent"),
    maxBodyBytes: options.maxBodyBytes ?? 4096,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    domain: scripted.domain,
    health: options.health ?? (async () => ({ chainReachable: true, blockNumber: scripted.chain.clock.blockNumber, senders: [] })),
    metricsToken: METRICS_TOKEN,
    clientTokens: [CLIENT_TOKEN],
    trustedProxies: options.trustedProxies ?? [],
  };
  let server: RunningServer;
  try {
    server = await listen(createRelayerHandler(deps), "127.0.0.1", 0);
  } catch (err) {
    scripted.close();
    throw err;
  }
  return {
    ...scripted,
    url: server.url,
    deps,
    stop: async () => {
      await server.close();
      scripted.close();
    },
  };
}

/** The routes the express app serves, as "METHOD /path/{param}". */
export function expressRoutes(deps: RelayerAppDeps): string[] {
  const app = createRelayerApp(deps) as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } };
  const routes: string[] = [];
  for (const layer of app.router.stack) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:(\w+)/g, "{$1}");
    for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${path}`);
  }
  return routes;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/**
 * Sends one request on a connection of its own and reads the answer. With `partial`, the body is
 * written without ending the request (as a client still sending), and the connection is dropped once
 * the answer has arrived.
 */
export function rawRequest(
  url: string,
  init: { method?: string; path?: string; headers?: Record<string, string | number>; body?: Buffer; partial?: boolean },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // A keep-alive connection, so that a Connection: close in the answer is the server's choice.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const req = http.request(
      new URL(init.path ?? "/v1/ballots", url),
      { method: init.method ?? "POST", headers: init.headers, agent },
      (res) => {
        answered = true;
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
          if (init.partial) req.destroy();
          agent.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    // A server that answers before the body is all sent may reset the connection as the client writes.
    req.on("error", (err) => {
      if (answered) return;
      agent.destroy();
      reject(err);
    });
    if (init.partial) req.write(init.body ?? Buffer.alloc(0));
    else req.end(init.body);
  });
}
