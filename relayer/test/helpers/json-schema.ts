/**
 * Checks a JSON value against a JSON Schema (draft 2020-12) of an OpenAPI document, for the tests
 * that hold the relayer's published document to what it really accepts and answers. It reads the
 * keywords the document uses and throws on any other, so that a schema it does not understand can
 * never pass for one it does. `$ref`s are resolved within the document.
 */

type Schema = Record<string, unknown> | boolean;

/** Keywords that only annotate: they accept every value. */
const ANNOTATIONS = new Set(["description", "title", "examples", "default", "$comment"]);

const KNOWN = new Set([
  ...ANNOTATIONS,
  "$ref",
  "type",
  "const",
  "enum",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "anyOf",
  "oneOf",
  "allOf",
  "not",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
]);

export class JsonSchemaChecker {
  constructor(private readonly document: Record<string, unknown>) {}

  /** The ways `value` breaks `schema` (empty: it conforms), each with the path of the part at fault. */
  check(schema: Schema, value: unknown, path = "$"): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${path}: no value is allowed here`];
    for (const keyword of Object.keys(schema)) {
      if (!KNOWN.has(keyword)) throw new Error(`JSON Schema keyword '${keyword}' at ${path} is not understood by this checker`);
    }
    const s = schema as Record<string, any>;
    if (s.$ref !== undefined) return this.check(this.resolve(s.$ref), value, path);
    const problems: string[] = [];

    if (s.type !== undefined) {
      const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
      if (!types.some((t) => isType(value, t))) return [`${path}: expected ${types.join(" or ")}, got ${describe(value)}`];
    }
    if ("const" in s && !deepEqual(value, s.const)) problems.push(`${path}: expected ${JSON.stringify(s.const)}`);
    if (s.enum !== undefined && !s.enum.some((e: unknown) => deepEqual(e, value))) problems.push(`${path}: not one of ${JSON.stringify(s.enum)}`);

    if (typeof value === "string") {
      if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(value)) problems.push(`${path}: does not match ${s.pattern}`);
      const length = [...value].length;
      if (s.minLength !== undefined && length < s.minLength) problems.push(`${path}: shorter than ${s.minLength}`);
      if (s.maxLength !== undefined && length > s.maxLength) problems.push(`${path}: longer than ${s.maxLength}`);
    }
    if (typeof value === "number") {
      if (s.minimum !== undefined && value < s.minimum) problems.push(`${path}: below ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) problems.push(`${path}: above ${s.maximum}`);
      if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) problems.push(`${path}: not above ${s.exclusiveMinimum}`);
      if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum) problems.push(`${path}: not below ${s.exclusiveMaximum}`);
    }
    if (Array.isArray(value) && s.items !== undefined) {
      value.forEach((item, i) => problems.push(...this.check(s.items, item, `${path}[${i}]`)));
    }
    if (isObject(value)) {
      const properties: Record<string, Schema> = s.properties ?? {};
      for (const name of s.required ?? []) if (!(name in value)) problems.push(`${path}: '${name}' is required`);
      for (const [name, v] of Object.entries(value)) {
        if (s.propertyNames !== undefined) problems.push(...this.check(s.propertyNames, name, `${path} key '${name}'`));
        if (name in properties) problems.push(...this.check(properties[name]!, v, `${path}.${name}`));
        else if (s.additionalProperties !== undefined) {
          if (s.additionalProperties === false) problems.push(`${path}: '${name}' is not allowed`);
          else problems.push(...this.check(s.additionalProperties, v, `${path}.${name}`));
        }
      }
    }

    if (s.allOf !== undefined) for (const part of s.allOf) problems.push(...this.check(part, value, path));
    if (s.anyOf !== undefined && !s.anyOf.some((part: Schema) => this.check(part, value, path).length === 0)) {
      problems.push(`${path}: matches none of anyOf`);
    }
    if (s.oneOf !== undefined) {
      const matching = s.oneOf.filter((part: Schema) => this.check(part, value, path).length === 0).length;
      if (matching !== 1) problems.push(`${path}: matches ${matching} of oneOf, expected exactly 1`);
    }
    if (s.not !== undefined && this.check(s.not, value, path).length === 0) problems.push(`${path}: matches a schema it must not`);
    return problems;
  }

  /** The schema a local `$ref` ("#/components/schemas/X") points at. */
  resolve(ref: string): Schema {
    if (!ref.startsWith("#/")) throw new Error(`only local $refs are resolved, got ${ref}`);
    let node: unknown = this.document;
    for (const part of ref.slice(2).split("/")) {
      node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    if (node === undefined) throw new Error(`$ref ${ref} points at nothing`);
    return node as Schema;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    default:
      throw new Error(`JSON Schema type '${type}' is not understood by this checker`);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
