import type { CredentialServices } from './credential-services.ts';
import type { CustomerDomain } from './customer-domain.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { SelfService } from './self-service.ts';

/**
 * Who forgets what when a customer is erased or deleted: every owner of a table holding a
 * customer's data, registered with Customers once all are built (most are built after it).
 * Customers asks them in this order and its own store last (guests before the customer row,
 * whose foreign key would otherwise clear `claimed_by`). A table is classified once: here, or as
 * holding no customer data, or as kept on erasure for a reason (test/architecture/customer-data.test.ts).
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
  );
}
