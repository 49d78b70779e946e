import { withStoredHashKeys } from '../store/hash-keys.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.ts';
import { ArtifactStorage, artifactBatching } from '../oidc/artifact-storage.ts';
import { RedisArtifacts } from '../oidc/redis-artifact-adapter.ts';
import { Metrics } from '../ops/metrics.ts';
import { OutboundGuard } from '../outbound/outbound-guard.ts';
import { outboundUrlCheck, type OutboundUrlCheck } from '../outbound/outbound-url-check.ts';
import { LocalChangeNotices, RedisChangeNotices, type ChangeNotices } from '../store/change-notices.ts';
import { openStore, type Store } from '../store/database.ts';
import { migrateToLatest, migrationsAhead } from '../store/migrate.ts';
import { openRedis, subscriberOf } from '../store/redis.ts';

/** What everything else stands on: the database (migrated), Redis when configured, and the shared plumbing. */
export interface Infrastructure {
  config: Config;
  log: FastifyBaseLogger;
  store: Store;
  redis: Redis | undefined;
  artifacts: ArtifactStorage;
  /** Cached lookups (clients, brands, the profile schema) are forgotten on every node when the record changes. */
  changes: ChangeNotices;
  metrics: Metrics;
  /** Calls out to addresses named through the API are checked against internal networks. */
  outbound: OutboundGuard;
  /** The check a URL Portvakt will call gets when it is registered or changed (https and public in production). */
  checkOutboundUrl: OutboundUrlCheck;
}

export async function openInfrastructure(settings: Config, log: FastifyBaseLogger): Promise<Infrastructure> {
  const store = openStore(settings.database, (error) => log.warn({ err: error }, 'idle database connection failed'));
  await migrateToLatest(store.db);
  const ahead = await migrationsAhead(store.db);
  if (ahead.length > 0) log.warn({ migrations: ahead }, 'the database was migrated by a newer release; serving on it as it is (a rolling upgrade in progress?)');
  // Hash keys a secret rotation stored replace those derived from the secret (crypto/secret-keys.ts).
  const config: Config = { ...settings, secrets: await withStoredHashKeys(store.db, settings.secrets) };
  const redis = config.redisUrl ? openRedis(config.redisUrl, config.redisPrefix, (error) => log.warn({ err: error }, 'redis connection failed')) : undefined;
  const artifacts = new ArtifactStorage(store.db, redis && new RedisArtifacts(redis), artifactBatching(store));
  const changes = redis
    ? new RedisChangeNotices(redis, subscriberOf(redis, (error) => log.warn({ err: error }, 'redis subscriber failed')), config.redisPrefix, (error) => log.warn({ err: error }, 'change notice failed'))
    : new LocalChangeNotices();
  const outbound = new OutboundGuard(config.outboundAllowInternal);
  const checkOutboundUrl = outboundUrlCheck({ production: config.production, permits: (address) => outbound.permits(address) });
  return { config, log, store, redis, artifacts, changes, metrics: new Metrics(), outbound, checkOutboundUrl };
}
