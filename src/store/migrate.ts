import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import * as initial from './migrations/0001-initial.ts';
import * as accountLifecycle from './migrations/0002-account-lifecycle.ts';
import * as auditLog from './migrations/0003-audit-log.ts';
import * as webhooks from './migrations/0004-webhooks.ts';
import * as consent from './migrations/0005-consent.ts';
import * as privacy from './migrations/0006-privacy.ts';
import * as consentAudienceIndex from './migrations/0007-consent-audience-index.ts';
import * as connections from './migrations/0008-connections.ts';
import * as connectionPresets from './migrations/0009-connection-presets.ts';
import * as apiKeys from './migrations/0010-api-keys.ts';
import * as callerVerifications from './migrations/0011-caller-verifications.ts';
import * as profileAttributes from './migrations/0012-profile-attributes.ts';
import * as guests from './migrations/0013-guests.ts';
import * as webhookOwners from './migrations/0014-webhook-owners.ts';
import * as brands from './migrations/0015-brands.ts';
import * as resourceServers from './migrations/0016-resource-servers.ts';
import * as operators from './migrations/0017-operators.ts';
import * as customerSearch from './migrations/0018-customer-search.ts';
import * as privacyFigures from './migrations/0019-privacy-figures.ts';
import * as unmappedReferences from './migrations/0020-unmapped-references.ts';
import * as brandController from './migrations/0021-brand-controller.ts';
import * as customerEditableAttributes from './migrations/0022-customer-editable-attributes.ts';
import * as systemIdentifiers from './migrations/0023-system-identifiers.ts';
import * as brandTemplates from './migrations/0024-brand-templates.ts';
import * as personalization from './migrations/0025-personalization.ts';
import * as consentSources from './migrations/0026-consent-sources.ts';
import * as inStore from './migrations/0027-in-store.ts';
import * as saml from './migrations/0028-saml.ts';
import * as importRuns from './migrations/0029-import-runs.ts';
import * as importJobs from './migrations/0030-import-jobs.ts';
import * as segmentMarks from './migrations/0031-segment-marks.ts';
import type { Database } from './schema.ts';

/** Migrations in order; a new one is a new file here, never an edit of a landed one. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-account-lifecycle': accountLifecycle,
  '0003-audit-log': auditLog,
  '0004-webhooks': webhooks,
  '0005-consent': consent,
  '0006-privacy': privacy,
  '0007-consent-audience-index': consentAudienceIndex,
  '0008-connections': connections,
  '0009-connection-presets': connectionPresets,
  '0010-api-keys': apiKeys,
  '0011-caller-verifications': callerVerifications,
  '0012-profile-attributes': profileAttributes,
  '0013-guests': guests,
  '0014-webhook-owners': webhookOwners,
  '0015-brands': brands,
  '0016-resource-servers': resourceServers,
  '0017-operators': operators,
  '0018-customer-search': customerSearch,
  '0019-privacy-figures': privacyFigures,
  '0020-unmapped-references': unmappedReferences,
  '0021-brand-controller': brandController,
  '0022-customer-editable-attributes': customerEditableAttributes,
  '0023-system-identifiers': systemIdentifiers,
  '0024-brand-templates': brandTemplates,
  '0025-personalization': personalization,
  '0026-consent-sources': consentSources,
  '0027-in-store': inStore,
  '0028-saml': saml,
  '0029-import-runs': importRuns,
  '0030-import-jobs': importJobs,
  '0031-segment-marks': segmentMarks,
};

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'portvakt_migrations',
    migrationLockTableName: 'portvakt_migrations_lock',
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
