/**
 * The GraphQL API graph-node generates for a subgraph: per entity a single-entity field, a
 * collection field with where/orderBy/orderDirection/first/skip/block, `<Entity>_filter` inputs
 * with the filter suffixes, `<Entity>_orderBy` enums including child fields, and `_meta`.
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLError,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLOutputType,
} from "graphql";
import { columnToGraphql, type SqlValue } from "../store/codec.js";
import { storedFields, type EntityDef, type FieldDef, type SubgraphSchema } from "../store/subgraph-schema.js";
import type { BlockPtr } from "../store/store.js";
import { QueryError, type BlockRef, type SqlQueries } from "./sql-query.js";

export const MAX_FIRST = 1000;
export const MAX_SKIP = 100_000;

/** What resolvers need from the node. */
export interface QueryContext {
  sql: SqlQueries;
  cursor(): BlockPtr | null;
  blockByNumber(n: number): BlockPtr | null;
  blockByHash(hash: string): BlockPtr | null;
  deployment: string;
  hasIndexingErrors(): boolean;
  /** Counts entities returned, to enforce the result-size limit. */
  countEntities(n: number): void;
}

/** An entity row with the block it was read at, so that nested fields read the same block. */
interface EntityObject {
  __row: Record<string, SqlValue>;
  __block: BlockRef;
}

function stringScalar(name: string, description: string, acceptInt = false): GraphQLScalarType {
  return new GraphQLScalarType({
    name,
    description,
    serialize: (v) => v,
    parseValue: (v) => {
      if (typeof v === "string" || (acceptInt && typeof v === "number")) return String(v);
      throw new GraphQLError(`${name}: expected a string, got ${JSON.stringify(v)}`);
    },
    parseLiteral: (ast) => {
      if (ast.kind === Kind.STRING || (acceptInt && ast.kind === Kind.INT)) return ast.value;
      throw new GraphQLError(`${name}: expected a string literal`);
    },
  });
}

export function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function pluralName(entity: string): string {
  const singular = lowerFirst(entity);
  let plural: string;
  if (/[^aeiou]y$/.test(singular)) plural = singular.slice(0, -1) + "ies";
  else if (/s$/.test(singular)) plural = singular;
  else if (/(x|ch|sh)$/.test(singular)) plural = singular + "es";
  else plural = singular + "s";
  return plural === singular ? singular + "_collection" : plural;
}

export function buildGraphqlSchema(schema: SubgraphSchema): GraphQLSchema {
  const scalars: Record<string, GraphQLScalarType> = {
    ID: GraphQLID as GraphQLScalarType,
    String: GraphQLString,
    Int: GraphQLInt,
    Boolean: GraphQLBoolean,
    BigInt: stringScalar("BigInt", "An integer of any size, as a decimal string", true),
    BigDecimal: stringScalar("BigDecimal", "A decimal number of any precision, as a string", true),
    Bytes: stringScalar("Bytes", "Bytes as a 0x-prefixed hex string"),
    Int8: stringScalar("Int8", "A 64-bit integer", true),
    Timestamp: stringScalar("Timestamp", "Microseconds since the Unix epoch", true),
  };
  const enums = new Map<string, GraphQLEnumType>();
  for (const [name, def] of schema.enums) {
    enums.set(
      name,
      new GraphQLEnumType({
        name,
        description: def.description,
        values: Object.fromEntries(def.values.map((v) => [v, { value: v }])),
      }),
    );
  }
  const orderDirection = new GraphQLEnumType({
    name: "OrderDirection",
    description: "Sort order of a collection",
    values: { asc: { value: "asc" }, desc: { value: "desc" } },
  });
  const errorPolicy = new GraphQLEnumType({
    name: "_SubgraphErrorPolicy_",
    values: {
      allow: { value: "allow", description: "Data is returned even if the subgraph has indexing errors" },
      deny: { value: "deny", description: "If the subgraph has indexing errors, data is omitted (the default)" },
    },
  });
  const blockHeight = new GraphQLInputObjectType({
    name: "Block_height",
    description: "The block at which the query should be executed",
    fields: {
      hash: { type: scalars.Bytes! },
      number: { type: GraphQLInt },
      number_gte: { type: GraphQLInt },
    },
  });
  const blockChangedFilter = new GraphQLInputObjectType({
    name: "BlockChangedFilter",
    fields: { number_gte: { type: new GraphQLNonNull(GraphQLInt) } },
  });
  const metaBlock = new GraphQLObjectType({
    name: "_Block_",
    fields: {
      hash: { type: scalars.Bytes!, description: "The hash of the block" },
      number: { type: new GraphQLNonNull(GraphQLInt), description: "The block number" },
      timestamp: { type: GraphQLInt, description: "Integer representation of the timestamp stored in blocks for the chain" },
      parentHash: { type: scalars.Bytes!, description: "The hash of the parent block" },
    },
  });
  const meta = new GraphQLObjectType({
    name: "_Meta_",
    description: "The type for the top-level _meta field",
    fields: {
      block: { type: new GraphQLNonNull(metaBlock) },
      deployment: { type: new GraphQLNonNull(GraphQLString), description: "The deployment ID" },
      hasIndexingErrors: { type: new GraphQLNonNull(GraphQLBoolean), description: "If `true`, the subgraph encountered indexing errors at some past block" },
    },
  });

  const objectTypes = new Map<string, GraphQLObjectType>();
  const filterTypes = new Map<string, GraphQLInputObjectType>();
  const orderTypes = new Map<string, GraphQLEnumType>();

  const scalarOf = (field: FieldDef): GraphQLScalarType | GraphQLEnumType =>
    field.kind === "enum" ? enums.get(field.typeName)! : field.kind === "entity" ? scalars.String! : scalars[field.scalar]!;

  const collectionArgs = (entity: EntityDef) => ({
    skip: { type: GraphQLInt, defaultValue: 0 },
    first: { type: GraphQLInt, defaultValue: 100 },
    orderBy: { type: orderTypes.get(entity.name)! },
    orderDirection: { type: orderDirection },
    where: { type: filterTypes.get(entity.name)! },
  });

  const toObject = (row: Record<string, SqlValue>, block: BlockRef): EntityObject => ({ __row: row, __block: block });

  for (const entity of schema.entities.values()) {
    filterTypes.set(
      entity.name,
      new GraphQLInputObjectType({
        name: `${entity.name}_filter`,
        fields: () => filterFields(entity),
      }),
    );
    const orderValues: Record<string, { value: string }> = {};
    for (const f of entity.fields) {
      orderValues[f.name] = { value: f.name };
      if (f.kind === "entity" && !f.list && f.derivedFrom === undefined) {
        for (const cf of schema.entities.get(f.typeName)!.fields) {
          if (cf.list || cf.derivedFrom !== undefined || cf.kind === "entity") continue;
          orderValues[`${f.name}__${cf.name}`] = { value: `${f.name}__${cf.name}` };
        }
      }
    }
    orderTypes.set(entity.name, new GraphQLEnumType({ name: `${entity.name}_orderBy`, values: orderValues }));
  }

  function filterFields(entity: EntityDef): GraphQLInputFieldConfigMap {
    const fields: GraphQLInputFieldConfigMap = {};
    for (const f of entity.fields) {
      if (f.derivedFrom !== undefined) {
        fields[`${f.name}_`] = { type: filterTypes.get(f.typeName)! };
        continue;
      }
      const t: GraphQLInputType = f.name === "id" && f.scalar === "String" ? (GraphQLID as GraphQLScalarType) : scalarOf(f);
      const listOf = new GraphQLList(new GraphQLNonNull(t));
      if (f.list) {
        for (const op of ["", "_not", "_contains", "_contains_nocase", "_not_contains", "_not_contains_nocase"]) {
          fields[f.name + op] = { type: listOf };
        }
      } else {
        const ops = ["", "_not", "_in", "_not_in"];
        const isString = f.kind === "entity" ? f.scalar === "String" : f.scalar === "String" || f.scalar === "ID";
        if (f.kind !== "enum" && f.scalar !== "Boolean") ops.push("_gt", "_lt", "_gte", "_lte");
        if (f.scalar === "Bytes") ops.push("_contains", "_not_contains");
        if (isString && f.kind !== "enum") {
          ops.push("_contains", "_contains_nocase", "_not_contains", "_not_contains_nocase");
          ops.push("_starts_with", "_starts_with_nocase", "_not_starts_with", "_not_starts_with_nocase");
          ops.push("_ends_with", "_ends_with_nocase", "_not_ends_with", "_not_ends_with_nocase");
        }
        for (const op of ops) fields[f.name + op] = { type: op.endsWith("in") ? listOf : t };
      }
      if (f.kind === "entity") fields[`${f.name}_`] = { type: filterTypes.get(f.typeName)! };
    }
    fields._change_block = { type: blockChangedFilter, description: "Filter for the block changed event." };
    fields.and = { type: new GraphQLList(filterTypes.get(entity.name)!) };
    fields.or = { type: new GraphQLList(filterTypes.get(entity.name)!) };
    return fields;
  }

  for (const entity of schema.entities.values()) {
    objectTypes.set(
      entity.name,
      new GraphQLObjectType({
        name: entity.name,
        description: entity.description,
        fields: (): GraphQLFieldConfigMap<EntityObject, QueryContext> => {
          const fields: GraphQLFieldConfigMap<EntityObject, QueryContext> = {};
          for (const f of entity.fields) {
            if (f.kind === "entity") {
              const target = objectTypes.get(f.typeName)!;
              if (f.derivedFrom !== undefined || f.list) {
                fields[f.name] = {
                  type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(target))),
                  description: f.description,
                  args: collectionArgs(schema.entities.get(f.typeName)!),
                  resolve: (parent, args, ctx) => {
                    const collection = checkCollectionArgs(args);
                    const rows =
                      f.derivedFrom !== undefined
                        ? ctx.sql.collection(f.typeName, collection, parent.__block, {
                            field: f.derivedFrom,
                            id: parent.__row.id!,
                          })
                        : ctx.sql.collection(
                            f.typeName,
                            { ...collection, where: { and: [collection.where ?? {}, { id_in: listIds(f, parent.__row[f.name]!) }] } },
                            parent.__block,
                          );
                    ctx.countEntities(rows.length);
                    return rows.map((r) => toObject(r, parent.__block));
                  },
                };
              } else {
                fields[f.name] = {
                  type: f.nonNull ? new GraphQLNonNull(target) : target,
                  description: f.description,
                  resolve: (parent, _args, ctx) => {
                    const ref = parent.__row[f.name];
                    if (ref === null || ref === undefined) return null;
                    const row = ctx.sql.byId(f.typeName, columnToGraphql(f, ref), parent.__block);
                    if (row) ctx.countEntities(1);
                    return row ? toObject(row, parent.__block) : null;
                  },
                };
              }
              continue;
            }
            let type: GraphQLOutputType = f.name === "id" && f.scalar === "String" ? (GraphQLID as GraphQLScalarType) : scalarOf(f);
            if (f.list) type = new GraphQLList(new GraphQLNonNull(type));
            if (f.nonNull) type = new GraphQLNonNull(type);
            fields[f.name] = {
              type,
              description: f.description,
              resolve: (parent) => columnToGraphql(f, parent.__row[f.name] ?? null),
            };
          }
          return fields;
        },
      }),
    );
  }

  const queryFields: GraphQLFieldConfigMap<unknown, QueryContext> = {};
  const blockArg = { type: blockHeight, description: "The block at which the query should be executed." };
  const errorArg = { type: new GraphQLNonNull(errorPolicy), defaultValue: "deny" };
  for (const entity of schema.entities.values()) {
    const type = objectTypes.get(entity.name)!;
    queryFields[lowerFirst(entity.name)] = {
      type,
      args: { id: { type: new GraphQLNonNull(GraphQLID) }, block: blockArg, subgraphError: errorArg },
      resolve: (_root, args, ctx) => {
        const block = resolveBlock(ctx, args.block);
        checkErrorPolicy(ctx, args.subgraphError);
        const row = ctx.sql.byId(entity.name, args.id, block);
        if (row) ctx.countEntities(1);
        return row ? toObject(row, block) : null;
      },
    };
    queryFields[pluralName(entity.name)] = {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type))),
      args: { ...collectionArgs(entity), block: blockArg, subgraphError: errorArg },
      resolve: (_root, args, ctx) => {
        const block = resolveBlock(ctx, args.block);
        checkErrorPolicy(ctx, args.subgraphError);
        const rows = ctx.sql.collection(entity.name, checkCollectionArgs(args), block);
        ctx.countEntities(rows.length);
        return rows.map((r) => toObject(r, block));
      },
    };
  }
  queryFields._meta = {
    type: meta,
    description: "Access to subgraph metadata",
    args: { block: { type: blockHeight } },
    resolve: (_root, args, ctx) => {
      const block = resolveBlock(ctx, args.block);
      const unknown = (number: number) => ({ number, hash: null, timestamp: null, parentHash: null });
      // Nothing indexed yet, or a block before the start block: a number without a hash.
      const ptr = block === null ? (ctx.cursor() ?? unknown(0)) : (ctx.blockByNumber(block) ?? unknown(block));
      return { block: ptr, deployment: ctx.deployment, hasIndexingErrors: ctx.hasIndexingErrors() };
    },
  };

  return new GraphQLSchema({ query: new GraphQLObjectType({ name: "Query", fields: queryFields }) });
}

function listIds(field: FieldDef, column: SqlValue): unknown[] {
  return (columnToGraphql({ ...field, kind: "scalar" }, column) as unknown[]) ?? [];
}

function checkCollectionArgs(args: Record<string, unknown>) {
  const first = args.first as number;
  const skip = args.skip as number;
  if (first < 0 || first > MAX_FIRST) throw new QueryError(`The \`first\` argument must be between 0 and ${MAX_FIRST}, but is ${first}`);
  if (skip < 0 || skip > MAX_SKIP) throw new QueryError(`The \`skip\` argument must be between 0 and ${MAX_SKIP}, but is ${skip}`);
  return {
    first,
    skip,
    orderBy: (args.orderBy as string | undefined) ?? null,
    orderDirection: (args.orderDirection as "asc" | "desc" | undefined) ?? null,
    where: (args.where as Record<string, unknown> | undefined) ?? null,
  };
}

function checkErrorPolicy(ctx: QueryContext, policy: unknown): void {
  if (policy !== "allow" && ctx.hasIndexingErrors()) throw new QueryError("indexing_error");
}

/** `block: { number | hash | number_gte }` to the block number to read at (null: latest). */
export function resolveBlock(ctx: QueryContext, arg: { number?: number | null; hash?: string | null; number_gte?: number | null } | undefined | null): BlockRef {
  if (!arg) return null;
  const cursor = ctx.cursor();
  const head = cursor?.number ?? -1;
  const notYet = (n: number) =>
    new QueryError(
      `Failed to decode \`block.number\` value: \`subgraph ${ctx.deployment} has only indexed up to block number ${head} and data for block number ${n} is therefore not yet available\``,
    );
  if (arg.hash !== undefined && arg.hash !== null) {
    const ptr = ctx.blockByHash(arg.hash.toLowerCase());
    if (!ptr) throw new QueryError(`Failed to decode \`block.hash\` value: \`no block with that hash found\``);
    return ptr.number;
  }
  if (arg.number !== undefined && arg.number !== null) {
    if (arg.number < 0) throw new QueryError("Failed to decode `block.number` value: `negative block number`");
    if (arg.number > head) throw notYet(arg.number);
    return arg.number === head ? null : arg.number;
  }
  if (arg.number_gte !== undefined && arg.number_gte !== null) {
    if (arg.number_gte > head) throw notYet(arg.number_gte);
    return null;
  }
  return null;
}
