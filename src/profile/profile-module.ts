import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import type { PageSteps } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import { profileDueRoutes } from '../flows/profile-due.routes.ts';
import type { ChangeNotices } from '../store/change-notices.ts';
import type { Database } from '../store/schema.ts';
import { CustomerAttributes } from './customer-attributes.ts';
import { ProfileSchema } from './profile-schema.ts';
import { profileRoutes } from './profile.routes.ts';
import { ProgressiveProfiling, requestedClaims } from './progressive-profiling.ts';

/** The profile beyond the core fields: its schema, each customer's values, and asking for them when a client needs them. */
export function buildProfile(deps: { db: Kysely<Database>; audit: AuditLog; events: EventPublisher; changes: ChangeNotices }) {
  const schema = new ProfileSchema(deps.db, deps.audit, deps.changes);
  const attributes = new CustomerAttributes({ db: deps.db, schema, audit: deps.audit, events: deps.events });
  const profiling = new ProgressiveProfiling(schema, attributes);
  return {
    schema,
    attributes,
    /** The attributes to ask before this sign-in completes. */
    dueKeys: async (customerId: string, params: Record<string, unknown>) => (await profiling.due(customerId, requestedClaims(params))).map((attribute) => attribute.key),
    apiRoutes: (secured: FastifyInstance, api: ApiRegistry) => profileRoutes(secured, api, { schema, attributes }),
    pageRoutes: (pages: FastifyInstance, page: { steps: PageSteps; flows: InteractionFlowStore; continuation: SignInContinuation }) => profileDueRoutes(pages, { ...page, schema, attributes }),
  };
}
