/**
 * A small walker of a value against an upstream schema, for two checks: an object against its CRD's
 * openAPIV3Schema, the way the Kubernetes API server treats it (a field the schema does not know is
 * pruned silently, outside `x-kubernetes-preserve-unknown-fields` and `additionalProperties`), and a
 * Helm chart's values against its values.schema.json, the way Helm validates them (JSON Schema: only
 * `additionalProperties: false` refuses a key).
 *
 * Checked where the schema gives them: types (with `nullable` and `x-kubernetes-int-or-string`),
 * enums, required fields, numeric bounds, lengths, item and property counts, patterns, and the value
 * validations `oneOf`, `anyOf`, `allOf` and `not`; a local `$ref` is followed. Not checked: `format`,
 * list uniqueness (`x-kubernetes-list-type`) and CEL rules (`x-kubernetes-validations`).
 */
export type Schema = { [keyword: string]: any };

export interface WalkOptions {
  /** `prune`: a field the schema does not know is an error (an API server drops it); `allow`: JSON Schema's rule */
  unknownFields: "prune" | "allow";
  /** the document a `$ref` such as `#/$defs/values` points into (default: the schema walked) */
  root?: Schema;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `a.b`, `a[0]`, or `a["key.with/dots"]` for a key that is not a plain name. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  if (!ref.startsWith("#/")) throw new Error(`only local $ref is supported, not ${ref}`);
  const target = ref
    .slice(2)
    .split("/")
    .reduce<any>((node, part) => node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], root);
  if (!isPlainObject(target)) throw new Error(`$ref ${ref} points at nothing`);
  return resolve(target as Schema, root);
}

function typeProblem(schema: Schema, value: unknown, path: string): string | undefined {
  const declared: string[] = schema["x-kubernetes-int-or-string"] ? ["integer", "string"] : [schema.type ?? []].flat();
  if (declared.length === 0) return undefined;
  const kind = kindOf(value);
  if (declared.includes(kind) || (kind === "integer" && declared.includes("number"))) return undefined;
  return `${path}: ${kind} ${JSON.stringify(value)}, the schema wants ${declared.join(" or ")}`;
}

function boundsProblems(schema: Schema, value: unknown, path: string): string[] {
  const out: string[] = [];
  const over = (what: string, limit: number) => out.push(`${path}: ${what} ${limit}`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) over("below the minimum", schema.minimum);
    if (schema.maximum !== undefined && value > schema.maximum) over("above the maximum", schema.maximum);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) over("shorter than", schema.minLength);
    if (schema.maxLength !== undefined && length > schema.maxLength) over("longer than", schema.maxLength);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) out.push(`${path}: does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) over("fewer items than", schema.minItems);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) over("more items than", schema.maxItems);
  }
  if (isPlainObject(value)) {
    const count = Object.keys(value).length;
    if (schema.minProperties !== undefined && count < schema.minProperties) over("fewer properties than", schema.minProperties);
    if (schema.maxProperties !== undefined && count > schema.maxProperties) over("more properties than", schema.maxProperties);
  }
  return out;
}

/** oneOf/anyOf/allOf/not: value validations only (they declare no fields), so unknown fields are not theirs to judge. */
function combinatorProblems(schema: Schema, value: unknown, path: string, opts: Required<WalkOptions>): string[] {
  const judge = (sub: Schema) => walk(sub, value, path, { ...opts, unknownFields: "allow" });
  const out: string[] = [];
  for (const sub of schema.allOf ?? []) out.push(...judge(sub));
  if (schema.anyOf && !schema.anyOf.some((sub: Schema) => judge(sub).length === 0)) out.push(`${path}: matches none of the schema's anyOf`);
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((sub: Schema) => judge(sub).length === 0).length;
    if (matching !== 1) out.push(`${path}: matches ${matching} of the schema's oneOf, not exactly one`);
  }
  if (schema.not && judge(schema.not).length === 0) out.push(`${path}: matches what the schema's not forbids`);
  return out;
}

function objectProblems(schema: Schema, value: Record<string, unknown>, path: string, opts: Required<WalkOptions>): string[] {
  const out: string[] = [];
  const properties: Record<string, Schema> = schema.properties ?? {};
  const additional = schema.additionalProperties;
  for (const name of schema.required ?? []) if (!(name in value)) out.push(`${childPath(path, name)}: required, and missing`);
  for (const [key, child] of Object.entries(value)) {
    const at = childPath(path, key);
    if (key in properties) out.push(...walk(properties[key], child, at, opts));
    else if (isPlainObject(additional)) out.push(...walk(additional, child, at, opts));
    else if (additional === false) out.push(`${at}: not allowed (the schema has additionalProperties: false)`);
    else if (opts.unknownFields === "prune" && additional !== true && !schema["x-kubernetes-preserve-unknown-fields"])
      out.push(`${at}: unknown field, which the API server prunes`);
  }
  return out;
}

/** The problems of a value against a schema, one line each (`spec.servers[0].port.nmber: unknown field, ...`); none = valid. */
export function walk(schema: Schema, value: unknown, path: string, options: WalkOptions): string[] {
  const opts: Required<WalkOptions> = { root: options.root ?? schema, unknownFields: options.unknownFields };
  const s = resolve(schema, opts.root);
  if (value === null || value === undefined) {
    const nullable = s.nullable === true || [s.type ?? []].flat().includes("null");
    return nullable ? [] : [`${path}: null, and the field is not nullable`];
  }
  const wrongType = typeProblem(s, value, path);
  if (wrongType) return [wrongType];
  const out: string[] = [];
  if (s.enum && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value)))
    out.push(`${path}: ${JSON.stringify(value)} is not one of ${s.enum.map((e: unknown) => JSON.stringify(e)).join(", ")}`);
  out.push(...boundsProblems(s, value, path), ...combinatorProblems(s, value, path, opts));
  if (Array.isArray(value) && s.items) value.forEach((item, i) => out.push(...walk(s.items, item, childPath(path, i), opts)));
  if (isPlainObject(value)) out.push(...objectProblems(s, value, path, opts));
  return out;
}
