import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

type Listener = (id: string) => void;

/**
 * "This record changed": how a node tells caches (its own and, through Redis, every other node's)
 * to forget a record. Without REDIS_URL only the process itself hears; other nodes' caches then
 * expire on their own, which bounds how stale they can be.
 */
export interface ChangeNotices {
  publish(topic: string, id: string): void;
  subscribe(topic: string, listener: Listener): void;
  close(): Promise<void>;
}

export class LocalChangeNotices implements ChangeNotices {
  readonly #events = new EventEmitter().setMaxListeners(0);

  publish(topic: string, id: string): void {
    this.#events.emit(topic, id);
  }

  subscribe(topic: string, listener: Listener): void {
    this.#events.on(topic, listener);
  }

  async close(): Promise<void> {
    this.#events.removeAllListeners();
  }
}

const CHANNEL = 'changes';

/** Tells every node listening on this Redis (from a CLI command, say) that a record changed. */
export async function announceChange(publisher: Redis, prefix: string, topic: string, id: string): Promise<void> {
  await publisher.publish(`${prefix}${CHANNEL}`, JSON.stringify({ topic, id }));
}

/** Redis PUBLISH/SUBSCRIBE on one channel (under the deployment's prefix); heard locally at once too. */
export class RedisChangeNotices implements ChangeNotices {
  readonly #local = new LocalChangeNotices();
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;

  constructor(publisher: Redis, subscriber: Redis, prefix: string, onError: (error: unknown) => void) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    // Channels are not prefixed by ioredis's keyPrefix: the deployment's prefix is added here.
    this.#channel = `${prefix}${CHANNEL}`;
    this.#prefix = prefix;
    this.#onError = onError;
    this.#subscriber.subscribe(this.#channel).catch(onError);
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      try {
        const { topic, id } = JSON.parse(message) as { topic: string; id: string };
        this.#local.publish(topic, id);
      } catch (error) {
        onError(error);
      }
    });
  }

  publish(topic: string, id: string): void {
    this.#local.publish(topic, id);
    announceChange(this.#publisher, this.#prefix, topic, id).catch(this.#onError);
  }

  subscribe(topic: string, listener: Listener): void {
    this.#local.subscribe(topic, listener);
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#subscriber.disconnect();
  }
}

/**
 * A read-through cache of records by id, for lookups on every request (clients, brands): an entry
 * lives `ttlMs` at most and is forgotten at once when a change notice for it arrives. Misses
 * (unknown ids) are cached too, so a flood of made-up ids costs one query per id per ttl.
 */
export class ReadCache<T> {
  readonly #entries = new Map<string, { value: T | undefined; at: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #topic: string;
  readonly #notices: ChangeNotices;
  /** Counts notices: a load that overlapped one may have read the old record, and is not kept. */
  #generation = 0;

  constructor(topic: string, notices: ChangeNotices, ttlMs: number, maxEntries = 10_000) {
    this.#topic = topic;
    this.#notices = notices;
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
    notices.subscribe(topic, (id) => {
      this.#generation += 1;
      this.#entries.delete(id);
    });
  }

  async get(id: string, load: (id: string) => Promise<T | undefined>, now = Date.now()): Promise<T | undefined> {
    const cached = this.#entries.get(id);
    if (cached && now - cached.at < this.#ttlMs) return cached.value;
    const generation = this.#generation;
    const value = await load(id);
    if (generation !== this.#generation) return value;
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(id, { value, at: now });
    return value;
  }

  /** After a change has committed: every node forgets the record. */
  changed(id: string): void {
    this.#notices.publish(this.#topic, id);
  }
}
