import pino from 'pino';
import type { Config } from '../config/load-config.ts';
import { CustomerImport } from '../customers/import/customer-import.ts';
import { ImportJobs } from '../customers/import/import-jobs.ts';
import { buildCredentialServices } from './credential-services.ts';
import { registerCustomerDataOwners } from './customer-data-owners.ts';
import { buildCustomerDomain, type CustomerDomain } from './customer-domain.ts';
import { openInfrastructure, type Infrastructure } from './infrastructure.ts';
import { buildSelfService, type SelfService } from './self-service.ts';

/** The server's imports: uploads run as jobs (`POST /api/v1/imports`). */
export interface ImportServices {
  imports: ImportJobs;
}

/** The one import, whether the command line or an API job runs it. */
export function buildCustomerImport(infra: Infrastructure, domain: CustomerDomain, self: SelfService): CustomerImport {
  return new CustomerImport({
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
}

export function buildImportServices(infra: Infrastructure, domain: CustomerDomain, self: SelfService): ImportServices {
  const { config, log } = infra;
  return {
    imports: new ImportJobs({
      db: infra.store.db,
      customerImport: buildCustomerImport(infra, domain, self),
      dataDir: config.dataDir,
      maxBytes: config.importUploadMaxBytes,
      onError: (error) => log.error({ err: error }, 'import job failed'),
    }),
  };
}

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
  return {
    customerImport: buildCustomerImport(infra, domain, self),
    async close() {
      await infra.changes.close();
      await infra.store.close();
      await infra.redis?.quit();
    },
  };
}
