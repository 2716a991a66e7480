/** The entity types of a subgraph's schema.graphql, as the store and the query API need them. */
import { buildASTSchema, parse, type DocumentNode, type TypeNode, Kind } from "graphql";
import { AppError } from "#lib/errors.js";

export type ScalarName = "ID" | "String" | "Bytes" | "BigInt" | "BigDecimal" | "Int" | "Int8" | "Boolean" | "Timestamp";

export interface FieldDef {
  name: string;
  /** Scalar, enum or entity name of the field (of its elements, for a list). */
  typeName: string;
  kind: "scalar" | "enum" | "entity";
  /** For an entity reference or an enum: the scalar it is stored as. */
  scalar: ScalarName;
  list: boolean;
  nonNull: boolean;
  /** `@derivedFrom(field:)`: not stored; the children whose `derivedFrom` field points here. */
  derivedFrom?: string;
  description?: string;
}

export interface EntityDef {
  name: string;
  table: string;
  immutable: boolean;
  idScalar: ScalarName;
  fields: FieldDef[];
  byName: Map<string, FieldDef>;
  description?: string;
}

export interface SubgraphSchema {
  entities: Map<string, EntityDef>;
  enums: Map<string, { values: string[]; description?: string }>;
  document: DocumentNode;
  source: string;
}

const SCALARS = new Set(["ID", "String", "Bytes", "BigInt", "BigDecimal", "Int", "Int8", "Boolean", "Timestamp"]);

const SCHEMA_PRELUDE = `
  scalar Bytes
  scalar BigInt
  scalar BigDecimal
  scalar Int8
  scalar Timestamp
  directive @entity(immutable: Boolean, timeseries: Boolean) on OBJECT
  directive @derivedFrom(field: String!) on FIELD_DEFINITION
`;

function unwrap(type: TypeNode): { name: string; list: boolean; nonNull: boolean } {
  let nonNull = false;
  let list = false;
  let t = type;
  if (t.kind === Kind.NON_NULL_TYPE) {
    nonNull = true;
    t = t.type;
  }
  if (t.kind === Kind.LIST_TYPE) {
    list = true;
    t = t.type;
    if (t.kind === Kind.NON_NULL_TYPE) t = t.type;
  }
  if (t.kind !== Kind.NAMED_TYPE) throw new AppError("invalid_schema", "nested lists are not supported");
  return { name: t.name.value, list, nonNull };
}

export function tableName(entity: string): string {
  return entity.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

export function loadSubgraphSchema(source: string): SubgraphSchema {
  const document = parse(source);
  buildASTSchema(parse(SCHEMA_PRELUDE + source));
  const enums = new Map<string, { values: string[]; description?: string }>();
  for (const def of document.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
      enums.set(def.name.value, {
        values: (def.values ?? []).map((v) => v.name.value),
        description: def.description?.value,
      });
    }
  }
  const objectDefs = document.definitions.filter((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION);
  const entityNames = new Set(
    objectDefs.filter((d) => d.directives?.some((x) => x.name.value === "entity")).map((d) => d.name.value),
  );
  const entities = new Map<string, EntityDef>();
  for (const def of objectDefs) {
    const entityDirective = def.directives?.find((d) => d.name.value === "entity");
    if (!entityDirective) continue;
    const immutableArg = entityDirective.arguments?.find((a) => a.name.value === "immutable");
    const immutable = immutableArg?.value.kind === Kind.BOOLEAN && immutableArg.value.value;
    const fields: FieldDef[] = [];
    for (const f of def.fields ?? []) {
      const { name, list, nonNull } = unwrap(f.type);
      const derived = f.directives?.find((d) => d.name.value === "derivedFrom");
      const derivedArg = derived?.arguments?.find((a) => a.name.value === "field");
      const kind = SCALARS.has(name) ? "scalar" : enums.has(name) ? "enum" : entityNames.has(name) ? "entity" : null;
      if (kind === null) throw new AppError("invalid_schema", `${def.name.value}.${f.name.value}: unknown type ${name}`);
      fields.push({
        name: f.name.value,
        typeName: name,
        kind,
        scalar: kind === "scalar" ? (name as ScalarName) : "String",
        list,
        nonNull,
        derivedFrom: derivedArg?.value.kind === Kind.STRING ? derivedArg.value.value : undefined,
        description: f.description?.value,
      });
    }
    const id = fields.find((f) => f.name === "id");
    if (!id) throw new AppError("invalid_schema", `entity ${def.name.value} has no id field`);
    entities.set(def.name.value, {
      name: def.name.value,
      table: tableName(def.name.value),
      immutable: Boolean(immutable),
      idScalar: id.typeName === "Bytes" ? "Bytes" : id.typeName === "Int8" ? "Int8" : "String",
      fields,
      byName: new Map(fields.map((f) => [f.name, f])),
      description: def.description?.value,
    });
  }
  // References store the id of the entity they point to.
  for (const entity of entities.values()) {
    for (const field of entity.fields) {
      if (field.kind === "entity") field.scalar = entities.get(field.typeName)!.idScalar;
    }
  }
  return { entities, enums, document, source };
}

/** Fields that have a column (everything but @derivedFrom). */
export function storedFields(entity: EntityDef): FieldDef[] {
  return entity.fields.filter((f) => f.derivedFrom === undefined);
}
