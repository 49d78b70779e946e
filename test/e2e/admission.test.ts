import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { startWithShop } from '../support/shop.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';

/**
 * Admission control: a burst of password sign-ins beyond the limit is answered with a friendly
 * 429 page and Retry-After (never a 5xx), while discovery and JWKS keep being served.
 */
describe('admission control in a burst of password sign-ins', () => {
  let server: RunningPortvakt;
  let shop: RelyingParty;

  beforeAll(async () => {
    ({ server, rp: shop } = await startWithShop('sqlite', { ADMISSION_MAX_SIGN_INS: '2' }));
  });
  afterAll(() => server?.stop());

  it('turns the excess away politely and keeps serving everything else', async () => {
    const forms = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const agent = new CookieAgent();
        const landing = await agent.follow(await shop.authorizationUrl(), server.url);
        return { agent, url: landing.url, csrf: csrfOf(await landing.response.text()), email: `burst${index}@example.se` };
      }),
    );
    const burst = Promise.all(forms.map((form) => form.agent.postForm(`${form.url}/password`, { csrf: form.csrf, email: form.email, password: 'a wrong passphrase' })));
    const during = await Promise.all([fetch(`${server.url}/jwks`), fetch(`${server.url}/.well-known/openid-configuration`), fetch(`${server.url}/healthz`)]);
    const answers = await burst;
    expect(during.map((response) => response.status)).toEqual([200, 200, 200]);
    const statuses = answers.map((response) => response.status);
    expect(statuses.every((status) => status < 500), String(statuses)).toBe(true);
    const shed = answers.filter((response) => response.status === 429);
    const served = answers.filter((response) => response.status === 401);
    expect(shed.length, String(statuses)).toBeGreaterThan(0);
    expect(served.length, String(statuses)).toBeGreaterThanOrEqual(2);
    expect(shed[0]!.headers.get('retry-after')).toBe('3');
    expect(shed[0]!.headers.get('refresh')).toMatch(/^3;url=\/login\/[A-Za-z0-9_-]+$/);
    expect(await shed[0]!.text()).toContain('Many people are signing in right now');
    // Once the burst is over, sign-ins are served again.
    const again = forms[0]!;
    const fresh = await again.agent.follow(await shop.authorizationUrl(), server.url);
    expect((await again.agent.postForm(`${fresh.url}/password`, { csrf: csrfOf(await fresh.response.text()), email: again.email, password: 'a wrong passphrase' })).status).toBe(401);
  });

  it('also turns sign-ins away while the event loop lags, when a limit is set', async () => {
    const lagging = await startWithShop('sqlite', { ADMISSION_MAX_LOOP_DELAY_MS: '20' });
    try {
      const agent = new CookieAgent();
      const landing = await agent.follow(await lagging.rp.authorizationUrl(), lagging.server.url);
      const csrf = csrfOf(await landing.response.text());
      // Block the loop for 300 ms, twice a second, for two seconds: p99 well over 20 ms.
      const blocker = setInterval(() => {
        const until = Date.now() + 300;
        while (Date.now() < until);
      }, 500);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      clearInterval(blocker);
      const answer = await agent.postForm(`${landing.url}/password`, { csrf, email: 'lag@example.se', password: 'a wrong passphrase' });
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('3');
    } finally {
      await lagging.server.stop();
    }
  });
});
