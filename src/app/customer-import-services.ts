import pino from 'pino';
import type { Config } from '../config/load-config.ts';
import { CustomerImport } from '../customers/import/customer-import.ts';
import { buildCredentialServices } from './credential-services.ts';
import { registerCustomerDataOwners } from './customer-data-owners.ts';
import { buildCustomerDomain } from './customer-domain.ts';
import { openInfrastructure } from './infrastructure.ts';
import { buildSelfService } from './self-service.ts';

/**
 * The import as the command line runs it: the same services as the server's (the ledger's and the
 * profile's listeners wired as there), without the protocol, the pages or any worker.
 */
export async function openCustomerImport(config: Config): Promise<{ customerImport: CustomerImport; close: () => Promise<void> }> {
  const infra = await openInfrastructure(config, pino({ level: 'silent' }));
  const domain = buildCustomerDomain(infra);
  const credentials = buildCredentialServices(infra, domain);
  const self = buildSelfService(infra, domain, credentials);
  registerCustomerDataOwners({ ...infra, ...domain, ...credentials, ...self });
  const customerImport = new CustomerImport({
    db: infra.store.db,
    audit: domain.audit,
    purposes: domain.purposes,
    profileSchema: domain.profile.schema,
    customerStore: domain.customerStore,
    ledger: domain.ledger,
    suppressions: self.privacy.suppressions,
    attributes: domain.profile.attributes,
    references: self.privacy.references,
    events: domain.publisher,
  });
  return {
    customerImport,
    async close() {
      await infra.changes.close();
      await infra.store.close();
      await infra.redis?.quit();
    },
  };
}
