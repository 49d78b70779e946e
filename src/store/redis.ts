import { Redis } from 'ioredis';

/**
 * The optional Redis of a multi-node deployment (REDIS_URL). Every key Portvakt writes starts with
 * `prefix`, so deployments (or test runs) can share one Redis without seeing each other's keys.
 * Commands fail fast while Redis is away (two retries, 2 s per command) so a request gets an error
 * instead of hanging; ioredis reconnects by itself. Needs Redis 7.0 or later, and one primary, not
 * Redis Cluster: the artifact scripts touch keys of several hash slots in one call.
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

/**
 * A Lua script as a command of its own: sent as EVALSHA (loaded on first use, again after a
 * restart of Redis), auto-pipelined like any other command, keys prefixed like any other. One
 * script call costs this process a fraction of a MULTI … EXEC of the same commands through ioredis.
 * With `numberOfKeys` undefined the first argument is the number of keys.
 */
export function redisScript<Result>(redis: Redis, name: string, lua: string, numberOfKeys?: number): (...args: Array<string | number>) => Promise<Result> {
  if (!(name in redis)) redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  const command = (redis as unknown as Record<string, (...args: Array<string | number>) => Promise<Result>>)[name]!;
  return command.bind(redis);
}
