import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { Config } from '../config/load-config.ts';
import { secretFingerprint } from '../crypto/secret-fingerprint.ts';
import { LATEST_MIGRATION } from '../store/migrate.ts';
import { BackupError, PG_DUMP_FILE, SQLITE_FILE, readManifest, type BackupManifest } from './backup-manifest.ts';
import { sqliteMigration, withoutPassword } from './backup.ts';

/**
 * `portvakt restore --from DIR`: the backup's database into an empty place (an empty SQLite data
 * directory, or a PostgreSQL database without tables), under the secret the backup was made with.
 * Refuses, before touching anything, a secret of another fingerprint, a backup of the other
 * engine, and one made by newer code (a later migration than this code knows).
 */
export async function restoreBackup(config: Config, dir: string): Promise<BackupManifest> {
  const from = resolve(dir);
  const manifest = readManifest(from);
  if (manifest.secret_fingerprint !== secretFingerprint(config.secret)) {
    throw new BackupError(`PORTVAKT_SECRET does not match the backup (its fingerprint is ${manifest.secret_fingerprint}, this secret's ${secretFingerprint(config.secret)}): restore refused, nothing written`);
  }
  if (manifest.database !== config.database.kind) throw new BackupError(`the backup is of ${manifest.database} but this configuration uses ${config.database.kind}`);
  if (manifest.migration && manifest.migration > LATEST_MIGRATION) throw new BackupError(`the backup was made by newer code (migration ${manifest.migration}; this code knows up to ${LATEST_MIGRATION}): restore with that version`);
  // Made without pg_dump on PATH, the manifest names no file; the operator's pg_dump put it beside it.
  const file = manifest.file ?? (manifest.database === 'postgres' ? PG_DUMP_FILE : SQLITE_FILE);
  if (!existsSync(join(from, file))) throw new BackupError(`${from} holds no ${file}`);
  if (config.database.kind === 'sqlite') restoreSqlite(join(from, file), config.database.file);
  else await restorePostgres(join(from, file), config.database.url);
  return manifest;
}

function restoreSqlite(backupFile: string, file: string): void {
  const directory = dirname(resolve(file));
  mkdirSync(directory, { recursive: true });
  if (readdirSync(directory).length > 0) throw new BackupError(`${directory} is not empty; restore goes into an empty data directory`);
  copyFileSync(backupFile, file);
  const restored = new SQLite(file);
  try {
    const check = restored.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the restored database fails SQLite's integrity check: ${String(check)}`);
    sqliteMigration(restored);
  } catch (error) {
    restored.close();
    for (const written of [file, `${file}-wal`, `${file}-shm`]) rmSync(written, { force: true });
    throw error;
  }
  restored.close();
}

async function restorePostgres(dumpFile: string, databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
    if ((tables.rows[0] as { n: number }).n > 0) throw new BackupError('the database DATABASE_URL names has tables; restore goes into an empty database');
  } finally {
    await client.end();
  }
  const { url, password } = withoutPassword(databaseUrl);
  const restored = spawnSync('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--dbname', url, dumpFile], { env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) }, encoding: 'utf8' });
  if ((restored.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new BackupError('pg_restore is not on PATH; install the PostgreSQL client or run pg_restore as the README says');
  if (restored.status !== 0) throw new BackupError(`pg_restore failed: ${(restored.stderr || restored.error?.message || '').trim()}`);
}
