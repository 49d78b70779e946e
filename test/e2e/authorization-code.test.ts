import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const ANNA = { email: 'Anna@Example.se', password: 'correct horse battery', givenName: 'Anna', familyName: 'Berg' };

async function registerClient(server: RunningPortvakt, metadata: Record<string, unknown>): Promise<RelyingParty> {
  const created = await server.api('POST', '/clients', { redirect_uris: [REDIRECT], ...metadata });
  expect(created.status).toBe(201);
  return RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, REDIRECT);
}

describe.each(DIALECTS)('authorization code flow on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  const agent = new CookieAgent();

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    shop = await registerClient(server, { client_name: 'Web shop', first_party: true });
  });
  afterAll(() => server?.stop());

  it('signs up a customer and issues ID, access and refresh tokens that verify', async () => {
    const landed = await agent.authorize(await shop.authorizationUrl(), server.url, { ...ANNA, signUp: true });
    expect(landed.startsWith(`${REDIRECT}?code=`)).toBe(true);
    const tokens = await shop.callback(landed);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(shop.jwksUri)), {
      issuer: server.url,
      audience: shop.config.clientMetadata().client_id,
    });
    expect(protectedHeader.alg).toBe('RS256');
    // Sign-up proves the address with a code first, so the address is verified and the method is e-mail.
    expect(payload).toMatchObject({ amr: ['email'], acr: 'urn:portvakt:acr:1fa' });
    const userinfo = await shop.userinfo(tokens.access_token, String(payload.sub));
    expect(userinfo).toMatchObject({ email: 'anna@example.se', email_verified: true, given_name: 'Anna', family_name: 'Berg', name: 'Anna Berg' });
  });

  it('gives a second first-party client a code without any form (single sign-on)', async () => {
    const app = await registerClient(server, { client_name: 'Mobile app', first_party: true, token_endpoint_auth_method: 'none' });
    const landed = await agent.follow(await app.authorizationUrl(), server.url);
    expect(landed.url.startsWith(`${REDIRECT}?code=`)).toBe(true);
    const tokens = await app.callback(landed.url);
    expect(tokens.claims()?.email).toBe('anna@example.se');
    expect((await app.userinfo(tokens.access_token, tokens.claims()!.sub)).email).toBe('anna@example.se');
  });

  it('signs an existing customer in with the password form', async () => {
    const fresh = new CookieAgent();
    const landed = await fresh.authorize(await shop.authorizationUrl(), server.url, ANNA);
    const tokens = await shop.callback(landed);
    expect(tokens.claims()?.sub).toBeTruthy();
  });

  it('asks for consent for a third-party client, listing the scopes, and honours allow and deny', async () => {
    const partner = await registerClient(server, { client_name: 'Partner CRM', first_party: false });
    const consent = await agent.follow(await partner.authorizationUrl(), server.url);
    expect(consent.url).toMatch(new RegExp(`^${server.url}/login/`));
    const page = await consent.response.text();
    expect(page).toContain('Partner CRM');
    expect(page).toContain('See your e-mail address');
    expect(page).toContain('See your name and language');

    const denied = await agent.postForm(`${consent.url}/consent`, { csrf: csrfOf(page), decision: 'deny' });
    const deniedLanding = await agent.follow(new URL(denied.headers.get('location')!, server.url).toString(), server.url);
    expect(new URL(deniedLanding.url).searchParams.get('error')).toBe('access_denied');

    const again = await agent.follow(await partner.authorizationUrl(), server.url);
    const allowed = await agent.postForm(`${again.url}/consent`, { csrf: csrfOf(await again.response.text()), decision: 'allow' });
    const landed = await agent.follow(new URL(allowed.headers.get('location')!, server.url).toString(), server.url);
    expect((await partner.callback(landed.url)).access_token).toBeTruthy();

    const remembered = await agent.follow(await partner.authorizationUrl(), server.url);
    expect(remembered.url.startsWith(`${REDIRECT}?code=`)).toBe(true);
  });

  it('ends the session on RP-initiated logout', async () => {
    const fresh = new CookieAgent();
    const tokens = await shop.callback(await fresh.authorize(await shop.authorizationUrl(), server.url, ANNA));
    const logout = new URL(`${server.url}/session/end`);
    logout.searchParams.set('id_token_hint', tokens.id_token!);
    const confirm = await fresh.follow(logout.toString(), server.url);
    const form = await confirm.response.text();
    expect(form).toContain('op.logoutForm');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)![1]!;
    const done = await fresh.postForm(`${server.url}/session/end/confirm`, { xsrf, logout: 'yes' });
    await fresh.follow(new URL(done.headers.get('location')!, server.url).toString(), server.url);
    const next = await fresh.follow(await shop.authorizationUrl(), server.url);
    expect(next.url).toMatch(new RegExp(`^${server.url}/login/`));
    expect(await next.response.text()).toContain('name="password"');
  });
});
