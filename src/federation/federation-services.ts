import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.ts';
import type { CustomerStore } from '../customers/customer-store.ts';
import type { Customers } from '../customers/customers.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { OutboundFetch } from '../outbound/outbound-guard.ts';
import type { Database } from '../store/schema.ts';
import { ConnectionTests } from './connection-tests.ts';
import { Connections } from './connections.ts';
import { IdentityLinks } from './identity-links.ts';
import { UpstreamClients, type UpstreamLog } from './upstream-clients.ts';
import { UpstreamSignIn } from './upstream-sign-in.ts';

export type Federation = ReturnType<typeof buildFederation>;

/** Sign-in with existing identities: connections to upstream providers, the sign-in through them, and linking. */
export function buildFederation(deps: { config: Config; db: Kysely<Database>; audit: AuditLog; customers: Customers; customerStore: CustomerStore; flows: InteractionFlowStore; pool: string; fetch: OutboundFetch; log?: UpstreamLog }) {
  const connections = new Connections({ db: deps.db, key: deps.config.secrets.sealing('connection-secret'), audit: deps.audit, issuer: deps.config.issuer });
  const clients = new UpstreamClients({ connections, allowHttp: !deps.config.production, timeoutMs: deps.config.upstreamTimeoutMs, fetch: deps.fetch, ...(deps.log ? { log: deps.log } : {}) });
  connections.checkWith(async (candidate) => {
    await clients.build(candidate);
  });
  const links = new IdentityLinks({ db: deps.db, flows: deps.flows, connections, customers: deps.customers, customerStore: deps.customerStore, audit: deps.audit });
  const upstream = new UpstreamSignIn({ db: deps.db, connections, clients, links, customers: deps.customers, flows: deps.flows, audit: deps.audit, pool: deps.pool });
  const tests = new ConnectionTests({ db: deps.db, connections, clients, flows: deps.flows, audit: deps.audit });
  return {
    connections,
    /** Administrators' test sign-ins through a connection (they sign nobody in). */
    tests,
    links,
    upstream,
    /** The "Continue with …" buttons of a client's sign-in page. */
    offeredTo: (clientId: string, brand: string | null) => connections.offeredTo(clientId, brand).then((list) => list.map(({ key, name }) => ({ key, name }))),
  };
}
