import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'olle@example.se', password: 'the right passphrase' };

/** Opens a sign-in page and posts credentials to it; answers the raw response. */
async function attempt(server: RunningPortvakt, rp: RelyingParty, email: string, password: string) {
  const agent = new CookieAgent();
  const page = await agent.follow(await rp.authorizationUrl(), server.url);
  const csrf = csrfOf(await page.response.text());
  const started = performance.now();
  const response = await agent.postForm(`${page.url}/password`, { csrf, email, password });
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
    for (let i = 0; i < 4; i++) {
      const a = await attempt(server, rp, `nobody${i}@example.se`, 'some password here');
      const b = await attempt(server, rp, 'timing@example.se', `not it ${i}`);
      unknown.push(a.ms);
      wrong.push(b.ms);
      unknownAnswer = { status: a.response.status, alert: alertOf(a.body) ?? '' };
      wrongAnswer = { status: b.response.status, alert: alertOf(b.body) ?? '' };
    }
    expect(unknownAnswer).toEqual(wrongAnswer);
    expect(unknownAnswer.status).toBe(401);
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('sign-in throttling per client IP', () => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    server = await startPortvakt('sqlite', { LOGIN_IP_FREE_ATTEMPTS: '6', LOGIN_FREE_ATTEMPTS: '100' });
    const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
    rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
  });
  afterAll(() => server?.stop());

  it('slows one address spraying many accounts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await attempt(server, rp, `spray${i}@example.se`, 'guess guess guess')).response.status);
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(7)).toEqual([429, 429, 429]);
  });
});
