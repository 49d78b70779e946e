import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/**
 * A Redis key space of its own for one test file (a random prefix on the shared server), emptied
 * on close. `url` and `prefix` are what a child process gets as REDIS_URL and REDIS_PREFIX.
 */
export async function openTestRedis(): Promise<{ redis: Redis; url: string; prefix: string; close(): Promise<void> }> {
  const prefix = `portvakt-test-${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  try {
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis is not reachable at ${TEST_REDIS_URL} (${(error as Error).message}); start it with \`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\``);
  }
  return {
    redis,
    url: TEST_REDIS_URL,
    prefix,
    async close() {
      const raw = new Redis(TEST_REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await raw.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      raw.disconnect();
      redis.disconnect();
    },
  };
}
