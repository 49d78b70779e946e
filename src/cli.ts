import { availableParallelism } from 'node:os';
import pino from 'pino';
import { buildPortvakt } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config/load-config.ts';
import { ConsentPurposes } from './consent/consent-purposes.ts';
import { AuditLog } from './events/audit-log.ts';
import { keyCreate } from './operators/api-key.routes.ts';
import { ApiKeys } from './operators/api-keys.ts';
import { buildMessaging } from './messaging/messaging.ts';
import { OperatorAccounts } from './operators/operator-accounts.ts';
import { OperatorAdministration } from './operators/operator-administration.ts';
import { operatorInvite } from './operators/operator.routes.ts';
import { OperatorSessions } from './operators/operator-sessions.ts';
import { isClusterWorker, runCluster } from './ops/node-cluster.ts';
import { seedCustomers } from './ops/seed.ts';
import { seedOptions } from './ops/seed-options.ts';
import { importOptions } from './ops/import-options.ts';
import { openCustomerImport } from './app/customer-import-services.ts';
import { statSync } from 'node:fs';
import { takeBackup } from './ops/backup.ts';
import { BackupError } from './ops/backup-manifest.ts';
import { restoreBackup } from './ops/restore.ts';
import { SecretRotationError, rotateSecret } from './ops/secret-rotation.ts';
import { KeyRotation } from './oidc/key-rotation.ts';
import { SIGNING_KEYS_TOPIC, SigningKeyStore } from './oidc/signing-keys.ts';
import { presentSigningKey } from './oidc/signing-key.routes.ts';
import { announceChange } from './store/change-notices.ts';
import { openRedis } from './store/redis.ts';
import { openStore, type Store } from './store/database.ts';
import { migrateToLatest, migrationsAhead, pendingMigrations } from './store/migrate.ts';

const USAGE = `usage: portvakt <command>

  start [--workers N]
                 run the server (migrates the database first); N processes share the port
                 (default: one per core on PostgreSQL, 1 on SQLite)
  migrate [--dry-run]
                 apply database migrations and exit; --dry-run lists those that would run and changes nothing
  keys rotate    make a new signing key pair active; the old one keeps verifying until its tokens expire
  keys list      show the published signing keys
  audit verify   re-compute the audit log's hash chain; exit 0 when whole, 2 naming the first broken entry
  api-keys create --name N --role R [--systems a,b] [--consent-purposes p,q] [--store S]
                 a management API key (role: admin, agent, privacy_officer, integration; integration
                 keys name their systems, and may record consent decisions for the purposes named by
                 --consent-purposes); prints it once
  api-keys list  every key, without secrets
  api-keys revoke ID
                 refuse the key from now on
  operators create --email E --role R [--role R2] [--name N]
                 a console operator (role: admin, agent, privacy_officer); prints the one-time
                 invitation link (24 h), also sent by e-mail
  backup --to DIR
                 a consistent copy of the database while the server runs (SQLite: its online backup
                 API; PostgreSQL: pg_dump when on PATH) and manifest.json: the migration, the
                 secret's fingerprint (never the secret) and the settings a restore must keep
  restore --from DIR
                 a backup into an empty data directory (or an empty PostgreSQL database); refused
                 unless PORTVAKT_SECRET is the one the backup was made under
  secret rotate  re-seal every sealed value under a new PORTVAKT_SECRET, in one transaction; run with
                 PORTVAKT_SECRET the new secret and PORTVAKT_PREVIOUS_SECRETS the old one, as every
                 node runs during the change (README "Backup and restore")
  seed           bulk test customers (not in production):
                   --customers N   how many (required)
                   --start N       first number in their addresses seed{N}@seed.example (default 0)
                   --password P    every seeded customer's password (default "seeded passphrase 2026")
                   --consent K[=D] record decision D (granted, declined, withdrawn; default granted) for purpose K
                   --batch N       customers per transaction (default 5000)
  import FILE    customers from another platform, with their password hashes, references and consent
                 history (NDJSON, or CSV with a header; docs/import-record.schema.json); resumable,
                 idempotent by source id or e-mail; a JSON report per line with --report
                   --platform P    where they come from (consent source; a data-map system: source ids kept there)
                   --format F      ndjson or csv (default: by the file's extension)
                   --update        update customers already there (default: skip them)
                   --dry-run       check every line and write only the report
                   --allow-weak-hashes  accept salted SHA-256/SHA-1/MD5 and Magento 2 sha256 hashes
                   --weak-hashes rehash|reset  at the next sign-in: re-hash a weak one (default) or ask for a new password
                   --publish-events  send customer.created and consent webhooks (default: none)
                   --batch N       lines per transaction (default 5000)
                   --report FILE   the report as JSON
`;

/**
 * `start [--workers N]`: N > 1 runs a node:cluster (ops/node-cluster.ts) whose workers each come
 * back here as a single server. The default is one worker per core on PostgreSQL; the embedded
 * SQLite default stays one process (one writer; several processes would only queue on its lock).
 */
async function start(config: Config, args: string[]): Promise<number> {
  const workers = workersFrom(args, config);
  if (typeof workers === 'string') {
    process.stderr.write(`portvakt: ${workers}\n${USAGE}`);
    return 1;
  }
  if (workers > 1 && !isClusterWorker()) {
    // Migrations run once, here, before any worker starts.
    await withStore(config, async () => undefined);
    return runCluster(workers, pino({ level: config.logLevel }));
  }
  await serve(config);
  return -1;
}

function workersFrom(args: string[], config: Config): number | string {
  if (args.length === 0) return config.database.kind === 'sqlite' ? 1 : availableParallelism();
  const value = Number(args[1]);
  if (args[0] !== '--workers' || args.length !== 2 || !Number.isInteger(value) || value < 1 || value > 256) return 'start takes only --workers N (1 to 256)';
  if (value > 1 && config.database.kind === 'sqlite') return '--workers above 1 needs PostgreSQL (DATABASE_URL=postgres://…): the embedded SQLite database is for one process';
  return value;
}

/**
 * One server. On SIGTERM it drains first: for SHUTDOWN_GRACE_SECONDS /readyz answers 503 and every
 * answer closes its connection, while requests are still served, so a load balancer stops sending
 * new ones; then the port closes, requests in progress finish, and the process exits.
 */
async function serve(config: Config): Promise<void> {
  const portvakt = await buildPortvakt(config);
  const { app } = portvakt;
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal, grace_ms: config.shutdownGraceMs }, 'draining, then shutting down');
    portvakt.drain();
    setTimeout(() => {
      portvakt.close().then(
        () => process.exit(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    }, config.shutdownGraceMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ issuer: config.issuer, database: portvakt.store.dialect, managementApi: Boolean(config.adminKey) }, 'portvakt ready');
}

async function withStore<T>(config: Config, work: (store: ReturnType<typeof openStore>, applied: string[]) => Promise<T>): Promise<T> {
  const store = openStore(config.database);
  try {
    return await work(store, await migrateToLatest(store.db));
  } finally {
    await store.close();
  }
}

/** The database as it is, not migrated (`migrate --dry-run` only reads it). */
async function withUnmigratedStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(config.database);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** `--name N --role R --systems a,b --consent-purposes p,q` into the API's create body; validated by the same schema as the API. */
async function apiKeys(config: Config, args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const flags = new Map<string, string>();
  for (let index = 0; index < rest.length; index += 2) flags.set(String(rest[index]).replace(/^--/, ''), String(rest[index + 1] ?? ''));
  return withStore(config, async (store) => {
    const keys = new ApiKeys(store.db, new AuditLog(store.db));
    if (action === 'list') {
      process.stdout.write(`${JSON.stringify(await keys.list())}
`);
      return 0;
    }
    if (action === 'revoke' && rest.length === 1) {
      process.stdout.write(`${JSON.stringify(await keys.revoke(rest[0]!))}
`);
      return 0;
    }
    const input = keyCreate.safeParse({ name: flags.get('name'), role: flags.get('role'), systems: flags.get('systems')?.split(',') ?? null, consent_purposes: flags.get('consent-purposes')?.split(',') ?? null, store: flags.get('store') ?? null });
    if (action !== 'create' || !input.success || [...flags.keys()].some((flag) => !['name', 'role', 'systems', 'consent-purposes', 'store'].includes(flag))) {
      process.stderr.write(`portvakt: ${input.success ? 'unknown flag' : input.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}\n${USAGE}`);
      return 1;
    }
    const created = await keys.create({ name: input.data.name, role: input.data.role, systems: input.data.systems, consentPurposes: input.data.consent_purposes, store: input.data.store });
    process.stdout.write(`${JSON.stringify({ id: created.id, role: created.role, systems: created.systems, consent_purposes: created.consentPurposes, store: created.store, key: created.key })}\n`);
    return 0;
  });
}

/** `operators create --email E --role R [--role R2] [--name N]`: an invitation, validated by the API's schema. */
async function operators(config: Config, args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const flags: Array<[string, string]> = [];
  for (let index = 0; index < rest.length; index += 2) flags.push([String(rest[index]).replace(/^--/, ''), String(rest[index + 1] ?? '')]);
  const email = flags.find(([flag]) => flag === 'email')?.[1];
  const input = operatorInvite.safeParse({ email, name: flags.find(([flag]) => flag === 'name')?.[1] ?? email?.split('@')[0], roles: flags.filter(([flag]) => flag === 'role').map(([, role]) => role) });
  if (action !== 'create' || !input.success || flags.some(([flag]) => !['email', 'name', 'role'].includes(flag))) {
    process.stderr.write(`portvakt: ${input.success ? 'unknown flag' : input.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}\n${USAGE}`);
    return 1;
  }
  const invitation = await withStore(config, (store) => {
    const audit = new AuditLog(store.db);
    const administration = new OperatorAdministration({
      db: store.db,
      accounts: new OperatorAccounts({ db: store.db, audit }),
      sessions: new OperatorSessions({ db: store.db, idleMs: config.consoleIdleMs }),
      messenger: buildMessaging(config, store.db, pino({ level: 'silent' })).messenger,
      issuer: config.issuer,
      product: config.brandName,
    });
    return administration.invite(input.data);
  });
  process.stdout.write(`${JSON.stringify({ id: invitation.operator.id, email: invitation.operator.email, roles: invitation.operator.roles, invitation_url: invitation.link })}\n`);
  return 0;
}

/** A command's arguments as its parser reads them; undefined (said on stderr, with the usage) when they are off. */
function argumentsOf<T>(parse: (args: string[]) => T, args: string[]): T | undefined {
  try {
    return parse(args);
  } catch (error) {
    process.stderr.write(`portvakt: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return undefined;
  }
}

async function seed(config: Config, args: string[]): Promise<number> {
  if (config.production) {
    process.stderr.write('portvakt: seed refuses to run with NODE_ENV=production\n');
    return 1;
  }
  const options = argumentsOf(seedOptions, args);
  if (!options) return 1;
  const report = await withStore(config, (store) => {
    const audit = new AuditLog(store.db);
    return seedCustomers({ db: store.db, dialect: store.dialect, audit, purposes: new ConsentPurposes(store.db, audit) }, options, (line) => process.stderr.write(`${line}\n`));
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}

/** `import FILE`: the summary on stdout as JSON, a short one and a progress bar (on a terminal) on stderr. */
async function importCustomers(config: Config, args: string[]): Promise<number> {
  const options = argumentsOf(importOptions, args);
  if (!options) return 1;
  const size = statSync(options.file, { throwIfNoEntry: false })?.size;
  if (size === undefined) {
    process.stderr.write(`portvakt: no file ${options.file}\n`);
    return 1;
  }
  const { customerImport, close } = await openCustomerImport(config);
  try {
    const summary = await customerImport.run(options, ({ lines, bytes }) => progressBar(lines, bytes / Math.max(size, 1)));
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stderr.write(`${options.dryRun ? 'dry run: ' : ''}${summary.lines} lines: ${summary.accepted} accepted, ${summary.updated} updated, ${summary.skipped} skipped, ${summary.refused} refused (${summary.lines_per_s} lines/s)\n`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } finally {
    await close();
  }
}

function progressBar(lines: number, fraction: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const done = Math.round(Math.min(fraction, 1) * width);
  process.stderr.write(`\r[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${Math.round(fraction * 100)}%  ${lines} lines`);
}

/** `backup --to DIR` and `restore --from DIR`: one line on stderr and exit 1 when refused. */
async function backupOrRestore(config: Config, command: 'backup' | 'restore', args: string[]): Promise<number> {
  const flag = command === 'backup' ? '--to' : '--from';
  if (args.length !== 2 || args[0] !== flag || !args[1]) {
    process.stderr.write(`portvakt: ${command} takes ${flag} DIR\n${USAGE}`);
    return 1;
  }
  try {
    if (command === 'restore') {
      const manifest = await restoreBackup(config, args[1]);
      process.stdout.write(`${JSON.stringify({ restored: manifest.created_at, database: manifest.database, migration: manifest.migration, config: manifest.config })}\n`);
      return 0;
    }
    const { manifest, notes } = await takeBackup(config, args[1]);
    for (const note of notes) process.stderr.write(`portvakt: ${note}\n`);
    process.stdout.write(`${JSON.stringify(manifest)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    process.stderr.write(`portvakt: ${error.message}\n`);
    return 1;
  }
}

/** `secret rotate`: what was re-sealed, per column, as JSON; one line on stderr and exit 1 when refused. */
async function rotateSecretCommand(config: Config): Promise<number> {
  try {
    const resealed = await withStore(config, (store) => rotateSecret(store.db, config.secrets));
    process.stdout.write(`${JSON.stringify({ resealed })}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof SecretRotationError)) throw error;
    process.stderr.write(`portvakt: ${error.message}\n`);
    return 1;
  }
}

/** The rotation service as the command line runs it: no operator (the audit log names the admin key), a notice through Redis. */
function keyRotation(config: Config, store: Store): KeyRotation {
  return new KeyRotation({ keys: new SigningKeyStore(store.db, config.secrets.sealing('signing-key-encryption')), audit: new AuditLog(store.db), keyRefreshMs: config.keyRefreshMs, announce: (added) => announceThroughRedis(config, added) });
}

/** Running nodes reload at once; without Redis they find the new keys within KEY_REFRESH_SECONDS. */
async function announceThroughRedis(config: Config, added: string[]): Promise<void> {
  if (!config.redisUrl) return;
  const redis = openRedis(config.redisUrl, config.redisPrefix, () => undefined);
  try {
    await announceChange(redis, config.redisPrefix, SIGNING_KEYS_TOPIC, added.join(','));
  } catch (error) {
    // The rotation itself is committed; nodes find it on their next refresh.
    process.stderr.write(`portvakt: rotated, but could not announce it through Redis (${error instanceof Error ? error.message : String(error)}); nodes pick it up within KEY_REFRESH_SECONDS\n`);
  } finally {
    redis.disconnect();
  }
}

/** `keys rotate`: a new active pair, announced through Redis when there is one. */
async function rotateKeys(config: Config): Promise<number> {
  const result = await withStore(config, (store) => keyRotation(config, store).rotate());
  process.stdout.write(`${JSON.stringify({ added: result.added, retired: result.retired, retired_published_for_seconds: result.retiredPublishedForSeconds })}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, sub] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'restore' && !process.env.PORTVAKT_SECRET) {
    // Without it the configuration would make up a new secret in the (then no longer empty) data directory.
    process.stderr.write('portvakt: restore needs PORTVAKT_SECRET, the secret the backup was made under\n');
    return 1;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`portvakt: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (command === 'api-keys') return apiKeys(config, argv.slice(1));
  if (command === 'operators') return operators(config, argv.slice(1));
  if (command === 'backup' || command === 'restore') return backupOrRestore(config, command, argv.slice(1));
  if (command === 'import') return importCustomers(config, argv.slice(1));
  switch (command === 'seed' || command === 'start' ? command : `${command}${sub ? ` ${sub}` : ''}`) {
    case 'start':
      return start(config, argv.slice(1));
    case 'migrate': {
      const { applied, ahead } = await withStore(config, async (store, names) => ({ applied: names, ahead: await migrationsAhead(store.db) }));
      process.stdout.write(`migrations up to date on ${config.database.kind}${applied.length ? `: ${applied.join(', ')}` : ''}\n`);
      if (ahead.length > 0) process.stderr.write(`portvakt: the database also holds migrations of a newer release (${ahead.join(', ')}); left as they are\n`);
      return 0;
    }
    case 'migrate --dry-run': {
      const pending = await withUnmigratedStore(config, (store) => pendingMigrations(store.db));
      process.stdout.write(pending.length ? `${pending.length} migrations would run on ${config.database.kind}:\n${pending.map((name) => `  ${name}\n`).join('')}` : `migrations up to date on ${config.database.kind}; none would run\n`);
      return 0;
    }
    case 'keys rotate':
      return rotateKeys(config);
    case 'audit verify': {
      const report = await withStore(config, (store) => new AuditLog(store.db).verify());
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return report.ok ? 0 : 2;
    }
    case 'keys list': {
      const keys = await withStore(config, (store) => keyRotation(config, store).list());
      process.stdout.write(`${JSON.stringify(keys.map(presentSigningKey))}\n`);
      return 0;
    }
    case 'secret rotate':
      return rotateSecretCommand(config);
    case 'seed':
      return seed(config, argv.slice(1));
    default:
      process.stderr.write(`portvakt: unknown command "${argv.join(' ')}"\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`portvakt: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
