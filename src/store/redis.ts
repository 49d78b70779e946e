import { Redis } from 'ioredis';

/**
 * The optional Redis of a multi-node deployment (REDIS_URL). Every key Portvakt writes starts with
 * `prefix`, so deployments (or test runs) can share one Redis without seeing each other's keys.
 * Commands fail fast while Redis is away (two retries, no offline queue beyond a reconnect) so a
 * request gets an error instead of hanging; ioredis reconnects by itself.
 */
export function openRedis(url: string, prefix: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
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
