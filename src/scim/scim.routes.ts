import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scimPatch, ScimError as PatchError, type ScimPatchOperation } from 'scim-patch';
import { parse, type Filter } from 'scim2-parse-filter';
import { DomainError } from '../errors/domain-error.ts';
import { OPERATOR } from '../events/audit-log.ts';
import type { ApiKeys } from '../operators/api-keys.ts';
import { actingAs } from '../operators/operator-context.ts';
import type { Operator } from '../operators/operator-roles.ts';
import { ScimError } from './scim-errors.ts';
import { resourceTypes, schemas, serviceProviderConfig, MAX_RESULTS } from './scim-discovery.ts';
import type { ScimUser } from './scim-user-schema.ts';
import { LIST_SCHEMA, type Provisioner, type ScimUsers, type UserFilter } from './scim-users.ts';

const SCIM_JSON = 'application/scim+json; charset=utf-8';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const callers = new WeakMap<FastifyRequest, Operator>();

/** Portvakt's refusals as SCIM errors: conflicts over who holds an address, phone or reference are `uniqueness`. */
function scimErrorOf(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof DomainError) {
    if (error.status === 409) return new ScimError(409, 'uniqueness', `${error.code}: ${error.message}`);
    if (error.status === 400 || error.status === 422) return new ScimError(400, 'invalidValue', `${error.code}: ${error.message}`);
    if (error.status === 404) return new ScimError(404, undefined, error.message);
    if (error.status < 500) return new ScimError(error.status, undefined, error.message);
  }
  const framework = error as { statusCode?: number; code?: string };
  if (framework.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ScimError(413, undefined, 'The request body is too large');
  if (framework.statusCode === 415 || framework.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ScimError(415, undefined, 'Send application/scim+json');
  if (framework.statusCode && framework.statusCode >= 400 && framework.statusCode < 500) return new ScimError(400, 'invalidSyntax', 'The body is not valid JSON');
  return new ScimError(500, undefined, 'Something went wrong on our side');
}

/** `filter=userName eq "…"` or `externalId eq "…"`, parsed by `scim2-parse-filter`; anything else is 400 `invalidFilter`. */
function userFilter(raw: string | undefined): UserFilter | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let filter: Filter;
  try {
    filter = parse(raw);
  } catch {
    throw new ScimError(400, 'invalidFilter', 'The filter cannot be parsed');
  }
  if (filter.op === 'eq' && 'attrPath' in filter && typeof filter.compValue === 'string') {
    const attribute = filter.attrPath.replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, '').toLowerCase();
    if (attribute === 'username') return { attribute: 'userName', value: filter.compValue };
    if (attribute === 'externalid') return { attribute: 'externalId', value: filter.compValue };
  }
  throw new ScimError(400, 'invalidFilter', 'Only userName eq "…" and externalId eq "…" are supported');
}

/** A non-negative whole number from the query, or the default; startIndex below 1 counts as 1 and count is capped (RFC 7644 §3.4.2.4). */
function whole(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d{1,9}$/.test(raw)) throw new ScimError(400, 'invalidValue', 'startIndex and count are whole numbers');
  return Number(raw);
}

/** The key is an integration key naming exactly one system: its `externalId`s are references there. */
function provisionerOf(operator: Operator): Provisioner {
  if (!operator.roles.includes('integration') || operator.systems?.length !== 1) throw new ScimError(403, undefined, 'SCIM takes an integration key that names exactly one system');
  return { actor: OPERATOR, system: operator.systems[0]! };
}

/**
 * `/scim/v2`: SCIM 2.0 (RFC 7644) for platforms that provision customers, behind an integration
 * key (`Authorization: Bearer pvk_…`). Users, ServiceProviderConfig, ResourceTypes and Schemas;
 * every answer and error is `application/scim+json`.
 */
export async function scimRoutes(app: FastifyInstance, deps: { users: ScimUsers; keys: ApiKeys; base: string }): Promise<void> {
  await app.register(
    async (scim) => {
      scimScope(scim, deps.keys);
      discoveryRoutes(scim, deps.base);
      userRoutes(scim, deps.users, deps.base);
    },
    { prefix: '/scim/v2' },
  );
}

/** The scope's own body parsing, errors, 404s and key check: everything in SCIM's form. */
function scimScope(scim: FastifyInstance, keys: ApiKeys): void {
  scim.removeAllContentTypeParsers();
  scim.addContentTypeParser(['application/scim+json', 'application/json'], { parseAs: 'string', bodyLimit: 256 * 1024 }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ScimError(400, 'invalidSyntax', 'The body is not valid JSON'), undefined);
    }
  });
  scim.setErrorHandler((error, request, reply) => {
    const scimError = scimErrorOf(error);
    if (scimError.status >= 500) request.log.error({ err: error }, 'unhandled error');
    if (scimError.status === 401) reply.header('www-authenticate', 'Bearer realm="portvakt-scim"');
    return reply.code(scimError.status).type(SCIM_JSON).send(scimError.body());
  });
  scim.setNotFoundHandler((request, reply) => reply.code(404).type(SCIM_JSON).send(new ScimError(404, undefined, `No endpoint ${request.method} ${request.url.split('?')[0]}`).body()));
  scim.addHook('onRequest', async (request) => {
    const presented = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const operator = presented?.startsWith('pvk_') ? await keys.authenticate(presented) : undefined;
    if (!operator) throw new ScimError(401, undefined, 'An integration key is required (Authorization: Bearer pvk_…)');
    callers.set(request, operator);
  });
  scim.addHook('onSend', async (_request, reply, payload) => {
    reply.type(SCIM_JSON);
    return payload;
  });

}

/** ServiceProviderConfig, ResourceTypes and Schemas (RFC 7644 §4). */
function discoveryRoutes(scim: FastifyInstance, base: string): void {
  scim.get('/ServiceProviderConfig', async () => serviceProviderConfig(base));
  scim.get('/ResourceTypes', async () => ({ schemas: [LIST_SCHEMA], totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: resourceTypes(base) }));
  scim.get('/ResourceTypes/User', async () => resourceTypes(base)[0]);
  scim.get('/Schemas', async () => ({ schemas: [LIST_SCHEMA], totalResults: schemas.length, startIndex: 1, itemsPerPage: schemas.length, Resources: schemas }));
  scim.get<{ Params: { id: string } }>('/Schemas/:id', async (request) => {
    const schema = schemas.find((each) => each.id === request.params.id);
    if (!schema) throw new ScimError(404, undefined, `No schema ${request.params.id}`);
    return schema;
  });

}

/** The call run as its key (the audit names it) and as the one system it speaks for. */
function as<T>(request: FastifyRequest, work: (who: Provisioner) => Promise<T>): Promise<T> {
  const operator = callers.get(request)!;
  return actingAs(operator, () => work(provisionerOf(operator)));
}

/** `/Users`: list and filter, read, create, replace, patch, delete. */
function userRoutes(scim: FastifyInstance, users: ScimUsers, base: string): void {
  const location = (user: ScimUser) => `${base}/scim/v2/Users/${user.id}`;
  const withLocation = (reply: FastifyReply, user: ScimUser) => {
    reply.header('location', location(user)).header('etag', user.meta.version);
    return { ...user, meta: { ...user.meta, location: location(user) } };
  };
  scim.get<{ Querystring: Record<string, string | undefined> }>('/Users', async (request) =>
    as(request, async (who) => {
      const filter = userFilter(request.query.filter);
      const startIndex = Math.max(1, whole(request.query.startIndex, 1));
      const count = Math.min(MAX_RESULTS, Math.max(0, whole(request.query.count, 100)));
      const page = await users.list(filter, startIndex, count, who);
      const resources = page.resources.map((user) => ({ ...user, meta: { ...user.meta, location: location(user) } }));
      return { schemas: [LIST_SCHEMA], totalResults: page.totalResults, startIndex: page.startIndex, itemsPerPage: resources.length, Resources: resources };
    }),
  );
  scim.get<{ Params: { id: string } }>('/Users/:id', async (request, reply) => as(request, async (who) => withLocation(reply, await users.get(request.params.id, who))));
  scim.post('/Users', async (request, reply) =>
    as(request, async (who) => {
      const user = await users.create(request.body, who);
      reply.code(201);
      return withLocation(reply, user);
    }),
  );
  scim.put<{ Params: { id: string } }>('/Users/:id', async (request, reply) => as(request, async (who) => withLocation(reply, await users.replace(request.params.id, request.body, who))));
  scim.patch<{ Params: { id: string } }>('/Users/:id', async (request, reply) =>
    as(request, async (who) => {
      const body = request.body as { schemas?: unknown; Operations?: unknown } | undefined;
      if (!body || !Array.isArray(body.schemas) || !body.schemas.includes(PATCH_SCHEMA) || !Array.isArray(body.Operations) || body.Operations.length === 0) {
        throw new ScimError(400, 'invalidSyntax', `A PATCH body is a ${PATCH_SCHEMA} with Operations`);
      }
      const operations = body.Operations as ScimPatchOperation[];
      const apply = (user: ScimUser): ScimUser => {
        try {
          return scimPatch({ ...user, meta: { ...user.meta } } as never, operations, { mutateDocument: false, treatMissingAsAdd: true }) as unknown as ScimUser;
        } catch (error) {
          if (error instanceof PatchError) throw new ScimError(400, (error.scimCode as ScimError['scimType']) ?? 'invalidValue', error.message);
          throw error;
        }
      };
      return withLocation(reply, await users.patch(request.params.id, apply, who));
    }),
  );
  scim.delete<{ Params: { id: string } }>('/Users/:id', async (request, reply) =>
    as(request, async (who) => {
      await users.remove(request.params.id, who);
      return reply.code(204).send();
    }),
  );
}
