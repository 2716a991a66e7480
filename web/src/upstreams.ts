/**
 * What the web page may ask of each service behind the web server, and nothing more: a fixed origin
 * per service, the methods and paths the page uses, the query parameters a route takes, the request
 * headers each needs, how large a body may go up and an answer come back. A request's path is checked
 * against this table as the client sent it — no percent-escape, dot segment, empty segment,
 * backslash, `@` or `:` is ever joined onto an origin — and the URL built from it is checked to have
 * kept the service's origin. A query is taken only by the routes that name its parameters, each value
 * matched whole, and is rebuilt from them (never passed on as sent). Everything else behind the
 * services (JSON-RPC, metrics, health, the registrar's annexes and registers' writes, the notifier's
 * directory, the mail capture) is out of reach.
 */
import { AppError, ConfigError } from "#lib/errors.js";

export const SERVICE_NAMES = ["graphql", "custody", "relayer", "registrar", "documents", "keeper", "notifier"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface Route {
  method: "GET" | "POST" | "PUT";
  /** The path after the service's prefix (/api/<service>), matched whole. */
  path: RegExp;
  /** The query parameters this route takes, each value matched whole; a route without it takes no query. */
  query?: Readonly<Record<string, RegExp>>;
  /** The largest request body, in bytes (default MAX_BODY). */
  maxBody?: number;
}

export interface Upstream {
  name: ServiceName;
  /** The service's URL: its origin and the path every route is joined onto. */
  base: URL;
  routes: readonly Route[];
  /** Request headers passed on (besides X-Forwarded-For and X-Request-Id, which the web server sets). */
  headers: readonly string[];
  /** Answer headers passed back to the page. */
  answerHeaders: readonly string[];
  /** The largest answer passed back, in bytes. */
  maxAnswer: number;
}

const MIB = 1024 * 1024;
/** The largest request body of a route that names none: the page's JSON calls are far smaller. */
export const MAX_BODY = 64 * 1024;
/** A register file of a large estate (2,000 premises is about half a megabyte). */
const MAX_REGISTER_FILE = 16 * MIB;
/** The document store's largest type (a PDF, DOCUMENTS_MAX_PDF_BYTES by default). */
const MAX_DOCUMENT = 20 * MIB;

const ID = /^[1-9]\d{0,19}$/;
const HASH = "0x[0-9a-fA-F]{64}";
const MEETING = "[1-9][0-9]{0,19}";

/** The routes of each service that the page calls (web/public/api.js and its screens). */
export const ROUTES: Readonly<Record<ServiceName, readonly Route[]>> = {
  graphql: [{ method: "POST", path: /^$/ }],
  custody: [
    { method: "POST", path: /^\/v1\/auth\/code$/ },
    { method: "POST", path: /^\/v1\/auth\/token$/ },
    // a token of the registrar's, the document store's or the notifier's audience for the signed-in resident
    { method: "POST", path: /^\/v1\/auth\/exchange$/ },
    { method: "POST", path: /^\/v1\/auth\/logout$/ },
    { method: "GET", path: /^\/v1\/me$/ },
    { method: "POST", path: /^\/v1\/ballots$/ },
    // announcing, cancelling, paper decisions and powers of attorney, signed and sent on to the relayer
    { method: "POST", path: /^\/v1\/requests$/ },
  ],
  relayer: [
    { method: "GET", path: new RegExp(`^/v1/ballots/${HASH}$`) },
    { method: "GET", path: new RegExp(`^/v1/requests/${HASH}$`) },
    { method: "GET", path: /^\/v1\/domain$/ },
  ],
  registrar: [
    { method: "POST", path: /^\/v1\/imports$/, query: { dryRun: /^(true|false)$/ }, maxBody: MAX_REGISTER_FILE },
    { method: "GET", path: /^\/v1\/imports\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ },
    { method: "GET", path: /^\/v1\/buildings$/ },
    { method: "GET", path: new RegExp(`^/v1/buildings/${MEETING}/register$`) },
    { method: "GET", path: new RegExp(`^/v1/meetings/${MEETING}/not-voted$`) },
  ],
  documents: [
    {
      method: "PUT",
      path: /^\/v1\/documents$/,
      query: { name: /^[^\u0000-\u001f\u007f/\\]{1,200}$/u, access: /^(public|restricted)$/, purpose: /^[a-z-]{1,32}$/, meeting: ID },
      maxBody: MAX_DOCUMENT,
    },
    { method: "GET", path: new RegExp(`^/v1/documents/${HASH}$`) },
    { method: "GET", path: new RegExp(`^/v1/documents/${HASH}/meta$`) },
  ],
  keeper: [{ method: "GET", path: new RegExp(`^/v1/meetings/${MEETING}/protocol$`) }],
  notifier: [
    { method: "GET", path: new RegExp(`^/v1/meetings/${MEETING}/delivery-log$`), query: { format: /^(csv|json)$/ } },
    // a resident's own notices and their channel and language choices
    { method: "GET", path: /^\/v1\/feed$/ },
    { method: "GET", path: /^\/v1\/me\/preferences$/ },
    { method: "PUT", path: /^\/v1\/me\/preferences$/ },
  ],
};

const HEADERS: Readonly<Record<ServiceName, readonly string[]>> = {
  graphql: ["content-type", "accept"],
  custody: ["content-type", "accept", "authorization"],
  relayer: ["accept"],
  registrar: ["content-type", "accept", "accept-language", "authorization"],
  documents: ["content-type", "accept", "authorization", "if-none-match"],
  keeper: ["accept"],
  notifier: ["content-type", "accept", "authorization"],
};

const ANSWER_HEADERS = ["content-type", "retry-after"];
const ANSWERS: Readonly<Record<ServiceName, readonly string[]>> = {
  graphql: ANSWER_HEADERS,
  custody: ANSWER_HEADERS,
  relayer: ANSWER_HEADERS,
  registrar: [...ANSWER_HEADERS, "content-language"],
  // a document downloads under its stored name and is cached by its hash
  documents: [...ANSWER_HEADERS, "content-disposition", "etag", "cache-control"],
  keeper: ANSWER_HEADERS,
  notifier: [...ANSWER_HEADERS, "content-disposition"],
};

/** The largest answer of each service: a page of 1,000 ballots is far less than 8 MiB; a document is up to its type's limit. */
const MAX_ANSWER: Readonly<Record<ServiceName, number>> = {
  graphql: 8 * MIB,
  custody: 8 * MIB,
  relayer: 8 * MIB,
  registrar: 8 * MIB,
  documents: MAX_DOCUMENT + MIB,
  keeper: MIB,
  notifier: 8 * MIB,
};

/**
 * The target of a request for the API, as sent: `/api/<service>`, then segments of letters, digits,
 * `_` and `-` only, then optionally a query of unreserved characters, `%XX` escapes, `=`, `&` and `+`.
 * Anything else — `%` in the path, `.`, `//`, `\`, `@`, `:`, `;`, `#`, spaces, non-ASCII — fails
 * here, before any URL is built.
 */
const API_TARGET = new RegExp(`^/api/(${SERVICE_NAMES.join("|")})((?:/[A-Za-z0-9_-]+)*)(?:\\?((?:[A-Za-z0-9_.~+=&-]|%[0-9A-Fa-f]{2})*))?$`);

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
  return { name, base, routes: ROUTES[name], headers: HEADERS[name], answerHeaders: ANSWERS[name], maxAnswer: MAX_ANSWER[name] };
}

/** The service a raw request target addresses, the path after its prefix and its raw query (if any), or `invalid_path`. */
export function apiPath(target: string): { service: ServiceName; path: string; query?: string } {
  const m = API_TARGET.exec(target);
  if (!m) throw new AppError("invalid_path", "the path is not one the web page's API serves");
  return { service: m[1] as ServiceName, path: m[2] ?? "", query: m[3] };
}

/** The route a request takes: its path and method in the service's table, or `not_found` / `method_not_allowed`. */
export function routeOf(up: Upstream, method: string, path: string): Route {
  const routes = up.routes.filter((r) => r.path.test(path));
  if (routes.length === 0) throw new AppError("not_found", "no such endpoint");
  const route = routes.find((r) => r.method === method);
  if (!route) throw new AppError("method_not_allowed", `${method} is not allowed here`, { details: { allow: [...new Set(routes.map((r) => r.method))] } });
  return route;
}

/** The query a route is sent: each parameter it names at most once and matched whole, rebuilt; anything else is `invalid_query`. */
function queryOf(route: Route, raw: string | undefined): URLSearchParams {
  const out = new URLSearchParams();
  if (raw === undefined || raw === "") return out;
  if (!route.query) throw new AppError("invalid_query", "this endpoint takes no query");
  let params: URLSearchParams;
  try {
    // every escape must decode to UTF-8: URLSearchParams would otherwise put U+FFFD in its place
    decodeURIComponent(raw.replaceAll("+", " "));
    params = new URLSearchParams(raw);
  } catch {
    throw new AppError("invalid_query", "the query is not valid percent-encoded UTF-8");
  }
  for (const [name, value] of params) {
    const pattern = Object.hasOwn(route.query, name) ? route.query[name] : undefined;
    if (!pattern) throw new AppError("invalid_query", `this endpoint takes no parameter '${name.slice(0, 40)}'`);
    if (out.has(name)) throw new AppError("invalid_query", `the parameter '${name}' is given twice`);
    if (!pattern.test(value)) throw new AppError("invalid_query", `the parameter '${name}' has a value this endpoint does not take`);
    out.append(name, value);
  }
  return out;
}

/**
 * The URL a request goes to: the validated path joined onto the service's base with the route's
 * rebuilt query, refused unless the path is one of its routes for this method and the result keeps
 * the base's origin and path.
 */
export function targetOf(up: Upstream, method: string, path: string, rawQuery?: string): { url: URL; route: Route } {
  const route = routeOf(up, method, path);
  const query = queryOf(route, rawQuery);
  const basePath = up.base.pathname.replace(/\/+$/, "");
  const target = new URL(up.base.origin);
  target.pathname = basePath + path;
  if (target.origin !== up.base.origin || !(target.pathname === basePath + path)) {
    throw new AppError("invalid_path", "the path would leave the service it names");
  }
  target.search = query.toString();
  return { url: target, route };
}
