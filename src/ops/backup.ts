import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Config } from '../config/load-config.ts';
import { BackupError, PG_DUMP_FILE, SQLITE_FILE, manifestFor, writeManifest, type BackupManifest } from './backup-manifest.ts';

/** The last applied migration of an open SQLite database, or null before the first. */
export function sqliteMigration(database: SQLite.Database): string | null {
  const table = database.prepare("select 1 from sqlite_master where type = 'table' and name = 'portvakt_migrations'").get();
  if (!table) return null;
  return (database.prepare('select name from portvakt_migrations order by name desc limit 1').get() as { name: string } | undefined)?.name ?? null;
}

/** A directory to write a backup into: made when missing, refused when it holds anything. */
function emptyDirectory(dir: string): string {
  const path = resolve(dir);
  mkdirSync(path, { recursive: true });
  if (readdirSync(path).length > 0) throw new BackupError(`${path} is not empty; a backup goes into a new or empty directory`);
  return path;
}

/**
 * `portvakt backup --to DIR` while the server runs. SQLite: the online backup API copies every
 * page in one step, that is inside one read transaction, so the copy is the database as of one
 * commit while writers go on (WAL). PostgreSQL: pg_dump (custom format), itself one snapshot,
 * when it is on PATH; otherwise only the manifest, and the note says the command to run.
 */
export async function takeBackup(config: Config, dir: string): Promise<{ manifest: BackupManifest; notes: string[] }> {
  const target = emptyDirectory(dir);
  if (config.database.kind === 'sqlite') {
    const source = new SQLite(config.database.file, { fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      await source.backup(join(target, SQLITE_FILE), { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    const copy = new SQLite(join(target, SQLITE_FILE));
    try {
      // One self-contained file: no -wal or -shm beside it (the server turns WAL back on when it opens it).
      copy.pragma('journal_mode = DELETE');
      const manifest = manifestFor(config, SQLITE_FILE, sqliteMigration(copy));
      writeManifest(target, manifest);
      return { manifest, notes: [] };
    } finally {
      copy.close();
    }
  }
  const { url, password } = withoutPassword(config.database.url);
  const dumped = spawnSync('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', '--file', join(target, PG_DUMP_FILE), '--dbname', url], { env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) }, encoding: 'utf8' });
  if ((dumped.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    const manifest = manifestFor(config, null, null);
    writeManifest(target, manifest);
    return { manifest, notes: [`pg_dump is not on PATH: run  pg_dump --format=custom --no-owner --no-privileges --file ${join(target, PG_DUMP_FILE)} --dbname "$DATABASE_URL"  (a pg_dump of the server's major version or newer)`] };
  }
  if (dumped.status !== 0) throw new BackupError(`pg_dump failed: ${(dumped.stderr || dumped.error?.message || '').trim()}`);
  const manifest = manifestFor(config, PG_DUMP_FILE, dumpMigration(target));
  writeManifest(target, manifest);
  return { manifest, notes: [] };
}

/** The last migration in the dump itself (its portvakt_migrations table), so manifest and data agree. */
function dumpMigration(dir: string): string | null {
  const listed = spawnSync('pg_restore', ['--data-only', '--table', 'portvakt_migrations', '--file', '-', join(dir, PG_DUMP_FILE)], { encoding: 'utf8' });
  if (listed.status !== 0) return null;
  const names = [...listed.stdout.matchAll(/^(\d{4}-[a-z0-9-]+)\t/gm)].map((match) => match[1]!);
  return names.sort().at(-1) ?? null;
}

/** pg_dump and pg_restore get the password through PGPASSWORD, not on their command line (ps shows that). */
export function withoutPassword(databaseUrl: string): { url: string; password: string | undefined } {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.password = '';
  return { url: url.toString(), password };
}
