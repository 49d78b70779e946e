import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/load-config.ts';
import { secretFingerprint } from '../crypto/secret-fingerprint.ts';

export const MANIFEST_FILE = 'manifest.json';
export const SQLITE_FILE = 'portvakt.db';
export const PG_DUMP_FILE = 'portvakt.pgdump';
const FORMAT = 'portvakt-backup/1';

/**
 * What a backup directory holds besides the database: what the database alone cannot restore.
 * Never the secret itself, only its fingerprint, so a restore can refuse the wrong one.
 */
export interface BackupManifest {
  format: typeof FORMAT;
  created_at: string;
  database: 'sqlite' | 'postgres';
  /** The database in the directory: portvakt.db (SQLite) or portvakt.pgdump (pg_dump's custom format); null when pg_dump was left to the operator. */
  file: string | null;
  /** The last migration applied to the copied database. */
  migration: string | null;
  secret_fingerprint: string;
  /** Settings that must be the same after a restore: tokens name the issuer, nodes share Redis keys under the prefix. */
  config: { issuer: string; redis_prefix: string; brand_name: string; database_pool_max: number | null };
}

export class BackupError extends Error {
  override name = 'BackupError';
}

export function manifestFor(config: Config, file: string | null, migration: string | null, now = new Date()): BackupManifest {
  return {
    format: FORMAT,
    created_at: now.toISOString(),
    database: config.database.kind,
    file,
    migration,
    secret_fingerprint: secretFingerprint(config.secret),
    config: { issuer: config.issuer, redis_prefix: config.redisPrefix, brand_name: config.brandName, database_pool_max: config.database.kind === 'postgres' ? (config.database.poolMax ?? null) : null },
  };
}

export function writeManifest(dir: string, manifest: BackupManifest): void {
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

export function readManifest(dir: string): BackupManifest {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest;
  } catch (error) {
    throw new BackupError(`${dir} holds no readable ${MANIFEST_FILE} (${error instanceof Error ? error.message : String(error)})`);
  }
  if (manifest.format !== FORMAT || typeof manifest.secret_fingerprint !== 'string') throw new BackupError(`${join(dir, MANIFEST_FILE)} is not a ${FORMAT} manifest`);
  return manifest;
}
