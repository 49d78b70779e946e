import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { parseInput } from '../validation/parse-input.ts';
import { operatorOf } from './operator-auth.ts';
import { actingAs } from '../operators/operator-context.ts';
import { admits, type Operator, type Role } from '../operators/operator-roles.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRoute<P, Q, B, R> {
  method: Method;
  /** Fastify path under /api/v1, e.g. `/customers/:id`. */
  url: string;
  summary: string;
  tag: string;
  /** Who may call it; admin always may. */
  roles: readonly Role[];
  /**
   * A change that needs a recent sign-in when an operator makes it in the console (new client
   * secret, key rotation, erasure, role changes). A bearer key has no sign-in to be fresh.
   */
  sensitive?: boolean;
  /** A larger body than the API's 64 KiB, for a route that takes batches (413 payload_too_large above it). */
  bodyLimit?: number;
  /** A route that takes a file as its body, streamed (its scope's parser hands the stream on): the media types it takes, for the OpenAPI document. */
  upload?: readonly string[];
  /** A route that answers a file, streamed: its media type; the handler answers a readable stream. */
  download?: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  status: number;
  /** Output schema; unknown fields are dropped, so internal columns never leak. */
  response?: z.ZodType<R>;
  handler: (input: { params: P; query: Q; body: B; caller: Caller; operator: Operator }) => Promise<R | void>;
}

/** Where a call came from, for throttles and evidence: the API's request or the console's. */
export interface Caller {
  ip: string;
}

/** One call of an operation, its input still raw (as parsed from JSON, a query string or a form). */
export interface OperationCall {
  params?: unknown;
  query?: unknown;
  body?: unknown;
}

export type AnyApiRoute = ApiRoute<any, any, any, any>;

const errorSchema = z.object({ error: z.string(), message: z.string(), details: z.unknown().optional() });

/**
 * Collects the management operations: each is served at `/api/v1` and run by the console through
 * `run`, so both go through the same role check, validation and audit naming (one permission
 * model). The OpenAPI document is generated from the very schemas that validate.
 */
export class ApiRegistry {
  readonly #routes: AnyApiRoute[] = [];

  add<P, Q, B, R>(app: FastifyInstance, route: ApiRoute<P, Q, B, R>): void {
    this.#routes.push(route);
    app.route({
      method: route.method,
      url: route.url,
      ...(route.bodyLimit ? { bodyLimit: route.bodyLimit } : {}),
      handler: async (request, reply) => {
        const result = await this.run(route.method, route.url, operatorOf(request), { params: request.params, query: request.query, body: request.body }, { ip: request.ip });
        reply.code(route.status);
        if (route.download) return reply.type(route.download).send(result);
        return route.response === undefined ? reply.send() : reply.send(result);
      },
    });
  }

  /** The operation served at `method url` (the Fastify path, e.g. `/customers/:id`). */
  operation(method: Method, url: string): AnyApiRoute {
    const route = this.#routes.find((candidate) => candidate.method === method && candidate.url === url);
    if (!route) throw new Error(`no management operation ${method} ${url}`);
    return route;
  }

  /** Whether the operator's roles admit the operation at all (what a page shows or hides). */
  allows(operator: Operator, method: Method, url: string): boolean {
    return admits(operator, this.operation(method, url).roles);
  }

  /** Every operation, for the role-wall tests and the console's menus. */
  operations(): readonly AnyApiRoute[] {
    return this.#routes;
  }

  /**
   * Runs an operation as `operator`: role check (403 forbidden), input validation (400), the
   * handler with the audit log naming the operator, and the response schema (unknown fields dropped).
   */
  async run(method: Method, url: string, operator: Operator, call: OperationCall, caller: Caller): Promise<unknown> {
    const route = this.operation(method, url);
    if (!admits(operator, route.roles)) throw new DomainError('forbidden', 403, `This needs the role ${route.roles.join(' or ')}`);
    const params = route.params ? parseInput(route.params, call.params, 'params') : undefined;
    const query = route.query ? parseInput(route.query, call.query ?? {}, 'query') : undefined;
    const body = route.body ? parseInput(route.body, call.body, 'body') : undefined;
    const result = await actingAs(operator, () => route.handler({ params, query, body, caller, operator }));
    if (route.download) return result;
    return route.response === undefined ? undefined : route.response.parse(result);
  }

  openapi(serverUrl: string): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.#routes) {
      const path = `/api/v1${route.url.replace(/:(\w+)/g, '{$1}')}`;
      const parameters = [
        ...objectParameters(route.params, 'path'),
        ...objectParameters(route.query, 'query'),
      ];
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = {
        summary: route.summary,
        description: `Roles: ${[...new Set(['admin', ...route.roles])].join(', ')}`,
        'x-roles': [...new Set(['admin', ...route.roles])],
        // The console asks for a fresh sign-in first; a bearer key is not asked.
        ...(route.sensitive ? { 'x-sensitive': true } : {}),
        tags: [route.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(route.upload
          ? { requestBody: { required: true, content: Object.fromEntries(route.upload.map((type) => [type, { schema: { type: 'string', contentMediaType: type } }])) } }
          : route.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) } } } }
          : {}),
        responses: {
          [route.status]: route.download
            ? { description: 'OK', content: { [route.download]: { schema: { type: 'string', contentMediaType: route.download } } } }
            : route.response
            ? { description: 'OK', content: { 'application/json': { schema: z.toJSONSchema(route.response, { io: 'output', unrepresentable: 'any' }) } } }
            : { description: 'Done' },
          default: { description: 'Error', content: { 'application/json': { schema: z.toJSONSchema(errorSchema) } } },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Portvakt management API', version: '1' },
      servers: [{ url: serverUrl }],
      security: [{ bearer: [] }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'PORTVAKT_ADMIN_KEY, an API key (pvk_…) with a role, or a client_credentials access token with portvakt:{role} scopes' } } },
      paths,
    };
  }
}

function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}
