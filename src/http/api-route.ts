import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { parseInput } from '../validation/parse-input.ts';
import { operatorOf } from './operator-auth.ts';
import { actingAs } from '../operators/operator-context.ts';
import { admits, type Operator, type Role } from '../operators/operator-roles.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRoute<P, Q, B, R> {
  method: Method;
  /** Fastify path under /api/v1, e.g. `/customers/:id`. */
  url: string;
  summary: string;
  tag: string;
  /** Who may call it; admin always may. */
  roles: readonly Role[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  status: number;
  /** Output schema; unknown fields are dropped, so internal columns never leak. */
  response?: z.ZodType<R>;
  handler: (input: { params: P; query: Q; body: B; request: FastifyRequest; operator: Operator }) => Promise<R | void>;
}

const errorSchema = z.object({ error: z.string(), message: z.string(), details: z.unknown().optional() });

/** Collects routes so the OpenAPI document is generated from the very schemas that validate. */
export class ApiRegistry {
  readonly #routes: Array<ApiRoute<any, any, any, any>> = [];

  add<P, Q, B, R>(app: FastifyInstance, route: ApiRoute<P, Q, B, R>): void {
    this.#routes.push(route);
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const operator = operatorOf(request);
        if (!admits(operator, route.roles)) throw new DomainError('forbidden', 403, `This needs the role ${route.roles.join(' or ')}`);
        const params = route.params ? parseInput(route.params, request.params, 'params') : (undefined as P);
        const query = route.query ? parseInput(route.query, request.query ?? {}, 'query') : (undefined as Q);
        const body = route.body ? parseInput(route.body, request.body, 'body') : (undefined as B);
        const result = await actingAs(operator, () => route.handler({ params, query, body, request, operator }));
        reply.code(route.status);
        if (route.response === undefined) return reply.send();
        return reply.send(route.response.parse(result));
      },
    });
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
        tags: [route.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(route.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) } } } }
          : {}),
        responses: {
          [route.status]: route.response
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
