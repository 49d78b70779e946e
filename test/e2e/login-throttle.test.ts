import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'olle@example.se', password: 'the right passphrase' };

/** Opens a sign-in page and posts credentials to it; answers the raw response. */
async function attempt(server: RunningPortvakt, rp: RelyingParty, email: string, password: string, headers: Record<string, string> = {}) {
  const agent = new CookieAgent();
  const page = await agent.follow(await rp.authorizationUrl(), server.url);
  const csrf = csrfOf(await page.response.text());
  const started = performance.now();
  const response = await agent.postForm(`${page.url}/password`, { csrf, email, password }, headers);
  return { response, body: await response.text(), ms: performance.now() - started };
}

function alertOf(body: string): string | undefined {
  return /<p class="alert" role="alert">([^<]*)<\/p>/.exec(body)?.[1];
}

describe.each(DIALECTS)('sign-in throttling and enumeration on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    server = await startPortvakt(dialect, {
      LOGIN_FREE_ATTEMPTS: '5',
      LOGIN_DELAY_BASE_SECONDS: '1',
      LOGIN_DELAY_MAX_SECONDS: '2',
      LOGIN_IP_FREE_ATTEMPTS: '1000',
    });
    const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
    rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
    await server.api('POST', '/customers', CUSTOMER);
    await server.api('POST', '/customers', { email: 'timing@example.se', password: 'another passphrase' });
  });
  afterAll(() => server?.stop());

  it('lets exactly the free attempts through a burst of parallel wrong passwords', async () => {
    const email = 'burst@example.se';
    await server.api('POST', '/customers', { email, password: 'burst passphrase here' });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(server, rp, email, `parallel guess ${i}`)));
    const statuses = results.map((result) => result.response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(7);
  });

  it('answers 429 with Retry-After to 20 wrong passwords in a minute, then lets the right one in', async () => {
    const statuses: number[] = [];
    let retryAfter = 0;
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const { response } = await attempt(server, rp, CUSTOMER.email, `wrong password ${i}`);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = Number(response.headers.get('retry-after'));
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(12);
    expect(retryAfter).toBeGreaterThanOrEqual(1);

    const locked = await attempt(server, rp, CUSTOMER.email, CUSTOMER.password);
    expect(locked.response.status).toBe(429);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const allowed = await attempt(server, rp, CUSTOMER.email, CUSTOMER.password);
    expect(allowed.response.status).toBe(303);
  });

  it('gives an unknown e-mail and a wrong password the same answer in similar time', async () => {
    const unknown: number[] = [];
    const wrong: number[] = [];
    let unknownAnswer = { status: 0, alert: '' };
    let wrongAnswer = { status: 0, alert: '' };
    // The median of the ratios of back-to-back pairs: both halves of a pair meet the same load
    // (other test workers share the two cores), so a busy moment does not decide.
    for (let i = 0; i < 9; i++) await server.api('POST', '/customers', { email: `timing${i}@example.se`, password: 'another passphrase' });
    for (let i = 0; i < 9; i++) {
      const a = await attempt(server, rp, `nobody${i}@example.se`, 'some password here');
      const b = await attempt(server, rp, `timing${i}@example.se`, `not it ${i}`);
      unknown.push(a.ms);
      wrong.push(b.ms);
      unknownAnswer = { status: a.response.status, alert: alertOf(a.body) ?? '' };
      wrongAnswer = { status: b.response.status, alert: alertOf(b.body) ?? '' };
    }
    expect(unknownAnswer).toEqual(wrongAnswer);
    expect(unknownAnswer.status).toBe(401);
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    const ratio = median(unknown.map((ms, i) => ms / wrong[i]!));
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe.each(DIALECTS)('throttling per client network on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    // Peers in 10.0.0.0/8 are trusted proxies; the tests connect from 127.0.0.1, which is not.
    server = await startPortvakt(dialect, { LOGIN_IP_FREE_ATTEMPTS: '6', LOGIN_FREE_ATTEMPTS: '100', TRUST_PROXY: '10.0.0.0/8' });
    const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
    rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
  });
  afterAll(() => server?.stop());

  it('slows one address spraying many accounts, whatever X-Forwarded-For it invents', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const forged = { 'x-forwarded-for': `198.51.100.${i}` };
      statuses.push((await attempt(server, rp, `spray${i}@example.se`, 'guess guess guess', forged)).response.status);
    }
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429]);
  });

  it('answers a sign-up with a registered address exactly like a new one, and throttles code sends per network', async () => {
    const fresh = await startPortvakt(dialect, { LOGIN_IP_FREE_ATTEMPTS: '3' });
    try {
      const client = (await fresh.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
      const shop = await RelyingParty.discover(fresh.url, client.client_id, client.client_secret, REDIRECT);
      await fresh.api('POST', '/customers', { email: 'taken@example.se' });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const agent = new CookieAgent();
        const page = await agent.follow(await shop.authorizationUrl(), fresh.url);
        const csrf = csrfOf(await page.response.text());
        const email = i % 2 === 0 ? 'taken@example.se' : `new${i}@example.se`;
        const answer = await agent.postForm(`${page.url}/email-code`, { csrf, intent: 'sign_up', email, password: 'probing passphrase', given_name: '', family_name: '' });
        statuses.push(answer.status);
        if (answer.status === 303) expect(answer.headers.get('location')).toBe(`${new URL(page.url).pathname}/email-code`);
      }
      // Registered or not, the answer is "check your inbox" (303 to the code page); the mail says which.
      expect(statuses).toEqual([303, 303, 303, 429, 429]);
    } finally {
      await fresh.stop();
    }
  });
});
