import { brandTemplateRoutes } from '../brands/brand-template.routes.ts';
import type { FastifyInstance } from 'fastify';
import { brandRoutes } from '../brands/brand.routes.ts';
import { clientRoutes } from '../clients/client.routes.ts';
import { consentFigureRoutes } from '../consent/consent-figures.routes.ts';
import { consentRoutes } from '../consent/consent.routes.ts';
import { customerServiceRoutes } from '../customer-service/customer-service.routes.ts';
import { customerReferenceRoutes } from '../customers/customer-reference.routes.ts';
import { customerRoutes } from '../customers/customer.routes.ts';
import { importRoutes, uploadParsers } from '../customers/import/import.routes.ts';
import { auditRoutes } from '../events/audit.routes.ts';
import { webhookRoutes } from '../events/webhook.routes.ts';
import { connectionTestRoutes } from '../federation/connection-test.routes.ts';
import { connectionRoutes } from '../federation/connection.routes.ts';
import { guestRoutes } from '../guests/guest.routes.ts';
import { ApiRegistry } from '../http/api-route.ts';
import { operatorAuth } from '../http/operator-auth.ts';
import { outboxRoutes } from '../messaging/outbox.routes.ts';
import { signingKeyRoutes } from '../oidc/signing-key.routes.ts';
import { apiKeyRoutes } from '../operators/api-key.routes.ts';
import { operatorRoutes } from '../operators/operator.routes.ts';
import { dataMapRoutes } from '../privacy/data-map.routes.ts';
import { privacyCallbackRoutes } from '../privacy/privacy-callback.routes.ts';
import { privacyRequestRoutes } from '../privacy/privacy-request.routes.ts';
import { inStoreRoutes } from '../in-store/in-store.routes.ts';
import { personalizationRoutes } from '../personalization/personalization.routes.ts';
import { profileRoutes } from '../profile/profile.routes.ts';
import { resourceServerRoutes } from '../resource-servers/resource-server.routes.ts';
import { serviceProviderRoutes } from '../saml/service-provider.routes.ts';
import { scimRoutes } from '../scim/scim.routes.ts';
import { ScimUsers } from '../scim/scim-users.ts';
import type { Services } from './services.ts';

/** `/api/v1`: the management API (JSON, OpenAPI 3.1 at `/api/v1/openapi.json`), every route behind an operator's bearer key and role. */
export async function mountManagementApi(app: FastifyInstance, services: Services): Promise<ApiRegistry> {
  const api = new ApiRegistry();
  await app.register(
    async (scope) => {
      scope.removeContentTypeParser('text/plain');
      scope.get('/openapi.json', async () => api.openapi(`${services.config.issuer}/api/v1`));
      await scope.register(async (secured) => {
        secured.addHook('onRequest', operatorAuth({ adminKey: services.config.adminKey, keys: services.apiKeys, host: services.host }));
        mountOperatorRoutes(secured, api, services);
      });
    },
    { prefix: '/api/v1' },
  );
  return api;
}

function mountOperatorRoutes(secured: FastifyInstance, api: ApiRegistry, services: Services): void {
  const { privacy, profile, customers } = services;
  apiKeyRoutes(secured, api, services.apiKeys);
  operatorRoutes(secured, api, services.operators.administration);
  signingKeyRoutes(secured, api, services.keyRotation);
  customerServiceRoutes(secured, api, { verifications: services.callerVerifications, timeline: services.timeline });
  clientRoutes(secured, api, services.clients);
  resourceServerRoutes(secured, api, services.resourceServers);
  customerRoutes(secured, api, { customers, search: services.customerSearch, verification: services.verification, references: privacy.references });
  auditRoutes(secured, api, services.audit);
  webhookRoutes(secured, api, { subscriptions: services.subscriptions, deliveries: services.deliveries, worker: services.webhookWorker });
  consentRoutes(secured, api, services);
  consentFigureRoutes(secured, api, services.consentFigures);
  dataMapRoutes(secured, api, { systems: privacy.systems, dataMap: privacy.dataMap });
  customerReferenceRoutes(secured, api, privacy.references);
  privacyRequestRoutes(secured, api, { requests: privacy.requests, queue: privacy.queue, systems: privacy.systems });
  connectionRoutes(secured, api, services.federation.connections);
  connectionTestRoutes(secured, api, services.federation.tests);
  profileRoutes(secured, api, profile);
  guestRoutes(secured, api, services.guests);
  brandRoutes(secured, api, services.brands);
  brandTemplateRoutes(secured, api, services.brands);
  outboxRoutes(secured, api, services.messaging.outbox);
  personalizationRoutes(secured, api, { personalization: services.personalization, customers });
  inStoreRoutes(secured, api, services.inStore);
  serviceProviderRoutes(secured, api, services.serviceProviders);
  // Uploads in a scope of their own: their bodies are streams, not JSON.
  void secured.register(async (uploads) => {
    uploadParsers(uploads);
    importRoutes(uploads, api, services.imports);
  });
}

/** What connected systems call: signed receipts of privacy tasks, and the published system contract. */
export function mountSystemCallbacks(app: FastifyInstance, { privacy }: Services): void {
  privacyCallbackRoutes(app, { requests: privacy.requests, tasks: privacy.tasks, systems: privacy.systems });
}

/** `/scim/v2`: SCIM 2.0 Users for platforms that provision customers, behind an integration key naming one system. */
export async function mountScim(app: FastifyInstance, services: Services): Promise<void> {
  const users = new ScimUsers({ db: services.store.db, customers: services.customers, customerStore: services.customerStore, references: services.privacy.references, requests: services.privacy.requests });
  await scimRoutes(app, { users, keys: services.apiKeys, base: services.config.issuer });
}
