/**
 * The HTTP endpoint of The Graph's query API: POST (or GET) /subgraphs/name/<name> with
 * { query, variables, operationName }. Invalid queries get GraphQL errors; limits on document size,
 * depth and result size keep one query from taking the node down.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  execute,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type ASTVisitor,
  type GraphQLSchema,
  type ValidationContext,
  type ExecutionResult,
} from "graphql";
import type { QueryContext } from "./graphql-schema.js";
import { QueryError } from "./sql-query.js";

export interface QueryLimits {
  /** Deepest selection nesting allowed. */
  maxDepth: number;
  /** Most entities one response may hold. */
  maxEntities: number;
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 12, maxEntities: 50_000, maxBodyBytes: 256 * 1024 };

function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    const measure = (node: { selectionSet?: { selections: readonly unknown[] } }, depth: number, seen: Set<string>): number => {
      if (!node.selectionSet) return depth;
      let max = depth;
      for (const s of node.selectionSet.selections as Array<{ kind: Kind; name?: { value: string }; selectionSet?: never }>) {
        if (s.kind === Kind.FIELD) max = Math.max(max, measure(s, depth + 1, seen));
        else if (s.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, measure(s, depth, seen));
        else if (s.kind === Kind.FRAGMENT_SPREAD && !seen.has(s.name!.value)) {
          const fragment = fragments.get(s.name!.value);
          if (fragment) max = Math.max(max, measure(fragment, depth, new Set([...seen, s.name!.value])));
        }
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const depth = measure(node, 0, new Set());
        if (depth > maxDepth) {
          context.reportError(new GraphQLError(`query has depth ${depth}, which exceeds the limit of ${maxDepth}`, { nodes: node }));
        }
      },
    };
  };
}

export class ResultTooLarge extends QueryError {
  constructor(message: string) {
    super(message, "result_too_large");
  }
}

export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** Runs one GraphQL request against a subgraph; never throws. */
export function runQuery(
  schema: GraphQLSchema,
  context: Omit<QueryContext, "countEntities">,
  request: GraphqlRequest,
  limits: QueryLimits = DEFAULT_LIMITS,
): ExecutionResult {
  if (typeof request.query !== "string" || request.query.trim() === "") {
    return { errors: [new GraphQLError("The query must be a non-empty string")] };
  }
  if (request.variables !== undefined && request.variables !== null && typeof request.variables !== "object") {
    return { errors: [new GraphQLError("variables must be an object")] };
  }
  let document;
  try {
    document = parse(request.query, { maxTokens: 20_000 });
  } catch (err) {
    return { errors: [err as GraphQLError] };
  }
  const validationErrors = validate(schema, document, [...specifiedRules, depthLimit(limits.maxDepth)]);
  if (validationErrors.length > 0) return { errors: validationErrors };
  let entities = 0;
  const ctx: QueryContext = {
    ...context,
    countEntities(n) {
      entities += n;
      if (entities > limits.maxEntities) {
        throw new ResultTooLarge(`the result has more than ${limits.maxEntities} entities, which exceeds the limit`);
      }
    },
  };
  const result = execute({
    schema,
    document,
    contextValue: ctx,
    variableValues: (request.variables as Record<string, unknown> | null) ?? undefined,
    operationName: typeof request.operationName === "string" ? request.operationName : undefined,
  }) as ExecutionResult;
  if (result.errors?.some((e) => e.originalError instanceof ResultTooLarge)) {
    return { errors: result.errors.filter((e) => e.originalError instanceof ResultTooLarge) };
  }
  if (result.errors) {
    // Our own faults are not the client's business: show only query errors in full.
    const errors = result.errors.map((e) =>
      e.originalError && !(e.originalError instanceof QueryError) && !(e.originalError instanceof GraphQLError)
        ? new GraphQLError("internal error while resolving the query", { nodes: e.nodes, path: e.path })
        : e,
    );
    const hasData = result.data && Object.values(result.data).some((v) => v !== null);
    return hasData ? { data: result.data, errors } : { errors };
  }
  return result;
}

export interface SubgraphEndpoint {
  schema: GraphQLSchema;
  context(): Omit<QueryContext, "countEntities">;
}

export interface QueryServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startQueryServer(
  subgraphs: Map<string, SubgraphEndpoint>,
  options: { port?: number; host?: string; limits?: QueryLimits; onError?: (err: Error) => void } = {},
): Promise<QueryServer> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = /^\/subgraphs\/name\/(.+?)\/?$/.exec(url.pathname);
    if (!match) return send(res, 404, { error: { code: "not_found", message: `no route ${url.pathname}` } });
    const name = decodeURIComponent(match[1]!);
    const endpoint = subgraphs.get(name);
    if (!endpoint) return send(res, 404, { errors: [{ message: `subgraph not found: ${name}` }] });
    const answer = (request: GraphqlRequest) => {
      try {
        const result = runQuery(endpoint.schema, endpoint.context(), request, limits);
        send(res, 200, { ...(result.data !== undefined ? { data: result.data } : {}), ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}) });
      } catch (err) {
        options.onError?.(err as Error);
        send(res, 500, { errors: [{ message: "internal error" }] });
      }
    };
    if (req.method === "GET") {
      const variables = url.searchParams.get("variables");
      let parsed: unknown = undefined;
      try {
        parsed = variables ? JSON.parse(variables) : undefined;
      } catch {
        return send(res, 400, { errors: [{ message: "variables is not valid JSON" }] });
      }
      return answer({ query: url.searchParams.get("query"), variables: parsed, operationName: url.searchParams.get("operationName") });
    }
    if (req.method !== "POST") return send(res, 405, { error: { code: "method_not_allowed", message: "use POST or GET" } });
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBodyBytes && !aborted) {
        aborted = true;
        send(res, 413, { errors: [{ message: `the request body exceeds ${limits.maxBodyBytes} bytes` }] });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (aborted) return;
      let body: GraphqlRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as GraphqlRequest;
      } catch {
        return send(res, 400, { errors: [{ message: "the request body is not valid JSON" }] });
      }
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        return send(res, 400, { errors: [{ message: "the request body must be a JSON object" }] });
      }
      answer(body);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
