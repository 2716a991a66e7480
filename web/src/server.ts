/**
 * Serves the web page (web/) and gives it one origin: /api/graphql goes to the query node, /api/custody
 * and /api/relayer to those services, /api/texts serves the agenda texts checked against their hashes.
 */
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import express, { type Request, type Response } from "express";
import { id } from "ethers";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";

export interface WebServerOptions {
  port?: number;
  graphqlUrl: string;
  custodyUrl: string;
  relayerUrl: string;
  /** A JSON array of agenda texts (each served under its keccak256). */
  textsFile?: string;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

const FORWARDED_HEADERS = ["content-type", "authorization", "accept"];
const MAX_BODY = 64 * 1024;

function forward(target: (req: Request) => string) {
  return async (req: Request, res: Response) => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const body = Buffer.isBuffer(req.body) && req.body.length ? new Uint8Array(req.body) : undefined;
    try {
      const upstream = await fetch(target(req), { method: req.method, headers, body, signal: AbortSignal.timeout(15_000) });
      res.status(upstream.status);
      const type = upstream.headers.get("content-type");
      if (type) res.setHeader("content-type", type);
      res.send(Buffer.from(await upstream.arrayBuffer()));
    } catch (err) {
      res.status(502).json({ error: { code: "upstream_unavailable", message: `the service behind ${req.baseUrl} cannot be reached: ${(err as Error).message}` } });
    }
  };
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const texts: Record<string, string> = {};
  if (options.textsFile) {
    const list: unknown = JSON.parse(await readFile(options.textsFile, "utf8"));
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) throw new AppError("invalid_texts_file", `${options.textsFile}: expected a JSON array of strings`);
    for (const text of list) texts[id(text).toLowerCase()] = text;
  }
  const app = express();
  app.disable("x-powered-by");
  const raw = express.raw({ type: () => true, limit: MAX_BODY });
  app.get("/api/texts", (_req, res) => void res.json(texts));
  app.use("/api/graphql", raw, forward(() => options.graphqlUrl));
  app.use("/api/custody", raw, forward((req) => new URL(req.url, options.custodyUrl.replace(/\/?$/, "/")).toString()));
  app.use("/api/relayer", raw, forward((req) => new URL(req.url, options.relayerUrl.replace(/\/?$/, "/")).toString()));
  app.use(express.static(path.join(PROJECT_ROOT, "web", "public"), { index: "index.html", maxAge: 0 }));
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: unknown) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ error: { code: err.type ?? "bad_request", message: status === 500 ? "internal error" : err.message } });
  });
  const server = app.listen(options.port ?? 0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
