/**
 * A small JSON Schema (2020-12) validator for the keywords zod's `toJSONSchema` writes: type,
 * const, enum, properties, required, additionalProperties, propertyNames, items, anyOf, allOf,
 * pattern, minimum/maximum, minLength/maxLength, maxItems and local `$ref`s. Annotations (description, title, format, …) are
 * skipped; any other keyword is reported as not understood, so a schema this check cannot read
 * fails instead of passing unchecked. No validator is a dependency of the project.
 */
type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'format', 'default', 'examples', '$defs', 'definitions']);

export function schemaProblems(schema: Schema, value: unknown, root: Schema = schema, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const problems: string[] = [];
  for (const [keyword, rule] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    const check = KEYWORDS[keyword];
    if (!check) problems.push(`${path}: keyword ${keyword} not understood by this check`);
    else problems.push(...check(rule, value, { schema, root, path }));
  }
  return problems;
}

interface Where {
  schema: Record<string, unknown>;
  root: Schema;
  path: string;
}

const typeOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value);
const isObject = (value: unknown): value is Record<string, unknown> => typeOf(value) === 'object';

const KEYWORDS: Record<string, (rule: any, value: unknown, where: Where) => string[]> = {
  type: (rule: string | string[], value, { path }) => {
    const types = Array.isArray(rule) ? rule : [rule];
    const actual = typeOf(value);
    return types.includes(actual) || (actual === 'integer' && types.includes('number')) ? [] : [`${path}: ${actual}, not ${types.join(' or ')}`];
  },
  const: (rule, value, { path }) => (JSON.stringify(rule) === JSON.stringify(value) ? [] : [`${path}: not ${JSON.stringify(rule)}`]),
  enum: (rule: unknown[], value, { path }) => (rule.some((option) => JSON.stringify(option) === JSON.stringify(value)) ? [] : [`${path}: not one of ${JSON.stringify(rule)}`]),
  pattern: (rule: string, value, { path }) => (typeof value !== 'string' || new RegExp(rule, 'u').test(value) ? [] : [`${path}: ${JSON.stringify(value)} does not match ${rule}`]),
  minimum: (rule: number, value, { path }) => (typeof value !== 'number' || value >= rule ? [] : [`${path}: below ${rule}`]),
  maximum: (rule: number, value, { path }) => (typeof value !== 'number' || value <= rule ? [] : [`${path}: above ${rule}`]),
  minLength: (rule: number, value, { path }) => (typeof value !== 'string' || [...value].length >= rule ? [] : [`${path}: shorter than ${rule}`]),
  maxLength: (rule: number, value, { path }) => (typeof value !== 'string' || [...value].length <= rule ? [] : [`${path}: longer than ${rule}`]),
  maxItems: (rule: number, value, { path }) => (!Array.isArray(value) || value.length <= rule ? [] : [`${path}: more than ${rule} items`]),
  required: (rule: string[], value, { path }) => (isObject(value) ? rule.filter((key) => !(key in value)).map((key) => `${path}: ${key} is missing`) : []),
  properties: (rule: Record<string, Schema>, value, { root, path }) =>
    isObject(value) ? Object.entries(rule).flatMap(([key, inner]) => (key in value ? schemaProblems(inner, value[key], root, `${path}.${key}`) : [])) : [],
  additionalProperties: (rule: Schema, value, { schema, root, path }) => {
    if (!isObject(value)) return [];
    const declared = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
    return Object.keys(value)
      .filter((key) => !declared.includes(key))
      .flatMap((key) => (rule === false ? [`${path}: ${key} is not in the schema`] : schemaProblems(rule, value[key], root, `${path}.${key}`)));
  },
  propertyNames: (rule: Schema, value, { root, path }) => (isObject(value) ? Object.keys(value).flatMap((key) => schemaProblems(rule, key, root, `${path}[name ${key}]`)) : []),
  items: (rule: Schema, value, { root, path }) => (Array.isArray(value) ? value.flatMap((item, index) => schemaProblems(rule, item, root, `${path}[${index}]`)) : []),
  anyOf: (rule: Schema[], value, { root, path }) => {
    const tries = rule.map((option) => schemaProblems(option, value, root, path));
    return tries.some((found) => found.length === 0) ? [] : [`${path}: matches none of anyOf (${tries.map((found) => found[0]).join('; ')})`];
  },
  allOf: (rule: Schema[], value, { root, path }) => rule.flatMap((option) => schemaProblems(option, value, root, path)),
  $ref: (rule: string, value, { root, path }) => {
    if (!rule.startsWith('#')) return [`${path}: remote $ref ${rule} not understood by this check`];
    const target = rule
      .slice(1)
      .split('/')
      .filter(Boolean)
      .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], root);
    return target === undefined ? [`${path}: $ref ${rule} points nowhere`] : schemaProblems(target as Schema, value, root, path);
  },
};
