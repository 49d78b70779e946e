import { Redis } from 'ioredis';

/**
 * The optional Redis of a multi-node deployment (REDIS_URL). Every key Portvakt writes starts with
 * `prefix`, so deployments (or test runs) can share one Redis without seeing each other's keys.
 * Commands fail fast while Redis is away (two retries, 2 s per command) so a request gets an error
 * instead of hanging; ioredis reconnects by itself. Needs Redis 7.0 or later.
 */
export function openRedis(url: string, prefix: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    // A Redis that does not answer (not one that refuses) fails a command in 2 s, not never.
    commandTimeout: 2000,
    enableAutoPipelining: true,
  });
  redis.on('error', onError);
  return redis;
}

/** A second connection for SUBSCRIBE (a subscribed connection can run no other command). */
export function subscriberOf(redis: Redis, onError: (error: Error) => void): Redis {
  const subscriber = redis.duplicate();
  subscriber.on('error', onError);
  return subscriber;
}
