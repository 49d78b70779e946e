import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { openTestRedis } from '../support/test-redis.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const rateHeaders = (response: Response) => ({
  limit: response.headers.get('ratelimit-limit'),
  remaining: response.headers.get('ratelimit-remaining'),
  reset: Number(response.headers.get('ratelimit-reset')),
});

describe('rate limits per address and per client, with RateLimit headers', () => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt('sqlite', { RATE_LIMIT_IP_PER_MINUTE: '5', RATE_LIMIT_CLIENT_PER_MINUTE: '3', TRUST_PROXY: 'true' });
  });
  afterAll(() => server?.stop());

  it('counts sign-in pages per client address, answers the excess with a 429 page and Retry-After, and never limits discovery, JWKS or health', async () => {
    const answers: Response[] = [];
    // The route counts, however its path is spelled (%61 is "a").
    for (let i = 0; i < 6; i++) answers.push(await fetch(`${server.url}/${i % 2 ? '%61uth' : 'auth'}?client_id=nobody&i=${i}`, { headers: { 'accept-language': 'sv' } }));
    expect(answers.slice(0, 5).map((answer) => answer.status).every((status) => status !== 429)).toBe(true);
    expect(answers.slice(0, 5).map((answer) => rateHeaders(answer).remaining)).toEqual(['4', '3', '2', '1', '0']);
    const refused = answers[5]!;
    expect(refused.status).toBe(429);
    expect(rateHeaders(refused)).toMatchObject({ limit: '5', remaining: '0' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(await refused.text()).toContain('För många förfrågningar');
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/healthz', '/readyz', '/assets/portvakt.css']) {
      for (let i = 0; i < 6; i++) expect((await fetch(`${server.url}${path}`)).status).toBe(200);
    }
    // Another network has its own count; an IPv6 /64 is one network.
    const elsewhere = (address: string) => fetch(`${server.url}/auth?client_id=nobody`, { headers: { 'x-forwarded-for': address } });
    expect((await elsewhere('198.51.100.7')).status).not.toBe(429);
    for (let i = 0; i < 5; i++) await elsewhere(`2001:db8:1:2::${i + 1}`);
    expect((await elsewhere('2001:db8:1:2::ffff')).status).toBe(429);
  });

  it('counts token requests per client_id (Basic or form) and network, so one busy client does not slow another', async () => {
    const service = (await server.api('POST', '/clients', { client_name: 'busy', grant_types: ['client_credentials'] })).body;
    const other = (await server.api('POST', '/clients', { client_name: 'calm', grant_types: ['client_credentials'] })).body;
    const token = (client: { client_id: string; client_secret: string }, viaForm = false, from = '203.0.113.1') =>
      fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from, ...(viaForm ? {} : { authorization: basic(client.client_id, client.client_secret) }) },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...(viaForm ? { client_id: client.client_id, client_secret: client.client_secret } : {}) }).toString(),
      });
    const first = await token(service);
    expect(first.status).toBe(200);
    expect(rateHeaders(first)).toMatchObject({ limit: '3', remaining: '2' });
    // The same client naming itself in the form (client_secret_post) counts against the same limit.
    expect((await token(service, true)).status).toBe(200);
    expect((await token(service)).status).toBe(200);
    const refused = await token(service);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const calm = await token(other);
    expect(calm.status).toBe(200);
    expect(rateHeaders(calm).remaining).toBe('2');
    // The name is not authenticated when counted: bogus requests naming the busy client from one
    // network use up that network's budget, not the client's everywhere.
    expect((await token(service, false, '192.0.2.50')).status).toBe(200);
  });
});

describe('rate limits shared by every node through Redis', () => {
  it('counts one address across two nodes that share a Redis', async () => {
    const redis = await openTestRedis();
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, RATE_LIMIT_IP_PER_MINUTE: '5' };
    const [a, b] = await Promise.all([startPortvakt('sqlite', env), startPortvakt('sqlite', env)]);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await fetch(`${(i % 2 ? b : a).url}/auth?client_id=nobody`)).status);
      expect(statuses.slice(0, 5).includes(429)).toBe(false);
      expect(statuses[5]).toBe(429);
      expect(await redis.redis.keys(`${redis.prefix}rate:address:*`)).toHaveLength(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await redis.close();
    }
  });
});
