/**
 * What the web page may ask of each service behind the web server, and nothing more: a fixed origin
 * per service, the methods and paths the page uses, the request headers each needs. A request's path
 * is checked against this table as the client sent it — no percent-escape, dot segment, empty
 * segment, backslash, `@`, `:` or query is ever joined onto an origin — and the URL built from it is
 * checked to have kept the service's origin. Everything else behind the services (JSON-RPC, metrics,
 * health, the registrar's endpoints, the mail capture) is out of reach.
 */
import { AppError, ConfigError } from "#lib/errors.js";

export type ServiceName = "graphql" | "custody" | "relayer" | "notifier";

export interface Route {
  method: "GET" | "POST" | "PUT";
  /** The path after the service's prefix (/api/<service>), matched whole. */
  path: RegExp;
}

export interface Upstream {
  name: ServiceName;
  /** The service's URL: its origin and the path every route is joined onto. */
  base: URL;
  routes: readonly Route[];
  /** Request headers passed on (besides X-Forwarded-For and X-Request-Id, which the web server sets). */
  headers: readonly string[];
}

/** The routes of each service that the page calls (web/public/api.js). */
export const ROUTES: Readonly<Record<ServiceName, readonly Route[]>> = {
  graphql: [{ method: "POST", path: /^$/ }],
  custody: [
    { method: "POST", path: /^\/v1\/auth\/code$/ },
    { method: "POST", path: /^\/v1\/auth\/token$/ },
    { method: "POST", path: /^\/v1\/auth\/logout$/ },
    // the signed-in resident's token for the notifier (the demo's identity provider)
    { method: "POST", path: /^\/v1\/auth\/exchange$/ },
    { method: "GET", path: /^\/v1\/me$/ },
    { method: "POST", path: /^\/v1\/ballots$/ },
  ],
  relayer: [
    { method: "GET", path: /^\/v1\/ballots\/0x[0-9a-fA-F]{64}$/ },
    { method: "GET", path: /^\/v1\/domain$/ },
  ],
  // a resident's notices and their own channel and language choices
  notifier: [
    { method: "GET", path: /^\/v1\/feed$/ },
    { method: "GET", path: /^\/v1\/me\/preferences$/ },
    { method: "PUT", path: /^\/v1\/me\/preferences$/ },
  ],
};

const HEADERS: Readonly<Record<ServiceName, readonly string[]>> = {
  graphql: ["content-type", "accept"],
  custody: ["content-type", "accept", "authorization"],
  relayer: ["accept"],
  notifier: ["content-type", "accept", "authorization"],
};

/**
 * The path of a request for the API, as sent: `/api/<service>` and then segments of letters, digits,
 * `_` and `-` only. Anything else — `%`, `.`, `//`, `\`, `@`, `:`, `;`, `?`, `#`, spaces, non-ASCII —
 * fails here, before any URL is built.
 */
const API_PATH = /^\/api\/(graphql|custody|relayer|notifier)((?:\/[A-Za-z0-9_-]+)*)$/;

/** An upstream for a configured service URL (an http(s) URL without credentials, query or fragment). */
export function upstream(name: ServiceName, url: string): Upstream {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new ConfigError([`${name}: '${url}' is not a URL`]);
  }
  if ((base.protocol !== "http:" && base.protocol !== "https:") || base.username || base.password || base.search || base.hash) {
    throw new ConfigError([`${name}: expected an http(s) URL without credentials, query or fragment, got '${url}'`]);
  }
  return { name, base, routes: ROUTES[name], headers: HEADERS[name] };
}

/** The service a raw request target addresses and the path after its prefix, or `invalid_path`. */
export function apiPath(target: string): { service: ServiceName; path: string } {
  const m = API_PATH.exec(target);
  if (!m) throw new AppError("invalid_path", "the path is not one the web page's API serves");
  return { service: m[1] as ServiceName, path: m[2] ?? "" };
}

/** Refuses a path that is none of `routes` (`not_found`) or a method none of its routes has (`method_not_allowed`). */
export function checkRoute(routes: readonly Route[], method: string, path: string): void {
  const matching = routes.filter((r) => r.path.test(path));
  if (matching.length === 0) throw new AppError("not_found", "no such endpoint");
  if (!matching.some((r) => r.method === method)) {
    throw new AppError("method_not_allowed", `${method} is not allowed here`, { details: { allow: [...new Set(matching.map((r) => r.method))] } });
  }
}

/**
 * The URL a request goes to: the validated path joined onto the service's base, refused unless the
 * path is one of its routes for this method and the result keeps the base's origin and path.
 */
export function targetOf(up: Upstream, method: string, path: string): URL {
  checkRoute(up.routes, method, path);
  const basePath = up.base.pathname.replace(/\/+$/, "");
  const target = new URL(up.base.origin);
  target.pathname = basePath + path;
  if (target.origin !== up.base.origin || !(target.pathname === basePath + path)) {
    throw new AppError("invalid_path", "the path would leave the service it names");
  }
  return target;
}
