import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
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
import * as hashKeys from './migrations/0032-hash-keys.ts';
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
  '0032-hash-keys': hashKeys,
};

/** The newest migration this code knows; a backup made by newer code is not restored by this one. */
export const LATEST_MIGRATION = Object.keys(migrations).at(-1)!;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * The migrator over this list, keeping its record in `portvakt_migrations`. A number may be set
 * aside for work built at the same time and land after a later one (0030 after 0031): a database
 * that ran the later one first runs the earlier when it arrives, instead of being refused as out
 * of order. Such migrations touch different tables, as 0030 and 0031 do.
 */
function migratorFor(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'portvakt_migrations',
    migrationLockTableName: 'portvakt_migrations_lock',
    allowUnorderedMigrations: true,
  });
}

/** Every migration's name, oldest first: each is a schema version a database may be at. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations);

/**
 * Applies what is pending and answers the names applied. A database a newer release already
 * migrated (a rolling upgrade: the new node first, this one still old) is left as it is when it
 * holds every migration this code knows: old code keeps starting on it, since migrations keep the
 * schema working for the release before (README, Upgrades). Unknown migrations with known ones
 * missing is a database from another line of releases, refused.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const ahead = await migrationsAhead(db);
  if (ahead.length > 0) {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) throw new MigrationError(`the database has migrations this release does not know (${ahead.join(', ')}) but lacks ${pending.join(', ')}`);
    return [];
  }
  return applied(await migratorFor(db).migrateToLatest());
}

/** Applied migrations this code does not know, oldest first: a newer release migrated the database. */
export async function migrationsAhead(db: Kysely<Database>): Promise<string[]> {
  if (!(await db.introspection.getTables()).some((table) => table.name === 'portvakt_migrations')) return [];
  const { rows } = await sql<{ name: string }>`select name from portvakt_migrations`.execute(db);
  return rows.map((row) => row.name).filter((name) => !MIGRATION_NAMES.includes(name)).sort();
}

/** Migrates up to and including `name`, no further: the schema a database made by that release holds. */
export async function migrateTo(db: Kysely<Database>, name: string): Promise<string[]> {
  if (!MIGRATION_NAMES.includes(name)) throw new MigrationError(`no migration ${name}`);
  return applied(await migratorFor(db).migrateTo(name));
}

/**
 * The migrations `migrateToLatest` would apply, oldest first, without applying any: it reads the
 * record of applied ones (none when the table is not there yet) and writes nothing, not even the
 * record's table (`portvakt migrate --dry-run`).
 */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  return (await migratorFor(db).getMigrations()).filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

function applied({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
