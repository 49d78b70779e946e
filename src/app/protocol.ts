import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import type { CustomerSessions } from '../account/customer-sessions.ts';
import { Clients, type ClientMetadataValidator } from '../clients/clients.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { RateLimit } from '../http/rate-limit.ts';
import { clientMetadata } from '../oidc/client-adapter.ts';
import { DevicePolling } from '../oidc/device-polling.ts';
import { BACKCHANNEL_LOGOUT_TOPIC, BackchannelLogouts, backchannelLogoutDelivery } from '../oidc/backchannel-logout.ts';
import { createProvider } from '../oidc/provider.ts';
import { ProviderHost } from '../oidc/provider-host.ts';
import { KeyRotation } from '../oidc/key-rotation.ts';
import { SIGNING_KEYS_TOPIC } from '../oidc/signing-keys.ts';
import { providerRoutes } from '../oidc/provider.routes.ts';
import { PurposeRequests } from '../oidc/purpose-requests.ts';
import type { Metrics } from '../ops/metrics.ts';
import { ResourceServerStore } from '../resource-servers/resource-server-store.ts';
import { ResourceServers } from '../resource-servers/resource-servers.ts';
import { ReadCache } from '../store/change-notices.ts';
import { providerPages } from '../pages/oidc-provider.page.ts';
import type { CredentialServices } from './credential-services.ts';
import type { CustomerDomain } from './customer-domain.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { SelfService } from './self-service.ts';

export interface Protocol {
  host: ProviderHost;
  clients: Clients;
  resourceServers: ResourceServers;
  devicePolling: DevicePolling;
  keyRotation: KeyRotation;
}

/** How long a node may serve a resource server from its cache (changes reach every node at once through Redis). */
const RESOURCE_SERVER_CACHE_MS = 10_000;

/** oidc-provider, built from the services (and rebuilt by the host when the signing keys change). */
export async function startProtocol(infra: Infrastructure, domain: CustomerDomain, credentials: CredentialServices, self: SelfService): Promise<Protocol> {
  const { config } = infra;
  const { ledger, brands, profile } = domain;
  const resourceServerStore = new ResourceServerStore(infra.store.db, new ReadCache('resource-server', infra.changes, RESOURCE_SERVER_CACHE_MS));
  const logouts = new BackchannelLogouts(self.messaging.outbox, domain.clientStore);
  infra.artifacts.onSessionsEnded((db, notices) => logouts.enqueue(db, notices));
  const host = await ProviderHost.start(credentials.keys, (jwks) => {
    const provider = createProvider(
      {
        issuer: config.issuer,
        artifacts: infra.artifacts,
        clients: domain.clientStore,
        serviceProviders: domain.serviceProviderStore,
        resourceServers: resourceServerStore,
        findCustomer: (id) => domain.customerStore.findById(id),
        purposeRequests: new PurposeRequests(domain.purposes, ledger),
        referencesOf: (id) => self.privacy.references.list(id),
        attributesOf: (id) => profile.attributes.of(id),
        segmentsOf: (id, allowed) => self.personalization.claim(id, allowed),
        // Under single sign-on the visit is recorded here when no notice is due (the notice records its own).
        brandNoticeDue: async (id, brand) => (await brands.arrive(id, brand)) !== undefined,
        grantedConsents: async (id) => (await ledger.state(id)).filter((entry) => entry.effective).map((entry) => ({ purpose: entry.purpose, version: entry.version! })),
        cookieKeys: config.secrets.cookieKeys(),
        pages: providerPages,
        backchannelLogout: (notice) => logouts.enqueue(infra.store.db, [notice]),
      },
      jwks,
    );
    observeProvider(provider, infra.metrics, infra.log, self.sessions);
    DevicePolling.announceInterval(provider);
    return provider;
  });
  self.messaging.worker.route(BACKCHANNEL_LOGOUT_TOPIC, backchannelLogoutDelivery({ provider: () => host.current, fetch: infra.outbound.fetch, log: infra.log }), { concurrent: true });
  return {
    host,
    clients: new Clients(domain.clientStore, validatorFor(host), domain.audit, infra.checkOutboundUrl),
    resourceServers: new ResourceServers({ store: resourceServerStore, clients: domain.clientStore, audit: domain.audit, production: config.production }),
    devicePolling: new DevicePolling(infra.artifacts.adapter('DevicePoll')),
    keyRotation: new KeyRotation({
      keys: credentials.keys,
      audit: domain.audit,
      keyRefreshMs: config.keyRefreshMs,
      // This node signs with the new key before the answer; the others reload on the notice.
      announce: async (added) => {
        await host.refreshKeys();
        infra.changes.publish(SIGNING_KEYS_TOPIC, added.join(','));
      },
    }),
  };
}

/** The protocol's own endpoints (`/auth`, `/token`, `/.well-known/…`), the per-client limit in front of the token endpoints. */
export async function mountProtocol(app: FastifyInstance, protocol: Protocol, credentials: CredentialServices, perClient: RateLimit): Promise<void> {
  await app.register(async (scope) => providerRoutes(scope, protocol.host, credentials.deviceCodeGuesses, perClient, protocol.devicePolling));
}

/** Client metadata is checked by oidc-provider's own schema before it is stored. */
function validatorFor(host: ProviderHost): ClientMetadataValidator {
  return async (clientId, metadata, secretHash) => {
    try {
      await host.current.Client.validate(clientMetadata({ clientId, secretHash, metadata }) as never);
    } catch (error) {
      const oauth = error as { error?: string; error_description?: string; message?: string };
      throw new DomainError(oauth.error ?? 'invalid_client_metadata', 400, oauth.error_description ?? oauth.message ?? 'invalid client metadata');
    }
  };
}

function observeProvider(provider: Provider, metrics: Metrics, log: FastifyBaseLogger, sessions: CustomerSessions): void {
  // Last use of each browser session, for the customer's list of devices.
  provider.on('authorization.success', (ctx) => {
    const session = ctx.oidc.session;
    if (!session?.accountId) return;
    sessions.touch(session.uid, session.accountId, String(ctx.get('user-agent') ?? '')).catch((error: unknown) => log.warn({ err: error }, 'could not record session use'));
  });
  provider.on('grant.success', (ctx) => metrics.tokenIssued(String(ctx.oidc.params?.grant_type ?? 'unknown')));
  provider.on('server_error', (_ctx, error) => log.error({ err: error }, 'oidc-provider server error'));
}
