/**
 * Translation of The Graph's collection arguments (where, orderBy, orderDirection, first, skip,
 * block) into SQL over the versioned entity tables, and execution.
 */
import { graphqlToColumn, type SqlValue } from "../store/codec.js";
import { quote } from "../store/store.js";
import type { SqliteDatabase } from "#lib/sqlite.js";
import { storedFields, type EntityDef, type FieldDef, type SubgraphSchema } from "../store/subgraph-schema.js";
import { AppError } from "#lib/errors.js";

/** A block to read at: a number, or null for the latest indexed state. */
export type BlockRef = number | null;

/** A query the node refuses: its message is shown to the client as The Graph words it. */
export class QueryError extends AppError {
  constructor(message: string, code = "invalid_query") {
    super(code, message);
  }
}

export const FILTER_SUFFIXES = [
  "_not_contains_nocase",
  "_not_starts_with_nocase",
  "_not_ends_with_nocase",
  "_contains_nocase",
  "_starts_with_nocase",
  "_ends_with_nocase",
  "_not_starts_with",
  "_not_ends_with",
  "_not_contains",
  "_starts_with",
  "_ends_with",
  "_contains",
  "_not_in",
  "_in",
  "_not",
  "_gte",
  "_lte",
  "_gt",
  "_lt",
] as const;

export type FilterOp = "" | (typeof FILTER_SUFFIXES)[number];

export interface CollectionArgs {
  where?: Record<string, unknown> | null;
  orderBy?: string | null;
  orderDirection?: "asc" | "desc" | null;
  first: number;
  skip: number;
}

/** A GraphQL input value as a column value; a value that does not fit the field is the client's error. */
function inputToColumn(field: FieldDef, value: unknown): SqlValue {
  try {
    return graphqlToColumn(field, value);
  } catch {
    throw new QueryError(`invalid value for ${field.name} (${field.scalar}): ${JSON.stringify(value)}`);
  }
}

class SqlBuilder {
  params: SqlValue[] = [];
  private aliases = 0;

  alias(): string {
    return `t${this.aliases++}`;
  }

  param(value: SqlValue): string {
    this.params.push(value);
    return "?";
  }
}

export function blockCondition(entity: EntityDef, alias: string, block: BlockRef, b: { param(v: SqlValue): string }): string {
  if (block === null) return entity.immutable ? "1" : `${alias}.block_to IS NULL`;
  const n = b.param(block);
  if (entity.immutable) return `${alias}.block_from <= ${n}`;
  return `${alias}.block_from <= ${n} AND (${alias}.block_to IS NULL OR ${alias}.block_to > ${b.param(block)})`;
}

export class SqlQueries {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly schema: SubgraphSchema,
  ) {}

  private entity(name: string): EntityDef {
    const entity = this.schema.entities.get(name);
    if (!entity) throw new QueryError(`unknown entity ${name}`);
    return entity;
  }

  private columns(entity: EntityDef, alias: string): string {
    return storedFields(entity)
      .map((f) => `${alias}.${quote(f.name)}`)
      .join(", ");
  }

  /** One entity by id at a block, as a row of its stored fields. */
  byId(entityName: string, id: unknown, block: BlockRef): Record<string, SqlValue> | null {
    const entity = this.entity(entityName);
    const b = new SqlBuilder();
    const idField = entity.byName.get("id")!;
    const sql = `SELECT ${this.columns(entity, "t")} FROM ${quote(entity.table)} t WHERE t."id" = ${b.param(
      inputToColumn(idField, id),
    )} AND ${blockCondition(entity, "t", block, b)} LIMIT 1`;
    return (this.db.prepare(sql).get(...b.params) as Record<string, SqlValue> | undefined) ?? null;
  }

  /** A collection, optionally restricted to the children of a parent (`@derivedFrom`). */
  collection(
    entityName: string,
    args: CollectionArgs,
    block: BlockRef,
    parent?: { field: string; id: SqlValue },
  ): Array<Record<string, SqlValue>> {
    const entity = this.entity(entityName);
    const b = new SqlBuilder();
    const t = b.alias();
    const conditions = [blockCondition(entity, t, block, b)];
    if (parent) conditions.push(`${t}.${quote(parent.field)} = ${b.param(parent.id)}`);
    if (args.where) conditions.push(this.where(entity, t, args.where, block, b));
    const direction = args.orderDirection === "desc" ? "DESC" : "ASC";
    const order: string[] = [];
    if (args.orderBy && args.orderBy !== "id") order.push(`${this.orderExpression(entity, t, args.orderBy, block, b)} ${direction}`);
    order.push(`${t}."id" ${direction}`);
    const sql =
      `SELECT ${this.columns(entity, t)} FROM ${quote(entity.table)} ${t} WHERE ${conditions.join(" AND ")} ` +
      `ORDER BY ${order.join(", ")} LIMIT ${b.param(args.first)} OFFSET ${b.param(args.skip)}`;
    return this.db.prepare(sql).all(...b.params) as Array<Record<string, SqlValue>>;
  }

  private orderExpression(entity: EntityDef, t: string, orderBy: string, block: BlockRef, b: SqlBuilder): string {
    const split = orderBy.indexOf("__");
    if (split < 0) {
      const field = entity.byName.get(orderBy);
      if (!field || field.derivedFrom !== undefined || field.list) throw new QueryError(`cannot order ${entity.name} by ${orderBy}`);
      return `${t}.${quote(orderBy)}`;
    }
    const refField = entity.byName.get(orderBy.slice(0, split));
    if (!refField || refField.kind !== "entity" || refField.list || refField.derivedFrom !== undefined) {
      throw new QueryError(`cannot order ${entity.name} by ${orderBy}`);
    }
    const child = this.entity(refField.typeName);
    const childField = child.byName.get(orderBy.slice(split + 2));
    if (!childField || childField.list || childField.derivedFrom !== undefined) {
      throw new QueryError(`cannot order ${entity.name} by ${orderBy}`);
    }
    const c = b.alias();
    return `(SELECT ${c}.${quote(childField.name)} FROM ${quote(child.table)} ${c} WHERE ${c}."id" = ${t}.${quote(
      refField.name,
    )} AND ${blockCondition(child, c, block, b)} LIMIT 1)`;
  }

  private where(entity: EntityDef, t: string, filter: Record<string, unknown>, block: BlockRef, b: SqlBuilder): string {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(filter)) {
      if (value === undefined) continue;
      if (key === "and" || key === "or") {
        const list = (value as Array<Record<string, unknown>> | null) ?? [];
        const sub = list.map((f) => `(${this.where(entity, t, f, block, b)})`);
        if (sub.length > 0) parts.push(`(${sub.join(key === "and" ? " AND " : " OR ")})`);
        continue;
      }
      if (key === "_change_block") {
        const gte = (value as { number_gte: number }).number_gte;
        parts.push(`${t}.block_from >= ${b.param(gte)}`);
        continue;
      }
      if (key.endsWith("_") && entity.byName.get(key.slice(0, -1))?.kind === "entity") {
        parts.push(this.nested(entity, t, entity.byName.get(key.slice(0, -1))!, value as Record<string, unknown>, block, b));
        continue;
      }
      const { field, op } = this.parseKey(entity, key);
      parts.push(this.condition(`${t}.${quote(field.name)}`, field, op, value, b));
    }
    return parts.length === 0 ? "1" : parts.join(" AND ");
  }

  private nested(
    entity: EntityDef,
    t: string,
    field: FieldDef,
    filter: Record<string, unknown>,
    block: BlockRef,
    b: SqlBuilder,
  ): string {
    const child = this.entity(field.typeName);
    const c = b.alias();
    const childBlock = blockCondition(child, c, block, b);
    const childWhere = this.where(child, c, filter, block, b);
    if (field.derivedFrom !== undefined) {
      const back = child.byName.get(field.derivedFrom)!;
      const link = back.list
        ? `EXISTS (SELECT 1 FROM json_each(${c}.${quote(back.name)}) j WHERE j.value = ${t}."id")`
        : `${c}.${quote(back.name)} = ${t}."id"`;
      return `EXISTS (SELECT 1 FROM ${quote(child.table)} ${c} WHERE ${link} AND ${childBlock} AND ${childWhere})`;
    }
    if (field.list) {
      return `EXISTS (SELECT 1 FROM ${quote(child.table)} ${c} WHERE ${c}."id" IN (SELECT value FROM json_each(${t}.${quote(
        field.name,
      )})) AND ${childBlock} AND ${childWhere})`;
    }
    return `${t}.${quote(field.name)} IN (SELECT ${c}."id" FROM ${quote(child.table)} ${c} WHERE ${childBlock} AND ${childWhere})`;
  }

  private parseKey(entity: EntityDef, key: string): { field: FieldDef; op: FilterOp } {
    const direct = entity.byName.get(key);
    if (direct && direct.derivedFrom === undefined) return { field: direct, op: "" };
    for (const suffix of FILTER_SUFFIXES) {
      if (key.endsWith(suffix)) {
        const field = entity.byName.get(key.slice(0, -suffix.length));
        if (field && field.derivedFrom === undefined) return { field, op: suffix };
      }
    }
    throw new QueryError(`${entity.name}: unknown filter ${key}`);
  }

  private condition(column: string, field: FieldDef, op: FilterOp, value: unknown, b: SqlBuilder): string {
    if (field.list) return this.listCondition(column, field, op, value, b);
    const v = (x: unknown) => b.param(inputToColumn(field, x));
    const nocase = op.endsWith("_nocase");
    const col = nocase ? `lower(${column})` : column;
    const text = (x: unknown) => (nocase ? `lower(${v(x)})` : v(x));
    switch (op) {
      case "":
        return value === null ? `${column} IS NULL` : `${column} = ${v(value)}`;
      case "_not":
        return value === null ? `${column} IS NOT NULL` : `(${column} IS NULL OR ${column} != ${v(value)})`;
      case "_gt":
        return `${column} > ${v(value)}`;
      case "_gte":
        return `${column} >= ${v(value)}`;
      case "_lt":
        return `${column} < ${v(value)}`;
      case "_lte":
        return `${column} <= ${v(value)}`;
      case "_in":
      case "_not_in": {
        const list = (value as unknown[] | null) ?? [];
        if (list.length === 0) return op === "_in" ? "0" : "1";
        const set = `${column} IN (${list.map((x) => v(x)).join(", ")})`;
        return op === "_in" ? set : `(${column} IS NULL OR NOT ${set})`;
      }
      case "_contains":
      case "_contains_nocase":
        return `instr(${col}, ${text(value)}) > 0`;
      case "_not_contains":
      case "_not_contains_nocase":
        return `instr(${col}, ${text(value)}) = 0`;
      case "_starts_with":
      case "_starts_with_nocase": {
        const p = text(value);
        return `substr(${col}, 1, length(${p})) = ${text(value)}`;
      }
      case "_not_starts_with":
      case "_not_starts_with_nocase": {
        const p = text(value);
        return `substr(${col}, 1, length(${p})) != ${text(value)}`;
      }
      case "_ends_with":
      case "_ends_with_nocase": {
        const p = text(value);
        return `substr(${col}, -length(${p})) = ${text(value)}`;
      }
      case "_not_ends_with":
      case "_not_ends_with_nocase": {
        const p = text(value);
        return `substr(${col}, -length(${p})) != ${text(value)}`;
      }
    }
  }

  /** Lists are JSON text: elements as strings (hex for Bytes, decimal for BigInt). */
  private listCondition(column: string, field: FieldDef, op: FilterOp, value: unknown, b: SqlBuilder): string {
    const element = (x: unknown) => {
      if (field.scalar === "Int" || field.scalar === "Boolean") return x as SqlValue;
      const s = String(x);
      return field.scalar === "Bytes" ? s.toLowerCase() : s;
    };
    const list = ((value as unknown[] | null) ?? []).map(element);
    const contains = (nocase: boolean) =>
      list.length === 0
        ? "1"
        : list
            .map((x) =>
              nocase
                ? `EXISTS (SELECT 1 FROM json_each(${column}) WHERE lower(value) = lower(${b.param(x)}))`
                : `EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ${b.param(x)})`,
            )
            .join(" AND ");
    switch (op) {
      case "":
        return value === null ? `${column} IS NULL` : `${column} = ${b.param(JSON.stringify(list))}`;
      case "_not":
        return value === null ? `${column} IS NOT NULL` : `${column} != ${b.param(JSON.stringify(list))}`;
      case "_contains":
        return `(${contains(false)})`;
      case "_contains_nocase":
        return `(${contains(true)})`;
      case "_not_contains":
        return `NOT (${contains(false)})`;
      case "_not_contains_nocase":
        return `NOT (${contains(true)})`;
      default:
        throw new QueryError(`filter ${op} does not apply to list field ${field.name}`);
    }
  }
}
