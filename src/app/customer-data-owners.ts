import { DevOutbox } from '../messaging/dev-outbox.ts';
import type { CredentialServices } from './credential-services.ts';
import type { CustomerDomain } from './customer-domain.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { SelfService } from './self-service.ts';

/**
 * Who forgets what when a customer is erased or deleted: every owner of a table holding a
 * customer's data, registered with Customers once all are built (most are built after it).
 * Customers asks them in this order and its own store last (guests before the customer row,
 * whose foreign key would otherwise clear `claimed_by`). Next to them the holders of tables
 * erasure keeps (each declares why), so `customers.dataDeclarations()` answers for every table
 * holding customer data; test/architecture/customer-data.test.ts checks that against the schema.
 */
export function registerCustomerDataOwners(services: Infrastructure & CustomerDomain & CredentialServices & SelfService): void {
  const { customers } = services;
  customers.forgetWith(
    services.artifacts,
    services.flows,
    services.sessions,
    services.codes,
    services.credentialStore,
    services.federation.links,
    services.guests,
    services.privacy.references,
    services.callerVerifications,
    services.profile.attributes,
    services.brands,
    services.privacy.tasks,
    services.privacy.exports,
    services.personalization.signals,
    services.personalization.segments,
    services.inStore.codes,
    services.inStore.till,
  );
  customers.declaredBy(
    services.audit,
    services.ledger,
    services.privacy.suppressions,
    services.privacy.requests,
    services.publisher,
    services.deliveries,
    services.throttle,
    services.messaging.outbox,
    DevOutbox,
  );
}
