/**
 * Malformed requests for the management API, built from its OpenAPI document: junk path and
 * query values, missing or wrong auth, bodies of the wrong shape, size, encoding or media type.
 */
/** The methods autocannon can send (HEAD and CONNECT left out: its parser would wait for a body, or the socket closes). */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'TRACE';

export interface Malformed {
  family: string;
  name: string;
  method: Method;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  pattern?: string;
}

export interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}


export const KIB = 1024;
export const HUGE = 'x'.repeat(60 * KIB);
export const REDIRECT = 'http://127.0.0.1:9/cb';
export const UUID_LIKE = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
export const JSON_TYPE = 'application/json';
export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Path parameter values no route should take seriously. */
export const JUNK_PARAMS = [
  '%00',
  "x'--",
  'A'.repeat(600),
  '..%2F..%2Fetc%2Fpasswd',
  '%ff%fe%fd',
  '%7Bid%7D',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '-1',
  'null',
  '%E2%80%AE%F0%9F%92%A9',
];

/** Bodies wrong regardless of the schema: [name, content-type (undefined: none), body]. */
export const GENERIC_BODIES: Array<[string, string | undefined, string | Buffer]> = [
  ['truncated-json', JSON_TYPE, '{"email": "a@example.se", "name": '],
  ['single-quotes', JSON_TYPE, "{'name': 'x'}"],
  ['array', JSON_TYPE, '[1,2,3,{"a":[]}]'],
  ['deep-nesting', JSON_TYPE, `${'{"a":'.repeat(8000)}1${'}'.repeat(8000)}`],
  ['deep-array', JSON_TYPE, `${'['.repeat(20000)}${']'.repeat(20000)}`],
  ['json-null', JSON_TYPE, 'null'],
  ['json-string', JSON_TYPE, '"just a string"'],
  ['json-overflow-number', JSON_TYPE, '1e999'],
  ['empty-json', JSON_TYPE, ''],
  ['invalid-utf8', JSON_TYPE, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])],
  ['lone-surrogate', JSON_TYPE, '{"name":"\\ud800\\udfff\\ud800","email":"\\u0000@x"}'],
  ['duplicate-keys', JSON_TYPE, '{"name":"a","name":{"x":1},"name":[1]}'],
  ['long-array', JSON_TYPE, `[${Array.from({ length: 25_000 }, () => '0').join(',')}]`],
  ['many-keys', JSON_TYPE, `{${Array.from({ length: 4000 }, (_, i) => `"k${i}":${i}`).join(',')}}`],
  ['text-plain', 'text/plain', 'name=x&email=y'],
  ['multipart-junk', 'multipart/form-data; boundary=aaa', '--bbb\r\nContent-Disposition: form-data; name="x"\r\n\r\njunk\r\n--bbb--'],
  ['form-on-json', FORM_TYPE, 'a=1&a=2&__proto__[admin]=1&constructor[prototype][x]=1'],
  ['utf16-json', 'application/json; charset=utf-16le', Buffer.from('{"name":"x"}', 'utf16le')],
  ['xml-entities', 'application/xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'],
  ['no-content-type', undefined, '{"name":"x"}'],
  ['weird-content-type', 'application/json; charset=\u00ff; boundary', '{}'],
  ['json-with-bom', JSON_TYPE, '\ufeff{"name":"x"}'],
];

export const PROTO_BODIES: Array<[string, string]> = [
  ['proto-pollution', '{"__proto__":{"admin":true,"role":"admin"},"name":"x"}'],
  ['constructor-pollution', '{"constructor":{"prototype":{"polluted":true}},"name":"x"}'],
];

/** A value of the wrong JSON type for a schema. */
function wrongValue(schema: JsonSchema | undefined): unknown {
  if (!schema) return [[[]]];
  if (schema.anyOf?.length) return wrongValue(schema.anyOf[0]);
  if (schema.enum) return 'not-one-of-the-enum-values';
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return 12345;
    case 'integer':
    case 'number':
      return '1e999';
    case 'boolean':
      return 'yes';
    case 'array':
      return { 0: 'not-an-array' };
    case 'object':
      return ['not', 'an', 'object'];
    default:
      return [[[]]];
  }
}

function objectBody(schema: JsonSchema | undefined, value: (property: JsonSchema, name: string) => unknown): string {
  const properties = schema?.properties ?? { name: { type: 'string' }, email: { type: 'string' } };
  return JSON.stringify(Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, value(property, name)])));
}

function isStringSchema(schema: JsonSchema): boolean {
  if (schema.anyOf) return schema.anyOf.some(isStringSchema);
  return schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string'));
}

/** A path parameter value the route's own pattern would accept, so the body check is reached. */
function plausibleParam(schema: JsonSchema | undefined): string {
  const pattern = schema?.pattern ?? '';
  if (pattern.includes('[0-9a-fA-F]{8}')) return UUID_LIKE;
  if (pattern.startsWith('^pvk_')) return 'pvk_AAAAAAAAAAAAAAAA';
  if (pattern.startsWith('^ptk_')) return `ptk_${UUID_LIKE}`;
  return 'flood_key';
}

const fill = (template: string, value: (name: string) => string) => template.replace(/\{([^}]+)\}/g, (_, name: string) => value(name));

export function apiRequests(openapi: { paths: Record<string, Record<string, OpenApiOperation>> }, adminKey: string): Malformed[] {
  const out: Malformed[] = [];
  const admin = { authorization: `Bearer ${adminKey}` };
  let rotation = 0;
  let operationIndex = 0;
  for (const [template, operations] of Object.entries(openapi.paths)) {
    for (const [lower, operation] of Object.entries(operations)) {
      const method = lower.toUpperCase() as Method;
      const params = new Map((operation.parameters ?? []).map((p) => [p.name, p]));
      const plausiblePath = fill(template, (name) => plausibleParam(params.get(name)?.schema));
      const schema = operation.requestBody?.content?.[JSON_TYPE]?.schema;
      const hasBody = operation.requestBody !== undefined;
      const op = `${method} ${template}`;
      const add = (name: string, path: string, headers: Record<string, string>, body?: string | Buffer) =>
        out.push({ family: 'management-api', name: `${op} ${name}`, method, path, headers, ...(body === undefined ? {} : { body }) });
      const json = (name: string, body: string | Buffer, type: string | undefined = JSON_TYPE) => add(name, plausiblePath, { ...admin, ...(type ? { 'content-type': type } : {}) }, body);

      // Without the key, with a wrong one, with a malformed Authorization header (one per
      // operation on every other operation, rotating: the check is the same hook for all).
      const authVariants: Array<[string, Record<string, string>]> = [
        ['no-auth', {}],
        ['wrong-bearer', { authorization: 'Bearer pvk_AAAAAAAAAAAAAAAA.not-a-real-secret' }],
        ['basic-instead-of-bearer', { authorization: `Basic ${Buffer.from(`admin:${adminKey}`).toString('base64')}` }],
        ['bearer-huge', { authorization: `Bearer ${'A'.repeat(8 * KIB)}` }],
        ['bearer-jwt-none', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzY29wZSI6InBvcnR2YWt0OmFkbWluIn0.' }],
      ];
      if (operationIndex % 2 === 0) {
        const [authName, authHeaders] = authVariants[(operationIndex / 2) % authVariants.length]!;
        add(authName, plausiblePath, hasBody ? { ...authHeaders, 'content-type': JSON_TYPE } : authHeaders, hasBody ? '{}' : undefined);
      }

      // Junk in the path parameters (one junk value per operation, rotating through the list).
      if (template.includes('{')) {
        const junk = JUNK_PARAMS[operationIndex % JUNK_PARAMS.length]!;
        add(`junk-param ${junk.slice(0, 24)}`, fill(template, () => junk), hasBody ? { ...admin, 'content-type': JSON_TYPE } : admin, hasBody ? '{"x":' : undefined);
      }

      // Junk in the query parameters the operation declares, or each of them repeated (alternating).
      const queries = [...params.values()].filter((p) => p.in === 'query');
      if (queries.length > 0) {
        const junkQuery = queries.map((p, i) => `${encodeURIComponent(p.name)}=${['-1', 'abc', '1e309', '%00', 'A'.repeat(600), '%ff'][(operationIndex + i) % 6]}`).join('&');
        const repeated = queries.map((p) => `${p.name}=1&${p.name}=2&${p.name}[]=3&${p.name}[x]=4`).join('&');
        if (operationIndex % 2 === 0) add('junk-query', `${plausiblePath}?${junkQuery}`, admin);
        else add('repeated-query', `${plausiblePath}?${repeated}`, admin);
      }

      if (hasBody) {
        // Shaped after the operation's own schema, so each property's check is reached.
        json('wrong-types', objectBody(schema, (property) => wrongValue(property)));
        json('huge-strings', objectBody(schema, (property) => (isStringSchema(property) ? HUGE : wrongValue(property))));
        const shaped: Array<[string, string]> = [
          ['nulls', objectBody(schema, () => null)],
          ['numbers-for-strings', objectBody(schema, (property) => (isStringSchema(property) ? 9007199254740993 : -0.0000001))],
          ...PROTO_BODIES,
        ];
        const [shapedName, shapedBody] = shaped[operationIndex % shaped.length]!;
        json(shapedName, shapedBody);
        // One generic one, rotating so every kind hits at least one operation.
        const [name, type, body] = GENERIC_BODIES[rotation++ % GENERIC_BODIES.length]!;
        json(name, body, type);
      } else if (method === 'GET' && operationIndex % 3 === 0) {
        // A body where none belongs.
        json('unexpected-body', '{"__proto__":{"x":1}}');
      }
      operationIndex++;
    }
  }
  // Outside the documented routes.
  const extra: Array<[string, Method, string, Record<string, string>, string?]> = [
    ['unknown-route', 'GET', '/api/v1/does-not-exist', admin],
    ['traversal', 'GET', '/api/v1/..%2F..%2F..%2Fetc%2Fpasswd', admin],
    ['unsupported-method', 'TRACE', '/api/v1/customers', admin],
    ['put-on-collection', 'PUT', '/api/v1/clients', { ...admin, 'content-type': JSON_TYPE }, '[]'],
    ['openapi-junk-query', 'GET', '/api/v1/openapi.json?__proto__[x]=1&%00=%ff', {}],
    ['openapi-post', 'POST', '/api/v1/openapi.json', { 'content-type': JSON_TYPE }, '{"paths":{}}'],
    ['audit-verify-no-auth', 'GET', '/api/v1/audit/verify', {}],
  ];
  for (const [name, method, path, headers, body] of extra) out.push({ family: 'management-api', name, method, path, headers, ...(body === undefined ? {} : { body }) });
  return out;
}

