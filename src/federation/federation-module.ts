import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.ts';
import { deriveKey } from '../crypto/derived-keys.ts';
import type { CustomerService } from '../customers/customer.service.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { InteractionContext } from '../flows/interaction-context.ts';
import type { InteractionFlowStore } from '../flows/interaction-flow.store.ts';
import type { SecondFactorSteps } from '../flows/second-factor.routes.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { Database } from '../store/schema.ts';
import { connectionRoutes } from './connection.routes.ts';
import { Connections } from './connections.ts';
import { UpstreamSignIn } from './upstream-sign-in.ts';
import { upstreamRoutes } from './upstream.routes.ts';

/** Sign-in with existing identities: connections to upstream providers and the hosted flow through them. */
export function buildFederation(deps: { config: Config; db: Kysely<Database>; audit: AuditLog; customers: CustomerService; flows: InteractionFlowStore; pool: string }) {
  const connections = new Connections({ db: deps.db, key: deriveKey(deps.config.secret, 'connection-secret'), audit: deps.audit, issuer: deps.config.issuer, allowHttp: !deps.config.production });
  const upstream = new UpstreamSignIn({ db: deps.db, connections, customers: deps.customers, flows: deps.flows, audit: deps.audit, pool: deps.pool });
  return {
    connections,
    apiRoutes: (secured: FastifyInstance, api: ApiRegistry) => connectionRoutes(secured, api, connections),
    pageRoutes: (pages: FastifyInstance, page: { interactions: InteractionContext; steps: SecondFactorSteps; csrf: CsrfGuard; metrics: Metrics }) =>
      upstreamRoutes(pages, { ...page, upstream, connections, audit: deps.audit }),
  };
}
