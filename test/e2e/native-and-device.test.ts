import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const WHO = { email: 'native@example.se', password: 'a passphrase for apps' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const xsrfOf = (page: string) => /name="xsrf" value="([^"]+)"/.exec(page)![1]!;

/**
 * Signs in from an authorization URL. A native client is shown the consent screen every time
 * (oidc-provider's native_client_prompt, RFC 8252 §8.6: another app can claim the same redirect,
 * so the customer confirms which app gets access); this agent allows.
 */
async function signInAsApp(url: string, issuer: string): Promise<string> {
  const agent = new CookieAgent();
  const landed = await agent.authorize(url, issuer, WHO);
  if (!landed.startsWith(`${issuer}/login/`)) return landed;
  const page = await (await agent.request(landed)).text();
  expect(page).toContain('name="decision" value="allow"');
  const allowed = await agent.postForm(`${landed}/consent`, { csrf: csrfOf(page), decision: 'allow' });
  return (await agent.follow(new URL(allowed.headers.get('location')!, issuer).toString(), issuer)).url;
}

/**
 * Native apps per RFC 8252 (public clients, PKCE, loopback redirects on any port, private-use URI
 * schemes) and the device authorization grant (RFC 8628) with the hosted code-entry page.
 */
describe.each(DIALECTS)('native apps and devices on %s', (dialect) => {
  let server: RunningPortvakt;
  let appId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    await server.api('POST', '/customers', WHO);
    const app = await server.api('POST', '/clients', {
      client_name: 'Butiksappen',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback', 'com.example.shop:/callback'],
      grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      first_party: true,
    });
    expect(app.status, JSON.stringify(app.body)).toBe(201);
    expect(app.body.client_secret).toBeUndefined();
    appId = app.body.client_id;
  });
  afterAll(() => server?.stop());

  it('completes code + PKCE to a loopback redirect on whatever port the app opened', async () => {
    for (const port of [49152, 61873]) {
      const rp = await RelyingParty.discover(server.url, appId, undefined, `http://127.0.0.1:${port}/callback`);
      const landed = await signInAsApp(await rp.authorizationUrl({ scope: 'openid email' }), server.url);
      expect(landed).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/callback\\?code=`));
      const tokens = await rp.callback(landed);
      expect(tokens.claims()).toMatchObject({ email: WHO.email, aud: appId });
    }
  });

  it('redirects to a private-use URI scheme for a native client, and refuses one for a web client', async () => {
    const rp = await RelyingParty.discover(server.url, appId, undefined, 'com.example.shop:/callback');
    const landed = await signInAsApp(await rp.authorizationUrl(), server.url);
    expect(landed).toMatch(/^com\.example\.shop:\/callback\?code=/);
    expect((await rp.callback(landed)).access_token).toBeTruthy();

    const web = await server.api('POST', '/clients', { client_name: 'Web', redirect_uris: ['com.example.shop:/callback'] });
    expect(web.status).toBe(400);
    const hostile = await server.api('POST', '/clients', { client_name: 'App', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['http://evil.example/callback'] });
    expect(hostile.status).toBe(400);
    // Without PKCE a public client gets nothing.
    const agent = new CookieAgent();
    const url = new URL('/auth', server.url);
    url.search = new URLSearchParams({ client_id: appId, response_type: 'code', scope: 'openid', redirect_uri: 'com.example.shop:/callback' }).toString();
    expect((await agent.follow(url.toString(), server.url)).url).toMatch(/^com\.example\.shop:\/callback\?error=invalid_request/);
  });

  it('signs a device in: the code typed on the hosted page, the customer signed in, and the polling device gets tokens', { timeout: 60_000 }, async () => {
    const rp = await RelyingParty.discover(server.url, appId, undefined, 'com.example.shop:/callback');
    const device = await oidc.initiateDeviceAuthorization(rp.config, { scope: 'openid email offline_access' }).catch((error: unknown) => {
      throw new Error(`device authorization: ${JSON.stringify((error as { error?: unknown; error_description?: unknown }).error)} ${JSON.stringify((error as { error_description?: unknown }).error_description)}`);
    });
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.verification_uri).toBe(`${server.url}/device`);
    const polling = oidc.pollDeviceAuthorizationGrant(rp.config, device);

    const agent = new CookieAgent();
    const entry = await agent.follow(device.verification_uri, server.url);
    const entryPage = await entry.response.text();
    expect(entryPage).toContain('name="user_code"');
    const wrong = await agent.postForm(`${server.url}/device`, { xsrf: xsrfOf(entryPage), user_code: 'BCDF-GHJK' });
    expect(wrong.status).toBe(400);
    const retry = await wrong.text();
    const confirm = await agent.postForm(`${server.url}/device`, { xsrf: xsrfOf(retry), user_code: device.user_code.toLowerCase() });
    const confirmPage = await confirm.text();
    expect(confirmPage).toContain(device.user_code);
    expect(confirmPage).toContain('Butiksappen');
    const confirmed = await agent.postForm(`${server.url}/device`, { xsrf: xsrfOf(confirmPage), user_code: device.user_code, confirm: 'yes' });
    const login = await agent.follow(new URL(confirmed.headers.get('location')!, server.url).toString(), server.url);
    expect(login.url).toMatch(/\/login\/[^/]+$/);
    const signedIn = await agent.postForm(`${login.url}/password`, { csrf: csrfOf(await login.response.text()), ...WHO });
    // A native client: the customer also confirms which app gets access (see signInAsApp).
    const consent = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    const consentPage = await consent.response.text();
    const allowed = await agent.postForm(`${consent.url}/consent`, { csrf: csrfOf(consentPage), decision: 'allow' });
    const done = await agent.follow(new URL(allowed.headers.get('location')!, server.url).toString(), server.url);
    expect(await done.response.text()).toContain('Your device is signed in');

    const tokens = await polling;
    expect(tokens.claims()).toMatchObject({ email: WHO.email, aud: appId });
    expect(tokens.refresh_token).toBeTruthy();
    // The code is spent: typing it again is refused.
    const again = await agent.follow(device.verification_uri, server.url);
    const reused = await agent.postForm(`${server.url}/device`, { xsrf: xsrfOf(await again.response.text()), user_code: device.user_code });
    expect(reused.status).toBe(400);
  });

  it('slows guessing of device codes (RFC 8628 §5.1): a parallel burst gets only the free guesses, then the network is locked out, right codes included', { timeout: 60_000 }, async () => {
    const rp = await RelyingParty.discover(server.url, appId, undefined, 'http://127.0.0.1/callback');
    const device = await oidc.initiateDeviceAuthorization(rp.config, { scope: 'openid' });
    const agent = new CookieAgent();
    const xsrf = xsrfOf(await (await agent.follow(device.verification_uri, server.url)).response.text());
    const type = (userCode: string) => agent.postForm(`${server.url}/device`, { xsrf, user_code: userCode });
    // 30 wrong codes at once: every one is counted before it is looked at.
    const burst = await Promise.all(Array.from({ length: 30 }, (_, guess) => type(`BCDF-${'GHJKLMNPQRSTVWXZ'[guess % 16]!.repeat(4)}`)));
    const answered = burst.filter((response) => response.status === 400).length;
    const refused = burst.filter((response) => response.status === 429);
    // DEVICE_CODE_FREE_GUESSES is 20, and the tests before typed some: never more than 20 answered.
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(20);
    expect(answered + refused.length).toBe(30);
    expect(refused[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
    const locked = await type(device.user_code);
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('Too many wrong codes');
    // After the wait the right code is taken.
    await new Promise((resolve) => setTimeout(resolve, Number(locked.headers.get('retry-after')) * 1000 + 100));
    const fresh = xsrfOf(await (await agent.follow(device.verification_uri, server.url)).response.text());
    const accepted = await agent.postForm(`${server.url}/device`, { xsrf: fresh, user_code: device.user_code });
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain(device.user_code);
  });
});
