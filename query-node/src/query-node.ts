/**
 * The embedded query node: one subgraph indexed from a chain into SQLite and served over HTTP with
 * The Graph's query API at /subgraphs/name/<name>.
 */
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { Indexer, type IndexerOptions } from "./indexer.js";
import { loadSubgraph, type DataSourceOverrides, type Subgraph } from "./runtime/manifest.js";
import { buildGraphqlSchema, type QueryContext } from "./query/graphql-schema.js";
import { runQuery, startQueryServer, type GraphqlRequest, type QueryLimits, type QueryServer } from "./query/server.js";
import { SqlQueries } from "./query/sql-query.js";
import { SubgraphStore } from "./store/store.js";
import { AppError } from "#lib/errors.js";

export interface QueryNodeOptions extends IndexerOptions {
  /** The graph-cli build output (with subgraph.yaml). */
  buildDir: string;
  /** SQLite database file. */
  databaseFile: string;
  /** Name the subgraph is served under. */
  name: string;
  /** Data-source addresses and start blocks (a networks.json entry). */
  overrides?: DataSourceOverrides;
  port?: number;
  limits?: QueryLimits;
}

export class QueryNode {
  server: QueryServer | null = null;

  private constructor(
    readonly subgraph: Subgraph,
    readonly store: SubgraphStore,
    readonly indexer: Indexer,
    readonly graphqlSchema: GraphQLSchema,
    private readonly options: QueryNodeOptions,
  ) {}

  static async open(options: QueryNodeOptions): Promise<QueryNode> {
    const subgraph = await loadSubgraph(path.resolve(options.buildDir), options.overrides);
    const store = new SubgraphStore(options.databaseFile, subgraph.schema);
    const stored = store.getMeta("deployment");
    if (stored !== null && stored !== subgraph.deployment) {
      store.close();
      throw new AppError("database_mismatch", `${options.databaseFile} indexes deployment ${stored}, not ${subgraph.deployment}; use a new database file`);
    }
    const indexer = new Indexer(subgraph, store, options);
    return new QueryNode(subgraph, store, indexer, buildGraphqlSchema(subgraph.schema), options);
  }

  queryContext(): Omit<QueryContext, "countEntities"> {
    return {
      sql: new SqlQueries(this.store.db, this.subgraph.schema),
      cursor: () => this.store.cursor(),
      blockByNumber: (n) => this.store.blockByNumber(n),
      blockByHash: (h) => this.store.blockByHash(h),
      deployment: this.subgraph.deployment,
      hasIndexingErrors: () => this.store.fatalError() !== null,
    };
  }

  /** Runs a query in-process, as the HTTP endpoint would. */
  query(request: GraphqlRequest) {
    return runQuery(this.graphqlSchema, this.queryContext(), request, this.options.limits);
  }

  async listen(): Promise<QueryServer> {
    const context = this.queryContext();
    this.server = await startQueryServer(new Map([[this.options.name, { schema: this.graphqlSchema, context: () => context }]]), {
      port: this.options.port,
      limits: this.options.limits,
      onError: (err) => this.options.log?.({ msg: "query failed", error: err.message }),
    });
    return this.server;
  }

  /** Starts following the chain and serving queries. */
  async start(): Promise<QueryServer> {
    this.indexer.start();
    return this.listen();
  }

  async close(): Promise<void> {
    await this.indexer.stop();
    await this.server?.close();
    this.server = null;
    this.store.close();
  }
}
