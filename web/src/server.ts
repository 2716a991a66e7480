/**
 * Serves the web page (web/public) and gives it one origin: /api/graphql goes to the query node,
 * /api/custody, /api/relayer, /api/registrar, /api/documents, /api/keeper and /api/notifier to those
 * services, /api/login says how the page signs residents in (login-config.ts), /api/operator the
 * operator's keys (the page reads agenda wordings as documents of the store), /api/rules the
 * legal rules' names and articles under each version's hash, /api/parameters the deployment's legal
 * minimums (notice, window bounds) that the page checks an announcement's dates against before
 * anything is signed.
 *
 * It is the one server meant to face the public, so it forwards only what the page needs
 * (upstreams.ts): each request's method and path are checked against the table of the page's routes,
 * joined onto the service's fixed origin, sent with the few headers that service reads and never
 * redirected onward; the answer comes back with its status, type and body, nothing else. The client's
 * address goes upstream in X-Forwarded-For (replacing any the client sent), so the services' rate
 * limits see each client, not the web server. Every answer carries the page's security headers.
 */
import path from "node:path";
import express, { type NextFunction, type Request, type Response } from "express";
import { id } from "ethers";
import { PROJECT_ROOT, type Parameters } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { clientAddress, trustedProxies } from "#lib/http/client-address.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { requestId } from "#lib/http/request-id.js";
import { listen } from "#lib/http/server.js";
import { createLogger, type Logger } from "#lib/log.js";
import { readOperatorRecord } from "#lib/protocol/operator-record.js";
import { checkOidcLogin, type LoginConfig, type OidcLogin } from "./login-config.js";
import { rulesTexts } from "./rules-texts.js";
import { securityHeaders } from "./security-headers.js";
import { WEB_STATUSES } from "./statuses.js";
import { MAX_BODY, apiPath, targetOf, upstream, type Route, type ServiceName, type Upstream } from "./upstreams.js";

export interface WebServerOptions {
  port?: number;
  graphqlUrl: string;
  custodyUrl: string;
  relayerUrl: string;
  /** The registrar (imports, buildings, a meeting's not-voted list); unset: /api/registrar answers upstream_not_configured. */
  registrarUrl?: string;
  /** The document store (uploads, documents, their meta). */
  documentsUrl?: string;
  /** The keeper (a meeting's protocol). */
  keeperUrl?: string;
  /** The notifier (a meeting's delivery log, a resident's notices and choices). */
  notifierUrl?: string;
  /**
   * The deployment's operator record (lib/protocol/operator-record.ts), written by the keeper when it
   * starts: `GET /api/operator` serves the operator and the public keys its protocols are signed with,
   * which the page checks a protocol's signature against (not a key that travels with the file).
   */
  operatorRecordFile?: string;
  /** The deployment's parameters (its record's, which MeetingHall was deployed with); unset: /api/parameters answers not_found. */
  parameters?: Parameters;
  /**
   * The city's OpenID Connect provider the page signs residents in at (login-config.ts); without
   * it, the page logs in with custody's one-time codes.
   */
  oidc?: OidcLogin;
  /** Proxies in front of the web server whose X-Forwarded-For it believes (none: the socket is the client). */
  trustedProxies?: readonly string[];
  logger?: Logger;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

const UPSTREAM_TIMEOUT_MS = 15_000;
/** A document read through the web server is never run as part of the page, whatever its type. */
const DOCUMENT_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'";

/** Reads an upstream answer's body, refusing one larger than `max` bytes. */
async function readAnswer(response: globalThis.Response, max: number): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) {
    await response.body?.cancel();
    throw new AppError("upstream_too_large", "the service's answer is too large");
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    size += chunk.value.length;
    if (size > max) {
      await reader!.cancel();
      throw new AppError("upstream_too_large", "the service's answer is too large");
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks);
}

function forward(upstreams: Readonly<Partial<Record<ServiceName, Upstream>>>, trusted: ReadonlySet<string>) {
  const bodies = new Map<number, ReturnType<typeof express.raw>>();
  const rawBody = (limit: number) => {
    let parser = bodies.get(limit);
    if (!parser) bodies.set(limit, (parser = express.raw({ type: () => true, limit, inflate: false })));
    return parser;
  };
  return (req: Request, res: Response, next: NextFunction) => {
    let target: URL;
    let route: Route;
    let up: Upstream;
    try {
      const { service, path: rest, query } = apiPath(req.originalUrl);
      const configured = upstreams[service];
      if (!configured) throw new AppError("upstream_not_configured", `no service is configured behind /api/${service}`);
      up = configured;
      ({ url: target, route } = targetOf(up, req.method, rest, query));
    } catch (err) {
      if (err instanceof AppError && err.code === "method_not_allowed") res.setHeader("Allow", (err.details?.allow as string[]).join(", "));
      return next(err);
    }
    rawBody(route.maxBody ?? MAX_BODY)(req, res, async (err?: unknown) => {
      if (err) return next(err);
      const headers: Record<string, string> = {};
      for (const name of up.headers) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      headers["x-forwarded-for"] = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted);
      headers["x-request-id"] = res.locals.requestId;
      const body = req.method !== "GET" && Buffer.isBuffer(req.body) && req.body.length > 0 ? new Uint8Array(req.body) : undefined;
      let answer: globalThis.Response;
      try {
        answer = await fetch(target, { method: req.method, headers, body, redirect: "manual", signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
      } catch (cause) {
        return next(new AppError("upstream_unavailable", `the service behind /api/${up.name} cannot be reached`, { cause, retryable: true }));
      }
      try {
        if (answer.status >= 300 && answer.status < 400) {
          await answer.body?.cancel();
          throw new AppError("upstream_redirect", `the service behind /api/${up.name} answered with a redirect, which is not followed`);
        }
        const bytes = await readAnswer(answer, up.maxAnswer);
        res.status(answer.status);
        for (const name of up.answerHeaders) {
          const value = answer.headers.get(name);
          if (value !== null) res.setHeader(name, value);
        }
        if (up.name === "documents") res.setHeader("Content-Security-Policy", DOCUMENT_POLICY);
        res.send(bytes);
      } catch (failure) {
        next(failure instanceof AppError ? failure : new AppError("upstream_unavailable", `the service behind /api/${up.name} broke off its answer`, { cause: failure }));
      }
    });
  };
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const log = options.logger ?? createLogger("warn", { service: "web" });
  const upstreams: Partial<Record<ServiceName, Upstream>> = {
    graphql: upstream("graphql", options.graphqlUrl),
    custody: upstream("custody", options.custodyUrl),
    relayer: upstream("relayer", options.relayerUrl),
  };
  const optional: Array<[ServiceName, string | undefined]> = [
    ["registrar", options.registrarUrl],
    ["documents", options.documentsUrl],
    ["keeper", options.keeperUrl],
    ["notifier", options.notifierUrl],
  ];
  for (const [name, url] of optional) if (url !== undefined) upstreams[name] = upstream(name, url);
  const trusted = trustedProxies(options.trustedProxies ?? []);
  const oidc = options.oidc ? checkOidcLogin(options.oidc) : undefined;
  const login: LoginConfig = oidc
    ? { mode: "oidc", issuer: oidc.issuer, clientId: oidc.clientId, redirectUri: oidc.redirectUri, scope: oidc.scope, ...(oidc.resource ? { resource: oidc.resource } : {}) }
    : { mode: "code" };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(securityHeaders(oidc?.providerOrigin));
  app.use(requestId);
  // Only origin-form targets ("/…"): an absolute URL or "*" names nothing this server serves.
  app.use((req, _res, next) => next(req.originalUrl.startsWith("/") && !req.originalUrl.startsWith("//") ? undefined : new AppError("invalid_path", "expected a path")));
  app.get("/api/login", (_req, res) => void res.json(login));
  const rules = rulesTexts();
  app.get("/api/rules", (_req, res) => void res.json(rules));
  app.get("/api/operator", async (_req, res, next) => {
    if (!options.operatorRecordFile) return next(new AppError("operator_record_unavailable", "this installation publishes no operator record"));
    try {
      // read on each request: the keeper writes it when it starts, which may be after the page
      const record = await readOperatorRecord(options.operatorRecordFile);
      res.json({ network: record.network, chainId: record.chainId, operator: record.operator, protocolSigner: record.protocolSigner });
    } catch (cause) {
      next(new AppError("operator_record_unavailable", "the operator record cannot be read yet", { cause, retryable: true }));
    }
  });
  app.get("/api/parameters", (_req, res) => {
    if (!options.parameters) throw new AppError("not_found", "this web server was not given the deployment's parameters");
    res.json(options.parameters);
  });
  app.use("/api", forward(upstreams, trusted));
  app.use(express.static(path.join(PROJECT_ROOT, "web", "public"), { index: "index.html", maxAge: 0 }));
  app.use(notFound);
  app.use(errorHandler(WEB_STATUSES, log));
  const server = await listen(app, "127.0.0.1", options.port ?? 0);
  return { url: server.url, close: server.close };
}
